"""Fuzzing BBS with Hypothesis: random and mutated keys, signatures and proofs make verify / proof_verify
return False (never raise), and the decoders raise MalformedInput (never anything else).

10,000 cases per input kind on the default backend (arkworks); the slow py-ecc reference runs a light set.
"""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zk.mutations import mutations
from zk.bbs import BLS12_381_SHA_256, BLS12_381_SHAKE_256, Ciphersuite
from zk.bbs.encoding import (
    octets_to_proof,
    octets_to_pubkey,
    octets_to_secret_key,
    octets_to_signature,
    proof_to_octets,
    signature_to_octets,
)
from zk.curve import Backend, R, get_backend
from zk.errors import MalformedInput

HEADER = b"fuzz-header"
PH = b"fuzz-presentation"
MESSAGES = [b"first", b"second", b"third"]
DISCLOSED = [1]
HEAVY = settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
LIGHT = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))


@cache
def material(suite_name: str, backend_name: str) -> tuple[Ciphersuite, bytes, bytes, bytes, bytes]:
    """(suite, sk, pk, signature, proof): valid values to mutate, made once per suite and backend."""
    base = {"sha256": BLS12_381_SHA_256, "shake256": BLS12_381_SHAKE_256}[suite_name]
    suite = base.with_backend(get_backend(backend_name))
    sk = suite.keygen(b"fuzzing key material, 32+ bytes long")
    pk = suite.sk_to_pk(sk)
    signature = suite.sign(sk, pk, HEADER, MESSAGES)
    proof = suite.proof_gen(
        pk, signature, HEADER, PH, MESSAGES, DISCLOSED, random_scalars=suite.mocked_random_scalars
    )
    return suite, sk, pk, signature, proof


_, SK, PK, SIGNATURE, PROOF = material("sha256", "arkworks")
_, _, SHAKE_PK, SHAKE_SIGNATURE, SHAKE_PROOF = material("shake256", "arkworks")


def _verify(suite: Ciphersuite, pk: bytes, signature: bytes) -> bool:
    return suite.verify(pk, signature, HEADER, MESSAGES)


def _proof_verify(suite: Ciphersuite, pk: bytes, proof: bytes) -> bool:
    return suite.proof_verify(pk, proof, HEADER, PH, [MESSAGES[i] for i in DISCLOSED], DISCLOSED)


def _decode(decode, encode, data: bytes) -> bytes | None:
    """None when `decode` raises MalformedInput, else the re-encoding (which must equal `data`: one
    encoding)."""
    try:
        value = decode(data)
    except MalformedInput:
        return None
    return encode(value)


def _proof_octets(backend: Backend, p) -> bytes:
    return proof_to_octets(
        backend, (p.a_bar, p.b_bar, p.d), (p.e_hat, p.r1_hat, p.r3_hat, *p.commitments, p.challenge)
    )


# --- arkworks: 10,000 cases per input kind; each case checks the verifier AND the decoder ------------------


@HEAVY
@given(signature=mutations(SIGNATURE))
def test_every_other_signature_fails_verify_and_decodes_strictly(arkworks: Backend, signature: bytes) -> None:
    suite, _, pk, valid, _ = material("sha256", "arkworks")
    assert _verify(suite, pk, signature) is (signature == valid)
    decoded = _decode(
        lambda d: octets_to_signature(arkworks, d), lambda v: signature_to_octets(arkworks, *v), signature
    )
    assert decoded is None or decoded == signature


@HEAVY
@given(proof=mutations(PROOF))
def test_every_other_proof_fails_proof_verify_and_decodes_strictly(arkworks: Backend, proof: bytes) -> None:
    suite, _, pk, _, valid = material("sha256", "arkworks")
    assert _proof_verify(suite, pk, proof) is (proof == valid)
    decoded = _decode(lambda d: octets_to_proof(arkworks, d), lambda p: _proof_octets(arkworks, p), proof)
    assert decoded is None or decoded == proof


@HEAVY
@given(pk=mutations(PK))
def test_every_other_public_key_fails_both_verifiers_and_decodes_strictly(
    arkworks: Backend, pk: bytes
) -> None:
    suite, _, valid, signature, proof = material("sha256", "arkworks")
    assert _verify(suite, pk, signature) is (pk == valid)
    assert _proof_verify(suite, pk, proof) is (pk == valid)
    decoded = _decode(lambda d: octets_to_pubkey(arkworks, d), arkworks.g2_compress, pk)
    assert decoded is None or decoded == pk


@HEAVY
@given(sk=mutations(SK))
def test_secret_key_decoding_is_strict(sk: bytes) -> None:
    decoded = _decode(octets_to_secret_key, lambda v: v.to_bytes(32, "big"), sk)
    assert decoded is None or decoded == sk
    assert (decoded is None) is (len(sk) != 32 or not 0 < int.from_bytes(sk, "big") < R)


@settings(max_examples=2_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(signature=mutations(SHAKE_SIGNATURE), proof=mutations(SHAKE_PROOF))
def test_shake_suite_verifiers_are_false_for_mutations(signature: bytes, proof: bytes) -> None:
    suite, _, pk, valid_signature, valid_proof = material("shake256", "arkworks")
    assert _verify(suite, pk, signature) is (signature == valid_signature)
    assert _proof_verify(suite, pk, proof) is (proof == valid_proof)


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    header=st.binary(max_size=40),
    ph=st.binary(max_size=40),
    disclosed=st.lists(st.integers(-2, 5), max_size=4),
    messages=st.lists(st.binary(max_size=12), max_size=4),
)
def test_proof_verify_is_false_for_any_other_statement(
    header: bytes, ph: bytes, disclosed: list[int], messages: list[bytes]
) -> None:
    suite, _, pk, _, proof = material("sha256", "arkworks")
    same = (header, ph, disclosed, messages) == (HEADER, PH, DISCLOSED, [MESSAGES[i] for i in DISCLOSED])
    assert suite.proof_verify(pk, proof, header, ph, messages, disclosed) is same


# --- the py-ecc reference: a light set ---------------------------------------------------------------------


@LIGHT
@given(signature=mutations(SIGNATURE), proof=mutations(PROOF))
def test_pyecc_verifiers_are_false_for_mutations(signature: bytes, proof: bytes) -> None:
    suite, _, pk, valid_signature, valid_proof = material("sha256", "pyecc")
    assert (pk, valid_signature, valid_proof) == (PK, SIGNATURE, PROOF)
    assert _verify(suite, pk, signature) is (signature == valid_signature)
    assert _proof_verify(suite, pk, proof) is (proof == valid_proof)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=mutations(PK))
def test_pyecc_public_key_decoding_agrees_with_arkworks(
    arkworks: Backend, pyecc: Backend, data: bytes
) -> None:
    fast = _decode(lambda d: octets_to_pubkey(arkworks, d), arkworks.g2_compress, data)
    slow = _decode(lambda d: octets_to_pubkey(pyecc, d), pyecc.g2_compress, data)
    assert fast == slow
