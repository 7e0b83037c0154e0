"""BBS behaviour beyond the fixtures: both ciphersuites round-trip, refuse what they must, agree across
backends, and expose the draft's proof phases for extensions."""

from __future__ import annotations

import pytest

from zk.bbs import BLS12_381_SHA_256, BLS12_381_SHAKE_256, Ciphersuite, core
from zk.bbs.encoding import octets_to_proof, octets_to_signature
from zk.curve import Backend, R
from zk.errors import InvalidParameters, MalformedInput

SUITES = [BLS12_381_SHA_256, BLS12_381_SHAKE_256]
MESSAGES = [b"name=Ada Lovelace", b"born=1815-12-10", b"resident=London", b"", b"\x00" * 40]
HEADER = b"issuer=identity-bureau"
PH = b"nonce-1234"
KEY_MATERIAL = b"0123456789abcdef0123456789abcdef-test-key"


@pytest.fixture(params=SUITES, ids=["sha256", "shake256"])
def suite(request: pytest.FixtureRequest, backend: Backend) -> Ciphersuite:
    return request.param.with_backend(backend)


@pytest.fixture
def keys(suite: Ciphersuite) -> tuple[bytes, bytes]:
    sk = suite.keygen(KEY_MATERIAL, b"key-info")
    return sk, suite.sk_to_pk(sk)


def test_shake_suite_identifiers_and_p1_are_the_drafts() -> None:
    assert BLS12_381_SHAKE_256.ciphersuite_id == b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_"
    assert BLS12_381_SHAKE_256.api_id == b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_H2G_HM2S_"
    # P1 of the BLS12-381-SHAKE-256 ciphersuite as the draft's section 7.2 states it.
    assert BLS12_381_SHAKE_256.backend.g1_compress(BLS12_381_SHAKE_256.P1).hex() == (
        "8929dfbc7e6642c4ed9cba0856e493f8b9d7d5fcb0c31ef8fdcd34d50648a56c795e106e9eada6e0bda386b414150755"
    )


def test_signature_round_trips_and_binds_header_messages_and_key(
    suite: Ciphersuite, keys: tuple[bytes, bytes]
) -> None:
    sk, pk = keys
    signature = suite.sign(sk, pk, HEADER, MESSAGES)
    assert len(signature) == 80
    assert suite.verify(pk, signature, HEADER, MESSAGES) is True
    assert suite.verify(pk, signature, HEADER + b"!", MESSAGES) is False
    assert suite.verify(pk, signature, HEADER, MESSAGES[:-1]) is False
    assert suite.verify(pk, signature, HEADER, [MESSAGES[1], MESSAGES[0], *MESSAGES[2:]]) is False
    other_pk = suite.sk_to_pk(suite.keygen(KEY_MATERIAL + b"2"))
    assert suite.verify(other_pk, signature, HEADER, MESSAGES) is False
    # Sign is deterministic (e is derived from SK, the messages and the domain).
    assert suite.sign(sk, pk, HEADER, MESSAGES) == signature


def test_proof_round_trips_for_every_disclosure_pattern(
    suite: Ciphersuite, keys: tuple[bytes, bytes]
) -> None:
    sk, pk = keys
    messages = MESSAGES[:3]
    signature = suite.sign(sk, pk, HEADER, messages)
    for disclosed in ([], [0], [2], [0, 2], [0, 1, 2]):
        proof = suite.proof_gen(pk, signature, HEADER, PH, messages, disclosed)
        assert len(proof) == 272 + 32 * (3 - len(disclosed))
        shown = [messages[i] for i in disclosed]
        assert suite.proof_verify(pk, proof, HEADER, PH, shown, disclosed) is True
        assert suite.proof_verify(pk, proof, HEADER, PH + b"x", shown, disclosed) is False


def test_proofs_of_the_same_signature_are_unlinkable_bytes(arkworks: Backend) -> None:
    suite = BLS12_381_SHA_256.with_backend(arkworks)
    sk = suite.keygen(KEY_MATERIAL)
    pk = suite.sk_to_pk(sk)
    signature = suite.sign(sk, pk, HEADER, MESSAGES)
    first = suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, [1])
    second = suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, [1])
    assert first != second
    assert signature[:48] not in first + second  # A itself is never shown
    assert all(suite.proof_verify(pk, p, HEADER, PH, [MESSAGES[1]], [1]) for p in (first, second))


def test_proof_verify_refuses_wrong_disclosures(arkworks: Backend) -> None:
    suite = BLS12_381_SHA_256.with_backend(arkworks)
    sk = suite.keygen(KEY_MATERIAL)
    pk = suite.sk_to_pk(sk)
    signature = suite.sign(sk, pk, HEADER, MESSAGES)
    proof = suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, [1, 3])
    shown = [MESSAGES[1], MESSAGES[3]]
    assert suite.proof_verify(pk, proof, HEADER, PH, shown, [1, 3]) is True
    assert suite.proof_verify(pk, proof, HEADER, PH, shown[::-1], [1, 3]) is False
    assert suite.proof_verify(pk, proof, HEADER, PH, shown, [3, 1]) is False
    assert suite.proof_verify(pk, proof, HEADER, PH, shown, [1, 2]) is False
    assert suite.proof_verify(pk, proof, HEADER, PH, shown, [1, 1]) is False
    assert suite.proof_verify(pk, proof, HEADER, PH, shown, [1, 99]) is False
    assert suite.proof_verify(pk, proof, HEADER, PH, shown[:1], [1, 3]) is False
    assert suite.proof_verify(pk, proof, HEADER, PH, shown, [1, -3]) is False
    assert suite.proof_verify(pk, proof, b"", PH, shown, [1, 3]) is False


def test_empty_message_list_signs_and_proves(arkworks: Backend) -> None:
    suite = BLS12_381_SHAKE_256.with_backend(arkworks)
    sk = suite.keygen(KEY_MATERIAL)
    pk = suite.sk_to_pk(sk)
    signature = suite.sign(sk, pk, b"", [])
    assert suite.verify(pk, signature, b"", []) is True
    proof = suite.proof_gen(pk, signature, b"", b"", [], [])
    assert len(proof) == 272
    assert suite.proof_verify(pk, proof, b"", b"", [], []) is True


def test_backends_produce_identical_bytes(arkworks: Backend, pyecc: Backend) -> None:
    outputs = []
    for backend in (arkworks, pyecc):
        suite = BLS12_381_SHAKE_256.with_backend(backend)
        sk = suite.keygen(KEY_MATERIAL)
        pk = suite.sk_to_pk(sk)
        signature = suite.sign(sk, pk, HEADER, MESSAGES[:3])
        proof = suite.proof_gen(
            pk, signature, HEADER, PH, MESSAGES[:3], [1], random_scalars=suite.mocked_random_scalars
        )
        outputs.append((pk, signature, proof))
    assert outputs[0] == outputs[1]
    pk, signature, proof = outputs[0]
    assert BLS12_381_SHAKE_256.with_backend(pyecc).proof_verify(pk, proof, HEADER, PH, [MESSAGES[1]], [1])


def test_proof_phases_compose_to_proof_gen(arkworks: Backend) -> None:
    """The phases are importable and, called in the draft's order, give exactly proof_gen's bytes."""
    suite = BLS12_381_SHA_256.with_backend(arkworks)
    sk = suite.keygen(KEY_MATERIAL)
    pk = suite.sk_to_pk(sk)
    messages = MESSAGES[:4]
    signature = suite.sign(sk, pk, HEADER, messages)
    scalars = suite.messages_to_scalars(messages)
    generators = suite.create_generators(len(messages) + 1)
    disclosed, undisclosed = [0, 3], [1, 2]
    random_scalars = suite.mocked_random_scalars(5 + len(undisclosed))
    a, e = octets_to_signature(arkworks, signature)

    init_res = core.proof_init(
        suite, pk, (a, e), generators, random_scalars, HEADER, scalars, undisclosed, suite.api_id
    )
    challenge = core.proof_challenge_calculate(
        suite, init_res, disclosed, [scalars[i] for i in disclosed], PH, suite.api_id
    )
    proof = core.proof_finalize(
        suite, init_res, challenge, e, random_scalars, [scalars[j] for j in undisclosed]
    )
    assert proof == suite.proof_gen(
        pk, signature, HEADER, PH, messages, disclosed, random_scalars=suite.mocked_random_scalars
    )

    verify_init = core.proof_verify_init(
        suite,
        pk,
        octets_to_proof(arkworks, proof),
        generators,
        HEADER,
        [scalars[i] for i in disclosed],
        disclosed,
        suite.api_id,
    )
    assert (verify_init.t1, verify_init.t2, verify_init.domain) == (init_res.t1, init_res.t2, init_res.domain)
    # An extension binds its own statement by hashing more octets into the challenge: any change moves it.
    octets = core.challenge_octets(suite, init_res, disclosed, [scalars[i] for i in disclosed], PH)
    assert suite.hash_to_scalar(octets, suite.api_id + b"H2S_") == challenge
    assert suite.hash_to_scalar(octets + b"pseudonym", suite.api_id + b"H2S_") != challenge


def test_generators_are_cached_as_one_growing_list(arkworks: Backend) -> None:
    suite = BLS12_381_SHA_256.with_backend(arkworks)
    assert suite.with_backend(arkworks) is suite
    short = suite.create_generators(3)
    long = suite.create_generators(40)
    assert long[:3] == short and len(long) == 40 and len(set(long)) == 40
    other = suite.create_generators(3, api_id=b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_BLIND_H2G_HM2S_")
    assert not set(other) & set(long)


# --- refusals: typed errors for the signer and prover, False for verifiers ---------------------------------


def test_keygen_refuses_short_key_material(suite: Ciphersuite) -> None:
    with pytest.raises(InvalidParameters, match="key_material must be at least 32 bytes"):
        suite.keygen(b"x" * 31)
    with pytest.raises(InvalidParameters, match="key_info must be at most 65535 bytes"):
        suite.keygen(KEY_MATERIAL, b"i" * 65536)
    with pytest.raises(MalformedInput, match="key_material must be bytes, not str"):
        suite.keygen("x" * 32)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sk", "message"),
    [
        (bytes(32), r"secret key must be a scalar in \[1, r-1\]"),
        (R.to_bytes(32, "big"), r"secret key must be a scalar in \[1, r-1\]"),
        (b"\x01" * 31, "secret key must be 32 bytes, got 31"),
    ],
)
def test_secret_keys_out_of_range_are_malformed(arkworks: Backend, sk: bytes, message: str) -> None:
    suite = BLS12_381_SHA_256.with_backend(arkworks)
    with pytest.raises(MalformedInput, match=message):
        suite.sk_to_pk(sk)
    with pytest.raises(MalformedInput, match=message):
        suite.sign(sk, suite.sk_to_pk(suite.keygen(KEY_MATERIAL)), b"", [])


def test_sign_refuses_a_malformed_public_key(arkworks: Backend) -> None:
    suite = BLS12_381_SHA_256.with_backend(arkworks)
    sk = suite.keygen(KEY_MATERIAL)
    with pytest.raises(MalformedInput, match="public key must be 96 bytes, got 48"):
        suite.sign(sk, bytes(48), b"", [])
    with pytest.raises(MalformedInput, match="G2 point is the identity"):
        suite.sign(sk, b"\xc0" + bytes(95), b"", [])


def test_proof_gen_refuses_bad_indexes_signatures_and_scalars(arkworks: Backend) -> None:
    suite = BLS12_381_SHA_256.with_backend(arkworks)
    sk = suite.keygen(KEY_MATERIAL)
    pk = suite.sk_to_pk(sk)
    signature = suite.sign(sk, pk, HEADER, MESSAGES)
    for indexes in ([2, 1], [1, 1], [5], [4, 2, 4, 6]):
        with pytest.raises(InvalidParameters, match="strictly ascending and below L"):
            suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, indexes)
    with pytest.raises(InvalidParameters, match="disclosed indexes must be non-negative integers"):
        suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, [-1])
    with pytest.raises(MalformedInput, match="signature must be 80 bytes, got 79"):
        suite.proof_gen(pk, signature[:-1], HEADER, PH, MESSAGES, [0])
    with pytest.raises(MalformedInput, match="scalar must be nonzero"):
        suite.proof_gen(pk, signature[:48] + bytes(32), HEADER, PH, MESSAGES, [0])
    with pytest.raises(InvalidParameters, match=r"need 9 random scalars in \[0, r\)"):
        suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, [0], random_scalars=lambda n: [1] * (n - 1))
    with pytest.raises(InvalidParameters, match=r"need 9 random scalars in \[0, r\)"):
        suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, [0], random_scalars=lambda n: [R] * n)


def test_verifiers_return_false_for_inputs_of_the_wrong_type(arkworks: Backend) -> None:
    suite = BLS12_381_SHA_256.with_backend(arkworks)
    sk = suite.keygen(KEY_MATERIAL)
    pk = suite.sk_to_pk(sk)
    signature = suite.sign(sk, pk, HEADER, MESSAGES)
    proof = suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, [0])
    assert suite.verify(pk.hex(), signature, HEADER, MESSAGES) is False  # type: ignore[arg-type]
    assert suite.verify(pk, signature, HEADER, b"not a list") is False  # type: ignore[arg-type]
    assert suite.verify(pk, signature, HEADER, [m.decode("latin-1") for m in MESSAGES]) is False  # type: ignore
    assert suite.verify(pk, None, HEADER, MESSAGES) is False  # type: ignore[arg-type]
    assert suite.proof_verify(pk, proof, HEADER, PH, [MESSAGES[0]], ["0"]) is False  # type: ignore[list-item]
    assert suite.proof_verify(pk, proof, HEADER, PH, [MESSAGES[0]], [True]) is False
    assert suite.proof_verify(pk, proof, HEADER, None, [MESSAGES[0]], [0]) is False  # type: ignore[arg-type]
    assert suite.proof_verify(pk, proof, HEADER, PH, [MESSAGES[0]], [0]) is True
    # Any bytes-like value is accepted where bytes are expected.
    assert suite.verify(bytearray(pk), memoryview(signature), bytearray(HEADER), MESSAGES) is True
    assert (
        suite.proof_verify(bytearray(pk), bytearray(proof), HEADER, PH, [bytearray(MESSAGES[0])], [0]) is True
    )
