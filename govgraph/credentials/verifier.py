"""The verifier (OpenID for Verifiable Presentations 1.0 with DCQL): presentation requests passed by
reference (`request_uri`), answered with `direct_post` to one response URI, verified once, and their
results. The client identifier prefix is `redirect_uri:` (the response URI), so request objects are
unsigned (OID4VP 1.0 section 5.9.3). Each request's nonce answers exactly once; a request stores only what
was disclosed, the predicates that held and the pseudonym."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govgraph.credentials.configurations import FORMAT, CredentialConfiguration
from govgraph.credentials.dcql import CredentialQuery, DcqlError, parse_dcql
from govgraph.credentials.models import PresentationRequestRow
from govgraph.credentials.oauth import ProtocolError, invalid_request
from govgraph.credentials.revocation import RevocationRegistry
from govgraph.credentials.verification import VerificationPool
from zk import credential as zkc
from zk.errors import MalformedInput
from zk.json_input import load_json
from zk.wire import b64url, canonical_json

REQUEST_PATH = "/presentations/requests/{request_id}"
RESPONSE_PATH = "/presentations/response"
REQUEST_SCHEME = "openid4vp://"
CLIENT_ID_PREFIX = "redirect_uri:"
REQUEST_OBJECT_TYPE = "oauth-authz-req+jwt"
SELF_ISSUED = "https://self-issued.me/v2"
REQUEST_TTL = 600.0
MAX_PURPOSE = 500
MAX_VP_TOKEN_BYTES = 64 * 1024
MAX_PARSED = 256  # completed queries kept parsed (Verifier._completed_query)
PENDING, VERIFIED, REJECTED, EXPIRED = "PENDING", "VERIFIED", "REJECTED", "EXPIRED"
# zk's causes (with revoked and stale_witness), and the protocol's: a nonce answered before (replayed).
FAILURE_CAUSES = (*zkc.FAILURE_CAUSES, "replayed")

HINTS = {
    "stale_witness": " (the credential's revocation witness is older than the epochs this verifier accepts: "
    "refresh the wallet with `govgraph wallet refresh`)",
    "revoked": " (the credential has been revoked by its issuer)",
}

_requests = PresentationRequestRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NewRequest:
    """A request checked and completed, ready to store."""

    purpose: str
    asked: dict[str, Any]  # the caller's DCQL query as parsed (what an idempotency key stands for)
    dcql: str  # the completed query, canonical JSON
    request: str  # the zk PresentationRequest, canonical JSON


@dataclass(frozen=True)
class CreatedRequest:
    id: str
    request_uri: str  # openid4vp://?client_id=...&request_uri=...
    expires_at: float


@dataclass(frozen=True)
class PresentationOutcome:
    id: str
    status: str
    disclosed: dict[str, Any] | None
    predicates: list[str]
    pseudonym: str | None
    context: str | None
    failure: str | None
    purpose: str


@dataclass(frozen=True)
class CheckedAnswer:
    """A verified answer not recorded yet (Verifier.check_answer): what `record_answer` stores."""

    request_id: str
    disclosed: str  # canonical JSON
    predicates: str  # canonical JSON
    pseudonym: str | None
    context: str | None


class Rejected(ProtocolError):
    """A response the verifier refused: `invalid_request` with the cause (OID4VP 1.0 section 8.2)."""

    def __init__(self, cause: str) -> None:
        super().__init__(
            "invalid_request",
            f"the presentation is rejected: {cause}{HINTS.get(cause, '')}",
            extra={"govgraph_failure": cause},
        )
        self.cause = cause


class Verifier:
    def __init__(
        self,
        base_url: str,
        configurations: Mapping[str, CredentialConfiguration],
        issuer_keys: Callable[[str], Mapping[str, bytes]],
        engine: AsyncEngine,
        pool: VerificationPool,
        *,
        clock: Callable[[], float] = time.time,
        revocation: RevocationRegistry | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.revocation = revocation
        self.configurations = dict(configurations)
        self.issuer_keys = issuer_keys
        self.engine = engine
        self.pool = pool
        self.clock = clock
        self._writing = asyncio.Lock()
        self._parsed: dict[str, tuple[CredentialQuery, CredentialConfiguration]] = {}

    @property
    def response_uri(self) -> str:
        return self.base_url + RESPONSE_PATH

    @property
    def client_id(self) -> str:
        return CLIENT_ID_PREFIX + self.response_uri

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC).date()

    def new_request(self, dcql: Any, purpose: str) -> NewRequest:
        """A request for `dcql` and `purpose`, checked (DcqlError when it cannot be asked) and completed
        with today's issuer keys and date and a fresh nonce; not stored yet."""
        if not isinstance(purpose, str) or not 0 < len(purpose.strip()) <= MAX_PURPOSE:
            raise DcqlError(f"the purpose must be 1-{MAX_PURPOSE} characters")
        if not purpose.isprintable():
            raise DcqlError("the purpose must be printable text")
        query, configuration = parse_dcql(dcql, self.configurations)
        schema = configuration.schema
        keys = sorted(self.issuer_keys(configuration.id))
        completed = query.completed(schema, keys, self.today())
        ask = completed.presentation_request(schema, os.urandom(32))
        return NewRequest(
            purpose.strip(),
            query.to_json(schema),
            canonical_json(completed.to_json(schema)).decode(),
            canonical_json(ask.to_json()).decode(),
        )

    async def store_request(
        self, connection: AsyncConnection, new: NewRequest, requested_by: str
    ) -> CreatedRequest:
        """Store `new` PENDING on `connection`'s transaction, for `requested_by` (a principal's actor)."""
        request_id = secrets.token_urlsafe(16)
        now = self.clock()
        await connection.execute(
            insert(_requests).values(
                id=request_id,
                requested_by=requested_by,
                purpose=new.purpose,
                dcql=new.dcql,
                request=new.request,
                created_at=now,
                expires_at=now + REQUEST_TTL,
                status=PENDING,
            )
        )
        return self._created(request_id, now + REQUEST_TTL)

    async def create_request(self, dcql: Any, purpose: str, requested_by: str) -> CreatedRequest:
        """A request for `dcql` (DcqlError when it cannot be asked), stored PENDING."""
        new = self.new_request(dcql, purpose)
        async with self.engine.begin() as connection:
            return await self.store_request(connection, new, requested_by)

    async def created_request(self, request_id: str) -> CreatedRequest | None:
        """What its creator was given for a stored request: its id, URI and deadline (None if unknown)."""
        row = await self._row(request_id)
        return None if row is None else self._created(row.id, row.expires_at)

    def _created(self, request_id: str, expires_at: float) -> CreatedRequest:
        request_url = self.base_url + REQUEST_PATH.format(request_id=request_id)
        uri = (
            f"{REQUEST_SCHEME}?client_id={quote(self.client_id, safe='')}"
            f"&request_uri={quote(request_url, safe='')}"
        )
        return CreatedRequest(request_id, uri, expires_at)

    async def _row(self, request_id: str) -> Any:
        async with self.engine.connect() as connection:
            return (await connection.execute(select(_requests).where(_requests.c.id == request_id))).first()

    async def request_object(self, request_id: str) -> str | None:
        """The request object (an unsigned JWT, RFC 9101 with OID4VP 1.0's parameters) while the request
        waits for its answer, else None."""
        row = await self._row(request_id)
        if row is None or row.status != PENDING or row.expires_at <= self.clock():
            return None
        ask = json.loads(row.request)
        claims = {
            "iss": self.client_id,
            "aud": SELF_ISSUED,
            "iat": int(row.created_at),
            "exp": int(row.expires_at),
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "client_id": self.client_id,
            "response_uri": self.response_uri,
            "nonce": ask["nonce"],
            "state": row.id,
            "dcql_query": json.loads(row.dcql),
            "client_metadata": {"vp_formats_supported": {FORMAT: {}}},
            "govgraph_purpose": row.purpose,
        }
        header = {"alg": "none", "typ": REQUEST_OBJECT_TYPE}
        return f"{b64url(canonical_json(header))}.{b64url(canonical_json(claims))}."

    async def respond(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Take a direct_post response: {} when the presentation is verified, Rejected with the cause
        otherwise (the request's result says the same)."""
        state = form.get("state")
        if not state:
            raise invalid_request("state is missing")
        row = await self._row(state)
        if row is None:
            raise invalid_request("no presentation request has this state")
        if "error" in form:  # the wallet declined (an Authorization Error Response): nothing to record
            return {}
        vp_token = form.get("vp_token")
        if vp_token is None:
            raise invalid_request("vp_token is missing")
        await self._still_open(row)
        # Verified first, recorded after: the record is written only while the request is still PENDING,
        # so of concurrent answers exactly one is recorded and the others are replays.
        cause, result = await self._verify(row, vp_token)
        if cause is not None:
            await self._finish(state, REJECTED, failure=cause)
            raise Rejected(cause)
        await self._finish(
            state,
            VERIFIED,
            disclosed=canonical_json(result["disclosed"]).decode(),
            predicates=canonical_json([p["statement"] for p in result["predicates"]]).decode(),
            pseudonym=result.get("pseudonym"),
        )
        return {}

    async def check_answer(self, request_id: str, requested_by: str, vp_token: str) -> CheckedAnswer | None:
        """Verify a vp_token that reaches the verifier through its requester (e.g. inside a GraphQL mutation)
        rather than by direct_post, without recording it: the caller records it with `record_answer` in its
        own transaction, so the answer and what the requester does with it commit together. None when the
        request is not waiting for an answer (answered by direct_post, rejected, expired: `result` says
        which); Rejected with the cause for a presentation that fails (recorded as REJECTED, as direct_post
        records it: the nonce is spent either way)."""
        row = await self._row(request_id)
        if row is None or row.requested_by != requested_by:
            return None
        if row.status != PENDING or row.expires_at <= self.clock():
            return None
        cause, result = await self._verify(row, vp_token)
        if cause is not None:
            await self._finish(request_id, REJECTED, failure=cause)
            raise Rejected(cause)
        context = json.loads(row.request).get("context")
        pseudonym = result.get("pseudonym")
        return CheckedAnswer(
            request_id,
            canonical_json(result["disclosed"]).decode(),
            canonical_json([p["statement"] for p in result["predicates"]]).decode(),
            pseudonym,
            context if pseudonym is not None else None,
        )

    async def record_answer(self, connection: AsyncConnection, answer: CheckedAnswer) -> bool:
        """Record a checked answer VERIFIED on `connection`'s transaction, if its request still waits for it
        (whether it did: False when a concurrent answer was recorded first or the request expired)."""
        now = self.clock()
        recorded = await connection.execute(
            update(_requests)
            .where(
                _requests.c.id == answer.request_id,
                _requests.c.status == PENDING,
                _requests.c.expires_at > now,
            )
            .values(
                status=VERIFIED,
                answered_at=now,
                disclosed=answer.disclosed,
                predicates=answer.predicates,
                pseudonym=answer.pseudonym,
            )
        )
        return recorded.rowcount == 1

    async def _still_open(self, row: Any) -> None:
        """Rejected (expired or replayed) unless the request waits for its answer."""
        if row.status == PENDING and row.expires_at <= self.clock():
            await self._expire(row.id)
            raise Rejected("expired")
        if row.status == EXPIRED:
            raise Rejected("expired")
        if row.status != PENDING:
            raise Rejected("replayed")  # this request's nonce has answered already

    def _completed_query(self, dcql: str) -> tuple[CredentialQuery, CredentialConfiguration]:
        """A stored request's completed query parsed, remembered by its text: the requests of one
        programme or one verifier's form share it (both values are immutable)."""
        parsed = self._parsed.get(dcql)
        if parsed is None:
            parsed = parse_dcql(json.loads(dcql), self.configurations, completed=True)
            if len(self._parsed) >= MAX_PARSED:
                self._parsed.pop(next(iter(self._parsed)))
            self._parsed[dcql] = parsed
        return parsed

    async def _verify(self, row: Any, vp_token: str) -> tuple[str | None, dict]:
        query, configuration = self._completed_query(row.dcql)
        try:
            token = load_json(vp_token, what="vp_token", max_bytes=MAX_VP_TOKEN_BYTES, strict=True)
        except MalformedInput:
            return "malformed", {}
        if not isinstance(token, dict) or set(token) != {query.id}:
            return "malformed", {}
        presentations = token[query.id]
        if (
            not isinstance(presentations, list)
            or len(presentations) != 1
            or not isinstance(presentations[0], dict)
        ):
            return "malformed", {}
        keys = dict(self.issuer_keys(configuration.id))
        accepted = None
        if self.revocation is not None and self.revocation.revocable(configuration.id):
            accepted = await self.revocation.accepted(configuration.id)
        result = await self.pool.verify(row.request, presentations[0], keys, accepted)
        if not result["ok"]:
            return result["cause"], {}
        return _check_values(query, result["disclosed"]), result

    async def _finish(self, request_id: str, status: str, **values: Any) -> None:
        """Record the answer if the request still waits for it; Rejected (replayed or expired) if not."""
        now = self.clock()
        # One writer at a time from this process: concurrent SQLite writers would wait in its busy
        # handler's sleeps instead.
        async with self._writing, self.engine.begin() as connection:
            recorded = await connection.execute(
                update(_requests)
                .where(
                    _requests.c.id == request_id, _requests.c.status == PENDING, _requests.c.expires_at > now
                )
                .values(status=status, answered_at=now, **values)
            )
        if recorded.rowcount != 1:
            row = await self._row(request_id)
            await self._still_open(row)
            raise Rejected("replayed")

    async def _expire(self, request_id: str) -> bool:
        """Mark a PENDING request past its deadline EXPIRED; whether it was."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(_requests)
                .where(
                    _requests.c.id == request_id,
                    _requests.c.status == PENDING,
                    _requests.c.expires_at <= self.clock(),
                )
                .values(status=EXPIRED, failure="expired")
            )
        return result.rowcount == 1

    async def result(self, request_id: str, requested_by: str) -> PresentationOutcome | None:
        """The request's result, for the caller who made the request only (None for anyone else)."""
        row = await self._row(request_id)
        if row is None or row.requested_by != requested_by:
            return None
        if row.status == PENDING and await self._expire(request_id):
            row = await self._row(request_id)
        context = json.loads(row.request).get("context")
        return PresentationOutcome(
            row.id,
            row.status,
            None if row.disclosed is None else json.loads(row.disclosed),
            [] if row.predicates is None else json.loads(row.predicates),
            row.pseudonym,
            context if row.pseudonym is not None else None,
            row.failure,
            row.purpose,
        )


def _check_values(query: CredentialQuery, disclosed: Mapping[str, Any]) -> str | None:
    """predicate_failed when a disclosed claim is not one of the values its query allows."""
    for claim in query.claims:
        if claim.values is not None and disclosed.get(claim.name) not in claim.values:
            return "predicate_failed"
    return None
