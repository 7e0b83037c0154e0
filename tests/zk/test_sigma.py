"""zk.sigma: transcript domain separation, Schnorr / Chaum-Pedersen / OR proofs, batch checks, decoders."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zk.mutations import mutations
from zk.curve import Backend, R
from zk.errors import InvalidParameters, MalformedInput
from zk.group import FixedBase, g1_group, seeded_scalars
from zk.sigma import (
    BatchVerifier,
    DleqProof,
    DleqStatement,
    OrProof,
    check_equations,
    dleq_equations,
    or_equations,
    prove_dleq,
    prove_or,
    verify_dleq,
    verify_or,
)
from zk.transcript import Transcript
from zk.wire import element_from_hex, element_to_hex, scalar_from_hex, scalar_to_hex


def transcript(backend: Backend, domain: bytes = b"test") -> Transcript:
    return Transcript(g1_group(backend), domain)


def test_the_same_messages_give_the_same_challenge_and_any_difference_changes_it(arkworks: Backend) -> None:
    def challenge(domain: bytes, *messages: tuple[bytes, bytes]) -> int:
        t = transcript(arkworks, domain)
        for label, data in messages:
            t.append_message(label, data)
        return t.challenge_scalar(b"c")

    base = challenge(b"d", (b"a", b"bc"))
    assert base == challenge(b"d", (b"a", b"bc"))
    assert 0 <= base < R
    assert base != challenge(b"e", (b"a", b"bc"))  # another protocol's domain
    assert base != challenge(b"d", (b"ab", b"c"))  # the label/data boundary is unambiguous
    assert base != challenge(b"d", (b"a", b"b"), (b"", b"c"))
    assert base != challenge(b"d", (b"a", b"bd"))


def test_a_fork_leaves_its_parent_unchanged_and_successive_challenges_differ(arkworks: Backend) -> None:
    parent = transcript(arkworks)
    parent.append_int(b"n", 5)
    reference = transcript(arkworks)
    reference.append_int(b"n", 5)
    child = parent.fork(b"child", b"1")
    assert child.challenge_scalar(b"c") != reference.fork(b"other").challenge_scalar(b"c")
    assert parent.fork(b"x").challenge_scalar(b"c") == reference.fork(b"x").challenge_scalar(b"c")
    assert parent.challenge_scalar(b"c") != child.challenge_scalar(b"c")
    first, second = reference.challenge_scalar(b"c"), reference.challenge_scalar(b"c")
    assert first != second


def test_schnorr_proof_verifies_and_fails_for_another_key_domain_or_response(backend: Backend) -> None:
    group = g1_group(backend)
    g = group.generator()
    x = 0x1234567890ABCDEF
    statement = DleqStatement.of((g,), (group.mul(g, x),))
    proof = prove_dleq(transcript(backend), statement, x)
    assert verify_dleq(transcript(backend), statement, proof)
    assert not verify_dleq(transcript(backend, b"other"), statement, proof)
    assert not verify_dleq(transcript(backend), DleqStatement.of((g,), (group.mul(g, x + 1),)), proof)
    assert not verify_dleq(transcript(backend), statement, DleqProof(proof.commitments, proof.response + 1))


def test_chaum_pedersen_proves_equal_logs_and_refuses_unequal_ones(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    g, h = group.generator(), group.hash_to_element(b"h", b"GOVGRAPH-TEST-H")
    x = 987654321
    equal = DleqStatement.of((g, h), (group.mul(g, x), group.mul(h, x)))
    unequal = DleqStatement.of((g, h), (group.mul(g, x), group.mul(h, x + 1)))
    assert verify_dleq(transcript(arkworks), equal, prove_dleq(transcript(arkworks), equal, x))
    assert not verify_dleq(transcript(arkworks), unequal, prove_dleq(transcript(arkworks), unequal, x))


def test_an_or_proof_verifies_whichever_branch_is_true_and_fails_with_a_wrong_witness(
    arkworks: Backend,
) -> None:
    group = g1_group(arkworks)
    g, h = group.generator(), group.hash_to_element(b"h", b"GOVGRAPH-TEST-H")
    x = 4242
    statements = [
        DleqStatement.of((g,), (group.mul(h, 7),)),
        DleqStatement.of((g,), (group.mul(g, x),)),
        DleqStatement.of((g,), (h,)),
    ]
    proof = prove_or(transcript(arkworks), statements, 1, x)
    assert verify_or(transcript(arkworks), statements, proof)
    assert not verify_or(transcript(arkworks), statements[::-1], proof)
    assert not verify_or(transcript(arkworks), statements, prove_or(transcript(arkworks), statements, 0, x))
    shifted = OrProof(
        proof.commitments,
        (proof.challenges[0] + 1, proof.challenges[1] - 1, proof.challenges[2]),
        proof.responses,
    )
    assert not verify_or(
        transcript(arkworks), statements, shifted
    )  # challenges still sum right, equations fail
    short = OrProof(proof.commitments[:2], proof.challenges[:2], proof.responses[:2])
    assert not verify_or(transcript(arkworks), statements, short)
    with pytest.raises(InvalidParameters):
        prove_or(transcript(arkworks), statements, 3, x)


def test_batch_verification_accepts_valid_proofs_and_rejects_a_single_bad_one(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    g = group.generator()
    rng = seeded_scalars(group, b"batch")
    items = []
    for _ in range(20):
        x = rng()
        statement = DleqStatement.of((g,), (group.mul(g, x),))
        items.append((statement, prove_dleq(transcript(arkworks), statement, x, rng)))
    batch = BatchVerifier(group)
    for statement, proof in items:
        batch.add(dleq_equations(transcript(arkworks), statement, proof))
    assert batch.equations == 20
    assert batch.verify()
    statement, proof = items[7]
    items[7] = (statement, DleqProof(proof.commitments, proof.response + 1))
    assert not check_equations(
        group, [eq for s, p in items for eq in dleq_equations(transcript(arkworks), s, p)]
    )
    assert BatchVerifier(group).verify()


def test_or_equations_with_wrong_challenge_sum_can_never_pass_a_batch(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    g = group.generator()
    statements = [DleqStatement.of((g,), (group.mul(g, 3),)), DleqStatement.of((g,), (group.mul(g, 5),))]
    proof = prove_or(transcript(arkworks), statements, 0, 3)
    bad = OrProof(proof.commitments, (proof.challenges[0] + 1, proof.challenges[1]), proof.responses)
    assert check_equations(group, or_equations(transcript(arkworks), statements, proof))
    assert not check_equations(group, or_equations(transcript(arkworks), statements, bad))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.one_of(st.integers(0, 2**16), st.integers(R - 2**16, R + 2**16), st.integers(0, 2**300)))
def test_fixed_base_multiplication_equals_the_backends(arkworks: Backend, k: int) -> None:
    group = g1_group(arkworks)
    table = _table(arkworks)
    assert table.mul(k) == group.mul(group.generator(), k)


_tables: dict[str, FixedBase] = {}


def _table(backend: Backend) -> FixedBase:
    if backend.name not in _tables:
        group = g1_group(backend)
        _tables[backend.name] = FixedBase(group, group.generator())
    return _tables[backend.name]


def test_seeded_scalars_are_reproducible_and_seed_dependent(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    a, b, c = seeded_scalars(group, b"s"), seeded_scalars(group, b"s"), seeded_scalars(group, b"t")
    first = [a() for _ in range(3)]
    assert first == [b() for _ in range(3)]
    assert first != [c() for _ in range(3)]
    assert len(set(first)) == 3 and all(0 < v < R for v in first)


def test_hex_decoders_refuse_every_non_canonical_form(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    g_hex = element_to_hex(group, group.generator())
    assert element_from_hex(group, g_hex, "g") == group.generator()
    for bad, message in (
        (g_hex.upper(), "lower-case"),
        (g_hex[:-2], "96 hex digits"),
        (7, "hex string"),
        ("zz" * 48, "not hex"),
        ("c0" + "00" * 47, "identity"),
    ):
        with pytest.raises(MalformedInput, match=message):
            element_from_hex(group, bad, "g")
    assert element_from_hex(group, "c0" + "00" * 47, "g", allow_identity=True) == group.identity()
    assert scalar_from_hex(group, scalar_to_hex(group, R - 1), "k") == R - 1
    with pytest.raises(MalformedInput, match="not reduced"):
        scalar_from_hex(group, R.to_bytes(32, "big").hex(), "k")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_proof_encodings_decode_or_raise_malformed_input(
    arkworks: Backend, data: st.DataObject
) -> None:
    group = g1_group(arkworks)
    g = group.generator()
    statement = DleqStatement.of((g,), (group.mul(g, 5),))
    proof = prove_dleq(transcript(arkworks), statement, 5, seeded_scalars(group, b"fuzz"))
    valid = group.encode(proof.commitments[0]) + proof.response.to_bytes(32, "big")
    mutated = data.draw(mutations(valid))
    encoded = {"commitments": [mutated[:48].hex()], "response": mutated[48:].hex()}
    try:
        decoded = DleqProof.from_json(group, encoded, 1)
    except MalformedInput:
        return
    assert verify_dleq(transcript(arkworks), statement, decoded) == (decoded == proof)


def test_a_batch_with_short_negative_and_long_scalars_has_the_verdict_of_the_sum(backend: Backend) -> None:
    group = g1_group(backend)
    g = group.generator()
    x = 0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF
    a, b, y = group.mul(g, 2), group.mul(g, 3), group.mul(g, x - 11)
    equation = [(g, x), (a, 5), (b, -7), (y, -1)]  # x + 10 - 21 - (x - 11) == 0: long, short, negative terms
    assert check_equations(group, [equation])
    for i in range(4):
        wrong = list(equation)
        wrong[i] = (equation[i][0], equation[i][1] + 1)
        assert not check_equations(group, [wrong]), i


def test_encodings_are_remembered_per_point_and_always_equal_the_backends(backend: Backend) -> None:
    group = g1_group(backend)
    g = group.generator()
    data = backend.g1_compress(group.mul(g, 12345))
    decoded = group.decode(data)
    assert group.encode(decoded) == data
    assert group.encode(group.decode_commitment(data)) == data
    assert group.encode(
        group.decode(backend.g1_compress(backend.g1_identity()), allow_identity=True)
    ) == backend.g1_compress(backend.g1_identity())
    # Past the memo's size it starts afresh; every encoding stays the backend's.
    points = [group.mul(g, k) for k in range(1, 40)]
    for _ in range(group.ENCODING_MEMO_SIZE // len(points) + 2):
        points = [group.add(p, g) for p in points]
        assert [group.encode(p) for p in points] == [backend.g1_compress(p) for p in points]
    assert len(group._encodings) <= group.ENCODING_MEMO_SIZE
