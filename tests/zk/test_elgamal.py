"""zk.elgamal: exponential ElGamal on both backends, its homomorphism, and "encrypts one of" proofs."""

from __future__ import annotations

import pytest

from zk.curve import Backend
from zk.elgamal import (
    Ciphertext,
    EncryptionKey,
    add_ciphertexts,
    decrypt_to_element,
    encrypt,
    encryption_statement,
    keygen,
    prove_encrypts_one_of,
    verify_encrypts_one_of,
)
from zk.errors import InvalidParameters, MalformedInput
from zk.group import g1_group, seeded_scalars
from zk.sigma import prove_or
from zk.transcript import Transcript


def test_decryption_recovers_m_times_g_and_ciphertexts_add_their_plaintexts(backend: Backend) -> None:
    group = g1_group(backend)
    rng = seeded_scalars(group, b"elgamal")
    secret, key = keygen(group, rng)
    g = group.generator()
    a, b = encrypt(group, key, 3, rng()), encrypt(group, key, 4, rng())
    assert decrypt_to_element(group, secret, a) == group.mul(g, 3)
    assert decrypt_to_element(group, secret, add_ciphertexts(group, [a, b])) == group.mul(g, 7)
    assert decrypt_to_element(group, secret + 1, a) != group.mul(g, 3)
    assert add_ciphertexts(group, []) == Ciphertext(group.identity(), group.identity())


def test_the_fixed_base_key_encrypts_and_proves_exactly_like_the_generic_code(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    _, key = keygen(group, seeded_scalars(group, b"k"))
    fast = EncryptionKey(group, key)
    assert fast.encrypt(1, 12345) == encrypt(group, key, 1, 12345)
    ct = encrypt(group, key, 2, 999)
    allowed = (0, 1, 2, 3)
    generic = prove_encrypts_one_of(
        Transcript(group, b"t"), key, ct, 2, 999, allowed, seeded_scalars(group, b"p")
    )
    tabled = fast.prove_encrypts_one_of(
        Transcript(group, b"t"), ct, 2, 999, allowed, seeded_scalars(group, b"p")
    )
    assert tabled == generic


@pytest.mark.parametrize("value", [0, 1])
def test_a_zero_or_one_proof_verifies_only_for_its_ciphertext_and_key(arkworks: Backend, value: int) -> None:
    group = g1_group(arkworks)
    rng = seeded_scalars(group, b"01")
    _, key = keygen(group, rng)
    _, other_key = keygen(group, rng)
    r = rng()
    ct = encrypt(group, key, value, r)
    proof = prove_encrypts_one_of(Transcript(group, b"t"), key, ct, value, r, (0, 1))
    assert verify_encrypts_one_of(Transcript(group, b"t"), key, ct, (0, 1), proof)
    assert not verify_encrypts_one_of(Transcript(group, b"t"), other_key, ct, (0, 1), proof)
    assert not verify_encrypts_one_of(
        Transcript(group, b"t"), key, encrypt(group, key, value, r + 1), (0, 1), proof
    )
    assert not verify_encrypts_one_of(Transcript(group, b"u"), key, ct, (0, 1), proof)


def test_a_two_cannot_be_proved_to_be_zero_or_one(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    _, key = keygen(group, seeded_scalars(group, b"two"))
    ct = encrypt(group, key, 2, 77)
    with pytest.raises(InvalidParameters, match="not among the allowed"):
        prove_encrypts_one_of(Transcript(group, b"t"), key, ct, 2, 77, (0, 1))
    # Lying about the value (claiming 1) gives a proof that does not verify.
    statements = [encryption_statement(group, key, ct, v) for v in (0, 1)]
    forged = prove_or(Transcript(group, b"t"), statements, 1, 77)
    assert not verify_encrypts_one_of(Transcript(group, b"t"), key, ct, (0, 1), forged)
    assert EncryptionKey(group, key, tables=False).encrypt(2, 77) == ct


def test_a_ciphertext_decodes_strictly(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    ct = encrypt(group, group.generator(), 1, 5)
    assert Ciphertext.from_json(group, ct.to_json(group)) == ct
    with pytest.raises(MalformedInput, match="fields wrong"):
        Ciphertext.from_json(group, {**ct.to_json(group), "gamma": "00"})
    with pytest.raises(MalformedInput, match="ciphertext.beta"):
        Ciphertext.from_json(group, {**ct.to_json(group), "beta": "00" * 48})
