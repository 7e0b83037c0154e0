"""Blind BBS beyond the fixtures: both ciphersuites round-trip, the issuer refuses what it must, the backends
agree, and the issuer's view of a blind issuance is independent of the committed secret."""

from __future__ import annotations

from typing import Any

import pytest

from zk.bbs import BLIND_BLS12_381_SHA_256, BLIND_BLS12_381_SHAKE_256, BlindCiphersuite
from zk.bbs.blind import core_commit, core_commit_verify, octets_to_commitment_with_proof
from zk.curve import Backend, R, random_scalar
from zk.errors import InvalidParameters, InvalidProof, MalformedInput

SUITES = [BLIND_BLS12_381_SHA_256, BLIND_BLS12_381_SHAKE_256]
MESSAGES = [b"roll=north-district", b"issued=2026-11-21", b""]
COMMITTED = [b"holder-secret-key-0123456789", b"born=1990-02-03"]
HEADER = b"issuer=identity-bureau"
PH = b"nonce-5678"
KEY_MATERIAL = b"blind issuance key material, at least 32 bytes"


@pytest.fixture(params=SUITES, ids=["sha256", "shake256"])
def suite(request: pytest.FixtureRequest, arkworks: Backend) -> BlindCiphersuite:
    return request.param.with_backend(arkworks)


@pytest.fixture
def keys(suite: BlindCiphersuite) -> tuple[bytes, bytes]:
    sk = suite.base.keygen(KEY_MATERIAL)
    return sk, suite.base.sk_to_pk(sk)


def test_shake_suite_identifiers_follow_the_blind_interface() -> None:
    assert BLIND_BLS12_381_SHAKE_256.api_id == b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_BLIND_H2G_HM2S_"
    assert (
        BLIND_BLS12_381_SHAKE_256.blind_api_id
        == b"BLIND_BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_BLIND_H2G_HM2S_"
    )


def test_blind_issuance_round_trips_and_proofs_disclose_from_both_lists(
    suite: BlindCiphersuite, keys: tuple[bytes, bytes]
) -> None:
    sk, pk = keys
    commitment_with_proof, prover_blind = suite.commit(COMMITTED)
    assert len(commitment_with_proof) == 48 + 32 * (len(COMMITTED) + 2)
    assert suite.commitment_verify(commitment_with_proof) is True
    signature = suite.blind_sign(sk, pk, commitment_with_proof, HEADER, MESSAGES)
    assert suite.verify_blind_sign(pk, signature, HEADER, MESSAGES, COMMITTED, prover_blind) is True
    # The signature binds every input the prover holds.
    assert (
        suite.verify_blind_sign(pk, signature, HEADER, MESSAGES, COMMITTED, (prover_blind + 1) % R) is False
    )
    assert suite.verify_blind_sign(pk, signature, HEADER, MESSAGES, COMMITTED[::-1], prover_blind) is False
    assert suite.verify_blind_sign(pk, signature, HEADER, MESSAGES[:-1], COMMITTED, prover_blind) is False
    assert suite.verify_blind_sign(pk, signature, HEADER + b"!", MESSAGES, COMMITTED, prover_blind) is False
    # The plain BBS interface does not accept it: the api_id differs.
    assert suite.base.verify(pk, signature, HEADER, [*MESSAGES, *COMMITTED]) is False

    for disclosed, disclosed_committed in (
        ([], []),
        ([0, 2], []),
        ([], [1]),
        ([1], [0, 1]),
        ([0, 1, 2], [0, 1]),
    ):
        proof = suite.proof_gen(
            pk, signature, HEADER, PH, MESSAGES, COMMITTED, disclosed, disclosed_committed, prover_blind
        )
        shown = [MESSAGES[i] for i in disclosed]
        shown_committed = [COMMITTED[j] for j in disclosed_committed]
        assert (
            suite.proof_verify(
                pk, proof, HEADER, PH, len(MESSAGES), shown, shown_committed, disclosed, disclosed_committed
            )
            is True
        )
        assert (
            suite.proof_verify(
                pk,
                proof,
                HEADER,
                PH + b"?",
                len(MESSAGES),
                shown,
                shown_committed,
                disclosed,
                disclosed_committed,
            )
            is False
        )
        # The split between issuer and prover messages is part of the statement.
        assert (
            suite.proof_verify(
                pk,
                proof,
                HEADER,
                PH,
                len(MESSAGES) + 1,
                shown,
                shown_committed,
                disclosed,
                disclosed_committed,
            )
            is False
        )


def test_a_proof_needs_the_prover_blind(suite: BlindCiphersuite, keys: tuple[bytes, bytes]) -> None:
    sk, pk = keys
    commitment_with_proof, prover_blind = suite.commit(COMMITTED)
    signature = suite.blind_sign(sk, pk, commitment_with_proof, HEADER, MESSAGES)
    proof = suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, COMMITTED, [0], [], (prover_blind + 1) % R)
    assert suite.proof_verify(pk, proof, HEADER, PH, len(MESSAGES), [MESSAGES[0]], [], [0], []) is False


def test_signing_without_a_commitment_uses_a_zero_prover_blind(
    suite: BlindCiphersuite, keys: tuple[bytes, bytes]
) -> None:
    sk, pk = keys
    signature = suite.blind_sign(sk, pk, None, HEADER, MESSAGES)
    assert suite.blind_sign(sk, pk, b"", HEADER, MESSAGES) == signature
    assert suite.verify_blind_sign(pk, signature, HEADER, MESSAGES, [], 0) is True
    assert suite.verify_blind_sign(pk, signature, HEADER, MESSAGES, [], 1) is False
    proof = suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, [], [1], [])
    assert suite.proof_verify(pk, proof, HEADER, PH, len(MESSAGES), [MESSAGES[1]], [], [1], []) is True


def test_the_issuer_refuses_a_commitment_without_a_valid_proof(
    suite: BlindCiphersuite, keys: tuple[bytes, bytes]
) -> None:
    sk, pk = keys
    commitment_with_proof, _ = suite.commit(COMMITTED)
    # A response changed by one: well formed, but the proof of knowledge fails.
    s_hat = int.from_bytes(commitment_with_proof[48:80], "big")
    forged = (
        commitment_with_proof[:48] + ((s_hat % (R - 1)) + 1).to_bytes(32, "big") + commitment_with_proof[80:]
    )
    assert suite.commitment_verify(forged) is False
    with pytest.raises(InvalidProof, match="proof of knowledge does not verify"):
        suite.blind_sign(sk, pk, forged, HEADER, MESSAGES)
    # A commitment made under the other ciphersuite's api_id does not verify here either.
    other = SUITES[1] if suite.api_id == SUITES[0].api_id else SUITES[0]
    foreign, _ = other.with_backend(suite.backend).commit(COMMITTED)
    assert suite.commitment_verify(foreign) is False
    with pytest.raises(InvalidProof):
        suite.blind_sign(sk, pk, foreign, HEADER, MESSAGES)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00" * 79, "commitment_with_proof length is not one point plus at least two scalars"),
        (b"\x00" * 113, "commitment_with_proof length is not one point plus at least two scalars"),
        (bytes([0xC0]) + bytes(47) + bytes(64), "identity"),
    ],
)
def test_the_issuer_refuses_malformed_commitments(arkworks: Backend, data: bytes, message: str) -> None:
    suite = BLIND_BLS12_381_SHA_256.with_backend(arkworks)
    sk = suite.base.keygen(KEY_MATERIAL)
    with pytest.raises(MalformedInput, match=message):
        suite.blind_sign(sk, suite.base.sk_to_pk(sk), data, HEADER, MESSAGES)
    assert suite.commitment_verify(data) is False


def test_commitment_decoding_refuses_zero_and_out_of_range_scalars(arkworks: Backend) -> None:
    suite = BLIND_BLS12_381_SHA_256.with_backend(arkworks)
    commitment_with_proof, _ = suite.commit(COMMITTED)
    parsed = octets_to_commitment_with_proof(arkworks, commitment_with_proof)
    assert len(parsed.m_hats) == len(COMMITTED)
    for bad in (bytes(32), R.to_bytes(32, "big"), b"\xff" * 32):
        with pytest.raises(MalformedInput):
            octets_to_commitment_with_proof(arkworks, commitment_with_proof[:-32] + bad)
    with pytest.raises(MalformedInput, match="must be bytes"):
        octets_to_commitment_with_proof(arkworks, commitment_with_proof.hex())  # type: ignore[arg-type]


def test_proof_gen_refuses_indexes_outside_their_own_list(
    suite: BlindCiphersuite, keys: tuple[bytes, bytes]
) -> None:
    """An issuer index may not reach past L (it would "disclose" the prover blind or a committed message)."""
    sk, pk = keys
    commitment_with_proof, prover_blind = suite.commit(COMMITTED)
    signature = suite.blind_sign(sk, pk, commitment_with_proof, HEADER, MESSAGES)
    for disclosed, disclosed_committed in (([3], []), ([], [2]), ([1, 0], []), ([], [1, 1])):
        with pytest.raises(InvalidParameters, match="strictly ascending and in range"):
            suite.proof_gen(
                pk, signature, HEADER, PH, MESSAGES, COMMITTED, disclosed, disclosed_committed, prover_blind
            )
    with pytest.raises(InvalidParameters, match="secret_prover_blind must be an integer scalar"):
        suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, COMMITTED, [], [], R)
    proof = suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, COMMITTED, [], [0], prover_blind)
    # The verifier refuses the same index read as an issuer index past L.
    assert (
        suite.proof_verify(pk, proof, HEADER, PH, len(MESSAGES), [COMMITTED[0]], [], [len(MESSAGES) + 1], [])
        is False
    )
    assert suite.proof_verify(pk, proof, HEADER, PH, len(MESSAGES), [], [COMMITTED[0]], [], [0]) is True


def test_backends_produce_identical_bytes_for_the_shake_suite(arkworks: Backend, pyecc: Backend) -> None:
    """No SHAKE-256 fixtures exist for blind BBS: the two backends must at least agree byte for byte."""
    outputs = []
    for backend in (arkworks, pyecc):
        suite = BLIND_BLS12_381_SHAKE_256.with_backend(backend)
        sk = suite.base.keygen(KEY_MATERIAL)
        pk = suite.base.sk_to_pk(sk)
        commitment_with_proof, prover_blind = suite.commit(
            COMMITTED[:1], random_scalars=suite.mocked_commit_scalars
        )
        signature = suite.blind_sign(sk, pk, commitment_with_proof, HEADER, MESSAGES[:1])
        proof = suite.proof_gen(
            pk,
            signature,
            HEADER,
            PH,
            MESSAGES[:1],
            COMMITTED[:1],
            [0],
            [],
            prover_blind,
            random_scalars=suite.mocked_proof_scalars,
        )
        assert suite.proof_verify(pk, proof, HEADER, PH, 1, [MESSAGES[0]], [], [0], []) is True
        outputs.append((commitment_with_proof, prover_blind, signature, proof))
    assert outputs[0] == outputs[1]


def test_issuers_view_is_independent_of_the_committed_secret(arkworks: Backend) -> None:
    """Simulation with a trapdoor: the issuer's whole view of a blind issuance, the commitment with its proof,
    is identically distributed for any two committed secrets.

    Take generators whose discrete logs the simulator knows, J_i = Q_2 * t_i. For a transcript made for the
    secrets m with randomness (b, s~, m~), the randomness b' = b + sum t_i (m_i - m'_i),
    m~' = m~ + c (m - m'), s~' = s~ + c (b - b') makes *the same bytes* for other secrets m': C and Cbar are
    unchanged, hence the challenge c, hence every response. The map is a bijection of the randomness, so every
    transcript is exactly as likely for m as for m' (perfect hiding and zero knowledge). Any generators have
    such t_i (G1 has prime order); knowing them only lets the test construct the bijection. Each run of
    core_commit below is the production code, fed the mapped randomness: if it leaked anything about the
    secrets (into the challenge, the encoding, anywhere), the bytes would differ.
    """
    suite = BLIND_BLS12_381_SHA_256.with_backend(arkworks)
    base, curve = suite.base, arkworks
    for M in (1, 3):
        q_2 = curve.g1_mul(curve.g1_generator(), random_scalar())
        trapdoors = [random_scalar() for _ in range(M)]
        blind_generators = [q_2, *(curve.g1_mul(q_2, t) for t in trapdoors)]
        secrets = [random_scalar() for _ in range(M)]
        others = [random_scalar() for _ in range(M)]
        b, s_tilde, *m_tilde = [random_scalar() for _ in range(M + 2)]
        view, blind = core_commit(base, secrets, blind_generators, suite.api_id, [b, s_tilde, *m_tilde])
        assert blind == b
        challenge = octets_to_commitment_with_proof(curve, view).challenge
        b_other = (b + sum(t * (m - o) for t, m, o in zip(trapdoors, secrets, others, strict=True))) % R
        m_tilde_other = [
            (mt + challenge * (m - o)) % R for mt, m, o in zip(m_tilde, secrets, others, strict=True)
        ]
        s_tilde_other = (s_tilde + challenge * (b - b_other)) % R
        simulated, _ = core_commit(
            base, others, blind_generators, suite.api_id, [b_other, s_tilde_other, *m_tilde_other]
        )
        assert simulated == view
        assert (
            core_commit_verify(
                base, octets_to_commitment_with_proof(curve, view), blind_generators, suite.api_id
            )
            is True
        )
        # Control: the same randomness for other secrets gives a different view, so equality above is earned.
        unmapped, _ = core_commit(base, others, blind_generators, suite.api_id, [b, s_tilde, *m_tilde])
        assert unmapped != view


def test_commitments_with_fresh_randomness_are_unlinkable_bytes(suite: BlindCiphersuite) -> None:
    first, blind_1 = suite.commit(COMMITTED)
    second, blind_2 = suite.commit(COMMITTED)
    assert blind_1 != blind_2
    assert first[:48] != second[:48] and first[-32:] != second[-32:]


def test_verifiers_return_false_for_inputs_of_the_wrong_type(arkworks: Backend) -> None:
    suite = BLIND_BLS12_381_SHA_256.with_backend(arkworks)
    sk = suite.base.keygen(KEY_MATERIAL)
    pk = suite.base.sk_to_pk(sk)
    commitment_with_proof, prover_blind = suite.commit(COMMITTED)
    signature = suite.blind_sign(sk, pk, commitment_with_proof, HEADER, MESSAGES)
    proof = suite.proof_gen(pk, signature, HEADER, PH, MESSAGES, COMMITTED, [0], [], prover_blind)
    assert suite.commitment_verify(None) is False  # type: ignore[arg-type]
    blind_text: Any = str(prover_blind)
    not_a_list: Any = b"not a list"
    assert suite.verify_blind_sign(pk, signature, HEADER, MESSAGES, COMMITTED, blind_text) is False
    assert suite.verify_blind_sign(pk, signature, HEADER, MESSAGES, not_a_list, prover_blind) is False
    assert suite.verify_blind_sign(pk, signature, HEADER, MESSAGES, COMMITTED, True) is False
    assert suite.proof_verify(pk, proof, HEADER, PH, "3", [MESSAGES[0]], [], [0], []) is False  # type: ignore
    assert suite.proof_verify(pk, proof, HEADER, PH, -1, [MESSAGES[0]], [], [0], []) is False
    assert suite.proof_verify(pk, proof, HEADER, PH, 3, [MESSAGES[0]], [], [0], [0]) is False
    assert suite.proof_verify(pk, proof, HEADER, PH, 3, [MESSAGES[0]], [], [0], []) is True


def test_with_backend_gives_one_shared_instance_per_backend(arkworks: Backend, pyecc: Backend) -> None:
    on_arkworks = BLIND_BLS12_381_SHA_256.with_backend(arkworks)
    on_pyecc = on_arkworks.with_backend(pyecc)
    assert on_pyecc is BLIND_BLS12_381_SHA_256.with_backend(pyecc)
    assert on_pyecc.with_backend(arkworks) is on_arkworks
    assert (on_arkworks.backend, on_pyecc.backend) == (arkworks, pyecc)
    # The generator caches are the core suite's, shared with the plain BBS interface on that backend.
    assert on_pyecc.base is BLIND_BLS12_381_SHA_256.base.with_backend(pyecc)
