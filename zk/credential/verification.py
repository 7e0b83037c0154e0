"""Presentation verification: the verifier's result, accepted or failed with one named cause."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zk.bbs import core
from zk.bbs.encoding import octets_to_proof
from zk.credential import predicate_proofs
from zk.credential.predicate_proofs import PredicateProof
from zk.credential.presentation import (
    Presentation,
    PresentationRequest,
    challenge_extension,
    context_point,
)
from zk.credential.revocation import (
    AcceptedEpochs,
    MembershipProof,
    challenge_octets,
    membership_holds,
    membership_points,
)
from zk.credential.schema import suite_for
from zk.curve import Backend
from zk.errors import InvalidParameters, MalformedInput, ZkError
from zk.wire import b64url

FAILURE_CAUSES = (
    "expired",
    "predicate_failed",
    "wrong_nonce",
    "bad_proof",
    "unknown_issuer_key",
    "malformed",
    "revoked",
    "stale_witness",
)


@dataclass(frozen=True)
class VerifiedPresentation:
    """The verifier's result: `cause` is None when the presentation is accepted, else one of FAILURE_CAUSES
    (and nothing else is reported: a failure says nothing about the hidden values)."""

    cause: str | None
    disclosed: Mapping[str, Any] = field(default_factory=dict)
    predicates: tuple[str, ...] = ()
    pseudonym: bytes | None = None
    context: str | None = None
    issuer_key: str | None = None
    schema: str | None = None
    epoch: int | None = None  # a revocable schema's: not revoked as of this epoch
    linked_pseudonym: bytes | None = None  # for linked_context: the same credential's second pseudonym
    linked_context: str | None = None

    @property
    def ok(self) -> bool:
        return self.cause is None

    def to_json(self) -> dict:
        if self.cause is not None:
            return {
                "type": "govgraph.credential.VerifiedPresentation",
                "version": 1,
                "ok": False,
                "cause": self.cause,
            }
        out = {
            "type": "govgraph.credential.VerifiedPresentation",
            "version": 1,
            "ok": True,
            "schema": self.schema,
            "issuer_key": self.issuer_key,
            # values in their JSON form: dates as YYYY-MM-DD
            "disclosed": {
                k: v.isoformat() if isinstance(v, dt.date) else v for k, v in self.disclosed.items()
            },
            "predicates": [{"statement": s, "holds": True} for s in self.predicates],
        }
        if self.pseudonym is not None:
            out["pseudonym"] = b64url(self.pseudonym)
            out["context"] = self.context
        if self.epoch is not None:
            out["epoch"] = self.epoch
        if self.linked_pseudonym is not None:
            out["linked_pseudonym"] = b64url(self.linked_pseudonym)
            out["linked_context"] = self.linked_context
        return out


def _failed(cause: str) -> VerifiedPresentation:
    return VerifiedPresentation(cause)


def verify_presentation(
    request: PresentationRequest,
    presentation: Any,
    issuer_keys: Mapping[str, bytes],
    *,
    backend: Backend | None = None,
    revocation: AcceptedEpochs | None = None,
) -> VerifiedPresentation:
    """Verify a presentation (object, JSON object, or JSON text) against the verifier's own request and its
    trusted issuer keys (key id -> public key), and for a revocable schema the epochs `revocation` accepts.
    Never raises for bad input: the cause says what failed, checked in this order: malformed,
    unknown_issuer_key, wrong_nonce, stale_witness (an epoch older than every accepted one), bad_proof,
    revoked, then expired / predicate_failed."""
    if request.schema.revocable and revocation is None:
        raise InvalidParameters("a revocable schema's presentations are verified against accepted epochs")
    suite = suite_for(backend)
    curve = suite.backend
    try:
        pres = Presentation.parse(presentation)
    except (MalformedInput, InvalidParameters):
        return _failed("malformed")
    if pres.issuer_key not in request.issuers or pres.issuer_key not in issuer_keys:
        return _failed("unknown_issuer_key")
    if pres.nonce != request.nonce:
        return _failed("wrong_nonce")
    schema = request.schema
    if pres.schema != schema.id:
        return _failed("bad_proof")
    public_key = issuer_keys[pres.issuer_key]
    statements = request.statements()
    n = schema.message_count
    disclosed_indexes = sorted(schema.index(name) for name in request.disclose)
    undisclosed = [j for j in range(n + 2) if j not in disclosed_indexes]
    membership = None
    try:
        if set(pres.disclosed) != set(request.disclose):
            raise MalformedInput("the disclosed attributes are not the requested ones")
        disclosed_values = schema.values_from_json(pres.disclosed, "presentation.disclosed", request.disclose)
        disclosed_scalars = [
            schema.attributes[i].encode(suite, disclosed_values[schema.attributes[i].name])
            for i in disclosed_indexes
        ]
        if (pres.pseudonym is None) != (request.context is None):
            raise MalformedInput("a pseudonym is shown exactly when the request names a context")
        if (pres.linked_pseudonym is None) != (request.linked_context is None):
            raise MalformedInput(
                "a linked pseudonym is shown exactly when the request names a linked context"
            )
        if len(pres.predicates) != len(statements):
            raise MalformedInput("one predicate proof per requested predicate (and expires) is needed")
        proofs = [
            PredicateProof.from_json(curve, item, statement, f"presentation.predicates[{i}]")
            for i, (item, (_, _, statement)) in enumerate(zip(pres.predicates, statements, strict=True))
        ]
        parsed = octets_to_proof(curve, pres.proof)
        if len(parsed.commitments) != len(undisclosed):
            raise MalformedInput("the proof does not have one response per hidden message")
        nym_point = None if pres.pseudonym is None else curve.g1_decompress(pres.pseudonym)
        linked_point = None if pres.linked_pseudonym is None else curve.g1_decompress(pres.linked_pseudonym)
        suite.base.decode_pubkey(public_key)
        if (pres.revocation is None) == schema.revocable:
            raise MalformedInput("a membership proof is shown exactly when the schema is revocable")
        if pres.revocation is not None:
            membership = MembershipProof.from_json(curve, pres.revocation)
    except (MalformedInput, InvalidParameters):
        return _failed("malformed")
    if membership is not None:
        if membership.epoch not in revocation.values:
            return _failed("stale_witness" if membership.epoch < revocation.oldest else "malformed")
        accumulator = revocation.values[membership.epoch]
    try:
        generators = suite.generators(n) + suite.blind_generators(1)
        init_res = core.proof_verify_init(
            suite.base,
            public_key,
            parsed,
            generators,
            schema.header(),
            disclosed_scalars,
            disclosed_indexes,
            suite.api_id,
        )
        c = parsed.challenge
        m_hat = dict(zip(undisclosed, parsed.commitments, strict=True))
        points: list[Any] = []
        if nym_point is not None:
            # Ut = OP * m^_nym - pseudonym * c
            op = context_point(suite, request.context)
            points += [nym_point, curve.g1_msm([op, nym_point], [m_hat[n + 1], -c])]
        if linked_point is not None:
            # the same check for the linked context, with the same response m^_nym
            linked_op = context_point(suite, request.linked_context)
            points += [linked_point, curve.g1_msm([linked_op, linked_point], [m_hat[n + 1], -c])]
        checks = []
        for (index, _, statement), proof in zip(statements, proofs, strict=True):
            points += [proof.commitment, proof.link_commitment]
            checks.append(predicate_proofs.check_for(statement, proof, m_hat[index], c, curve))
        if membership is not None:
            points += membership_points(membership, accumulator, m_hat[schema.handle_index], c, curve)
        challenge = core.proof_challenge_calculate(
            suite.base,
            init_res,
            disclosed_indexes,
            disclosed_scalars,
            request.presentation_header,
            suite.api_id,
            points,
            challenge_extension(
                request.context,
                [p.challenge_bytes(curve) for p in proofs],
                None if membership is None else challenge_octets(membership.epoch, accumulator),
                request.linked_context,
            ),
        )
        if challenge != c:
            return _failed("bad_proof")
        w = suite.base.decode_pubkey(public_key)
        if not curve.pairing_check([(parsed.a_bar, w), (parsed.b_bar, curve.g2_neg(curve.g2_generator()))]):
            return _failed("bad_proof")
        if membership is not None and not membership_holds(membership, revocation.public_key, curve):
            return _failed("revoked")
        if not predicate_proofs.checks_hold(checks, curve):
            # Only on failure: what is false? A link (tampering), expires (the first statement), or another.
            if not predicate_proofs.checks_hold(checks, curve, predicates=False):
                return _failed("bad_proof")
            if not predicate_proofs.checks_hold(checks[:1], curve, links=False):
                return _failed("expired")
            return _failed("predicate_failed")
    except (MalformedInput, InvalidParameters):
        return _failed("malformed")
    except ZkError:
        return _failed("bad_proof")
    return VerifiedPresentation(
        None,
        disclosed_values,
        tuple(predicate.describe(schema.attribute(predicate.attribute)) for _, predicate, _ in statements),
        pres.pseudonym,
        request.context,
        pres.issuer_key,
        pres.schema,
        None if membership is None else membership.epoch,
        pres.linked_pseudonym,
        request.linked_context,
    )


__all__ = ["FAILURE_CAUSES", "VerifiedPresentation", "verify_presentation"]
