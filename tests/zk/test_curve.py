"""zk.curve: group laws, strict ZCash encodings, msm, pairings and backend selection, on both backends."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from py_ecc.bls.hash_to_curve import map_to_curve_G1
from py_ecc.bls.point_compression import compress_G1
from py_ecc.fields import optimized_bls12_381_FQ as FQ

from tests.zk.encodings import (
    G1_BAD_ENCODINGS,
    G1_BAD_UNCOMPRESSED,
    G1_GENERATOR,
    G1_GENERATOR_UNCOMPRESSED,
    G1_INFINITY,
    G1_INFINITY_UNCOMPRESSED,
    G2_BAD_ENCODINGS,
    G2_GENERATOR,
    G2_INFINITY,
    OFF_SUBGROUP_XY,
)
from tests.zk.mutations import mutations
from zk.curve import (
    DEFAULT_BACKEND,
    Backend,
    P,
    R,
    get_backend,
    random_scalar,
    scalar_from_bytes,
    scalar_inverse,
    scalar_to_bytes,
)
from zk.errors import InvalidParameters, MalformedInput, UnsupportedBackend


def test_generators_encode_to_the_standard_bytes(backend: Backend) -> None:
    assert backend.g1_compress(backend.g1_generator()) == G1_GENERATOR
    assert backend.g2_compress(backend.g2_generator()) == G2_GENERATOR
    assert backend.g1_compress(backend.g1_identity()) == G1_INFINITY
    assert backend.g2_compress(backend.g2_identity()) == G2_INFINITY


def test_group_laws_hold(backend: Backend) -> None:
    g, h = backend.g1_generator(), backend.g2_generator()
    assert backend.g1_add(backend.g1_mul(g, 2), backend.g1_mul(g, 3)) == backend.g1_mul(g, 5)
    assert backend.g1_mul(g, -1) == backend.g1_neg(g)
    assert backend.g1_sub(backend.g1_mul(g, 7), g) == backend.g1_mul(g, 6)
    assert backend.g1_mul(g, R) == backend.g1_identity()
    assert backend.g1_is_identity(backend.g1_mul(g, R + R))
    assert backend.g1_mul(g, R + 4) == backend.g1_mul(g, 4)
    assert not backend.g1_eq(g, backend.g1_mul(g, 2))
    assert hash(backend.g1_add(g, g)) == hash(backend.g1_mul(g, 2))
    assert backend.g2_add(backend.g2_mul(h, 2), h) == backend.g2_mul(h, 3)
    assert backend.g2_sub(h, h) == backend.g2_identity()
    assert backend.g2_mul(h, -2) == backend.g2_neg(backend.g2_mul(h, 2))
    assert backend.g2_is_identity(backend.g2_mul(h, R))


def test_msm_equals_the_sum_of_products(backend: Backend) -> None:
    g = backend.g1_generator()
    points = [backend.g1_mul(g, k) for k in (3, 5, 11)]
    assert backend.g1_msm(points, [2, -1, R + 1]) == backend.g1_mul(g, 3 * 2 - 5 + 11)
    assert backend.g1_msm([], []) == backend.g1_identity()


EDGE_SCALARS = (0, 1, 2, 2**64, 2**128 - 1, 2**254, 2**255 - 1, R - 1, R, R + 1, -1, 2**256 - 1)


def test_the_backends_agree_on_multiplications_and_msm_by_edge_scalars(
    arkworks: Backend, pyecc: Backend
) -> None:
    for k in EDGE_SCALARS:
        expected = pyecc.g1_compress(pyecc.g1_mul(pyecc.g1_generator(), k))
        assert arkworks.g1_compress(arkworks.g1_mul(arkworks.g1_generator(), k)) == expected, k
        two = arkworks.g1_msm([arkworks.g1_generator(), arkworks.g1_generator()], [k, 1])
        assert arkworks.g1_compress(two) == pyecc.g1_compress(pyecc.g1_mul(pyecc.g1_generator(), k + 1)), k
        assert arkworks.g2_compress(arkworks.g2_mul(arkworks.g2_generator(), k)) == pyecc.g2_compress(
            pyecc.g2_mul(pyecc.g2_generator(), k)
        ), k


def test_msm_refuses_mismatched_lists_instead_of_truncating(backend: Backend) -> None:
    g = backend.g1_generator()
    with pytest.raises(InvalidParameters, match=r"as many scalars as points \(1 != 2\)"):
        backend.g1_msm([g, g], [1])


def test_pairing_check_is_bilinear(backend: Backend) -> None:
    g, h = backend.g1_generator(), backend.g2_generator()
    a, b = 1234567, 7654321
    assert backend.pairing_check(
        [(backend.g1_mul(g, a * b), h), (backend.g1_neg(backend.g1_mul(g, a)), backend.g2_mul(h, b))]
    )
    assert not backend.pairing_check(
        [(backend.g1_mul(g, a * b + 1), h), (backend.g1_neg(backend.g1_mul(g, a)), backend.g2_mul(h, b))]
    )
    assert not backend.pairing_check([(g, h)])
    assert backend.pairing_check([(backend.g1_identity(), h)])
    assert backend.pairing_check([])


def test_compressed_points_round_trip(backend: Backend) -> None:
    g, h = backend.g1_generator(), backend.g2_generator()
    p, q = backend.g1_mul(g, 0xDEADBEEF), backend.g2_mul(h, 0xC0FFEE)
    assert backend.g1_decompress(backend.g1_compress(p)) == p
    assert backend.g2_decompress(backend.g2_compress(q)) == q
    assert backend.g1_decompress(G1_INFINITY, allow_identity=True) == backend.g1_identity()
    assert backend.g2_decompress(G2_INFINITY, allow_identity=True) == backend.g2_identity()


def test_uncompressed_points_round_trip_to_the_standard_bytes(backend: Backend) -> None:
    g = backend.g1_generator()
    assert backend.g1_to_uncompressed(g) == G1_GENERATOR_UNCOMPRESSED
    p = backend.g1_mul(g, 0xDEADBEEF)
    assert backend.g1_from_uncompressed(backend.g1_to_uncompressed(p)) == p
    assert backend.g1_to_uncompressed(backend.g1_identity()) == G1_INFINITY_UNCOMPRESSED
    assert (
        backend.g1_from_uncompressed(G1_INFINITY_UNCOMPRESSED, allow_identity=True) == backend.g1_identity()
    )
    assert backend.g1_from_uncompressed_on_curve(OFF_SUBGROUP_XY) == backend.g1_decompress_on_curve(
        compress_G1(map_to_curve_G1(FQ(5))).to_bytes(48, "big")
    )


@pytest.mark.parametrize(("data", "message"), G1_BAD_UNCOMPRESSED)
def test_uncompressed_g1_decoding_refuses_every_non_canonical_encoding(
    backend: Backend, data: bytes, message: str
) -> None:
    with pytest.raises(MalformedInput, match=message):
        backend.g1_from_uncompressed(data)
    if "subgroup" not in message:  # the on-curve decoder refuses all the rest just the same
        with pytest.raises(MalformedInput, match=message):
            backend.g1_from_uncompressed_on_curve(data)


@pytest.mark.parametrize(("data", "message"), G1_BAD_ENCODINGS)
def test_g1_decoding_refuses_every_non_canonical_encoding(
    backend: Backend, data: bytes, message: str
) -> None:
    with pytest.raises(MalformedInput, match=message):
        backend.g1_decompress(data)


@pytest.mark.parametrize(("data", "message"), G2_BAD_ENCODINGS)
def test_g2_decoding_refuses_every_non_canonical_encoding(
    backend: Backend, data: bytes, message: str
) -> None:
    with pytest.raises(MalformedInput, match=message):
        backend.g2_decompress(data)


def test_decoding_refuses_non_bytes(backend: Backend) -> None:
    with pytest.raises(MalformedInput, match="G1 point must be bytes, not str"):
        backend.g1_decompress("97f1")  # type: ignore[arg-type]


def test_scalars_are_strict_32_byte_big_endian() -> None:
    assert scalar_from_bytes((R - 1).to_bytes(32, "big")) == R - 1
    assert scalar_to_bytes(5) == bytes(31) + b"\x05"
    with pytest.raises(MalformedInput, match="value >= group order r"):
        scalar_from_bytes(R.to_bytes(32, "big"))
    with pytest.raises(MalformedInput, match="scalar must be 32 bytes, got 31"):
        scalar_from_bytes(bytes(31))
    with pytest.raises(MalformedInput, match="scalar must be nonzero"):
        scalar_from_bytes(bytes(32), nonzero=True)
    assert scalar_inverse(3) * 3 % R == 1
    with pytest.raises(ZeroDivisionError):
        scalar_inverse(R)
    assert len({random_scalar() for _ in range(16)}) == 16


def test_backend_is_chosen_by_name_and_zk_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_backend("pyecc").name == "pyecc"
    assert get_backend("arkworks") is get_backend("arkworks")
    assert DEFAULT_BACKEND == "arkworks"
    # The application reads GOVGRAPH_ZK_BACKEND (govgraph.config) and passes the backend down; zk does not.
    monkeypatch.setenv("GOVGRAPH_ZK_BACKEND", "pyecc")
    assert get_backend().name == "arkworks"
    with pytest.raises(UnsupportedBackend, match="unknown zk backend 'blst'"):
        get_backend("blst")


# --- properties: the two backends agree on every operation ---------------------------------------------

scalars = st.integers(min_value=0, max_value=R - 1)


@settings(max_examples=25, deadline=None)
@given(a=scalars, b=scalars)
def test_backends_agree_on_group_operations(arkworks: Backend, pyecc: Backend, a: int, b: int) -> None:
    results = []
    for be in (arkworks, pyecc):
        g, h = be.g1_generator(), be.g2_generator()
        ga, gb = be.g1_mul(g, a), be.g1_mul(g, b)
        results.append(
            (
                be.g1_compress(be.g1_add(ga, gb)),
                be.g1_compress(be.g1_msm([ga, gb], [b, a])),
                be.g1_compress(be.g1_neg(ga)),
                be.g2_compress(be.g2_mul(h, a)),
            )
        )
    assert results[0] == results[1]


@settings(max_examples=25, deadline=None)
@given(u=st.integers(min_value=0, max_value=P - 1))
def test_backends_agree_on_map_to_curve(arkworks: Backend, pyecc: Backend, u: int) -> None:
    assert arkworks.g1_compress(arkworks.g1_map_to_curve(u)) == pyecc.g1_compress(pyecc.g1_map_to_curve(u))


def _decode_or_error(decode, data: bytes) -> bytes | str:
    try:
        return decode(data)
    except MalformedInput as exc:
        return f"MalformedInput: {exc}"


@settings(max_examples=3_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutations(G1_GENERATOR))
def test_g1_decoding_either_round_trips_or_raises_malformed_input(arkworks: Backend, data: bytes) -> None:
    outcome = _decode_or_error(lambda d: arkworks.g1_compress(arkworks.g1_decompress(d)), data)
    assert outcome == data or outcome.startswith("MalformedInput: G1 point")


@settings(max_examples=3_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutations(G2_GENERATOR))
def test_g2_decoding_either_round_trips_or_raises_malformed_input(arkworks: Backend, data: bytes) -> None:
    outcome = _decode_or_error(lambda d: arkworks.g2_compress(arkworks.g2_decompress(d)), data)
    assert outcome == data or outcome.startswith("MalformedInput: G2 point")


@settings(max_examples=40, deadline=None)
@given(data=mutations(G1_GENERATOR))
def test_backends_agree_on_g1_decoding(arkworks: Backend, pyecc: Backend, data: bytes) -> None:
    assert _decode_or_error(
        lambda d: arkworks.g1_compress(arkworks.g1_decompress(d)), data
    ) == _decode_or_error(lambda d: pyecc.g1_compress(pyecc.g1_decompress(d)), data)


@settings(max_examples=3_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutations(G1_GENERATOR_UNCOMPRESSED))
def test_uncompressed_g1_decoding_either_round_trips_or_raises_malformed_input(
    arkworks: Backend, data: bytes
) -> None:
    outcome = _decode_or_error(lambda d: arkworks.g1_to_uncompressed(arkworks.g1_from_uncompressed(d)), data)
    assert outcome == data or outcome.startswith(
        ("MalformedInput: G1 point", "MalformedInput: uncompressed G1")
    )


@settings(max_examples=40, deadline=None)
@given(data=mutations(G1_GENERATOR_UNCOMPRESSED))
def test_backends_agree_on_uncompressed_g1_decoding(arkworks: Backend, pyecc: Backend, data: bytes) -> None:
    for decode in ("g1_from_uncompressed", "g1_from_uncompressed_on_curve"):
        ark_decode, py_decode = getattr(arkworks, decode), getattr(pyecc, decode)
        assert _decode_or_error(
            lambda d, ark_decode=ark_decode: arkworks.g1_to_uncompressed(ark_decode(d)), data
        ) == _decode_or_error(lambda d, py_decode=py_decode: pyecc.g1_to_uncompressed(py_decode(d)), data)


@settings(max_examples=15, deadline=None)
@given(data=mutations(G2_GENERATOR))
def test_backends_agree_on_g2_decoding(arkworks: Backend, pyecc: Backend, data: bytes) -> None:
    assert _decode_or_error(
        lambda d: arkworks.g2_compress(arkworks.g2_decompress(d)), data
    ) == _decode_or_error(lambda d: pyecc.g2_compress(pyecc.g2_decompress(d)), data)


@settings(max_examples=4, deadline=None)
@given(a=scalars, same=st.booleans())
def test_backends_agree_on_pairing_checks(arkworks: Backend, pyecc: Backend, a: int, same: bool) -> None:
    b = a if same else a + 1
    for be in (arkworks, pyecc):
        g, h = be.g1_generator(), be.g2_generator()
        assert be.pairing_check([(be.g1_mul(g, a), h), (be.g1_neg(g), be.g2_mul(h, b))]) is same


def test_loading_the_pyecc_backend_leaves_the_interpreter_recursion_limit_alone() -> None:
    import subprocess
    import sys

    # A fresh interpreter: py_ecc may already be imported here. Importing py_ecc itself raises the limit to
    # 100,000 (which turns deeply nested input into a C stack overflow); our backend module puts it back.
    script = (
        "import sys; before = sys.getrecursionlimit(); from zk.curve import get_backend; "
        "get_backend('pyecc'); print(before, sys.getrecursionlimit())"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == out[1] == "1000"
