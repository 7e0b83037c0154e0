"""RFC 9380: expand_message and hash_to_G1 give the standard vectors (../shared/vectors/hash-to-curve)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_arkworks_bls12381 import G1Point

from zk.curve import Backend
from zk.errors import InvalidParameters
from zk.hash_to_curve import (
    BLS12381G1_XMD_SHA_256_SSWU_RO,
    BLS12381G1_XOF_SHAKE_256_SSWU_RO,
    expand_message_xmd,
    expand_message_xof,
    hash_to_field,
    hash_to_G1,
)


def _load(vectors_dir: Path, name: str) -> dict:
    return json.loads((vectors_dir / "hash-to-curve" / name).read_text())


def _xy_to_compressed(x_hex: str, y_hex: str) -> bytes:
    """The ZCash compressed encoding of an affine point (x, y) given as 0x-hex integers."""
    x, y = int(x_hex, 16), int(y_hex, 16)
    p = 0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB
    sign = 1 if y > (p - 1) // 2 else 0
    return (x | (1 << 383) | (sign << 381)).to_bytes(48, "big")


@pytest.mark.parametrize("file", ["expand_message_xmd_SHA256_38.json", "expand_message_xmd_SHA256_256.json"])
def test_expand_message_xmd_reproduces_every_rfc9380_vector(vectors_dir: Path, file: str) -> None:
    data = _load(vectors_dir, file)
    dst = data["DST"].encode()
    assert len(data["tests"]) == 10
    for case in data["tests"]:
        out = expand_message_xmd(case["msg"].encode(), dst, int(case["len_in_bytes"], 16))
        assert out.hex() == case["uniform_bytes"], case["msg"]


def test_hash_to_field_reproduces_every_u_of_the_g1_vectors(vectors_dir: Path) -> None:
    data = _load(vectors_dir, "BLS12381G1_XMD-SHA-256_SSWU_RO_.json")
    dst = data["dst"].encode()
    assert len(data["vectors"]) == 5
    for case in data["vectors"]:
        u = hash_to_field(case["msg"].encode(), 2, dst, expand_message_xmd)
        assert u == [int(v, 16) for v in case["u"]], case["msg"]


def test_hash_to_g1_reproduces_every_rfc9380_vector(vectors_dir: Path, backend: Backend) -> None:
    data = _load(vectors_dir, "BLS12381G1_XMD-SHA-256_SSWU_RO_.json")
    assert data["ciphersuite"] == BLS12381G1_XMD_SHA_256_SSWU_RO.suite_id
    dst = data["dst"].encode()
    for case in data["vectors"]:
        point = hash_to_G1(case["msg"].encode(), dst, backend=backend)
        assert backend.g1_compress(point) == _xy_to_compressed(case["P"]["x"], case["P"]["y"]), case["msg"]


def test_oversize_dst_is_hashed_first() -> None:
    long_dst = b"D" * 300
    short = hashlib.sha256(b"H2C-OVERSIZE-DST-" + long_dst).digest()
    assert expand_message_xmd(b"m", long_dst, 32) == expand_message_xmd(b"m", short, 32)
    short_xof = hashlib.shake_256(b"H2C-OVERSIZE-DST-" + long_dst).digest(32)
    assert expand_message_xof(b"m", long_dst, 48) == expand_message_xof(b"m", short_xof, 48)


def test_expand_message_xof_follows_section_5_3_2() -> None:
    # msg_prime = msg || I2OSP(len_in_bytes, 2) || DST || I2OSP(len(DST), 1), then SHAKE-256.
    assert expand_message_xof(b"abc", b"DST", 40) == hashlib.shake_256(b"abc\x00\x28DST\x03").digest(40)
    # The output length is bound into the input: a longer request is not an extension of a shorter one.
    assert expand_message_xof(b"abc", b"DST", 64)[:40] != expand_message_xof(b"abc", b"DST", 40)


def test_expand_message_refuses_impossible_lengths() -> None:
    with pytest.raises(InvalidParameters, match="ell > 255"):
        expand_message_xmd(b"", b"DST", 255 * 32 + 1)
    with pytest.raises(InvalidParameters, match=r"len_in_bytes must be in \[0, 65535\], got 65536"):
        expand_message_xof(b"", b"DST", 65536)


def test_xof_suite_gives_a_different_point_than_xmd(backend: Backend) -> None:
    xmd = hash_to_G1(b"msg", b"DST", BLS12381G1_XMD_SHA_256_SSWU_RO, backend)
    xof = hash_to_G1(b"msg", b"DST", BLS12381G1_XOF_SHAKE_256_SSWU_RO, backend)
    assert xmd != xof
    assert backend.g1_decompress(backend.g1_compress(xof)) == xof  # on the curve, in the subgroup


@settings(max_examples=200, deadline=None)
@given(msg=st.binary(max_size=200), dst=st.binary(min_size=1, max_size=300))
def test_hash_to_g1_agrees_with_arkworks_builtin_xmd(arkworks: Backend, msg: bytes, dst: bytes) -> None:
    # An independent implementation (arkworks' own RFC 9380 code) must give the same point for every input.
    ours = arkworks.g1_compress(hash_to_G1(msg, dst, backend=arkworks))
    assert ours == bytes(G1Point.hash_to_curve(msg, dst).to_compressed_bytes())


@settings(max_examples=10, deadline=None)
@given(msg=st.binary(max_size=64), dst=st.binary(min_size=1, max_size=64))
def test_backends_agree_on_hash_to_g1_xof(arkworks: Backend, pyecc: Backend, msg: bytes, dst: bytes) -> None:
    points = [
        be.g1_compress(hash_to_G1(msg, dst, BLS12381G1_XOF_SHAKE_256_SSWU_RO, be)) for be in (arkworks, pyecc)
    ]
    assert points[0] == points[1]
