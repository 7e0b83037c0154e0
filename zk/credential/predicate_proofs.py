"""Predicate proofs about one hidden BBS message m, bound to the BBS proof through its Fiat-Shamir challenge.

Per predicate the prover publishes a Pedersen commitment C = m * g + gamma * h (`zk.rangeproof`'s generators)
and proves: that C commits to the m the BBS proof is about (a Schnorr link reusing the BBS response m^), then
either a range (each sign * m + offset in [0, 2^bits), one aggregated Bulletproof) or m != k (knowledge of
1 / (m - k)). Both sigma proofs are in commitment form, so the verifier checks every equation in the range
proofs' one batched msm, and tells a false predicate from a tampered presentation. Soundness needs m known
to lie in [0, 2^64): the credential encoding guarantees it. The derivation: docs/zk.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zk import rangeproof
from zk.curve import G1_LENGTH, Backend, R, random_scalar, scalar_from_bytes
from zk.errors import InvalidParameters, MalformedInput
from zk.json_input import describe
from zk.rangeproof import RangeProof, RangeStatement
from zk.wire import b64url, from_b64url, point_from_b64, point_to_b64, require_object


@dataclass(frozen=True)
class Statement:
    """What is proved about m. kind "range": every sign * m + offset in `terms` is in [0, 2^bits);
    kind "not_equal": m != excluded. `context` binds the range proof's own transcript (the presentation and
    the predicate's position)."""

    kind: str
    context: bytes
    terms: tuple[tuple[int, int], ...] = ()
    bits: int = 0
    excluded: int = 0

    def __post_init__(self) -> None:
        if self.kind == "range":
            rangeproof.proof_length(self.bits, len(self.terms))  # raises InvalidParameters for a bad shape
            if any(sign not in (1, -1) for sign, _ in self.terms):
                raise InvalidParameters("range terms have sign +1 or -1")
        elif self.kind != "not_equal":
            raise InvalidParameters(f"unknown predicate statement kind {describe(self.kind)}")

    def values(self, m: int) -> list[int]:
        return [(sign * m + offset) % R for sign, offset in self.terms]

    def holds(self, m: int) -> bool:
        if self.kind == "range":
            return all(v < 1 << self.bits for v in self.values(m))
        return (m - self.excluded) % R != 0


@dataclass(frozen=True)
class PredicateProof:
    """What a presentation carries per predicate: C, the link (T, gamma^), and either the range proof or the
    non-equality proof (T', za, zb)."""

    commitment: Any
    link_commitment: Any
    link_response: int
    range_proof: RangeProof | None = None
    not_equal: tuple[Any, int, int] | None = None

    def _proof_bytes(self, backend: Backend) -> bytes:
        if self.range_proof is not None:
            return self.range_proof.to_bytes(backend)
        point, za, zb = self.not_equal
        return backend.g1_compress(point) + za.to_bytes(32, "big") + zb.to_bytes(32, "big")

    def to_json(self, backend: Backend) -> dict:
        return {
            "commitment": point_to_b64(backend, self.commitment),
            "link": b64url(
                backend.g1_compress(self.link_commitment) + self.link_response.to_bytes(32, "big")
            ),
            "proof": b64url(self._proof_bytes(backend)),
        }

    def challenge_bytes(self, backend: Backend) -> bytes:
        """What the BBS challenge hashes of this proof: C, T, and the proof before its responses (the range
        proof, or T'); gamma^, za and zb are bound through the equations instead."""
        rest = (
            self.range_proof.to_bytes(backend)
            if self.range_proof is not None
            else backend.g1_compress(self.not_equal[0])
        )
        return (
            backend.g1_compress(self.commitment)
            + backend.g1_compress(self.link_commitment)
            + len(rest).to_bytes(4, "big")
            + rest
        )

    @classmethod
    def from_json(cls, backend: Backend, value: Any, statement: Statement, what: str) -> PredicateProof:
        obj = require_object(value, what, ("commitment", "link", "proof"))
        commitment = point_from_b64(backend, obj["commitment"], f"{what}.commitment")
        link = from_b64url(obj["link"], f"{what}.link", length=G1_LENGTH + 32)
        try:
            link_commitment, link_response = (
                backend.g1_decompress(link[:G1_LENGTH]),
                scalar_from_bytes(link[G1_LENGTH:]),
            )
        except MalformedInput as exc:
            raise MalformedInput(f"{what}.link: {exc}") from None
        try:
            if statement.kind == "range":
                data = from_b64url(
                    obj["proof"],
                    f"{what}.proof",
                    length=rangeproof.proof_length(statement.bits, len(statement.terms)),
                )
                return cls(
                    commitment,
                    link_commitment,
                    link_response,
                    range_proof=RangeProof.from_bytes(backend, data, statement.bits, len(statement.terms)),
                )
            data = from_b64url(obj["proof"], f"{what}.proof", length=G1_LENGTH + 64)
            return cls(
                commitment,
                link_commitment,
                link_response,
                not_equal=(
                    backend.g1_decompress(data[:G1_LENGTH]),
                    scalar_from_bytes(data[G1_LENGTH : G1_LENGTH + 32]),
                    scalar_from_bytes(data[G1_LENGTH + 32 :]),
                ),
            )
        except MalformedInput as exc:
            raise MalformedInput(f"{what}.proof: {exc}") from None


class PendingPredicate:
    """The prover's state between its commitments (before the BBS challenge) and its responses (after)."""

    def __init__(
        self, statement: Statement, m: int, m_tilde: int, backend: Backend, *, unchecked: bool = False
    ) -> None:
        if not unchecked and not statement.holds(m):
            raise InvalidParameters("the predicate does not hold for this value")
        gens = rangeproof.generators(backend)
        self.statement = statement
        self.backend = backend
        self._m = m % R
        self._gamma = random_scalar()
        self._gamma_tilde = random_scalar()
        self.commitment = gens.commit(self._m, self._gamma)
        # T = m~ * g + gamma~ * h, with m~ the BBS prover's blinding of this very message
        self.link_commitment = gens.commit(m_tilde, self._gamma_tilde)
        self.range_proof = None
        self._not_equal: tuple[Any, int, int, int, int] | None = None
        if statement.kind == "range":
            blindings = [sign * self._gamma % R for sign, _ in statement.terms]
            # the statement is about V_j = sign_j * C + offset_j * g, stated through C itself
            self.range_proof = rangeproof.prove(
                statement.values(self._m),
                blindings,
                statement.bits,
                statement.context,
                backend=backend,
                unchecked=unchecked,
                bases=[self.commitment] * len(statement.terms),
                shifts=statement.terms,
            )
        else:
            difference = (self._m - statement.excluded) % R
            # a = 1 / (m - k), b = -a * gamma: g = a * (C - k * g) + b * h. A forced proof for m = k has a = 0
            # (there is no inverse), so the relation is false and the proof fails.
            a = pow(difference, -1, R) if difference else 0
            b = -a * self._gamma % R
            ra, rb = random_scalar(), random_scalar()
            d = backend.g1_msm([self.commitment, gens.g], [1, -statement.excluded])
            self._not_equal = (backend.g1_msm([d, gens.h], [ra, rb]), a, b, ra, rb)

    def _proof(self, link_response: int, responses: tuple[int, int]) -> PredicateProof:
        not_equal = None if self._not_equal is None else (self._not_equal[0], *responses)
        return PredicateProof(
            self.commitment, self.link_commitment, link_response, self.range_proof, not_equal
        )

    def challenge_bytes(self) -> bytes:
        """`PredicateProof.challenge_bytes` of the final proof, known before the challenge."""
        return self._proof(0, (0, 0)).challenge_bytes(self.backend)

    def finalize(self, challenge: int) -> PredicateProof:
        link = (self._gamma_tilde + self._gamma * challenge) % R
        if self._not_equal is None:
            return self._proof(link, (0, 0))
        _, a, b, ra, rb = self._not_equal
        return self._proof(link, ((ra + challenge * a) % R, (rb + challenge * b) % R))


@dataclass(frozen=True)
class Check:
    """What the verifier checks for one predicate once the BBS challenge is known: range statements and
    linear equations (each sum(scalar * point) == identity), all batchable into one msm."""

    link: rangeproof.Equation
    ranges: tuple[RangeStatement, ...] = ()
    equations: tuple[rangeproof.Equation, ...] = ()


def check_for(
    statement: Statement, proof: PredicateProof, m_hat: int, challenge: int, backend: Backend
) -> Check:
    """The verifier's side of one predicate, with m^ the BBS proof's response for the predicate's message."""
    gens = rangeproof.generators(backend)
    # link: m^ * g + gamma^ * h - c * C - T == 0
    link = (
        (gens.g, m_hat),
        (gens.h, proof.link_response),
        (proof.commitment, -challenge),
        (proof.link_commitment, -1),
    )
    if statement.kind == "range":
        if proof.range_proof is None:
            raise MalformedInput("a range predicate needs a range proof")
        # V_j = sign_j * C + offset_j * g: given through C, never computed (its terms join C's and g's slots)
        bases = (proof.commitment,) * len(statement.terms)
        return Check(
            link,
            (RangeStatement(bases, proof.range_proof, statement.bits, statement.context, statement.terms),),
        )
    if proof.not_equal is None:
        raise MalformedInput("a non-equality predicate needs its proof")
    point, za, zb = proof.not_equal
    # za * (C - k * g) + zb * h - c * g - T' == 0
    not_equal = (
        (proof.commitment, za),
        (gens.g, -za * statement.excluded - challenge),
        (gens.h, zb),
        (point, -1),
    )
    return Check(link, equations=(not_equal,))


def checks_hold(
    checks: list[Check], backend: Backend, *, links: bool = True, predicates: bool = True
) -> bool:
    """The checks' links and/or predicate proofs all hold, verified in one batched msm. (A failed link means
    the presentation was tampered with; a failed predicate proof, that the predicate is false.)"""
    return rangeproof.verify_batch(
        [r for c in checks for r in c.ranges] if predicates else [],
        equations=[
            *([c.link for c in checks] if links else []),
            *([e for c in checks for e in c.equations] if predicates else []),
        ],
        backend=backend,
    )


__all__ = ["Check", "PendingPredicate", "PredicateProof", "Statement", "check_for", "checks_hold"]
