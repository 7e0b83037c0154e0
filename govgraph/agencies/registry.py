"""The agencies govgraph serves: name, GraphQL roots, tables, ledger, demo data, and how the app mounts them.

Assembled here, explicitly, rather than discovered: `build_app` receives this list (or another one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.websockets import WebSocket

from govgraph.agencies import idempotency
from govgraph.agencies.courts import demo as courts_demo
from govgraph.agencies.courts import http as courts_http
from govgraph.agencies.courts import models as courts_models
from govgraph.agencies.courts import schema as courts_schema
from govgraph.agencies.elections import demo as elections_demo
from govgraph.agencies.elections import schema as elections_schema
from govgraph.agencies.elections.record_export import election_routes
from govgraph.agencies.identity import models as identity_models
from govgraph.agencies.identity import schema as identity_schema
from govgraph.agencies.identity import service as identity_service
from govgraph.agencies.land import export as land_export
from govgraph.agencies.land import models as land_models
from govgraph.agencies.land import schema as land_schema
from govgraph.agencies.land import service as land_service
from govgraph.agencies.ledger import models as ledger_models
from govgraph.agencies.ledger import schema as ledger_schema
from govgraph.agencies.procurement import demo as procurement_demo
from govgraph.agencies.procurement import models as procurement_models
from govgraph.agencies.procurement import schema as procurement_schema
from govgraph.agencies.procurement.http import procurement_routes
from govgraph.agencies.verifier import schema as verifier_schema
from govgraph.agencies.welfare import demo as welfare_demo
from govgraph.agencies.welfare import http as welfare_http
from govgraph.agencies.welfare import models as welfare_models
from govgraph.agencies.welfare import schema as welfare_schema
from govgraph.agencies.writes import AgencyWrites, WritePaths
from govgraph.federation.context import RequestContext
from govgraph.federation.gateway import Gateway
from govgraph.federation.gateway.endpoint import local_gateway
from govgraph.federation.gateway.transports import Forwarded
from govgraph.federation.limits import DEFAULT_LIMITS, Limits
from govgraph.federation.principal import ANONYMOUS, Authenticate
from govgraph.federation.subgraph import SubgraphSchema, build_subgraph_schema, graphql_routes, subgraph_view


@dataclass(frozen=True)
class Agency:
    name: str
    query: type
    metadata: MetaData
    types: Sequence[type] = field(default=())
    # Demo data, written through the agency's write path (None for an agency without a ledger).
    seed: Callable[[async_sessionmaker[AsyncSession], AgencyWrites | None], Awaitable[None]] | None = None
    # Where `govgraph subgraph <name>` listens by default, and the URL the committed supergraph names.
    default_port: int = 4100
    mutation: type | None = None
    # Whether the agency keeps its own ledger (a log named after it), which its mutations append to.
    ledger: bool = False
    # HTTP routes the agency serves beside GraphQL (land's GeoJSON export, the welfare office's
    # publications); the app and the agency's standalone subgraph app mount them.
    routes: Sequence[BaseRoute] = ()
    # Served on the subgraph's own endpoint and through the gateways' /graphql (WebSocket and SSE).
    subscription: type | None = None

    def schema(
        self, *, production: bool = False, caches: bool = True, limits: Limits = DEFAULT_LIMITS
    ) -> SubgraphSchema:
        return build_subgraph_schema(
            self.query,
            mutation=self.mutation,
            subscription=self.subscription,
            types=self.types,
            production=production,
            caches=caches,
            limits=limits,
        )


IDENTITY = Agency(
    "identity",
    identity_schema.Query,
    identity_models.IdentityTable.metadata,
    identity_schema.TYPES,
    identity_service.seed,
    default_port=4101,
    mutation=identity_schema.Mutation,
    ledger=True,
)
LAND = Agency(
    "land",
    land_schema.Query,
    land_models.LandTable.metadata,
    land_schema.TYPES,
    land_service.seed,
    default_port=4102,
    mutation=land_schema.Mutation,
    ledger=True,
    routes=land_export.routes(),
)
# Evidence notarization: document hashes on the courts ledger, receipts with RFC 3161 tokens
# (docs/evidence.md).
COURTS = Agency(
    "courts",
    courts_schema.Query,
    courts_models.CourtsTable.metadata,
    courts_schema.TYPES,
    courts_demo.seed,
    default_port=4104,
    mutation=courts_schema.Mutation,
    ledger=True,
    routes=courts_http.ROUTES,
)
PROCUREMENT = Agency(
    "procurement",
    procurement_schema.Query,
    procurement_models.ProcurementTable.metadata,
    procurement_schema.TYPES,
    procurement_demo.seed,
    default_port=4103,
    mutation=procurement_schema.Mutation,
    ledger=True,
    routes=procurement_routes(),
)
# Serves every agency's log from the ledger's tables; the logs themselves are created by the write path (or
# `govgraph ledger init`), so it has no demo data of its own.
LEDGER = Agency(
    "ledger",
    ledger_schema.Query,
    ledger_models.LEDGER_METADATA,
    ledger_schema.TYPES,
    default_port=4107,
)


# Presentation requests and their results, for any clerk, official or service; its state lives in the
# credential layer's tables (govgraph.credentials), which the app creates with the issuer's.
VERIFIER = Agency(
    "verifier",
    verifier_schema.Query,
    verifier_schema.METADATA,
    verifier_schema.TYPES,
    default_port=4108,
    mutation=verifier_schema.Mutation,
)


# Benefit programmes, pseudonymous claims answered with the wallet, payments and their 360Giving/IATI exports;
# its claims need the credential verifier, which `govgraph serve` runs beside it.
WELFARE = Agency(
    "welfare",
    welfare_schema.Query,
    welfare_models.WelfareTable.metadata,
    welfare_schema.TYPES,
    welfare_demo.seed,
    default_port=4105,
    mutation=welfare_schema.Mutation,
    ledger=True,
    routes=welfare_http.ROUTES,
)


# The election commission: elections, trustees, anonymous ballots and the public board (its own ledger).
ELECTIONS = Agency(
    "elections",
    elections_schema.Query,
    elections_schema.METADATA,
    elections_schema.TYPES,
    elections_demo.seed,
    default_port=4106,
    mutation=elections_schema.Mutation,
    ledger=True,
    subscription=elections_schema.Subscription,
    routes=election_routes(),
)


def standard_agencies() -> list[Agency]:
    return [IDENTITY, LAND, LEDGER, PROCUREMENT, VERIFIER, WELFARE, COURTS, ELECTIONS]


def find_agency(name: str, agencies: Sequence[Agency] | None = None) -> Agency:
    for agency in agencies or standard_agencies():
        if agency.name == name:
            return agency
    known = ", ".join(a.name for a in agencies or standard_agencies())
    raise KeyError(f"unknown agency {name!r} (known: {known})")


async def prepare_storage(engine: AsyncEngine, agencies: Sequence[Agency]) -> None:
    """Create each agency's tables, and the idempotency records of their mutations, if missing."""
    async with engine.begin() as connection:
        for agency in agencies:
            await connection.run_sync(agency.metadata.create_all)
        await connection.run_sync(idempotency.metadata.create_all)


def ledger_names(agencies: Sequence[Agency]) -> list[str]:
    """The logs the agencies write: one per agency that keeps a ledger, named after it."""
    return [agency.name for agency in agencies if agency.ledger]


def ledgerless_names(agencies: Sequence[Agency]) -> list[str]:
    """The agencies with mutations but no ledger (their writes are rows and idempotency records only)."""
    return [agency.name for agency in agencies if agency.mutation is not None and not agency.ledger]


async def seed_agencies(
    sessions: async_sessionmaker[AsyncSession], writes: WritePaths, agencies: Sequence[Agency]
) -> None:
    """Each agency's demo data, through its write path (idempotent: a second run appends nothing)."""
    for agency in agencies:
        if agency.seed is not None:
            await agency.seed(sessions, writes[agency.name] if agency.name in writes else None)


def agency_routes(
    agencies: Sequence[Agency],
    *,
    production: bool,
    prefix: str = "/subgraphs",
    limits: Limits = DEFAULT_LIMITS,
    subgraph_secret: str | None = None,
    authenticate: Authenticate | None = None,
) -> list[BaseRoute]:
    """`<prefix>/<agency>/graphql` for each agency; sessions and write paths come from the app's state at
    request time.
    `subgraph_secret`: what gateways send for _service and _entities in production (see SubgraphView).
    `authenticate`: establishes each request's principal from its headers (without it, all are anonymous)."""
    routes: list[BaseRoute] = []
    for agency in agencies:
        view = subgraph_view(
            agency.schema(production=production, limits=limits),
            limits=limits,
            production=production,
            sessions=app_sessions,
            subgraph_secret=subgraph_secret,
            writes=app_writes,
            authenticate=authenticate,
            services=app_services,
        )
        routes += graphql_routes(f"{prefix}/{agency.name}/graphql", view)
    return routes


def agency_http_routes(agencies: Sequence[Agency]) -> list[BaseRoute]:
    """The routes agencies serve beside GraphQL (each agency's `routes`)."""
    return [route for agency in agencies for route in agency.routes]


def app_sessions(request: Request | WebSocket) -> async_sessionmaker[AsyncSession]:
    """The session factory the app's lifespan put in its state."""
    return request.app.state.sessions


def app_writes(request: Request | WebSocket) -> WritePaths | None:
    """The write paths the app's lifespan put in its state (None before it started them)."""
    return getattr(request.app.state, "writes", None)


def app_services(request: Request | WebSocket) -> Any:
    """The services the app's lifespan put in its state (the credential issuer and verifier), if any."""
    return getattr(request.app.state, "services", None)


def agencies_gateway(
    agencies: Sequence[Agency],
    sessions: Callable[[], Any],
    *,
    writes: Callable[[], WritePaths | None] = lambda: None,
    services: Callable[[], Any] = lambda: None,
    production: bool = False,
    deduplicate: bool = True,
    authenticate: Authenticate | None = None,
) -> Callable[[], Awaitable[Gateway]]:
    """The app's own gateway: the agencies' schemas called in-process, with the app's database sessions and
    write paths (asked for at each fetch, so it works once the lifespan has opened them). Each fetch's
    principal comes from the client's forwarded credentials, authenticated again for that fetch with
    `authenticate`, as a subgraph behind any gateway does (refused: the fetch's error is UNAUTHENTICATED)."""
    schemas = {agency.name: agency.schema(production=production) for agency in agencies}

    async def context(forwarded: Forwarded) -> RequestContext:
        principal = ANONYMOUS
        if authenticate is not None:
            raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in forwarded]
            principal = await authenticate(Headers(raw=raw))
        return RequestContext(
            request=None,
            response=None,
            sessions=sessions(),
            writes=writes(),
            principal=principal,
            services=services(),
        )

    return lambda: local_gateway(schemas, context, introspection=not production, deduplicate=deduplicate)
