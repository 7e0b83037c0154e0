"""Presentations: the verifier's request, and the holder's answer that discloses some attributes, proves the
requested predicates (and expires >= today) about others and shows a pseudonym for the request's context.

A presentation is one BBS proof (`zk.bbs.core` phases) whose Fiat-Shamir challenge also hashes the pseudonym
and its commitment, each predicate's commitments and proof (`zk.credential.predicate_proofs`), and the
presentation header ph = H(canonical request), which binds the verifier's nonce, the date and every statement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from zk.bbs import core
from zk.bbs.encoding import PROOF_LENGTH_FLOOR, i2osp, octet_scalar_length, octets_to_signature
from zk.bbs.pseudonym import PSEUDONYM_BLS12_381_SHA_256, PSEUDONYM_LENGTH, PseudonymCiphersuite
from zk.credential.issuance import (
    KEY_ID_PATTERN,
    NONCE_MAX,
    NONCE_MIN,
    HeldCredential,
    all_messages,
    key_id_from_json,
    nonce_from_json,
)
from zk.credential.predicate_proofs import PendingPredicate, Statement
from zk.credential.predicates import Predicate
from zk.credential.revocation import PendingMembership
from zk.credential.schema import EXPIRES, MAX_ATTRIBUTES, NAME_PATTERN, Attribute, Schema, suite_for
from zk.curve import Backend
from zk.errors import InvalidParameters, MalformedInput
from zk.wire import (
    b64url,
    canonical_json,
    date_from_json,
    from_b64url,
    parse_json,
    require_list,
    require_message,
    require_str,
)

MAX_PREDICATES = 16
# At most MAX_ATTRIBUTES + 3 hidden messages (the attributes, a revocation handle, prover_blind, nym_secret),
# so as many responses; the bound allows one more, which the verifier then refuses as malformed.
MAX_PROOF_BYTES = PROOF_LENGTH_FLOOR + (MAX_ATTRIBUTES + 4) * octet_scalar_length

_PH_PREFIX = b"govgraph/presentation/v1\x00"


class PredicateNotSatisfied(InvalidParameters):
    """The holder's credential does not satisfy a requested predicate: the wallet refuses to present."""


class CredentialExpired(PredicateNotSatisfied):
    """The holder's credential expires before the request's date."""


class CredentialMismatch(InvalidParameters):
    """The credential cannot answer this request (another schema, an issuer the verifier does not accept)."""


@lru_cache(maxsize=256)
def context_point(suite: PseudonymCiphersuite, context: str) -> Any:
    """OP = hash_to_curve_g1(context_id, api_id), memoized: a verifier sees the same few contexts."""
    return suite.context_point(context.encode())


@dataclass(frozen=True)
class PresentationRequest:
    nonce: bytes
    schema: Schema
    issuers: tuple[str, ...]
    today: dt.date
    disclose: tuple[str, ...] = ()
    predicates: tuple[Predicate, ...] = ()
    context: str | None = None
    # A second pseudonym context, proven from the same credential as the first: the presentation then
    # shows both pseudonyms, and one proof binds them to one nym_secret (e.g. a claim's programme context
    # and its exclusion group's). Requires `context`, and differs from it.
    linked_context: str | None = None

    TYPE = "govgraph.credential.PresentationRequest"

    def __post_init__(self) -> None:
        if type(self.nonce) is not bytes or not NONCE_MIN <= len(self.nonce) <= NONCE_MAX:
            raise InvalidParameters(f"the nonce must be {NONCE_MIN}-{NONCE_MAX} bytes")
        if not isinstance(self.schema, Schema) or type(self.today) is not dt.date:
            raise InvalidParameters("a request names a Schema and a datetime.date")
        if (
            type(self.issuers) is not tuple
            or not self.issuers
            or any(not isinstance(k, str) or not KEY_ID_PATTERN.fullmatch(k) for k in self.issuers)
        ):
            raise InvalidParameters("a request names at least one issuer key id")
        if type(self.disclose) is not tuple or any(not isinstance(n, str) for n in self.disclose):
            raise InvalidParameters("disclosed attributes are a tuple of names")
        if type(self.predicates) is not tuple or any(not isinstance(p, Predicate) for p in self.predicates):
            raise InvalidParameters("predicates are a tuple of Predicate")
        if len(set(self.disclose)) != len(self.disclose):
            raise InvalidParameters("disclosed attributes are listed once")
        for name in self.disclose:
            self.schema.index(name)
        if EXPIRES in self.disclose:
            raise InvalidParameters(
                "`expires` is never disclosed: presentations prove expires >= today instead"
            )
        if len(self.predicates) > MAX_PREDICATES:
            raise InvalidParameters(f"at most {MAX_PREDICATES} predicates")
        for predicate in self.predicates:
            if predicate.attribute in self.disclose:
                raise InvalidParameters(
                    f"{predicate.attribute} is disclosed: check its value, not a predicate"
                )
        if self.context is not None and not _is_context(self.context):
            raise InvalidParameters("a pseudonym context is 1-256 bytes of Unicode text")
        if self.linked_context is not None:
            if self.context is None or not _is_context(self.linked_context):
                raise InvalidParameters("a linked pseudonym context is 1-256 bytes, beside a context")
            if self.linked_context == self.context:
                raise InvalidParameters("the linked pseudonym context must differ from the context")
        self.statements()  # every predicate must be provable in this schema

    def all_predicates(self) -> list[Predicate]:
        """expires >= today, then the requested predicates: the order of a presentation's predicate proofs."""
        return [Predicate(EXPIRES, ">=", self.today), *self.predicates]

    @cached_property
    def presentation_header(self) -> bytes:
        """ph: the BBS presentation header, binding the whole request (nonce, date, statements, context)."""
        return _PH_PREFIX + hashlib.sha256(canonical_json(self.to_json())).digest()

    def statements(self) -> list[tuple[int, Predicate, Statement]]:
        """(attribute index, predicate, proof statement) for expires >= today and each requested predicate."""
        return list(self._statements)

    @cached_property
    def _statements(self) -> tuple[tuple[int, Predicate, Statement], ...]:
        suite = PSEUDONYM_BLS12_381_SHA_256
        ph = self.presentation_header
        out = []
        for i, predicate in enumerate(self.all_predicates()):
            attribute = self.schema.attribute(predicate.attribute)
            out.append(
                (
                    self.schema.index(predicate.attribute),
                    predicate,
                    predicate.statement(suite, attribute, ph + i2osp(i, 4)),
                )
            )
        return tuple(out)

    def to_json(self) -> dict:
        out = {
            "type": self.TYPE,
            "version": 1,
            "nonce": b64url(self.nonce),
            "schema": self.schema.to_json(),
            "issuers": list(self.issuers),
            "today": self.today.isoformat(),
            "disclose": list(self.disclose),
            "predicates": [p.to_json(self.schema.attribute(p.attribute)) for p in self.predicates],
        }
        if self.context is not None:
            out["context"] = self.context
        if self.linked_context is not None:
            out["linked_context"] = self.linked_context
        return out

    @classmethod
    def from_json(cls, value: Any) -> PresentationRequest:
        obj = require_message(
            value,
            cls.TYPE,
            ("nonce", "schema", "issuers", "today", "disclose", "predicates"),
            ("context", "linked_context"),
        )
        schema = Schema.from_json(obj["schema"])
        issuers = tuple(
            key_id_from_json(k, "request.issuers[]")
            for k in require_list(obj["issuers"], "request.issuers", max_length=64)
        )
        disclose = tuple(
            require_str(n, "request.disclose[]", pattern=NAME_PATTERN)
            for n in require_list(obj["disclose"], "request.disclose", max_length=MAX_ATTRIBUTES)
        )
        predicates = tuple(
            Predicate.from_json(schema, p, f"request.predicates[{i}]")
            for i, p in enumerate(
                require_list(obj["predicates"], "request.predicates", max_length=MAX_PREDICATES)
            )
        )
        # an absent context means no pseudonym; null is not a second spelling of that
        context = require_str(obj["context"], "request.context", max_length=256) if "context" in obj else None
        linked = (
            require_str(obj["linked_context"], "request.linked_context", max_length=256)
            if "linked_context" in obj
            else None
        )
        try:
            return cls(
                nonce_from_json(obj["nonce"], "request.nonce"),
                schema,
                issuers,
                date_from_json(obj["today"], "request.today"),
                disclose,
                predicates,
                context,
                linked,
            )
        except InvalidParameters as exc:
            raise MalformedInput(f"request: {exc}") from None


def make_presentation_request(
    schema: Schema,
    issuers: Sequence[str],
    today: dt.date,
    *,
    disclose: Sequence[str] = (),
    predicates: Sequence[Predicate] = (),
    context: str | None = None,
    linked_context: str | None = None,
) -> PresentationRequest:
    """A request with a fresh 32-byte nonce."""
    return PresentationRequest(
        os.urandom(32),
        schema,
        tuple(issuers),
        today,
        tuple(disclose),
        tuple(predicates),
        context,
        linked_context,
    )


# --- presentations ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Presentation:
    schema: str
    issuer_key: str
    nonce: bytes
    disclosed: Mapping[str, Any]  # JSON values, decoded against the request's schema when verifying
    proof: bytes
    predicates: tuple[Any, ...]  # JSON objects, decoded against the request's statements when verifying
    pseudonym: bytes | None = None
    revocation: Any = None  # a revocable schema's membership proof, a JSON object decoded when verifying
    linked_pseudonym: bytes | None = None  # the pseudonym for the request's linked_context

    TYPE = "govgraph.credential.Presentation"

    def to_json(self) -> dict:
        out = {
            "type": self.TYPE,
            "version": 1,
            "schema": self.schema,
            "issuer_key": self.issuer_key,
            "nonce": b64url(self.nonce),
            "disclosed": dict(self.disclosed),
            "proof": b64url(self.proof),
            "predicates": list(self.predicates),
        }
        if self.pseudonym is not None:
            out["pseudonym"] = b64url(self.pseudonym)
        if self.revocation is not None:
            out["revocation"] = self.revocation
        if self.linked_pseudonym is not None:
            out["linked_pseudonym"] = b64url(self.linked_pseudonym)
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, value: Any) -> Presentation:
        obj = require_message(
            value,
            cls.TYPE,
            ("schema", "issuer_key", "nonce", "disclosed", "proof", "predicates"),
            ("pseudonym", "revocation", "linked_pseudonym"),
        )
        disclosed = obj["disclosed"]
        if not isinstance(disclosed, dict) or len(disclosed) > MAX_ATTRIBUTES:
            raise MalformedInput(
                f"presentation.disclosed must be an object of at most {MAX_ATTRIBUTES} values"
            )
        for name, item in disclosed.items():
            require_str(name, "presentation.disclosed name", pattern=NAME_PATTERN)
            if type(item) not in (str, int, bool):  # dates are strings
                raise MalformedInput(f"presentation.disclosed.{name} must be a string, integer or boolean")
        from_b64url(obj["schema"], "presentation.schema", length=32)
        pseudonym = obj.get("pseudonym")
        return cls(
            obj["schema"],
            key_id_from_json(obj["issuer_key"], "presentation.issuer_key"),
            nonce_from_json(obj["nonce"], "presentation.nonce"),
            dict(disclosed),
            from_b64url(obj["proof"], "presentation.proof", max_length=MAX_PROOF_BYTES),
            tuple(require_list(obj["predicates"], "presentation.predicates", max_length=MAX_PREDICATES + 1)),
            None
            if "pseudonym" not in obj
            else from_b64url(pseudonym, "presentation.pseudonym", length=PSEUDONYM_LENGTH),
            _revocation_object(obj),
            None
            if "linked_pseudonym" not in obj
            else from_b64url(
                obj["linked_pseudonym"], "presentation.linked_pseudonym", length=PSEUDONYM_LENGTH
            ),
        )

    @classmethod
    def parse(cls, value: Any) -> Presentation:
        """From a Presentation, its JSON object, or JSON text / bytes."""
        if isinstance(value, Presentation):
            return value
        if isinstance(value, (bytes, bytearray, memoryview, str)):
            value = parse_json(value, "presentation")
        return cls.from_json(value)


def _revocation_object(obj: dict) -> Any:
    if "revocation" not in obj:
        return None
    if not isinstance(obj["revocation"], dict):
        raise MalformedInput("presentation.revocation must be an object")
    return obj["revocation"]


def _is_context(context: Any) -> bool:
    if not isinstance(context, str):
        return False
    try:
        return 0 < len(context.encode("utf-8")) <= 256
    except UnicodeEncodeError:  # a lone surrogate
        return False


def challenge_extension(
    context: str | None,
    predicate_bytes: Sequence[bytes],
    revocation: bytes | None = None,
    linked_context: str | None = None,
) -> bytes:
    """extension_octets of the BBS challenge: I2OSP(len(context), 8) || context (as the pseudonym draft does)
    when there is one, the linked context the same way when there is one, then the number of predicates and
    each one's length-prefixed commitment and proof, then (revocable schemas) the membership proof's epoch
    and accumulator value. (Whether a linked context is there is fixed by the request, which the
    presentation header hashes whole.)"""
    out = b""
    for one in (context, linked_context):
        if one is not None:
            ctx = one.encode()
            out += i2osp(len(ctx), 8) + ctx
    out += i2osp(len(predicate_bytes), 8) + b"".join(i2osp(len(b), 8) + b for b in predicate_bytes)
    if revocation is not None:
        out += i2osp(len(revocation), 8) + revocation
    return out


def _refusal(predicate: Predicate, attribute: Attribute) -> PredicateNotSatisfied:
    if predicate.attribute == EXPIRES:
        return CredentialExpired("the credential has expired for this request's date")
    return PredicateNotSatisfied(f"the credential does not satisfy {predicate.describe(attribute)}")


def present(
    held: HeldCredential,
    request: PresentationRequest,
    *,
    backend: Backend | None = None,
    unchecked: bool = False,
) -> Presentation:
    """A presentation answering `request`. Raises CredentialMismatch when the credential can't answer it and
    PredicateNotSatisfied / CredentialExpired when a predicate is false: a wallet never sends a proof it knows
    to be false. `unchecked=True` skips those checks and proves anyway (tests use it to show that such a
    forced proof fails verification)."""
    suite = suite_for(backend)
    curve = suite.backend
    credential = held.credential
    schema = credential.schema
    if schema != request.schema:
        raise CredentialMismatch("the credential's schema is not the requested one")
    if credential.issuer_key not in request.issuers:
        raise CredentialMismatch("the verifier does not accept this credential's issuer")
    statements = request.statements()
    for index, predicate, _ in statements:
        attribute = schema.attributes[index]
        if not unchecked and not predicate.holds(attribute, credential.attributes[attribute.name]):
            raise _refusal(predicate, attribute)
    if schema.revocable and credential.revocation is None:
        raise CredentialMismatch("the credential carries no revocation witness")
    messages, generators = all_messages(suite, held)
    n = schema.message_count
    disclosed = sorted(schema.index(name) for name in request.disclose)
    undisclosed = [j for j in range(n + 2) if j not in disclosed]
    a, e = octets_to_signature(curve, credential.signature)
    header, ph = schema.header(), request.presentation_header
    # BBS ProofInit with the draft's random scalars (r1, r2, e~, r1~, r3~, m~_j...)
    drawn = core.calculate_random_scalars(len(undisclosed) + 5)
    init_res = core.proof_init(
        suite.base,
        credential.public_key,
        (a, e),
        generators,
        drawn,
        header,
        messages,
        undisclosed,
        suite.api_id,
    )
    m_tilde = dict(zip(undisclosed, drawn[5:], strict=True))
    points: list[Any] = []
    pseudonym = None
    if request.context is not None:
        # pseudonym = OP * nym_secret and Ut = OP * m~_nym (ProofGenWithNym with N = 1)
        op = context_point(suite, request.context)
        pseudonym = curve.g1_mul(op, held.nym_secret)
        points += [pseudonym, curve.g1_mul(op, m_tilde[n + 1])]
    linked = None
    if request.linked_context is not None:
        # the same equations for the linked context, with the same m~_nym: one nym_secret behind both
        linked_op = context_point(suite, request.linked_context)
        linked = curve.g1_mul(linked_op, held.nym_secret)
        points += [linked, curve.g1_mul(linked_op, m_tilde[n + 1])]
    pending = [
        PendingPredicate(statement, messages[index], m_tilde[index], curve, unchecked=unchecked)
        for index, _, statement in statements
    ]
    for item in pending:
        points += [item.commitment, item.link_commitment]
    membership = None
    if schema.revocable:
        # C', V', T of the membership proof, T blinding the handle with the BBS proof's own m~
        membership = PendingMembership(credential.revocation, m_tilde[schema.handle_index], curve)
        points += membership.points
    challenge = core.proof_challenge_calculate(
        suite.base,
        init_res,
        disclosed,
        [messages[i] for i in disclosed],
        ph,
        suite.api_id,
        points,
        challenge_extension(
            request.context,
            [p.challenge_bytes() for p in pending],
            None if membership is None else membership.challenge_octets(),
            request.linked_context,
        ),
    )
    proof = core.proof_finalize(suite.base, init_res, challenge, e, drawn, [messages[j] for j in undisclosed])
    return Presentation(
        schema.id,
        credential.issuer_key,
        request.nonce,
        schema.values_to_json({name: credential.attributes[name] for name in request.disclose}),
        proof,
        tuple(p.finalize(challenge).to_json(curve) for p in pending),
        None if pseudonym is None else curve.g1_compress(pseudonym),
        None if membership is None else membership.finalize(challenge).to_json(curve),
        None if linked is None else curve.g1_compress(linked),
    )


__all__ = [
    "CredentialExpired",
    "CredentialMismatch",
    "PredicateNotSatisfied",
    "Presentation",
    "PresentationRequest",
    "make_presentation_request",
    "present",
]
