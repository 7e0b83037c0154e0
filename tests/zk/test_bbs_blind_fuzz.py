"""Fuzzing blind BBS with Hypothesis: random and mutated commitments with proof, blind signatures and blind
proofs. The decoder raises MalformedInput (never anything else) and accepts only canonical encodings; the
issuer's checks refuse with MalformedInput or InvalidProof; the verifiers return False, never raise.

Thousands of cases per input kind on arkworks; the slow py-ecc reference runs a light set.
"""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, given, settings

from tests.zk.mutations import mutations
from zk.bbs import BLIND_BLS12_381_SHA_256, BLIND_BLS12_381_SHAKE_256, BlindCiphersuite
from zk.bbs.blind import commitment_with_proof_to_octets, octets_to_commitment_with_proof
from zk.curve import Backend, get_backend
from zk.errors import InvalidProof, MalformedInput

HEADER = b"fuzz-header"
PH = b"fuzz-presentation"
MESSAGES = [b"issuer-1", b"issuer-2"]
COMMITTED = [b"prover-secret", b"prover-2"]
HEAVY = settings(max_examples=2_000, deadline=None, suppress_health_check=list(HealthCheck))
MEDIUM = settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
LIGHT = settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))


@cache
def material(
    suite_name: str, backend_name: str
) -> tuple[BlindCiphersuite, bytes, bytes, bytes, int, bytes, bytes]:
    """(suite, sk, pk, commitment_with_proof, prover_blind, signature, proof): valid values to mutate."""
    base = {"sha256": BLIND_BLS12_381_SHA_256, "shake256": BLIND_BLS12_381_SHAKE_256}[suite_name]
    suite = base.with_backend(get_backend(backend_name))
    sk = suite.base.keygen(b"blind fuzzing key material, 32+ bytes")
    pk = suite.base.sk_to_pk(sk)
    commitment_with_proof, prover_blind = suite.commit(COMMITTED, random_scalars=suite.mocked_commit_scalars)
    signature = suite.blind_sign(sk, pk, commitment_with_proof, HEADER, MESSAGES)
    proof = suite.proof_gen(
        pk,
        signature,
        HEADER,
        PH,
        MESSAGES,
        COMMITTED,
        [1],
        [1],
        prover_blind,
        random_scalars=suite.mocked_proof_scalars,
    )
    return suite, sk, pk, commitment_with_proof, prover_blind, signature, proof


SUITE, SK, PK, COMMITMENT, BLIND, SIGNATURE, PROOF = material("sha256", "arkworks")
SHAKE = material("shake256", "arkworks")


def _verify_blind_sign(suite: BlindCiphersuite, pk: bytes, signature: bytes, blind: int) -> bool:
    return suite.verify_blind_sign(pk, signature, HEADER, MESSAGES, COMMITTED, blind)


def _proof_verify(suite: BlindCiphersuite, pk: bytes, proof: bytes) -> bool:
    return suite.proof_verify(pk, proof, HEADER, PH, len(MESSAGES), [MESSAGES[1]], [COMMITTED[1]], [1], [1])


def test_the_material_is_valid() -> None:
    """The fuzz targets below start from values that verify (so every False is due to the mutation)."""
    for suite, _, pk, commitment, blind, signature, proof in (material("sha256", "arkworks"), SHAKE):
        assert suite.commitment_verify(commitment) is True
        assert _verify_blind_sign(suite, pk, signature, blind) is True
        assert _proof_verify(suite, pk, proof) is True


# --- the commitment_with_proof decoder --------------------------------------------------------------------


@HEAVY
@given(data=mutations(COMMITMENT))
def test_commitment_decoding_is_strict_and_canonical(arkworks: Backend, data: bytes) -> None:
    try:
        parsed = octets_to_commitment_with_proof(arkworks, data)
    except MalformedInput:
        return
    # Whatever decodes re-encodes to the very same bytes: one encoding per value.
    assert (
        commitment_with_proof_to_octets(
            arkworks, parsed.commitment, (parsed.s_hat, *parsed.m_hats, parsed.challenge)
        )
        == data
    )


@HEAVY
@given(data=mutations(COMMITMENT))
def test_commitment_verify_is_false_for_every_other_commitment(data: bytes) -> None:
    assert SUITE.commitment_verify(data) is (data == COMMITMENT)


@MEDIUM
@given(data=mutations(COMMITMENT))
def test_the_issuer_signs_only_the_valid_commitment(data: bytes) -> None:
    try:
        signature = SUITE.blind_sign(SK, PK, data, HEADER, MESSAGES)
    except (MalformedInput, InvalidProof):
        assert data != COMMITMENT and data != b""
        return
    if data == b"":
        # No commitment at all (the draft's default): a plain blind signature with a 0 prover blind.
        assert SUITE.verify_blind_sign(PK, signature, HEADER, MESSAGES, [], 0) is True
    else:
        assert data == COMMITMENT


# --- blind signatures and proofs ---------------------------------------------------------------------------


@HEAVY
@given(signature=mutations(SIGNATURE))
def test_verify_blind_sign_is_false_for_every_other_signature(signature: bytes) -> None:
    assert _verify_blind_sign(SUITE, PK, signature, BLIND) is (signature == SIGNATURE)


@HEAVY
@given(proof=mutations(PROOF))
def test_blind_proof_verify_is_false_for_every_other_proof(proof: bytes) -> None:
    assert _proof_verify(SUITE, PK, proof) is (proof == PROOF)


@MEDIUM
@given(pk=mutations(PK))
def test_blind_verifiers_are_false_for_every_other_public_key(pk: bytes) -> None:
    assert _verify_blind_sign(SUITE, pk, SIGNATURE, BLIND) is (pk == PK)
    assert _proof_verify(SUITE, pk, PROOF) is (pk == PK)


@MEDIUM
@given(commitment=mutations(SHAKE[3]), signature=mutations(SHAKE[5]), proof=mutations(SHAKE[6]))
def test_shake_suite_blind_verifiers_are_false_for_mutations(
    commitment: bytes, signature: bytes, proof: bytes
) -> None:
    suite, _, pk, valid_commitment, blind, valid_signature, valid_proof = SHAKE
    assert suite.commitment_verify(commitment) is (commitment == valid_commitment)
    assert _verify_blind_sign(suite, pk, signature, blind) is (signature == valid_signature)
    assert _proof_verify(suite, pk, proof) is (proof == valid_proof)


# --- the py-ecc reference: a light set -------------------------------------------------------------------


@LIGHT
@given(commitment=mutations(COMMITMENT), signature=mutations(SIGNATURE), proof=mutations(PROOF))
def test_pyecc_blind_verifiers_are_false_for_mutations(
    pyecc: Backend, commitment: bytes, signature: bytes, proof: bytes
) -> None:
    suite, _, pk, valid_commitment, blind, valid_signature, valid_proof = material("sha256", pyecc.name)
    assert (valid_commitment, valid_signature, valid_proof) == (COMMITMENT, SIGNATURE, PROOF)
    assert suite.commitment_verify(commitment) is (commitment == COMMITMENT)
    assert _verify_blind_sign(suite, pk, signature, blind) is (signature == SIGNATURE)
    assert _proof_verify(suite, pk, proof) is (proof == PROOF)
