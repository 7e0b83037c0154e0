"""BBS pseudonyms beyond the fixtures: the same credential and context give the same pseudonym, other contexts
give other pseudonyms, a proof is bound to its context, presentation header and N, both suites round-trip and
the backends agree."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zk.bbs import PSEUDONYM_BLS12_381_SHA_256, PSEUDONYM_BLS12_381_SHAKE_256, PseudonymCiphersuite
from zk.bbs.pseudonym import CONTEXT_POINT_CACHE_SIZE
from zk.curve import Backend, R, get_backend
from zk.errors import InvalidParameters
from zk.hash_to_curve import hash_to_G1

SUITES = {"sha256": PSEUDONYM_BLS12_381_SHA_256, "shake256": PSEUDONYM_BLS12_381_SHAKE_256}
MESSAGES = [b"roll=north-district", b"eligible=yes"]
COMMITTED = [b"holder-secret-key-0123456789"]
HEADER = b"issuer=election-commission"
PH = b"ballot tracking code 7f3a"
ELECTION_A = b"election/2026-general"
ELECTION_B = b"election/2026-referendum"
KEY_MATERIAL = b"pseudonym issuance key material, 32+ bytes"


@dataclass(frozen=True)
class Credential:
    """A blindly issued credential with nym secrets, as the prover holds it."""

    suite: PseudonymCiphersuite
    pk: bytes
    signature: bytes
    prover_blind: int
    nym_secrets: list[int]

    def prove(
        self, context_id: bytes, ph: bytes = PH, disclosed: list[int] | None = None
    ) -> tuple[bytes, bytes]:
        return self.suite.proof_gen_with_nym(
            self.pk,
            self.signature,
            HEADER,
            ph,
            context_id,
            MESSAGES,
            COMMITTED,
            self.nym_secrets,
            [0] if disclosed is None else disclosed,
            [],
            self.prover_blind,
        )

    def verify(
        self,
        proof: bytes,
        pseudonym: bytes,
        context_id: bytes,
        ph: bytes = PH,
        nym_count: int | None = None,
        disclosed: list[int] | None = None,
    ) -> bool:
        disclosed = [0] if disclosed is None else disclosed
        return self.suite.proof_verify_with_nym(
            self.pk,
            proof,
            pseudonym,
            HEADER,
            ph,
            context_id,
            len(MESSAGES),
            [MESSAGES[i] for i in disclosed],
            [],
            disclosed,
            [],
            len(self.nym_secrets) if nym_count is None else nym_count,
        )


@cache
def issue(suite_name: str, backend_name: str, holder: int = 0, nym_count: int = 1) -> Credential:
    """The whole issuance: commit (prover), blind_sign_with_nym (issuer), verify_finalize_with_nym
    (prover)."""
    suite = SUITES[suite_name].with_backend(get_backend(backend_name))
    sk = suite.base.keygen(KEY_MATERIAL)
    pk = suite.base.sk_to_pk(sk)
    prover_nyms = [(holder * 1_000_003 + 17 * i + 5) % R for i in range(nym_count)]
    commitment_with_proof, prover_blind = suite.commit_with_nym(COMMITTED, prover_nyms)
    entropy = (holder + 42) * 0x1234567 % R
    signature = suite.blind_sign_with_nym(sk, pk, commitment_with_proof, entropy, HEADER, MESSAGES, nym_count)
    nym_secrets = suite.verify_finalize_with_nym(
        pk, signature, HEADER, MESSAGES, COMMITTED, prover_nyms, entropy, prover_blind
    )
    assert nym_secrets is not None
    return Credential(suite, pk, signature, prover_blind, nym_secrets)


@pytest.fixture(params=list(SUITES))
def credential(request: pytest.FixtureRequest) -> Credential:
    return issue(request.param, "arkworks")


def test_shake_suite_api_id_follows_the_pseudonym_interface() -> None:
    assert PSEUDONYM_BLS12_381_SHAKE_256.api_id == b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_H2G_HM2S_PSEUDONYM_"


def test_same_credential_and_context_give_the_same_pseudonym(credential: Credential) -> None:
    proof_1, pseudonym_1 = credential.prove(ELECTION_A)
    proof_2, pseudonym_2 = credential.prove(ELECTION_A, ph=b"another ballot")
    assert (
        pseudonym_1 == pseudonym_2 == credential.suite.calculate_pseudonym(ELECTION_A, credential.nym_secrets)
    )
    # The proofs themselves are fresh each time: only the pseudonym links them, and only within the context.
    assert proof_1 != proof_2
    assert credential.verify(proof_1, pseudonym_1, ELECTION_A) is True
    assert credential.verify(proof_2, pseudonym_2, ELECTION_A, ph=b"another ballot") is True


def test_different_contexts_give_different_pseudonyms(credential: Credential) -> None:
    _, pseudonym_a = credential.prove(ELECTION_A)
    _, pseudonym_b = credential.prove(ELECTION_B)
    assert pseudonym_a != pseudonym_b


def test_a_proof_for_one_context_does_not_verify_for_another(credential: Credential) -> None:
    proof, pseudonym = credential.prove(ELECTION_A)
    _, pseudonym_b = credential.prove(ELECTION_B)
    assert credential.verify(proof, pseudonym, ELECTION_A) is True
    assert credential.verify(proof, pseudonym, ELECTION_B) is False
    assert credential.verify(proof, pseudonym_b, ELECTION_B) is False
    assert credential.verify(proof, pseudonym_b, ELECTION_A) is False


def test_a_proof_is_bound_to_its_presentation_header_and_statement(credential: Credential) -> None:
    """Issue 7 binds a ballot's tracking code as the presentation header: changing it breaks the proof."""
    proof, pseudonym = credential.prove(ELECTION_A)
    assert credential.verify(proof, pseudonym, ELECTION_A, ph=PH + b"0") is False
    assert credential.verify(proof, pseudonym, ELECTION_A, nym_count=2) is False
    assert credential.verify(proof, pseudonym, ELECTION_A, disclosed=[1]) is False
    assert (
        credential.suite.proof_verify_with_nym(
            credential.pk,
            proof,
            pseudonym,
            HEADER + b"x",
            PH,
            ELECTION_A,
            len(MESSAGES),
            [MESSAGES[0]],
            [],
            [0],
            [],
            1,
        )
        is False
    )


def test_different_credentials_give_different_pseudonyms_in_the_same_context() -> None:
    alice, bob = issue("sha256", "arkworks", holder=1), issue("sha256", "arkworks", holder=2)
    proof_alice, pseudonym_alice = alice.prove(ELECTION_A)
    proof_bob, pseudonym_bob = bob.prove(ELECTION_A)
    assert pseudonym_alice != pseudonym_bob
    # Each proof only vouches for its own pseudonym.
    assert alice.verify(proof_alice, pseudonym_bob, ELECTION_A) is False
    assert bob.verify(proof_bob, pseudonym_bob, ELECTION_A) is True


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    context_a=st.binary(max_size=40),
    context_b=st.binary(max_size=40),
    secrets=st.lists(st.integers(1, R - 1), min_size=1, max_size=4),
)
def test_pseudonyms_are_equal_exactly_when_contexts_are(
    context_a: bytes, context_b: bytes, secrets: list[int]
) -> None:
    suite = PSEUDONYM_BLS12_381_SHA_256.with_backend(get_backend("arkworks"))
    try:
        pseudonym_a = suite.calculate_pseudonym(context_a, secrets)
        pseudonym_b = suite.calculate_pseudonym(context_b, secrets)
    except InvalidParameters:
        # Only when the polynomial has z as a root (probability ~ N / r): never a pseudonym.
        assert len(secrets) > 1
        return
    assert (pseudonym_a == pseudonym_b) is (context_a == context_b)
    assert pseudonym_a == suite.calculate_pseudonym(context_a, list(secrets))


def test_n_use_pseudonyms_round_trip_and_evaluate_the_polynomial() -> None:
    credential = issue("sha256", "arkworks", holder=3, nym_count=3)
    suite = credential.suite
    proof, pseudonym = credential.prove(ELECTION_A, disclosed=[])
    assert credential.verify(proof, pseudonym, ELECTION_A, disclosed=[]) is True
    assert credential.verify(proof, pseudonym, ELECTION_A, nym_count=1, disclosed=[]) is False
    op, z = suite.context_point(ELECTION_A), suite.context_scalar(ELECTION_A)
    a, b, c = credential.nym_secrets
    assert pseudonym == suite.backend.g1_compress(suite.backend.g1_mul(op, (a + b * z + c * z * z) % R))


def test_the_issuer_entropy_is_needed_to_finalize() -> None:
    credential = issue("sha256", "arkworks", holder=4)
    suite = credential.suite
    prover_nyms = [(4 * 1_000_003 + 5) % R]
    entropy = (4 + 42) * 0x1234567 % R
    assert credential.nym_secrets == [(prover_nyms[0] + entropy) % R]
    for wrong in ((entropy + 1) % R, 0):
        assert (
            suite.verify_finalize_with_nym(
                credential.pk,
                credential.signature,
                HEADER,
                MESSAGES,
                COMMITTED,
                prover_nyms,
                wrong,
                credential.prover_blind,
            )
            is None
        )


def test_the_issuer_refuses_commitments_with_fewer_values_than_nyms(arkworks: Backend) -> None:
    suite = PSEUDONYM_BLS12_381_SHA_256.with_backend(arkworks)
    sk = suite.base.keygen(KEY_MATERIAL)
    pk = suite.base.sk_to_pk(sk)
    commitment_with_proof, _ = suite.commit_with_nym([], [7])
    with pytest.raises(InvalidParameters, match="at least the 2 prover nym"):
        suite.blind_sign_with_nym(sk, pk, commitment_with_proof, 9, HEADER, MESSAGES, nym_count=2)
    with pytest.raises(InvalidParameters, match="at least the 1 prover nym"):
        suite.blind_sign_with_nym(sk, pk, b"", 9, HEADER, MESSAGES)
    with pytest.raises(InvalidParameters, match="nym_count must be an integer"):
        suite.blind_sign_with_nym(sk, pk, commitment_with_proof, 9, HEADER, MESSAGES, nym_count=0)
    with pytest.raises(InvalidParameters, match="signer_nym_entropy must be an integer scalar"):
        suite.blind_sign_with_nym(sk, pk, commitment_with_proof, R, HEADER, MESSAGES)
    with pytest.raises(InvalidParameters, match="prover_nyms must be an integer scalar"):
        suite.commit_with_nym([], [-1])
    with pytest.raises(InvalidParameters, match="nym_count must be an integer"):
        suite.commit_with_nym([], [])


def test_backends_produce_identical_bytes_for_the_shake_suite(arkworks: Backend, pyecc: Backend) -> None:
    """No SHAKE-256 fixtures exist for pseudonyms: the two backends must at least agree byte for byte."""
    outputs = []
    for backend in (arkworks, pyecc):
        suite = PSEUDONYM_BLS12_381_SHAKE_256.with_backend(backend)
        sk = suite.base.keygen(KEY_MATERIAL)
        pk = suite.base.sk_to_pk(sk)
        commitment_with_proof, prover_blind = suite.commit_with_nym(
            [], [11, 12], random_scalars=suite.mocked_commit_scalars
        )
        signature = suite.blind_sign_with_nym(sk, pk, commitment_with_proof, 13, HEADER, MESSAGES[:1], 2)
        nym_secrets = suite.verify_finalize_with_nym(
            pk, signature, HEADER, MESSAGES[:1], [], [11, 12], 13, prover_blind
        )
        assert nym_secrets == [11, 25]
        proof, pseudonym = suite.proof_gen_with_nym(
            pk,
            signature,
            HEADER,
            PH,
            ELECTION_A,
            MESSAGES[:1],
            [],
            nym_secrets,
            [0],
            [],
            prover_blind,
            random_scalars=suite.mocked_proof_scalars,
        )
        assert (
            suite.proof_verify_with_nym(
                pk, proof, pseudonym, HEADER, PH, ELECTION_A, 1, [MESSAGES[0]], [], [0], [], 2
            )
            is True
        )
        outputs.append((commitment_with_proof, signature, proof, pseudonym))
    assert outputs[0] == outputs[1]


def test_verifiers_return_false_for_inputs_of_the_wrong_type(credential: Credential) -> None:
    suite = credential.suite
    proof, pseudonym = credential.prove(ELECTION_A)
    args = (
        credential.pk,
        proof,
        pseudonym,
        HEADER,
        PH,
        ELECTION_A,
        len(MESSAGES),
        [MESSAGES[0]],
        [],
        [0],
        [],
        1,
    )
    assert suite.proof_verify_with_nym(*args) is True
    for position, bad in (
        (2, pseudonym.hex()),
        (5, ELECTION_A.decode()),
        (6, "2"),
        (11, True),
        (11, 0),
        (9, [5]),
        (2, bytes(48)),
    ):
        changed = list(args)
        changed[position] = bad
        assert suite.proof_verify_with_nym(*changed) is False, (position, bad)


def test_context_points_are_memoized_per_backend_and_equal_a_fresh_hash(
    arkworks: Backend, pyecc: Backend
) -> None:
    for backend in (arkworks, pyecc):
        suite = PSEUDONYM_BLS12_381_SHA_256.with_backend(backend)
        first = suite.context_point(b"election-2026")
        assert suite.context_point(b"election-2026") is first
        assert backend.g1_compress(first) == backend.g1_compress(
            hash_to_G1(b"election-2026", suite.api_id, suite.base.hash_to_curve_suite, backend)
        )
    for i in range(CONTEXT_POINT_CACHE_SIZE + 1):  # the cache stays bounded whatever contexts callers use
        PSEUDONYM_BLS12_381_SHA_256.with_backend(arkworks).context_point(b"ctx-%d" % i)
    assert len(PSEUDONYM_BLS12_381_SHA_256.with_backend(arkworks)._context_points) <= CONTEXT_POINT_CACHE_SIZE
