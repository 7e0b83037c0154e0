"""Fuzzing BBS pseudonyms with Hypothesis: random and mutated nym commitments, signatures, proofs and
pseudonyms. The pseudonym decoder raises MalformedInput (never anything else) and accepts only canonical
encodings; the verifiers return False (finalize returns None), never raise.

Thousands of cases per input kind on arkworks; the slow py-ecc reference runs a light set.
"""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zk.mutations import mutations
from zk.bbs import PSEUDONYM_BLS12_381_SHA_256, PSEUDONYM_BLS12_381_SHAKE_256, PseudonymCiphersuite
from zk.bbs.pseudonym import octets_to_pseudonym
from zk.curve import Backend, get_backend
from zk.errors import InvalidParameters, InvalidProof, MalformedInput

HEADER = b"fuzz-header"
PH = b"fuzz-ballot-tracking-code"
CONTEXT = b"fuzz-election"
MESSAGES = [b"issuer-1", b"issuer-2"]
COMMITTED = [b"prover-secret"]
PROVER_NYMS = [0x1234, 0x5678]
ENTROPY = 0x9ABC
HEAVY = settings(max_examples=2_000, deadline=None, suppress_health_check=list(HealthCheck))
MEDIUM = settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
LIGHT = settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))


@cache
def material(
    suite_name: str, backend_name: str
) -> tuple[PseudonymCiphersuite, bytes, bytes, bytes, int, bytes, list[int], bytes, bytes]:
    """(suite, sk, pk, commitment_with_proof, prover_blind, signature, nym_secrets, proof, pseudonym)."""
    base = {"sha256": PSEUDONYM_BLS12_381_SHA_256, "shake256": PSEUDONYM_BLS12_381_SHAKE_256}[suite_name]
    suite = base.with_backend(get_backend(backend_name))
    sk = suite.base.keygen(b"pseudonym fuzzing key material, 32+ bytes")
    pk = suite.base.sk_to_pk(sk)
    commitment, blind = suite.commit_with_nym(
        COMMITTED, PROVER_NYMS, random_scalars=suite.mocked_commit_scalars
    )
    signature = suite.blind_sign_with_nym(sk, pk, commitment, ENTROPY, HEADER, MESSAGES, len(PROVER_NYMS))
    nym_secrets = suite.verify_finalize_with_nym(
        pk, signature, HEADER, MESSAGES, COMMITTED, PROVER_NYMS, ENTROPY, blind
    )
    assert nym_secrets is not None
    proof, pseudonym = suite.proof_gen_with_nym(
        pk,
        signature,
        HEADER,
        PH,
        CONTEXT,
        MESSAGES,
        COMMITTED,
        nym_secrets,
        [0],
        [],
        blind,
        random_scalars=suite.mocked_proof_scalars,
    )
    return suite, sk, pk, commitment, blind, signature, nym_secrets, proof, pseudonym


SUITE, SK, PK, COMMITMENT, BLIND, SIGNATURE, NYM_SECRETS, PROOF, PSEUDONYM = material("sha256", "arkworks")
SHAKE = material("shake256", "arkworks")


def _verify(
    suite: PseudonymCiphersuite,
    pk: bytes,
    proof: bytes,
    pseudonym: bytes,
    context: bytes = CONTEXT,
    ph: bytes = PH,
) -> bool:
    return suite.proof_verify_with_nym(
        pk, proof, pseudonym, HEADER, ph, context, len(MESSAGES), [MESSAGES[0]], [], [0], [], len(PROVER_NYMS)
    )


def _finalize(
    suite: PseudonymCiphersuite, pk: bytes, signature: bytes, blind: int = BLIND
) -> list[int] | None:
    return suite.verify_finalize_with_nym(
        pk, signature, HEADER, MESSAGES, COMMITTED, PROVER_NYMS, ENTROPY, blind
    )


def test_the_material_is_valid() -> None:
    for suite, _, pk, commitment, blind, signature, nym_secrets, proof, pseudonym in (
        material("sha256", "arkworks"),
        SHAKE,
    ):
        assert suite.commitment_verify(commitment) is True
        assert _finalize(suite, pk, signature, blind) == nym_secrets
        assert _verify(suite, pk, proof, pseudonym) is True


@HEAVY
@given(data=mutations(PSEUDONYM))
def test_pseudonym_decoding_is_strict_and_canonical(arkworks: Backend, data: bytes) -> None:
    try:
        point = octets_to_pseudonym(arkworks, data)
    except MalformedInput:
        return
    assert arkworks.g1_compress(point) == data


@HEAVY
@given(proof=mutations(PROOF))
def test_proof_verify_with_nym_is_false_for_every_other_proof(proof: bytes) -> None:
    assert _verify(SUITE, PK, proof, PSEUDONYM) is (proof == PROOF)


@HEAVY
@given(pseudonym=mutations(PSEUDONYM))
def test_proof_verify_with_nym_is_false_for_every_other_pseudonym(pseudonym: bytes) -> None:
    assert _verify(SUITE, PK, PROOF, pseudonym) is (pseudonym == PSEUDONYM)


@MEDIUM
@given(context=st.binary(max_size=40), ph=st.binary(max_size=40))
def test_proof_verify_with_nym_is_false_for_any_other_context_or_presentation_header(
    context: bytes, ph: bytes
) -> None:
    assert _verify(SUITE, PK, PROOF, PSEUDONYM, context, ph) is (context == CONTEXT and ph == PH)


@MEDIUM
@given(signature=mutations(SIGNATURE))
def test_finalize_refuses_every_other_signature(signature: bytes) -> None:
    assert _finalize(SUITE, PK, signature) == (NYM_SECRETS if signature == SIGNATURE else None)


@MEDIUM
@given(data=mutations(COMMITMENT))
def test_the_issuer_signs_only_the_valid_nym_commitment(data: bytes) -> None:
    try:
        signature = SUITE.blind_sign_with_nym(SK, PK, data, ENTROPY, HEADER, MESSAGES, len(PROVER_NYMS))
    except (MalformedInput, InvalidProof, InvalidParameters):
        assert data != COMMITMENT
        return
    assert data == COMMITMENT and signature == SIGNATURE


@MEDIUM
@given(proof=mutations(SHAKE[7]), pseudonym=mutations(SHAKE[8]))
def test_shake_suite_verifier_is_false_for_mutations(proof: bytes, pseudonym: bytes) -> None:
    suite, _, pk, *_, valid_proof, valid_pseudonym = SHAKE
    assert _verify(suite, pk, proof, valid_pseudonym) is (proof == valid_proof)
    assert _verify(suite, pk, valid_proof, pseudonym) is (pseudonym == valid_pseudonym)


@LIGHT
@given(proof=mutations(PROOF), pseudonym=mutations(PSEUDONYM), signature=mutations(SIGNATURE))
def test_pyecc_verifiers_are_false_for_mutations(
    pyecc: Backend, proof: bytes, pseudonym: bytes, signature: bytes
) -> None:
    suite, _, pk, *_, valid_proof, valid_pseudonym = material("sha256", pyecc.name)
    assert (valid_proof, valid_pseudonym) == (PROOF, PSEUDONYM)
    assert _verify(suite, pk, proof, pseudonym) is (proof == PROOF and pseudonym == PSEUDONYM)
    assert _finalize(suite, pk, signature) == (NYM_SECRETS if signature == SIGNATURE else None)
