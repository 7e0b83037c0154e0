"""BBS per-verifier linkability (draft-irtf-cfrg-bbs-per-verifier-linkability, "pseudonyms"): one stable
pseudonym per credential and context, unlinkable across contexts.

The prover commits to its `prover_nyms` (`commit_with_nym`), the issuer adds `signer_nym_entropy` to the last
one while signing (`blind_sign_with_nym`) so that neither alone picks the nym secret, the prover derives its
`nym_secrets` (`verify_finalize_with_nym`) and later shows, for a `context_id`, the pseudonym
OP * (nym_secrets[0] + nym_secrets[1] * z + ...) with a BBS proof that the secrets are signed
(`proof_gen_with_nym` / `proof_verify_with_nym`). This matches the -02 fixtures
(../shared/vectors/bbs-pseudonym) where the text differs: api_id = ciphersuite_id || "H2G_HM2S_PSEUDONYM_",
header' = header || I2OSP(N, 8) in the domain, e = hash_to_scalar(serialize((SK, B))). Usage: docs/zk.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zk.bbs import core
from zk.bbs.blind import (
    BlindInterface,
    RandomScalars,
    _check_random_scalars,
    _combined_indexes,
    _count,
    deserialize_and_validate_commit,
    finalize_blind_sign,
    scalar_value,
)
from zk.bbs.ciphersuites import BLS12_381_SHA_256, BLS12_381_SHAKE_256, _sequence
from zk.bbs.encoding import (
    i2osp,
    octet_point_length,
    octets_to_proof,
    octets_to_secret_key,
    octets_to_signature,
    require_bytes,
)
from zk.curve import R
from zk.errors import InvalidParameters, MalformedInput, ZkError
from zk.hash_to_curve import hash_to_G1

PSEUDONYM_LENGTH = octet_point_length
# An upper bound on N, the number of nym secrets: keeps generator lists and polynomial work bounded.
MAX_NYM_COUNT = 1024
CONTEXT_POINT_CACHE_SIZE = 256


def octets_to_pseudonym(backend: Any, pseudonym: bytes) -> Any:
    """A pseudonym is a compressed G1 point in the subgroup, not the identity. Raises MalformedInput."""
    pseudonym = require_bytes(pseudonym, "pseudonym")
    if len(pseudonym) != PSEUDONYM_LENGTH:
        raise MalformedInput(f"pseudonym must be {PSEUDONYM_LENGTH} bytes, got {len(pseudonym)}")
    return backend.g1_decompress(pseudonym)


class PseudonymCiphersuite(BlindInterface):
    """The BBS pseudonym interface of one ciphersuite: api_id = ciphersuite_id || "H2G_HM2S_PSEUDONYM_"
    (README: the fixtures' api_id; parts of the -02 text say "BLIND_H2G_HM2S_")."""

    api_suffix = b"H2G_HM2S_PSEUDONYM_"

    def __init__(self, base: Any) -> None:
        super().__init__(base)
        self._context_points: dict[bytes, Any] = {}

    # --- pseudonym calculation --------------------------------------------------------------------------
    def context_point(self, context_id: bytes) -> Any:
        """OP = hash_to_curve_g1(context_id, api_id). Memoized per context (hashing to the curve costs about
        as much as the rest of a verification's scalar work, and a verifier sees the same few contexts, e.g.
        one election id, over and over); the cache is bounded, since callers choose the context ids."""
        context_id = require_bytes(context_id, "context_id")
        point = self._context_points.get(context_id)
        if point is None:
            point = hash_to_G1(context_id, self.api_id, self.base.hash_to_curve_suite, self.backend)
            if len(self._context_points) >= CONTEXT_POINT_CACHE_SIZE:
                self._context_points.clear()
            self._context_points[context_id] = point
        return point

    def context_scalar(self, context_id: bytes) -> int:
        """z = hash_to_scalar(context_id, api_id || "VECT_NYM_SECRETS"): the point where the nym polynomial is
        evaluated."""
        return core.hash_to_scalar(
            self.base, require_bytes(context_id, "context_id"), self.api_id + b"VECT_NYM_SECRETS"
        )

    def calculate_pseudonym(self, context_id: bytes, nym_secrets: Sequence[int]) -> bytes:
        """The pseudonym for `context_id` (PSEUDONYM_LENGTH bytes): OP * sum_i nym_secrets[i] * z^i. Raises
        InvalidParameters when the polynomial evaluates to 0 (the identity is never a pseudonym)."""
        secrets = _nym_scalars(nym_secrets, "nym_secrets")
        return self.backend.g1_compress(
            self._pseudonym_point(self.context_point(context_id), self.context_scalar(context_id), secrets)
        )

    def _pseudonym_point(self, op: Any, z: int, coefficients: Sequence[int]) -> Any:
        value = _poly_eval(coefficients, z)
        if value == 0:
            raise InvalidParameters("the nym polynomial evaluates to 0 for this context")
        return self.backend.g1_mul(op, value)

    # --- issuance ---------------------------------------------------------------------------------------
    def commit_with_nym(
        self,
        committed_messages: Sequence[bytes],
        prover_nyms: Sequence[int],
        *,
        random_scalars: RandomScalars | None = None,
    ) -> tuple[bytes, int]:
        """CommitWithNym (prover): Blind CoreCommit over `committed_messages` (bytes) then `prover_nyms`
        (N >= 1 secret scalars chosen at random by the prover). Returns (commitment_with_proof,
        secret_prover_blind);
        `random_scalars(M + N + 2)` replaces calculate_random_scalars (`suite.mocked_commit_scalars` for the
        fixtures)."""
        nyms = _nym_scalars(prover_nyms, "prover_nyms")
        return self._commit([*self.messages_to_scalars(committed_messages), *nyms], random_scalars)

    def blind_sign_with_nym(
        self,
        sk: bytes,
        pk: bytes,
        commitment_with_proof: bytes,
        signer_nym_entropy: int,
        header: bytes,
        messages: Sequence[bytes],
        nym_count: int = 1,
    ) -> bytes:
        """BlindSignWithNym (issuer): sign the issuer's `messages` and the prover's commitment (whose last
        `nym_count` committed values are the prover's nyms), adding `signer_nym_entropy` (a fresh random
        scalar the issuer sends back with the signature) to the last nym.

        Raises MalformedInput for undecodable input, InvalidProof when the commitment's proof of knowledge
        does not verify, InvalidParameters when the commitment holds fewer than `nym_count` values."""
        sk_value = octets_to_secret_key(sk)
        pk = require_bytes(pk, "public key")
        self.base.decode_pubkey(pk)
        header = require_bytes(header, "header")
        entropy = scalar_value(signer_nym_entropy, "signer_nym_entropy")
        N = _nym_count(nym_count)
        message_scalars = self.messages_to_scalars(messages)
        # M + N committed values, read from the commitment's length (README erratum 3 of blind BBS).
        committed_count = self._committed_count(require_bytes(commitment_with_proof, "commitment_with_proof"))
        if committed_count < N or not commitment_with_proof:
            raise InvalidParameters(f"the commitment must hold at least the {N} prover nym(s)")
        generators = self.generators(len(message_scalars))
        blind_generators = self.blind_generators(committed_count)
        commitment = deserialize_and_validate_commit(
            self.base, commitment_with_proof, blind_generators, self.api_id
        )
        # B = P1 + Q_1 * domain + sum(H_i * msg_i) + C + J_(M+N) * signer_nym_entropy, with the domain over
        # header' = header || I2OSP(N, 8) (README: as the fixtures reproduce).
        return finalize_blind_sign(
            self.base,
            sk_value,
            pk,
            generators,
            blind_generators,
            _nym_header(header, N),
            message_scalars,
            commitment,
            self.api_id,
            [blind_generators[-1]],
            [entropy],
        )

    def verify_finalize_with_nym(
        self,
        pk: bytes,
        signature: bytes,
        header: bytes,
        messages: Sequence[bytes],
        committed_messages: Sequence[bytes],
        prover_nyms: Sequence[int],
        signer_nym_entropy: int,
        secret_prover_blind: int,
    ) -> list[int] | None:
        """VerifyFinalizeWithNym (prover): the nym_secrets (prover_nyms with signer_nym_entropy added to the
        last, mod r) when `signature` verifies over them, else None. Never raises for bad input."""
        try:
            pk, header = require_bytes(pk, "public key"), require_bytes(header, "header")
            nyms = _nym_scalars(prover_nyms, "prover_nyms")
            entropy = scalar_value(signer_nym_entropy, "signer_nym_entropy")
            nym_secrets = [*nyms[:-1], (nyms[-1] + entropy) % R]
            scalars, generators = self._prepare(
                messages, committed_messages, secret_prover_blind, nym_secrets
            )
            if core.core_verify(
                self.base,
                pk,
                signature,
                generators,
                _nym_header(header, len(nym_secrets)),
                scalars,
                self.api_id,
            ):
                return nym_secrets
            return None
        except ZkError:
            return None

    # --- proofs -----------------------------------------------------------------------------------------
    def proof_gen_with_nym(
        self,
        pk: bytes,
        signature: bytes,
        header: bytes,
        ph: bytes,
        context_id: bytes,
        messages: Sequence[bytes],
        committed_messages: Sequence[bytes],
        nym_secrets: Sequence[int],
        disclosed_indexes: Sequence[int],
        disclosed_committed_indexes: Sequence[int],
        secret_prover_blind: int,
        *,
        random_scalars: RandomScalars | None = None,
    ) -> tuple[bytes, bytes]:
        """ProofGenWithNym (prover): (proof, pseudonym) for `context_id`.

        The proof is a BBS proof over messages || secret_prover_blind || committed_messages || nym_secrets
        (the nym secrets are never disclosed) whose challenge also binds the pseudonym, its commitment Ut and
        the context_id, so a proof for one context never verifies for another. `ph` (the presentation header)
        is where a caller binds its own data, e.g. a ballot's tracking code. `random_scalars(count)` replaces
        calculate_random_scalars (`suite.mocked_proof_scalars` for the fixtures)."""
        curve = self.backend
        pk = require_bytes(pk, "public key")
        self.base.decode_pubkey(pk)
        header, ph = require_bytes(header, "header"), require_bytes(ph, "presentation header")
        context_id = require_bytes(context_id, "context_id")
        secrets = _nym_scalars(nym_secrets, "nym_secrets")
        N = len(secrets)
        a, e = octets_to_signature(curve, signature)
        scalars, generators = self._prepare(messages, committed_messages, secret_prover_blind, secrets)
        L, M = len(_sequence(messages)), len(_sequence(committed_messages))
        indexes = _combined_indexes(disclosed_indexes, disclosed_committed_indexes, L, M)
        disclosed = set(indexes)
        undisclosed_indexes = [j for j in range(len(scalars)) if j not in disclosed]
        U = len(undisclosed_indexes)
        # random_scalars = calculate_random_scalars(5 + U)
        drawn = (
            core.calculate_random_scalars(U + 5) if random_scalars is None else list(random_scalars(U + 5))
        )
        _check_random_scalars(drawn, U + 5)
        # init_res = BBS.ProofInit(PK, signature_res, header', random_scalars, generators, messages,
        #                          undisclosed_indexes, api_id)
        init_res = core.proof_init(
            self.base,
            pk,
            (a, e),
            generators,
            drawn,
            _nym_header(header, N),
            scalars,
            undisclosed_indexes,
            self.api_id,
        )
        # The pseudonym and its proof commitment Ut = OP * sum_i m~_nym_i * z^i, with m~_nym the random
        # scalars of the last N undisclosed messages: the nym secrets.
        op, z = self.context_point(context_id), self.context_scalar(context_id)
        pseudonym = self._pseudonym_point(op, z, secrets)
        u_t = curve.g1_mul(op, _poly_eval(drawn[-N:], z))
        # challenge over (..., T1, T2, pseudonym, Ut, domain) || I2OSP(length(ph), 8) || ph
        #                || I2OSP(length(context_id), 8) || context_id
        challenge = core.proof_challenge_calculate(
            self.base,
            init_res,
            indexes,
            [scalars[i] for i in indexes],
            ph,
            self.api_id,
            (pseudonym, u_t),
            i2osp(len(context_id), 8) + context_id,
        )
        proof = core.proof_finalize(
            self.base, init_res, challenge, e, drawn, [scalars[j] for j in undisclosed_indexes]
        )
        return proof, curve.g1_compress(pseudonym)

    def proof_verify_with_nym(
        self,
        pk: bytes,
        proof: bytes,
        pseudonym: bytes,
        header: bytes,
        ph: bytes,
        context_id: bytes,
        L: int,
        disclosed_messages: Sequence[bytes],
        disclosed_committed_messages: Sequence[bytes],
        disclosed_indexes: Sequence[int],
        disclosed_committed_indexes: Sequence[int],
        nym_count: int = 1,
    ) -> bool:
        """ProofVerifyWithNym (verifier): True when `proof` shows a signature by `pk` over the disclosed
        messages and nym secrets from which `pseudonym` is computed for `context_id`. `L` is the number of
        issuer messages, `nym_count` the N the credential was issued with. Never raises for bad input."""
        try:
            curve = self.backend
            pk, header = require_bytes(pk, "public key"), require_bytes(header, "header")
            ph = require_bytes(ph, "presentation header")
            context_id = require_bytes(context_id, "context_id")
            L, N = _count(L, "L"), _nym_count(nym_count)
            parsed = octets_to_proof(curve, proof)
            w = self.base.decode_pubkey(pk)
            nym_point = octets_to_pseudonym(curve, pseudonym)
            disclosed = self.messages_to_scalars(disclosed_messages)
            disclosed_committed = self.messages_to_scalars(disclosed_committed_messages)
            if len(disclosed) != len(_sequence(disclosed_indexes)) or len(disclosed_committed) != len(
                _sequence(disclosed_committed_indexes)
            ):
                return False
            # total = R + U = L + 1 + M + N messages
            total = len(parsed.commitments) + len(disclosed) + len(disclosed_committed)
            M = total - L - 1 - N
            if M < 0:
                return False
            indexes = _combined_indexes(disclosed_indexes, disclosed_committed_indexes, L, M)
            generators = self.generators(L) + self.blind_generators(M + N)
            init_res = core.proof_verify_init(
                self.base,
                pk,
                parsed,
                generators,
                _nym_header(header, N),
                [*disclosed, *disclosed_committed],
                indexes,
                self.api_id,
            )
            # Ut = OP * sum_i m^_nym_i * z^i - pseudonym * cp (the nym secrets are the last N undisclosed)
            op, z = self.context_point(context_id), self.context_scalar(context_id)
            u_t = curve.g1_msm([op, nym_point], [_poly_eval(parsed.commitments[-N:], z), -parsed.challenge])
            challenge = core.proof_challenge_calculate(
                self.base,
                init_res,
                indexes,
                [*disclosed, *disclosed_committed],
                ph,
                self.api_id,
                (nym_point, u_t),
                i2osp(len(context_id), 8) + context_id,
            )
            # if cp != challenge, return INVALID
            if challenge != parsed.challenge:
                return False
            # if h(Abar, W) * h(Bbar, -BP2) != Identity_GT, return INVALID
            return curve.pairing_check(
                [(parsed.a_bar, w), (parsed.b_bar, curve.g2_neg(curve.g2_generator()))]
            )
        except ZkError:
            return False


def _nym_header(header: bytes, nym_count: int) -> bytes:
    """header' = header || I2OSP(N, 8): the signature and its proofs commit to the number of nym secrets."""
    return header + i2osp(nym_count, 8)


def _nym_count(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= MAX_NYM_COUNT:
        raise InvalidParameters(f"nym_count must be an integer in [1, {MAX_NYM_COUNT}]")
    return value


def _nym_scalars(values: Any, what: str) -> list[int]:
    scalars = [scalar_value(v, what) for v in _sequence(values)]
    _nym_count(len(scalars))
    return scalars


def _poly_eval(coefficients: Sequence[int], z: int) -> int:
    """sum_i coefficients[i] * z^i mod r, by Horner's rule."""
    value = 0
    for c in reversed(coefficients):
        value = (value * z + c) % R
    return value


PSEUDONYM_BLS12_381_SHA_256 = PseudonymCiphersuite(BLS12_381_SHA_256)
PSEUDONYM_BLS12_381_SHAKE_256 = PseudonymCiphersuite(BLS12_381_SHAKE_256)

__all__ = [
    "MAX_NYM_COUNT",
    "PSEUDONYM_BLS12_381_SHAKE_256",
    "PSEUDONYM_BLS12_381_SHA_256",
    "PSEUDONYM_LENGTH",
    "PseudonymCiphersuite",
    "octets_to_pseudonym",
]
