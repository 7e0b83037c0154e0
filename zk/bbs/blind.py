"""Blind BBS signatures (draft-irtf-cfrg-bbs-blind-signatures): the issuer signs messages it never sees.

The prover commits to its messages (`commit`), the issuer checks the commitment's proof of knowledge and signs
over it with its own messages (`blind_sign`), the prover checks the result (`verify_blind_sign`) and proves
from it with selective disclosure (`proof_gen` / `proof_verify`). This reproduces the -01/-02 fixtures
(../shared/vectors/bbs-blind) and follows them where the -02 text differs (the vectors README's errata 1-5,
cited at each step). Scalars are ints in [0, r); what crosses a wire is bytes, decoded strictly. Usage and
the errata: docs/zk.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Self

from zk.bbs import core
from zk.bbs.ciphersuites import (
    BLS12_381_SHA_256,
    BLS12_381_SHAKE_256,
    MOCK_SEED,
    BackendVariants,
    Ciphersuite,
    _indexes,
    _sequence,
)
from zk.bbs.encoding import (
    COMMITMENT_LENGTH_FLOOR,
    i2osp,
    octet_point_length,
    octet_scalar_length,
    octets_to_secret_key,
    require_bytes,
    signature_to_octets,
)
from zk.curve import Backend, R, scalar_from_bytes, scalar_inverse
from zk.errors import InvalidParameters, InvalidProof, MalformedInput, ZkError

RandomScalars = Callable[[int], Sequence[int]]


# --- encoding ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CommitmentWithProof:
    """A parsed commitment_with_proof: the commitment C and its proof (s^, (m^_1, ..., m^_M), challenge)."""

    commitment: Any
    s_hat: int
    m_hats: tuple[int, ...]
    challenge: int


def commitment_with_proof_to_octets(backend: Backend, commitment: Any, proof: Sequence[int]) -> bytes:
    """commitment_with_proof_to_octets: serialize((C)) || serialize((s^, m^_1, ..., m^_M, challenge))."""
    return backend.g1_compress(commitment) + b"".join(i2osp(s, octet_scalar_length) for s in proof)


def octets_to_commitment_with_proof(backend: Backend, commitment_octs: bytes) -> CommitmentWithProof:
    """octets_to_commitment_with_proof: a non-identity G1 point in the subgroup, then at least two scalars,
    each nonzero and below r. Raises MalformedInput with the reason."""
    commitment_octs = require_bytes(commitment_octs, "commitment_with_proof")
    # 1. commit_len_floor = octet_point_length + 2 * octet_scalar_length
    if len(commitment_octs) < COMMITMENT_LENGTH_FLOOR:
        raise MalformedInput(
            f"commitment_with_proof must be at least {COMMITMENT_LENGTH_FLOOR} bytes, "
            f"got {len(commitment_octs)}"
        )
    # 15. if index != length(commitment_octs), return INVALID
    if (len(commitment_octs) - octet_point_length) % octet_scalar_length:
        raise MalformedInput("commitment_with_proof length is not one point plus a whole number of scalars")
    # 4.-6. C = octets_to_point_E1(C_octets); not INVALID, not Identity_G1 (g1_decompress checks the subgroup)
    commitment = backend.g1_decompress(commitment_octs[:octet_point_length])
    # 9.-14. every s_j with 0 < s_j < r
    scalars = [
        scalar_from_bytes(commitment_octs[i : i + octet_scalar_length], nonzero=True)
        for i in range(octet_point_length, len(commitment_octs), octet_scalar_length)
    ]
    return CommitmentWithProof(commitment, scalars[0], tuple(scalars[1:-1]), scalars[-1])


# --- core operations --------------------------------------------------------------------------------------
def calculate_blind_challenge(
    suite: Ciphersuite, commitment: Any, c_bar: Any, blind_generators: Sequence[Any], api_id: bytes
) -> int:
    """calculate_blind_challenge: H2S(serialize((M, Q_2, J_1, ..., J_M, C, Cbar)), api_id || "H2S_")."""
    if not blind_generators:
        raise InvalidParameters("calculate_blind_challenge needs at least Q_2")
    compress = suite.backend.g1_compress
    # 1. c_arr = (M); 2. c_arr.append(generators); 3. c_octs = serialize(c_arr.append(C, Cbar))
    c_octs = i2osp(len(blind_generators) - 1, 8) + b"".join(
        compress(p) for p in (*blind_generators, commitment, c_bar)
    )
    # 4. return hash_to_scalar(c_octs, blind_challenge_dst)
    return core.hash_to_scalar(suite, c_octs, api_id + b"H2S_")


def core_commit(
    suite: Ciphersuite,
    committed_message_scalars: Sequence[int],
    blind_generators: Sequence[Any],
    api_id: bytes,
    random_scalars: Sequence[int] | None = None,
) -> tuple[bytes, int]:
    """CoreCommit: (commitment_with_proof, secret_prover_blind). `random_scalars` (M + 2 of them) replaces
    calculate_random_scalars(M + 2) when given."""
    curve = suite.backend
    M = len(committed_message_scalars)
    # 2. if length(blind_generators) != M + 1, return INVALID
    if len(blind_generators) != M + 1:
        raise InvalidParameters("CoreCommit needs M + 1 blind generators")
    q_2, j_points = blind_generators[0], blind_generators[1:]
    # 1. (secret_prover_blind, s~, m~_1, ..., m~_M) = calculate_random_scalars(M + 2)
    if random_scalars is None:
        random_scalars = core.calculate_random_scalars(M + 2)
    _check_random_scalars(random_scalars, M + 2)
    secret_prover_blind, s_tilde, *m_tilde = random_scalars
    # 2. C = J_1 * msg_1 + ... + J_M * msg_M + Q_2 * secret_prover_blind
    commitment = curve.g1_msm([*j_points, q_2], [*committed_message_scalars, secret_prover_blind])
    # 3. Cbar = J_1 * m~_1 + ... + J_M * m~_M + Q_2 * s~
    c_bar = curve.g1_msm([*j_points, q_2], [*m_tilde, s_tilde])
    # 4. challenge = calculate_blind_challenge(C, Cbar, blind_generators, api_id)
    challenge = calculate_blind_challenge(suite, commitment, c_bar, blind_generators, api_id)
    # 5. s^ = s~ + secret_prover_blind * challenge
    s_hat = (s_tilde + secret_prover_blind * challenge) % R
    # 6. for i in (1, 2, ..., M): m^_i = m~_i + msg_i * challenge
    m_hat = [(mt + msg * challenge) % R for mt, msg in zip(m_tilde, committed_message_scalars, strict=True)]
    # 7. proof = (s^, (m^_1, ..., m^_M), challenge); 8. commitment_with_proof_to_octets(C, proof)
    return commitment_with_proof_to_octets(curve, commitment, (s_hat, *m_hat, challenge)), secret_prover_blind


def core_commit_verify(
    suite: Ciphersuite, parsed: CommitmentWithProof, blind_generators: Sequence[Any], api_id: bytes
) -> bool:
    """CoreCommitVerify: the issuer's check of the prover's proof of knowledge of the committed values."""
    curve = suite.backend
    # 4. if length(blind_generators) != M + 1, return INVALID
    if len(blind_generators) != len(parsed.m_hats) + 1:
        return False
    q_2, j_points = blind_generators[0], blind_generators[1:]
    # 1. Cbar = J_1 * m^_1 + ... + J_M * m^_M + Q_2 * s^ + commitment * (-cp)
    c_bar = curve.g1_msm(
        [*j_points, q_2, parsed.commitment], [*parsed.m_hats, parsed.s_hat, -parsed.challenge]
    )
    # 2. cv = calculate_blind_challenge(commitment, Cbar, blind_generators, api_id); 3. if cv != cp, INVALID
    cv = calculate_blind_challenge(suite, parsed.commitment, c_bar, blind_generators, api_id)
    return cv == parsed.challenge


def deserialize_and_validate_commit(
    suite: Ciphersuite, commitment_with_proof: bytes | None, blind_generators: Sequence[Any], api_id: bytes
) -> Any:
    """deserialize_and_validate_commit: the commitment point, or Identity_G1 when none is supplied.

    Raises MalformedInput for a bad encoding and InvalidProof when the proof of knowledge does not verify."""
    # 1. if commitment_with_proof is the empty string (""), return Identity_G1
    if commitment_with_proof is None or commitment_with_proof == b"":
        return suite.backend.g1_identity()
    # 2. com_res = octets_to_commitment_with_proof(commitment_with_proof)
    parsed = octets_to_commitment_with_proof(suite.backend, commitment_with_proof)
    # 5. if length(commit_proof[1]) + 1 != length(blind_generators), return INVALID
    if len(parsed.m_hats) + 1 != len(blind_generators):
        raise MalformedInput("commitment_with_proof does not commit to the expected number of messages")
    # 6. validation_res = CoreCommitVerify(commit, commit_proof, blind_generators, api_id)
    if not core_commit_verify(suite, parsed, blind_generators, api_id):
        raise InvalidProof("the commitment's proof of knowledge does not verify")
    return parsed.commitment


def finalize_blind_sign(
    suite: Ciphersuite,
    sk: int,
    pk: bytes,
    generators: Sequence[Any],
    blind_generators: Sequence[Any],
    header: bytes,
    message_scalars: Sequence[int],
    commitment: Any,
    api_id: bytes,
    extra_points: Sequence[Any] = (),
    extra_scalars: Sequence[int] = (),
) -> bytes:
    """B_calculate followed by FinalizeBlindSign, in the order the fixtures need (domain before B).

    `extra_points` / `extra_scalars` add terms to B (the pseudonym extension's J_last *
    signer_nym_entropy)."""
    curve = suite.backend
    L = len(message_scalars)
    if len(generators) != L + 1 or not blind_generators:
        raise InvalidParameters("FinalizeBlindSign needs L + 1 generators and at least Q_2")
    q_1, h_points = generators[0], generators[1:]
    # domain = calculate_domain(PK, Q_1, (H_1, ..., H_L, Q_2, J_1, ..., J_M), header, api_id)
    # (README erratum 2: Q_2 is part of the domain, which -02 omits)
    domain = core.calculate_domain(suite, pk, q_1, [*h_points, *blind_generators], header, api_id)
    # B_calculate: B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L + commitment
    # (README erratum 1: -02 omits P1 + Q_1 * domain)
    b = curve.g1_add(
        curve.g1_msm(
            [suite.P1, q_1, *h_points, *extra_points], [1, domain, *message_scalars, *extra_scalars]
        ),
        commitment,
    )
    # if B is Identity_G1, return INVALID
    if curve.g1_is_identity(b):
        raise InvalidParameters("B is the identity: cannot sign")
    # e = hash_to_scalar(serialize((SK, B)), signature_dst). README erratum 4: every text version adds the
    # domain, serialize((SK, B, domain)), but the fixtures do not; we match the fixtures.
    e = core.hash_to_scalar(suite, i2osp(sk, octet_scalar_length) + curve.g1_compress(b), api_id + b"H2S_")
    # A = B * (1 / (SK + e))
    if (sk + e) % R == 0:
        raise InvalidParameters("SK + e = 0 mod r: cannot sign")
    a = curve.g1_mul(b, scalar_inverse(sk + e))
    # return signature_to_octets((A, e))
    return signature_to_octets(curve, a, e)


# --- the interfaces -----------------------------------------------------------------------------------------
class BlindInterface(BackendVariants):
    """What the blind and the pseudonym interfaces share: api_id, the two generator lists, mocked randomness,
    and the commitment with its proof of knowledge. Subclasses set `api_suffix`."""

    api_suffix = b""

    def __init__(self, base: Ciphersuite) -> None:
        self.base = base
        self.ciphersuite_id = base.ciphersuite_id
        # api_id = ciphersuite_id || api_suffix; the blind generators use "BLIND_" || api_id.
        self.api_id = base.ciphersuite_id + self.api_suffix
        self.blind_api_id = b"BLIND_" + self.api_id
        self._init_variants()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.api_id.decode()} on {self.base!r}>"

    @property
    def backend(self) -> Backend:
        return self.base.backend

    def _on_backend(self, backend: Backend) -> Self:
        # on the core suite's variant for that backend, so the two share its generator caches
        return type(self)(self.base.with_backend(backend))

    # --- generators and randomness ---------------------------------------------------------------------
    def generators(self, L: int) -> list[Any]:
        """(Q_1, H_1, ..., H_L) = create_generators(L + 1, api_id)."""
        return self.base.create_generators(L + 1, self.api_id)

    def blind_generators(self, M: int) -> list[Any]:
        """(Q_2, J_1, ..., J_M) = create_generators(M + 1, "BLIND_" || api_id)."""
        return self.base.create_generators(M + 1, self.blind_api_id)

    def mocked_commit_scalars(self, count: int) -> list[int]:
        """The fixtures' mocked scalars for Commit. README: the DST is ASCII and uses the *core* api_id,
        ciphersuite_id || "H2G_HM2S_COMMIT_MOCK_RANDOM_SCALARS_DST_"."""
        return core.seeded_random_scalars(
            self.base, MOCK_SEED, self.base.api_id + b"COMMIT_MOCK_RANDOM_SCALARS_DST_", count
        )

    def mocked_proof_scalars(self, count: int) -> list[int]:
        """The fixtures' mocked scalars for proofs: core api_id || "PROOF_MOCK_RANDOM_SCALARS_DST_"."""
        return core.seeded_random_scalars(
            self.base, MOCK_SEED, self.base.api_id + b"PROOF_MOCK_RANDOM_SCALARS_DST_", count
        )

    def messages_to_scalars(self, messages: Sequence[bytes]) -> list[int]:
        """messages_to_scalars under this interface's api_id."""
        return self.base.messages_to_scalars(_sequence(messages), self.api_id)

    # --- commitment -------------------------------------------------------------------------------------
    def _commit(
        self, committed_message_scalars: Sequence[int], random_scalars: RandomScalars | None
    ) -> tuple[bytes, int]:
        M = len(committed_message_scalars)
        scalars = None if random_scalars is None else list(random_scalars(M + 2))
        return core_commit(
            self.base, committed_message_scalars, self.blind_generators(M), self.api_id, scalars
        )

    def commitment_verify(self, commitment_with_proof: bytes) -> bool:
        """The issuer's check of a commitment_with_proof (CoreCommitVerify over as many blind generators as
        the proof has responses): True when the prover knows the opening. Never raises for bad input."""
        try:
            parsed = octets_to_commitment_with_proof(self.backend, commitment_with_proof)
            return core_commit_verify(
                self.base, parsed, self.blind_generators(len(parsed.m_hats)), self.api_id
            )
        except ZkError:
            return False

    def _committed_count(self, commitment_with_proof: bytes | None) -> int:
        """BlindSign's deserialization: M = (length - octet_point_length - 2 * octet_scalar_length) / 32.
        (README erratum 3: -02 subtracts a single scalar.)"""
        if commitment_with_proof is None:
            return 0
        length = len(require_bytes(commitment_with_proof, "commitment_with_proof"))
        if length == 0:
            return 0
        if length < COMMITMENT_LENGTH_FLOOR or (length - COMMITMENT_LENGTH_FLOOR) % octet_scalar_length:
            raise MalformedInput("commitment_with_proof length is not one point plus at least two scalars")
        return (length - COMMITMENT_LENGTH_FLOOR) // octet_scalar_length

    # --- message and generator lists ---------------------------------------------------------------------
    def _prepare(
        self,
        messages: Sequence[bytes],
        committed_messages: Sequence[bytes],
        secret_prover_blind: int,
        extra: Sequence[int] = (),
    ) -> tuple[list[int], list[Any]]:
        """prepare_parameters: the scalars (messages, secret_prover_blind, committed_messages, extra) and the
        generators create_generators(L + 1, api_id) || create_generators(M + 1 + len(extra),
        "BLIND_" || api_id)."""
        message_scalars = self.messages_to_scalars(messages)
        committed_scalars = self.messages_to_scalars(committed_messages)
        blind = scalar_value(secret_prover_blind, "secret_prover_blind")
        generators = self.generators(len(message_scalars)) + self.blind_generators(
            len(committed_scalars) + len(extra)
        )
        return [*message_scalars, blind, *committed_scalars, *extra], generators

    def _generators_for(self, L: int) -> Callable[[int], list[Any]]:
        def generators_for(total: int) -> list[Any]:
            # total = L + 1 + M messages (the prover blind counts): L + 1 generators, then M + 1 blind ones.
            if total < L + 1:
                raise InvalidParameters("the proof has fewer messages than L + 1")
            return self.generators(L) + self.blind_generators(total - L - 1)

        return generators_for


class BlindCiphersuite(BlindInterface):
    """The Blind BBS interface of one ciphersuite: api_id = ciphersuite_id || "BLIND_H2G_HM2S_"."""

    api_suffix = b"BLIND_H2G_HM2S_"

    def commit(
        self, committed_messages: Sequence[bytes], *, random_scalars: RandomScalars | None = None
    ) -> tuple[bytes, int]:
        """Commit (prover): a hiding commitment to `committed_messages` with its proof of knowledge.

        Returns (commitment_with_proof, secret_prover_blind): send the bytes to the issuer, keep the blind (an
        int scalar) secret: proofs from the signature need it. `random_scalars(count)` replaces
        calculate_random_scalars (pass `suite.mocked_commit_scalars` to reproduce the fixtures)."""
        return self._commit(self.messages_to_scalars(committed_messages), random_scalars)

    def blind_sign(
        self,
        sk: bytes,
        pk: bytes,
        commitment_with_proof: bytes | None,
        header: bytes,
        messages: Sequence[bytes],
    ) -> bytes:
        """BlindSign (issuer): a BBS signature over the issuer's `messages` and the prover's committed ones.

        `commitment_with_proof` is the prover's Commit output, or None / b"" to sign without one. Raises
        MalformedInput for undecodable input and InvalidProof when the commitment's proof does not verify: the
        issuer never signs a commitment whose opening the prover has not proven it knows."""
        sk_value = octets_to_secret_key(sk)
        pk = require_bytes(pk, "public key")
        self.base.decode_pubkey(pk)
        header = require_bytes(header, "header")
        message_scalars = self.messages_to_scalars(messages)
        # Deserialization 1.-5.: L and M
        M = self._committed_count(commitment_with_proof)
        # 1. generators = create_generators(L + 1, api_id); 2. blind_generators = (M + 1, "BLIND_" || api_id)
        generators = self.generators(len(message_scalars))
        blind_generators = self.blind_generators(M)
        # 3. commit = deserialize_and_validate_commit(commitment_with_proof, blind_generators, api_id)
        commitment = deserialize_and_validate_commit(
            self.base, commitment_with_proof, blind_generators, self.api_id
        )
        # 6.-9. B_calculate and FinalizeBlindSign
        return finalize_blind_sign(
            self.base,
            sk_value,
            pk,
            generators,
            blind_generators,
            header,
            message_scalars,
            commitment,
            self.api_id,
        )

    def verify_blind_sign(
        self,
        pk: bytes,
        signature: bytes,
        header: bytes,
        messages: Sequence[bytes],
        committed_messages: Sequence[bytes],
        secret_prover_blind: int = 0,
    ) -> bool:
        """VerifyBlindSign (prover): True when `signature` signs the issuer's `messages`, then the prover's
        `committed_messages` under `secret_prover_blind` (0 when signed without a commitment). Never raises
        for bad input."""
        try:
            pk, header = require_bytes(pk, "public key"), require_bytes(header, "header")
            scalars, generators = self._prepare(messages, committed_messages, secret_prover_blind)
            return core.core_verify(self.base, pk, signature, generators, header, scalars, self.api_id)
        except ZkError:
            return False

    def proof_gen(
        self,
        pk: bytes,
        signature: bytes,
        header: bytes,
        ph: bytes,
        messages: Sequence[bytes],
        committed_messages: Sequence[bytes],
        disclosed_indexes: Sequence[int],
        disclosed_committed_indexes: Sequence[int],
        secret_prover_blind: int = 0,
        *,
        random_scalars: RandomScalars | None = None,
    ) -> bytes:
        """BlindProofGen (prover): a BBS proof disclosing `messages[i]` for i in `disclosed_indexes` and
        `committed_messages[j]` for j in `disclosed_committed_indexes` (both ascending), with `ph` the
        presentation header. Raises MalformedInput / InvalidParameters for bad input. `random_scalars(count)`
        replaces calculate_random_scalars (pass `suite.mocked_proof_scalars` for the fixtures)."""
        pk = require_bytes(pk, "public key")
        self.base.decode_pubkey(pk)
        header, ph = require_bytes(header, "header"), require_bytes(ph, "presentation header")
        scalars, generators = self._prepare(messages, committed_messages, secret_prover_blind)
        L, M = len(_sequence(messages)), len(_sequence(committed_messages))
        indexes = _combined_indexes(disclosed_indexes, disclosed_committed_indexes, L, M)
        return _core_proof_gen(
            self.base, pk, signature, generators, header, ph, scalars, indexes, self.api_id, random_scalars
        )

    def proof_verify(
        self,
        pk: bytes,
        proof: bytes,
        header: bytes,
        ph: bytes,
        L: int,
        disclosed_messages: Sequence[bytes],
        disclosed_committed_messages: Sequence[bytes],
        disclosed_indexes: Sequence[int],
        disclosed_committed_indexes: Sequence[int],
    ) -> bool:
        """BlindProofVerify (verifier): `L` is the number of issuer messages; the disclosed messages are
        listed in index order. True or False; never raises for bad input."""
        try:
            pk, header = require_bytes(pk, "public key"), require_bytes(header, "header")
            ph = require_bytes(ph, "presentation header")
            L = _count(L, "L")
            disclosed = self.messages_to_scalars(disclosed_messages)
            disclosed_committed = self.messages_to_scalars(disclosed_committed_messages)
            indexes = _combined_indexes(disclosed_indexes, disclosed_committed_indexes, L, None)
            if len(disclosed) != len(_sequence(disclosed_indexes)) or len(disclosed_committed) != len(
                _sequence(disclosed_committed_indexes)
            ):
                return False
            return core.core_proof_verify(
                self.base,
                pk,
                proof,
                self._generators_for(L),
                header,
                ph,
                [*disclosed, *disclosed_committed],
                indexes,
                self.api_id,
            )
        except ZkError:
            return False


# --- argument checks --------------------------------------------------------------------------------------
def scalar_value(value: Any, what: str) -> int:
    """A scalar argument must be an int in [0, r) (bool is not a scalar)."""
    if type(value) is not int or not 0 <= value < R:
        raise InvalidParameters(f"{what} must be an integer scalar in [0, r)")
    return value


def _count(value: Any, what: str) -> int:
    if type(value) is not int or not 0 <= value < 2**32:
        raise InvalidParameters(f"{what} must be a non-negative integer")
    return value


def _check_random_scalars(scalars: Sequence[int], count: int) -> None:
    if len(scalars) != count or any(type(s) is not int or not 0 <= s < R for s in scalars):
        raise InvalidParameters(f"need {count} random scalars in [0, r)")


def _combined_indexes(
    disclosed_indexes: Sequence[int], disclosed_committed_indexes: Sequence[int], L: int, M: int | None
) -> list[int]:
    """Disclosed issuer indexes i < L as they are, committed index j becomes j + L + 1 (past the prover
    blind).

    Both lists must be strictly ascending; issuer indexes must stay below L so that no one "discloses" the
    prover blind or a committed message under an issuer index."""
    issuer, committed = _indexes(disclosed_indexes), _indexes(disclosed_committed_indexes)
    for values, bound, what in (
        (issuer, L, "disclosed indexes"),
        (committed, M, "disclosed committed indexes"),
    ):
        if (bound is not None and any(i >= bound for i in values)) or any(
            a >= b for a, b in pairwise(values)
        ):
            raise InvalidParameters(f"{what} must be strictly ascending and in range")
    return [*issuer, *(j + L + 1 for j in committed)]


def _core_proof_gen(
    suite: Ciphersuite,
    pk: bytes,
    signature: bytes,
    generators: Sequence[Any],
    header: bytes,
    ph: bytes,
    scalars: Sequence[int],
    indexes: Sequence[int],
    api_id: bytes,
    random_scalars: RandomScalars | None,
) -> bytes:
    count = len(scalars) - len(indexes) + 5
    drawn = None if random_scalars is None else list(random_scalars(count))
    return core.core_proof_gen(suite, pk, signature, generators, header, ph, scalars, indexes, api_id, drawn)


BLIND_BLS12_381_SHA_256 = BlindCiphersuite(BLS12_381_SHA_256)
BLIND_BLS12_381_SHAKE_256 = BlindCiphersuite(BLS12_381_SHAKE_256)

__all__ = [
    "BLIND_BLS12_381_SHAKE_256",
    "BLIND_BLS12_381_SHA_256",
    "BlindCiphersuite",
    "BlindInterface",
    "CommitmentWithProof",
    "calculate_blind_challenge",
    "commitment_with_proof_to_octets",
    "core_commit",
    "core_commit_verify",
    "deserialize_and_validate_commit",
    "finalize_blind_sign",
    "octets_to_commitment_with_proof",
    "scalar_value",
]
