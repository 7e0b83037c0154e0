"""Bulletproofs range proofs: completeness at the edges, soundness against out-of-range values, wrong
commitments and mutated proofs, batching, strict decoding (fuzzed), and agreement of the two backends."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings

from tests.zk.mutations import mutations
from zk import rangeproof
from zk.curve import R, get_backend
from zk.errors import InvalidParameters, MalformedInput
from zk.hash_to_curve import hash_to_G1
from zk.rangeproof import FINAL_LENGTH, RangeProof, RangeStatement, proof_length, prove, verify, verify_batch

CONTEXT = b"test/rangeproof"


@pytest.fixture(scope="module")
def curve():
    return get_backend("arkworks")


def commitments(curve, values, blindings):
    gens = rangeproof.generators(curve)
    return [gens.commit(v, gamma) for v, gamma in zip(values, blindings, strict=True)]


def blinding(i: int) -> int:
    return (0x5EED + 7919 * i) ** 5 % R


@pytest.mark.parametrize(
    ("bits", "values"),
    [
        (8, [0]),
        (8, [255]),
        (16, [40_000]),
        (64, [2**64 - 1]),
        (16, [0, 65_535]),
        (8, [1, 2, 3, 254]),
    ],
)
def test_values_inside_the_range_verify(curve, bits, values):
    blindings = [blinding(i) for i in range(len(values))]
    proof = prove(values, blindings, bits, CONTEXT, backend=curve)
    assert verify(commitments(curve, values, blindings), proof, bits, CONTEXT, backend=curve) is True


@pytest.mark.parametrize(("bits", "value"), [(8, 256), (8, -1), (16, 2**16), (64, 2**64), (8, R - 1)])
def test_prover_refuses_a_value_outside_the_range(curve, bits, value):
    with pytest.raises(InvalidParameters, match=f"out of range \\[0, 2\\^{bits}\\)"):
        prove([value], [blinding(0)], bits, CONTEXT, backend=curve)


@pytest.mark.parametrize(("bits", "value"), [(8, 256), (8, -1), (16, 2**16 + 5), (8, 1000)])
def test_a_forced_proof_for_a_value_outside_the_range_fails(curve, bits, value):
    proof = prove([value], [blinding(0)], bits, CONTEXT, backend=curve, unchecked=True)
    assert verify(commitments(curve, [value], [blinding(0)]), proof, bits, CONTEXT, backend=curve) is False


def test_a_forced_aggregated_proof_fails_when_one_value_is_outside(curve):
    values = [7, 300]
    blindings = [blinding(0), blinding(1)]
    proof = prove(values, blindings, 8, CONTEXT, backend=curve, unchecked=True)
    assert verify(commitments(curve, values, blindings), proof, 8, CONTEXT, backend=curve) is False


@pytest.fixture(scope="module")
def honest(curve):
    values, blindings = [42, 1000], [blinding(0), blinding(1)]
    proof = prove(values, blindings, 16, CONTEXT, backend=curve)
    return values, blindings, commitments(curve, values, blindings), proof


def test_the_proof_does_not_verify_for_other_commitments(curve, honest):
    values, blindings, comms, proof = honest
    gens = rangeproof.generators(curve)
    assert verify(comms, proof, 16, CONTEXT, backend=curve) is True
    assert verify([gens.commit(43, blindings[0]), comms[1]], proof, 16, CONTEXT, backend=curve) is False
    assert verify([gens.commit(42, blindings[0] + 1), comms[1]], proof, 16, CONTEXT, backend=curve) is False
    assert verify(list(reversed(comms)), proof, 16, CONTEXT, backend=curve) is False


def test_the_proof_is_bound_to_its_context_and_bit_length(curve, honest):
    _, _, comms, proof = honest
    assert verify(comms, proof, 16, CONTEXT + b"!", backend=curve) is False
    assert verify(comms, proof, 8, CONTEXT, backend=curve) is False
    assert verify(comms[:1], proof, 16, CONTEXT, backend=curve) is False


SCALAR_FIELDS = ("tau_x", "mu", "t_hat")
POINT_FIELDS = ("a_commit", "s_commit", "t1", "t2")


@pytest.mark.parametrize("field", SCALAR_FIELDS)
def test_changing_any_scalar_of_the_proof_fails(curve, honest, field):
    _, _, comms, proof = honest
    mutated = dataclasses.replace(proof, **{field: (getattr(proof, field) + 1) % R})
    assert verify(comms, mutated, 16, CONTEXT, backend=curve) is False


@pytest.mark.parametrize("field", ["a", "b"])
def test_changing_any_entry_of_the_final_vectors_fails(curve, honest, field):
    _, _, comms, proof = honest
    values = getattr(proof, field)
    assert len(values) == FINAL_LENGTH == 8
    for k in range(len(values)):
        changed = tuple((v + 1) % R if i == k else v for i, v in enumerate(values))
        mutated = dataclasses.replace(proof, **{field: changed})
        assert verify(comms, mutated, 16, CONTEXT, backend=curve) is False
    swapped = (values[1], values[0], *values[2:])
    assert verify(comms, dataclasses.replace(proof, **{field: swapped}), 16, CONTEXT, backend=curve) is False


@pytest.mark.parametrize("field", POINT_FIELDS)
def test_changing_any_point_of_the_proof_fails(curve, honest, field):
    _, _, comms, proof = honest
    shifted = curve.g1_add(getattr(proof, field), curve.g1_generator())
    assert verify(comms, dataclasses.replace(proof, **{field: shifted}), 16, CONTEXT, backend=curve) is False


@pytest.mark.parametrize("which", ["ls", "rs"])
def test_changing_any_inner_product_round_fails(curve, honest, which):
    _, _, comms, proof = honest
    points = list(getattr(proof, which))
    for k in range(len(points)):
        changed = points.copy()
        changed[k] = curve.g1_add(changed[k], curve.g1_generator())
        assert (
            verify(comms, dataclasses.replace(proof, **{which: tuple(changed)}), 16, CONTEXT, backend=curve)
            is False
        )
    assert (
        verify(comms, dataclasses.replace(proof, **{which: tuple(points[:-1])}), 16, CONTEXT, backend=curve)
        is False
    )


def test_a_batch_verifies_only_when_every_proof_does(curve, honest):
    _, _, comms, proof = honest
    other = prove([9], [blinding(9)], 8, b"other", backend=curve)
    good = [
        RangeStatement(tuple(comms), proof, 16, CONTEXT),
        RangeStatement(tuple(commitments(curve, [9], [blinding(9)])), other, 8, b"other"),
    ]
    assert verify_batch(good, backend=curve) is True
    bad = dataclasses.replace(good[1], context=b"another")
    assert verify_batch([good[0], bad], backend=curve) is False
    assert verify_batch([bad, good[0]], backend=curve) is False
    assert verify_batch([], backend=curve) is True


def test_the_encoding_round_trips_with_the_documented_length(curve, honest):
    _, _, _, proof = honest
    data = proof.to_bytes(curve)
    # 4 points, log2(32 / 8) = 2 rounds of (L, R), then tau_x, mu, t^ and the final a, b of length 8
    assert len(data) == proof_length(16, 2) == (4 + 2 * 2) * 48 + (3 + 2 * 8) * 32 == 992
    assert len(RangeProof.from_bytes(curve, data, 16, 2).ls) == 2
    assert proof_length(8, 1) == 4 * 48 + 19 * 32  # 8 values: no round at all
    assert proof_length(64, 4) == (4 + 2 * 5) * 48 + 19 * 32  # 256 values: logarithmic
    assert RangeProof.from_bytes(curve, data, 16, 2) == proof


def test_the_generators_are_hashes_of_their_names_under_the_documented_dst(curve):
    gens = rangeproof.generators(curve)
    G, H = gens.vectors(2)
    dst = b"GOVGRAPH-RANGEPROOF-V1_BLS12381G1_XMD:SHA-256_SSWU_RO_"
    assert rangeproof.GENERATOR_DST == dst
    assert gens.g == hash_to_G1(b"g", dst, backend=curve)
    assert gens.h == hash_to_G1(b"h", dst, backend=curve)
    assert G[1] == hash_to_G1(b"G\x00\x00\x00\x01", dst, backend=curve)
    assert H[0] == hash_to_G1(b"H\x00\x00\x00\x00", dst, backend=curve)
    assert len({curve.g1_compress(p) for p in (gens.g, gens.h, *G, *H)}) == 6


@pytest.mark.parametrize(("bits", "count"), [(12, 1), (16, 3), (128, 1), (8, 0)])
def test_unsupported_shapes_are_refused(curve, bits, count):
    with pytest.raises(InvalidParameters):
        prove([1] * count, [1] * count, bits, CONTEXT, backend=curve)


def test_a_proof_from_the_fast_backend_verifies_on_the_reference_backend(curve):
    pyecc = get_backend("pyecc")
    proof = prove([200], [blinding(3)], 8, CONTEXT, backend=curve)
    decoded = RangeProof.from_bytes(pyecc, proof.to_bytes(curve), 8, 1)
    commitment = rangeproof.generators(pyecc).commit(200, blinding(3))
    assert pyecc.g1_compress(commitment) == curve.g1_compress(commitments(curve, [200], [blinding(3)])[0])
    assert verify([commitment], decoded, 8, CONTEXT, backend=pyecc) is True


@pytest.fixture(scope="module")
def encoded(curve):
    proof = prove([77], [blinding(4)], 8, CONTEXT, backend=curve)
    return proof.to_bytes(curve), commitments(curve, [77], [blinding(4)])


def test_mutated_encodings_are_refused_or_fail_verification(curve, encoded):
    data, comms = encoded

    @settings(max_examples=300, deadline=None)
    @given(mutated=mutations(data))
    def check(mutated: bytes) -> None:
        try:
            proof = RangeProof.from_bytes(curve, mutated, 8, 1)
        except MalformedInput:
            return
        assert verify(comms, proof, 8, CONTEXT, backend=curve) is (mutated == data)

    check()


@pytest.mark.parametrize("bad", ["not bytes", None, 12])
def test_the_decoder_refuses_non_bytes(curve, bad):
    with pytest.raises(MalformedInput, match="must be bytes"):
        RangeProof.from_bytes(curve, bad, 8, 1)


def test_a_statement_given_as_shifts_of_one_commitment_verifies(curve):
    gens = rangeproof.generators(curve)
    m, gamma = 1000, blinding(7)
    c = gens.commit(m, gamma)
    shifts = ((1, -900), (-1, 1100))  # m - 900 and 1100 - m, both in [0, 2^8): 900 <= m <= 1100
    proof = prove([100, 100], [gamma, -gamma % R], 8, CONTEXT, backend=curve, bases=[c, c], shifts=shifts)
    statement = RangeStatement((c, c), proof, 8, CONTEXT, shifts)
    assert verify_batch([statement], backend=curve) is True
    for wrong in (((1, -901), (-1, 1100)), ((-1, -900), (-1, 1100)), ((2, -900), (-1, 1100)), None):
        assert verify_batch([dataclasses.replace(statement, shifts=wrong)], backend=curve) is False
    with pytest.raises(InvalidParameters, match="together"):
        prove([100], [gamma], 8, CONTEXT, backend=curve, bases=[c])


def test_extra_linear_equations_join_the_batch(curve, honest):
    _, _, comms, proof = honest
    gens = rangeproof.generators(curve)
    good = RangeStatement(tuple(comms), proof, 16, CONTEXT)
    five_g = curve.g1_mul(gens.g, 5)
    assert verify_batch([good], equations=[[(gens.g, 5), (five_g, -1)]], backend=curve) is True
    assert verify_batch([good], equations=[[(gens.g, 6), (five_g, -1)]], backend=curve) is False
    assert verify_batch([], equations=[[(gens.h, 5), (curve.g1_mul(gens.h, 5), -1)]], backend=curve) is True


def test_a_batch_of_proofs_and_equations_costs_one_msm(curve, honest, monkeypatch):
    _, _, comms, proof = honest
    others = [prove([i], [blinding(i)], 8, b"batch", backend=curve) for i in (1, 2)]
    statements = [RangeStatement(tuple(comms), proof, 16, CONTEXT)] + [
        RangeStatement(tuple(commitments(curve, [i], [blinding(i)])), p, 8, b"batch")
        for i, p in zip((1, 2), others, strict=True)
    ]
    gens = rangeproof.generators(curve)
    calls = []
    original = type(curve).g1_msm

    def counting(self, points, scalars):
        calls.append(len(points))
        return original(self, points, scalars)

    monkeypatch.setattr(type(curve), "g1_msm", counting)
    assert verify_batch(statements, equations=[[(gens.g, 1), (gens.g, -1)]], backend=curve) is True
    # one msm: 2 * 32 shared G_i, H_i, then g, h, and each proof's own points (A, S, T1, T2, V, L, R)
    assert calls == [2 * 32 + 2 + (4 + 2 + 4) + 2 * (4 + 1)]
