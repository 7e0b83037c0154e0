"""Voter eligibility: one BBS credential per voter with a pseudonym secret, shown once per election.

The voter's pseudonym for the election (context_id = election id) is the ballot's `binding`, and the
eligibility proof's presentation header is the ballot's tracking code, so neither proof nor ballot can be
moved. Proofs carry verification hints (T1, T2, Ut) so that `EligibilityBatch` checks many at once, accepting
exactly the proofs the draft's own verification (`verify_eligibility`) accepts. Details: docs/elections.md.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zk.bbs import core
from zk.bbs.encoding import Proof, i2osp, octets_to_proof
from zk.bbs.pseudonym import (
    PSEUDONYM_BLS12_381_SHA_256,
    PSEUDONYM_LENGTH,
    PseudonymCiphersuite,
    octets_to_pseudonym,
)
from zk.curve import G1_UNCOMPRESSED_LENGTH, Backend
from zk.errors import InvalidProof, MalformedInput, ZkError
from zk.group import Equation, FixedBase, g1_group
from zk.sigma import BatchVerifier
from zk.wire import require_fields, require_list

SCHEME = "bbs-pseudonym/BLS12-381-SHA-256/v1"
_HEADER = b"govgraph/electoral-roll/v1"
_MAX_PROOF_LENGTH = 4096
_HINTS = ("T1", "T2", "Ut")  # the hints, in this order, each a 96-byte uncompressed G1 point
_HINT_LENGTH = G1_UNCOMPRESSED_LENGTH
_FIXED_BASE_CACHE_SIZE = 16  # tables of the constant bases of a few elections (each about 8,000 points)
_fixed_bases: dict[tuple[str, bytes], FixedBase] = {}


def roll_message(roll_id: str) -> bytes:
    """The one issuer message of a voter credential: which electoral roll it belongs to (disclosed)."""
    return b"roll:" + roll_id.encode()


def suite_for(backend: Backend) -> PseudonymCiphersuite:
    return PSEUDONYM_BLS12_381_SHA_256.with_backend(backend)


@dataclass(frozen=True)
class VoterCredential:
    """What the voter's wallet keeps: the signature, the pseudonym secrets and the prover blind."""

    roll_id: str
    signature: bytes
    nym_secrets: tuple[int, ...]
    prover_blind: int


class RollAuthority:
    """The issuer of one electoral roll's credentials (one per voter: the count issued is public)."""

    def __init__(self, suite: PseudonymCiphersuite, roll_id: str, key_material: bytes) -> None:
        self.suite = suite
        self.roll_id = roll_id
        self._sk = suite.base.keygen(key_material)
        self.public_key = suite.base.sk_to_pk(self._sk)
        self.issued = 0

    def issue(self, commitment_with_proof: bytes, signer_nym_entropy: int) -> bytes:
        """Blind-sign a voter's commitment to its pseudonym secret (InvalidProof if its proof fails)."""
        signature = self.suite.blind_sign_with_nym(
            self._sk,
            self.public_key,
            commitment_with_proof,
            signer_nym_entropy,
            _HEADER,
            [roll_message(self.roll_id)],
        )
        self.issued += 1
        return signature


def enrol_voter(authority: RollAuthority, prover_nym: int, signer_nym_entropy: int) -> VoterCredential:
    """The voter's and the authority's sides of issuance, run back to back (a wallet splits them in two:
    `suite.commit_with_nym`, the authority's `issue`, then `finish_enrolment`)."""
    suite = authority.suite
    commitment, prover_blind = suite.commit_with_nym([], [prover_nym])
    signature = authority.issue(commitment, signer_nym_entropy)
    return finish_enrolment(
        suite,
        authority.public_key,
        authority.roll_id,
        signature,
        prover_nym,
        signer_nym_entropy,
        prover_blind,
    )


def finish_enrolment(
    suite: PseudonymCiphersuite,
    public_key: bytes,
    roll_id: str,
    signature: bytes,
    prover_nym: int,
    signer_nym_entropy: int,
    prover_blind: int,
) -> VoterCredential:
    """The voter's side of issuance after the authority blind-signed its commitment (`suite.commit_with_nym(
    [], [prover_nym])`) over the network: check the signature and derive the pseudonym secrets."""
    nym_secrets = suite.verify_finalize_with_nym(
        public_key,
        signature,
        _HEADER,
        [roll_message(roll_id)],
        [],
        [prover_nym],
        signer_nym_entropy,
        prover_blind,
    )
    if nym_secrets is None:
        raise InvalidProof("the roll authority's signature does not verify")
    return VoterCredential(roll_id, signature, tuple(nym_secrets), prover_blind)


def election_pseudonym(suite: PseudonymCiphersuite, credential: VoterCredential, election_id: str) -> bytes:
    return suite.calculate_pseudonym(election_id.encode(), credential.nym_secrets)


@dataclass(frozen=True)
class EligibilityProof:
    """A pseudonym proof (the draft's bytes), its pseudonym, and its verification hints (T1, T2, Ut)."""

    pseudonym: bytes
    proof: bytes
    hints: tuple[bytes, ...]

    def to_json(self) -> dict:
        return {
            "pseudonym": self.pseudonym.hex(),
            "proof": self.proof.hex(),
            "hints": [hint.hex() for hint in self.hints],
        }

    @classmethod
    def from_json(cls, value: object, what: str = "eligibility") -> EligibilityProof:
        obj = require_fields(value, what, ("pseudonym", "proof", "hints"))
        pseudonym, proof = obj["pseudonym"], obj["proof"]
        hints = require_list(obj["hints"], f"{what}.hints", length=len(_HINTS))
        if not isinstance(pseudonym, str) or len(pseudonym) != 2 * PSEUDONYM_LENGTH:
            raise MalformedInput(f"{what}.pseudonym must be {2 * PSEUDONYM_LENGTH} hex digits")
        if not isinstance(proof, str) or len(proof) > 2 * _MAX_PROOF_LENGTH or len(proof) % 2:
            raise MalformedInput(f"{what}.proof must be hex of at most {_MAX_PROOF_LENGTH} bytes")
        if not all(isinstance(hint, str) and len(hint) == 2 * _HINT_LENGTH for hint in hints):
            raise MalformedInput(
                f"{what}.hints must be {len(_HINTS)} points of {2 * _HINT_LENGTH} hex digits"
            )
        try:
            parsed = cls(
                bytes.fromhex(pseudonym), bytes.fromhex(proof), tuple(bytes.fromhex(h) for h in hints)
            )
        except ValueError:
            raise MalformedInput(f"{what} is not hex") from None
        if parsed.to_json() != {"pseudonym": pseudonym, "proof": proof, "hints": hints}:
            raise MalformedInput(f"{what} must be lower-case hex")
        return parsed


def prove_eligibility(
    suite: PseudonymCiphersuite,
    public_key: bytes,
    credential: VoterCredential,
    election_id: str,
    tracking_code: str,
) -> EligibilityProof:
    """A pseudonym proof for context_id = election id whose presentation header is the tracking code, with its
    verification hints."""
    proof, pseudonym = suite.proof_gen_with_nym(
        public_key,
        credential.signature,
        _HEADER,
        bytes.fromhex(tracking_code),
        election_id.encode(),
        [roll_message(credential.roll_id)],
        [],
        credential.nym_secrets,
        [0],
        [],
        credential.prover_blind,
    )
    statement = EligibilityBatch(suite, public_key, credential.roll_id, election_id)
    return EligibilityProof(pseudonym, proof, statement.hints(proof, pseudonym))


def verify_eligibility(
    suite: PseudonymCiphersuite,
    public_key: bytes,
    roll_id: str,
    election_id: str,
    tracking_code: str,
    eligibility: EligibilityProof,
) -> bool:
    """The proof shows a credential of `roll_id` whose pseudonym for the election is the one given, and it was
    made for this tracking code. Never raises."""
    try:
        ph = bytes.fromhex(tracking_code)
    except (TypeError, ValueError):
        return False
    return suite.proof_verify_with_nym(
        public_key,
        eligibility.proof,
        eligibility.pseudonym,
        _HEADER,
        ph,
        election_id.encode(),
        1,
        [roll_message(roll_id)],
        [],
        [0],
        [],
    )


def _fixed_base(curve: Backend, point: Any) -> FixedBase:
    """A fixed-base table for `point`, memoized per backend (bounded: callers choose keys and elections)."""
    key = (curve.name, curve.g1_compress(point))
    table = _fixed_bases.get(key)
    if table is None:
        if len(_fixed_bases) >= _FIXED_BASE_CACHE_SIZE:
            _fixed_bases.clear()
        table = _fixed_bases[key] = FixedBase(g1_group(curve), point)
    return table


class EligibilityBatch:
    """Verifies many ballots' eligibility proofs of one election and roll, sharing what they have in common.

    `verify_eligibility` (the pseudonym module's ProofVerifyWithNym) recomputes the context point
    OP = hash_to_curve(election id), the commitments T1, T2 and Ut, and does one pairing check, per proof.
    Here OP, the generators, the issuer key, the domain and Bv are computed once (z is not needed: with one
    nym secret the nym polynomial is its constant term); each proof's challenge is checked against its hints
    (ProofChallengeCalculate over T1, T2, Ut as given); the ProofVerifyInit equations
    T1 = Bbar * cp + Abar * e^ + D * r1^, T2 = Bv * cp + D * r3^ + Q_2 * m^_blind + J_1 * m^_nym and
    Ut = OP * m^_nym - pseudonym * cp of all proofs are checked as one random linear combination (one msm, in
    which the constant bases of every proof merge into one term each), and the pairing equations
    e(Abar_i, W) = e(Bbar_i, BP2) likewise, e(sum rho_i Abar_i, W) * e(sum rho_i Bbar_i, -BP2) = 1. If either
    fails, each proof is checked alone to name the bad ones. This credential shape only: one disclosed issuer
    message, no committed message, one nym secret. A test checks that it agrees with `verify_eligibility`.
    """

    def __init__(
        self, suite: PseudonymCiphersuite, public_key: bytes, roll_id: str, election_id: str
    ) -> None:
        self.suite = suite
        self.curve = suite.backend
        self.public_key = public_key
        self.context_id = election_id.encode()
        self._w = suite.base.decode_pubkey(public_key)
        self._op = suite.context_point(self.context_id)
        self._roll = suite.messages_to_scalars([roll_message(roll_id)])
        # (Q_1, H_1) for L = 1 issuer message, then (Q_2, J_1) for M + N = 0 + 1 committed values (the nym).
        self._generators = suite.generators(1) + suite.blind_generators(1)
        # header' = header || I2OSP(N, 8), as the pseudonym module signs and proves it (N = 1).
        self._header = _HEADER + i2osp(1, 8)
        # ProofVerifyInit's domain and Bv = P1 + Q_1 * domain + H_1 * msg_1 (steps 4 and 6) depend only on the
        # key, the roll and the election. For the prover's hints (`proof_verify_init`, `hints`), T2's and Ut's
        # constant bases have fixed-base tables, built once per process.
        q_1, h_points = self._generators[0], self._generators[1:]
        self._domain = core.calculate_domain(
            suite.base, public_key, q_1, h_points, self._header, suite.api_id
        )
        self._b_v = self.curve.g1_msm([suite.base.P1, q_1, h_points[0]], [1, self._domain, self._roll[0]])
        self._q_2, self._j_1 = h_points[1], h_points[2]
        self._group = g1_group(self.curve)
        self._neg_p2 = self.curve.g2_neg(self.curve.g2_generator())

    def proof_verify_init(self, parsed: Proof) -> core.InitResult:
        """`core.proof_verify_init` for this batch's statement (the same points), from the precomputed parts.

        `parsed` must have two commitments (m^_blind, m^_nym)."""
        curve, cp = self.curve, parsed.challenge
        m_blind, m_nym = parsed.commitments
        # step 5: T1 = Bbar * cp + Abar * e^ + D * r1^
        t1 = curve.g1_msm([parsed.b_bar, parsed.a_bar, parsed.d], [cp, parsed.e_hat, parsed.r1_hat])
        # step 7: T2 = Bv * cp + D * r3^ + Q_2 * m^_blind + J_1 * m^_nym
        mul = self._fixed_base_mul
        t2 = curve.g1_add(
            curve.g1_add(mul(self._b_v, cp), curve.g1_mul(parsed.d, parsed.r3_hat)),
            curve.g1_add(mul(self._q_2, m_blind), mul(self._j_1, m_nym)),
        )
        return core.InitResult(parsed.a_bar, parsed.b_bar, parsed.d, t1, t2, self._domain)

    def _fixed_base_mul(self, base: Any, k: int) -> Any:
        """k * base for a constant base of this statement, through its (memoized) fixed-base table."""
        return _fixed_base(self.curve, base).mul(k)

    def hints(self, proof: bytes, pseudonym: bytes) -> tuple[bytes, ...]:
        """The verification hints (T1, T2, Ut) of a proof, uncompressed: what its verifier would recompute."""
        parsed = octets_to_proof(self.curve, proof)
        nym_point = octets_to_pseudonym(self.curve, pseudonym)
        if len(parsed.commitments) != 2:
            raise MalformedInput("an eligibility proof has two undisclosed values")
        init_res = self.proof_verify_init(parsed)
        # Ut = OP * m^_nym - pseudonym * cp (the nym polynomial has one coefficient)
        u_t = self.curve.g1_sub(
            self._fixed_base_mul(self._op, parsed.commitments[-1]),
            self.curve.g1_mul(nym_point, parsed.challenge),
        )
        return tuple(self.curve.g1_to_uncompressed(point) for point in (init_res.t1, init_res.t2, u_t))

    def _statement(
        self, tracking_code: str, eligibility: EligibilityProof
    ) -> tuple[list[Equation], tuple[Any, Any]] | None:
        """The proof's ProofVerifyInit equations with its hints as T1, T2, Ut, and its pairing inputs (Abar,
        Bbar); None when it is malformed or its challenge is not the hash of its hints. Never raises."""
        curve = self.curve
        try:
            ph = bytes.fromhex(tracking_code)
            parsed = octets_to_proof(curve, eligibility.proof)
            nym_point = octets_to_pseudonym(curve, eligibility.pseudonym)
            # U = 2 undisclosed values: the prover blind and the nym secret (the last one).
            if len(parsed.commitments) != 2 or len(eligibility.hints) != len(_HINTS):
                return None
            # Strict decoding: equal points have equal encodings, so the hash below is the draft's own.
            t1, t2, u_t = (
                curve.g1_from_uncompressed(hint, allow_identity=True) for hint in eligibility.hints
            )
            challenge = core.proof_challenge_calculate(
                self.suite.base,
                core.InitResult(parsed.a_bar, parsed.b_bar, parsed.d, t1, t2, self._domain),
                [0],
                self._roll,
                ph,
                self.suite.api_id,
                (nym_point, u_t),
                i2osp(len(self.context_id), 8) + self.context_id,
            )
        except (ZkError, ValueError, TypeError):
            return None
        if challenge != parsed.challenge:
            return None
        cp, (m_blind, m_nym) = challenge, parsed.commitments
        equations = [
            # step 5: T1 = Bbar * cp + Abar * e^ + D * r1^
            [(parsed.b_bar, cp), (parsed.a_bar, parsed.e_hat), (parsed.d, parsed.r1_hat), (t1, -1)],
            # step 7: T2 = Bv * cp + D * r3^ + Q_2 * m^_blind + J_1 * m^_nym
            [(self._b_v, cp), (parsed.d, parsed.r3_hat), (self._q_2, m_blind), (self._j_1, m_nym), (t2, -1)],
            # Ut = OP * m^_nym - pseudonym * cp
            [(self._op, m_nym), (nym_point, -cp), (u_t, -1)],
        ]
        return equations, (parsed.a_bar, parsed.b_bar)

    def _pairing_holds(self, pairs: Sequence[tuple[Any, Any]]) -> bool:
        curve = self.curve
        if len(pairs) == 1:  # one equation needs no random weight
            a, b = pairs[0]
        else:
            rhos = [secrets.randbits(128) | 1 for _ in pairs]
            a = curve.g1_msm([p[0] for p in pairs], rhos)
            b = curve.g1_msm([p[1] for p in pairs], rhos)
        return curve.pairing_check([(a, self._w), (b, self._neg_p2)])

    def _holds(self, statements: Sequence[tuple[list[Equation], tuple[Any, Any]]]) -> bool:
        # Every point here is in G1 (strict decoding), so the residue's test modulo torsion is exact.
        batch = BatchVerifier(self._group)
        for equations, _ in statements:
            batch.add(equations)
        return batch.verify() and self._pairing_holds([pair for _, pair in statements])

    def verify(self, items: Sequence[tuple[str, EligibilityProof]]) -> list[bool]:
        """For each (tracking code, proof): does the proof, with its hints, verify for that ballot?"""
        statements = [self._statement(code, proof) for code, proof in items]
        candidates = [(i, statement) for i, statement in enumerate(statements) if statement is not None]
        valid = [False] * len(items)
        if candidates and self._holds([statement for _, statement in candidates]):
            for i, _ in candidates:
                valid[i] = True
        else:
            for i, statement in candidates:
                valid[i] = self._holds([statement])
        return valid
