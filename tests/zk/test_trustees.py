"""zk.trustees: the dealer-less Pedersen DKG, its complaints, the key-biasing guard, and decryption shares."""

from __future__ import annotations

import pytest

from tests.zk.elections import MANIFEST, run_ceremony
from zk.curve import Backend
from zk.elgamal import decrypt_to_element, encrypt
from zk.errors import InvalidParameters, MalformedInput
from zk.group import g1_group, seeded_scalars
from zk.sigma import DleqProof, check_equations
from zk.tally import lagrange_at_zero
from zk.transcript import Transcript
from zk.trustees import (
    Ceremony,
    CoefficientReveal,
    Complaint,
    Trustee,
    joint_public_key,
    partial_decrypt,
    partial_decryption_equations,
    verification_key,
    verify_reveal,
)


def test_any_t_secret_shares_interpolate_the_joint_secret_and_no_fewer_do(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    trustees, record = run_ceremony(group, MANIFEST, 5, 3, b"dkg")
    ceremony = trustees[1].ceremony
    key = joint_public_key(ceremony, record.reveals, record.qualified)
    g = group.generator()
    for subset in ([1, 2, 3], [2, 4, 5], [1, 3, 5]):
        weights = lagrange_at_zero(subset, group.order)
        secret = sum(weights[j] * trustees[j].secret_share for j in subset) % group.order
        assert group.mul(g, secret) == key
    weights = lagrange_at_zero([1, 2], group.order)
    assert group.mul(g, sum(weights[j] * trustees[j].secret_share for j in (1, 2))) != key
    for j, trustee in trustees.items():
        assert verification_key(ceremony, record.reveals, record.qualified, j) == group.mul(
            g, trustee.secret_share
        )
    assert record.complaints == []


def test_a_dealer_who_sends_a_bad_share_and_does_not_answer_is_named_and_excluded(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    trustees, record = run_ceremony(
        group, MANIFEST, 5, 3, b"dkg-bad", bad_dealing=(4, 2), dealer_answers=False
    )
    assert record.complaints == [Complaint(accuser=2, accused=4)]
    assert record.qualified == [1, 2, 3, 5]
    ceremony = trustees[1].ceremony
    key = joint_public_key(ceremony, record.reveals, record.qualified)
    weights = lagrange_at_zero([1, 2, 5], group.order)
    secret = sum(weights[j] * trustees[j].secret_share for j in (1, 2, 5)) % group.order
    assert group.mul(group.generator(), secret) == key
    assert key != joint_public_key(ceremony, record.reveals, [1, 2, 3, 4, 5])


def test_a_dealer_who_answers_a_complaint_with_the_right_share_stays_qualified(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    trustees, record = run_ceremony(group, MANIFEST, 5, 3, b"dkg-answer", bad_dealing=(4, 2))
    assert record.complaints == [Complaint(accuser=2, accused=4)]
    assert [(a.dealer, a.recipient) for a in record.answers] == [(4, 2)]
    assert record.qualified == [1, 2, 3, 4, 5]
    assert trustees[2].secret_share is not None


def test_a_reveal_that_differs_from_the_round_one_hash_is_refused(arkworks: Backend) -> None:
    """The key-biasing guard: a trustee that picks its coefficients after seeing the others' cannot match the
    hash it published before the reveals."""
    group = g1_group(arkworks)
    ceremony = Ceremony(group, 3, 2, b"context")
    honest = Trustee(ceremony, 1, seeded_scalars(group, b"a"))
    adaptive = Trustee(ceremony, 1, seeded_scalars(group, b"b"))
    assert verify_reveal(ceremony, honest.reveal, honest.commitment_hash())
    assert not verify_reveal(ceremony, adaptive.reveal, honest.commitment_hash())
    assert not verify_reveal(ceremony, honest.reveal, None)


def test_a_copied_constant_commitment_fails_the_proof_of_knowledge(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    ceremony = Ceremony(group, 3, 2, b"context")
    victim = Trustee(ceremony, 1, seeded_scalars(group, b"victim"))
    copy = CoefficientReveal(2, victim.reveal.coefficients, victim.reveal.proof)
    assert not verify_reveal(ceremony, copy, copy.commitment_hash(group))
    other_context = Ceremony(group, 3, 2, b"another election")
    assert not verify_reveal(other_context, victim.reveal, victim.commitment_hash())


def test_a_partial_decryption_proves_its_share_and_refuses_a_wrong_one(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    secret = 31337
    key_j = group.mul(group.generator(), secret)
    ct = encrypt(group, key_j, 9, 4242)
    partial, proof = partial_decrypt(Transcript(group, b"share"), secret, key_j, ct.alpha)
    assert check_equations(
        group, partial_decryption_equations(Transcript(group, b"share"), key_j, ct.alpha, partial, proof)
    )
    wrong = group.add(partial, group.generator())
    assert not check_equations(
        group, partial_decryption_equations(Transcript(group, b"share"), key_j, ct.alpha, wrong, proof)
    )
    assert decrypt_to_element(group, secret, ct) == group.add(ct.beta, group.neg(partial))


def test_ceremony_parameters_and_indexes_are_validated(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    with pytest.raises(InvalidParameters):
        Ceremony(group, 2, 3, b"")
    ceremony = Ceremony(group, 3, 2, b"c")
    with pytest.raises(MalformedInput, match="trustee index"):
        Trustee(ceremony, 4)
    reveal = Trustee(ceremony, 1).reveal
    data = reveal.to_json(group)
    assert CoefficientReveal.from_json(ceremony, data) == reveal
    with pytest.raises(MalformedInput, match="2 entries"):
        CoefficientReveal.from_json(ceremony, {**data, "coefficients": data["coefficients"][:1]})
    with pytest.raises(MalformedInput, match="trustee index"):
        CoefficientReveal.from_json(ceremony, {**data, "trustee": True})
    with pytest.raises(MalformedInput):
        DleqProof.from_json(group, {"commitments": [], "response": "00" * 32}, 1)
