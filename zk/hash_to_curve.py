"""RFC 9380 hashing to BLS12-381 G1: expand_message_xmd / _xof, hash_to_field and hash_to_G1 for two suites.

Suites: `BLS12381G1_XMD:SHA-256_SSWU_RO_` (RFC 9380 section 8.8.1) and `BLS12381G1_XOF:SHAKE-256_SSWU_RO_`
(the same map with expand_message_xof, as the BBS draft's SHAKE-256 ciphersuite uses it). The simplified SWU
map, the 11-isogeny and cofactor clearing come from the curve backend (`Backend.g1_map_to_curve`); the byte
handling, which is where interoperability bugs live, is here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from zk.curve import Backend, P, get_backend
from zk.errors import InvalidParameters
from zk.json_input import describe

ExpandMessage = Callable[[bytes, bytes, int], bytes]

# RFC 9380 section 5.3.3: DSTs longer than 255 bytes are first hashed with this prefix.
_OVERSIZE_DST_PREFIX = b"H2C-OVERSIZE-DST-"
# Security parameter k = 128 for BLS12-381 (RFC 9380 section 8.8.1).
_K = 128
# L = ceil((ceil(log2(p)) + k) / 8) = ceil((381 + 128) / 8) = 64 (RFC 9380 section 5.1).
HASH_TO_FIELD_L = 64


def _check_lengths(msg: bytes, dst: bytes, len_in_bytes: int) -> None:
    if not isinstance(msg, (bytes, bytearray)) or not isinstance(dst, (bytes, bytearray)):
        raise InvalidParameters("expand_message takes bytes for msg and DST")
    if type(len_in_bytes) is not int or not 0 <= len_in_bytes <= 65535:
        raise InvalidParameters(f"len_in_bytes must be in [0, 65535], got {describe(len_in_bytes)}")


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """expand_message_xmd with SHA-256 (RFC 9380 section 5.3.1)."""
    _check_lengths(msg, dst, len_in_bytes)
    b_in_bytes, s_in_bytes = 32, 64  # SHA-256 output and block sizes
    if len(dst) > 255:
        dst = hashlib.sha256(_OVERSIZE_DST_PREFIX + dst).digest()
    ell = -(-len_in_bytes // b_in_bytes)
    if ell > 255:
        raise InvalidParameters(f"expand_message_xmd cannot produce {len_in_bytes} bytes (ell > 255)")
    dst_prime = bytes(dst) + bytes([len(dst)])
    z_pad = bytes(s_in_bytes)
    l_i_b_str = len_in_bytes.to_bytes(2, "big")
    msg_prime = z_pad + bytes(msg) + l_i_b_str + b"\x00" + dst_prime
    b_0 = hashlib.sha256(msg_prime).digest()
    b_i = hashlib.sha256(b_0 + b"\x01" + dst_prime).digest()
    uniform_bytes = [b_i]
    b_0_int = int.from_bytes(b_0, "big")
    for i in range(2, ell + 1):
        # b_i = H(strxor(b_0, b_(i - 1)) || I2OSP(i, 1) || DST_prime)
        xored = (b_0_int ^ int.from_bytes(b_i, "big")).to_bytes(b_in_bytes, "big")
        b_i = hashlib.sha256(xored + bytes([i]) + dst_prime).digest()
        uniform_bytes.append(b_i)
    return b"".join(uniform_bytes)[:len_in_bytes]


def expand_message_xof(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """expand_message_xof with SHAKE-256 and k = 128 (RFC 9380 section 5.3.2)."""
    _check_lengths(msg, dst, len_in_bytes)
    if len(dst) > 255:
        # ceil(2 * k / 8) = 32 bytes of SHAKE-256 output (section 5.3.3).
        dst = hashlib.shake_256(_OVERSIZE_DST_PREFIX + dst).digest(2 * _K // 8)
    dst_prime = bytes(dst) + bytes([len(dst)])
    msg_prime = bytes(msg) + len_in_bytes.to_bytes(2, "big") + dst_prime
    return hashlib.shake_256(msg_prime).digest(len_in_bytes)


def hash_to_field(msg: bytes, count: int, dst: bytes, expand_message: ExpandMessage) -> list[int]:
    """hash_to_field for F = GF(p), m = 1 (RFC 9380 section 5.2): `count` elements of the base field."""
    uniform_bytes = expand_message(msg, dst, count * HASH_TO_FIELD_L)
    return [
        int.from_bytes(uniform_bytes[i * HASH_TO_FIELD_L : (i + 1) * HASH_TO_FIELD_L], "big") % P
        for i in range(count)
    ]


@dataclass(frozen=True)
class HashToCurveSuite:
    """A random-oracle hash_to_curve suite for G1: its RFC 9380 name and its expand_message."""

    suite_id: str
    expand_message: ExpandMessage


BLS12381G1_XMD_SHA_256_SSWU_RO = HashToCurveSuite("BLS12381G1_XMD:SHA-256_SSWU_RO_", expand_message_xmd)
BLS12381G1_XOF_SHAKE_256_SSWU_RO = HashToCurveSuite("BLS12381G1_XOF:SHAKE-256_SSWU_RO_", expand_message_xof)


def hash_to_G1(
    msg: bytes,
    dst: bytes,
    suite: HashToCurveSuite = BLS12381G1_XMD_SHA_256_SSWU_RO,
    backend: Backend | None = None,
):
    """hash_to_curve (RFC 9380 section 3) onto G1 with any DST; the point belongs to `backend`.

    Steps: u = hash_to_field(msg, 2); Q0 = map_to_curve(u[0]); Q1 = map_to_curve(u[1]);
    P = clear_cofactor(Q0 + Q1). Cofactor clearing is multiplication by h_eff, a homomorphism, so the
    backend may clear each Q_i before adding them: clear(Q0) + clear(Q1) = clear(Q0 + Q1).
    """
    curve = backend or get_backend()
    u0, u1 = hash_to_field(msg, 2, dst, suite.expand_message)
    return curve.g1_add(curve.g1_map_to_curve(u0), curve.g1_map_to_curve(u1))
