"""The verifier's GraphQL: `createPresentationRequest` and `presentationResult`, for any clerk, official or
service, over the credential layer's verifier (govgraph.credentials.verifier); requests are written through
the verifier's ledgerless write path (govgraph.agencies.writes), which makes idempotency keys replay."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.scalars import JSON
from strawberry.types import Info

from govgraph.agencies.ids import check_id
from govgraph.agencies.writes import Change, ledgerless_writes_for
from govgraph.auth.permissions import requires_role_kind
from govgraph.credentials.dcql import DcqlError
from govgraph.credentials.service import services_from
from govgraph.federation.errors import BadUserInput

AGENCY = "verifier"
CALLERS = ("clerk", "official", "service")
# The verifier keeps its state in the credential layer's tables, which the app creates.
METADATA = MetaData()


@strawberry.enum(description="Where a presentation request stands.")
class PresentationStatus(Enum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


@strawberry.type(description="A request for a presentation, passed to the citizen's wallet by reference.")
class PresentationRequest:
    id: strawberry.ID
    request_uri: str = strawberry.field(
        description="openid4vp://?client_id=...&request_uri=...: what the wallet opens "
        "(`govgraph wallet present`), e.g. as a QR code."
    )
    expires_at: datetime.datetime


@strawberry.type(
    description="What a presentation showed: only the disclosed claims, the predicates that "
    "held and the pseudonym; never the hidden values."
)
class PresentationResult:
    id: strawberry.ID
    status: PresentationStatus
    purpose: str
    disclosed: JSON | None = strawberry.field(description="The disclosed claims (VERIFIED only).")
    predicates: list[str] = strawberry.field(description="The statements proved (VERIFIED only).")
    pseudonym: str | None = strawberry.field(
        description="The holder's pseudonym in the requested context (base64url), when one was asked for."
    )
    pseudonym_context: str | None
    failure: str | None = strawberry.field(
        description="Why it was rejected: expired, predicate_failed, wrong_nonce, bad_proof, "
        "unknown_issuer_key, malformed, revoked (the issuer revoked the credential), stale_witness (its "
        "revocation witness is older than the accepted epochs: the holder must refresh) or replayed."
    )


def _actor(info: Info) -> str:
    actor = info.context.principal.actor
    assert actor is not None  # the permission check ran
    return actor


@strawberry.type
class Query:
    @strawberry.field(
        description="The result of a presentation request this caller made (null for anyone else's).",
        extensions=[requires_role_kind(*CALLERS)],
    )
    async def presentation_result(self, info: Info, id: strawberry.ID) -> PresentationResult | None:
        outcome = await services_from(info.context).verifier.result(check_id(id), _actor(info))
        if outcome is None:
            return None
        return PresentationResult(
            id=strawberry.ID(outcome.id),
            status=PresentationStatus(outcome.status),
            purpose=outcome.purpose,
            disclosed=outcome.disclosed,
            predicates=outcome.predicates,
            pseudonym=outcome.pseudonym,
            pseudonym_context=outcome.context,
            failure=outcome.failure,
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Ask a citizen for a presentation (OpenID4VP 1.0, DCQL with format govgraph_bbs; a claim "
        'may carry "predicate": {"op", "value"} instead of asking for the value, and a credential query '
        '"pseudonym": {"context"}). Any clerk, official or service. The nonce answers exactly once. A retry '
        "with the same `idempotencyKey` and input returns the first request and makes no other.",
        extensions=[requires_role_kind(*CALLERS)],
    )
    async def create_presentation_request(
        self, info: Info, dcql: JSON, purpose: str, idempotency_key: str | None = None
    ) -> PresentationRequest:
        actor = _actor(info)
        verifier = services_from(info.context).verifier
        writes = ledgerless_writes_for(info.context, AGENCY)
        assert writes is not None  # the credential services run beside the app's write paths only
        try:
            new = verifier.new_request(dcql, purpose)
        except DcqlError as exc:
            raise BadUserInput(f"dcql: {exc}") from None

        async def rows(connection: AsyncConnection) -> Change:
            created = await verifier.store_request(connection, new, actor)
            return Change({"request": created.id}, [], rows=created)

        arguments = {"dcql": new.asked, "purpose": new.purpose}
        written = await writes.write(actor, "createPresentationRequest", arguments, rows, idempotency_key)
        created = written.rows or await verifier.created_request(written.result["request"])
        assert created is not None  # committed before, by the write this one replays
        return PresentationRequest(
            id=strawberry.ID(created.id),
            request_uri=created.request_uri,
            expires_at=datetime.datetime.fromtimestamp(created.expires_at, datetime.UTC),
        )


TYPES: list[type] = []
