"""The agencies govgraph serves, as the app and CLI need them: name, GraphQL root, tables, demo data.

Assembled here, explicitly, rather than discovered: `build_app` receives this list (or another one)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.websockets import WebSocket

from govgraph import db
from govgraph.agencies.identity import models as identity_models
from govgraph.agencies.identity import schema as identity_schema
from govgraph.agencies.identity import service as identity_service
from govgraph.agencies.land import models as land_models
from govgraph.agencies.land import schema as land_schema
from govgraph.agencies.land import service as land_service
from govgraph.config import Settings
from govgraph.federation.limits import Limits
from govgraph.federation.subgraph import (
    SubgraphSchema,
    build_subgraph_schema,
    graphql_routes,
    standalone_app,
    subgraph_view,
)


@dataclass(frozen=True)
class Agency:
    name: str
    query: type
    metadata: MetaData
    types: Sequence[type] = field(default=())
    seed: Callable[[AsyncSession], Awaitable[None]] | None = None
    # Where `govgraph subgraph <name>` listens by default, and the URL the committed supergraph names.
    default_port: int = 4100

    def schema(
        self, *, production: bool = False, caches: bool = True, limits: Limits = Limits()
    ) -> SubgraphSchema:
        return build_subgraph_schema(
            self.query, types=self.types, production=production, caches=caches, limits=limits
        )


IDENTITY = Agency(
    "identity",
    identity_schema.Query,
    identity_models.IdentityTable.metadata,
    identity_schema.TYPES,
    identity_service.seed,
    default_port=4101,
)
LAND = Agency(
    "land",
    land_schema.Query,
    land_models.LandTable.metadata,
    land_schema.TYPES,
    land_service.seed,
    default_port=4102,
)


def standard_agencies() -> list[Agency]:
    return [IDENTITY, LAND]


def find_agency(name: str, agencies: Sequence[Agency] | None = None) -> Agency:
    for agency in agencies or standard_agencies():
        if agency.name == name:
            return agency
    known = ", ".join(a.name for a in agencies or standard_agencies())
    raise KeyError(f"unknown agency {name!r} (known: {known})")


async def prepare_storage(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], agencies: Sequence[Agency], *, seed: bool
) -> None:
    """Create each agency's tables (if missing) and, with `seed`, insert its demo data (idempotent)."""
    async with engine.begin() as connection:
        for agency in agencies:
            await connection.run_sync(agency.metadata.create_all)
    if seed:
        for agency in agencies:
            if agency.seed is not None:
                async with sessions() as session:
                    await agency.seed(session)


def agency_routes(
    agencies: Sequence[Agency], *, production: bool, prefix: str = "/subgraphs", limits: Limits = Limits()
) -> list[BaseRoute]:
    """`<prefix>/<agency>/graphql` for each agency; sessions come from the app's state at request time."""
    routes: list[BaseRoute] = []
    for agency in agencies:
        view = subgraph_view(
            agency.schema(production=production, limits=limits),
            limits=limits,
            production=production,
            sessions=_app_sessions,
        )
        routes += graphql_routes(f"{prefix}/{agency.name}/graphql", view)
    return routes


def _app_sessions(request: Request | WebSocket) -> async_sessionmaker[AsyncSession]:
    return request.app.state.sessions


def standalone_agency_app(agency: Agency, settings: Settings, *, caches: bool = True) -> Starlette:
    """One agency served alone (`govgraph subgraph <name>`): /graphql, /readiness, own engine and tables.
    `caches=False` turns the parse/validation caches off (the benchmark's reference)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = db.create_engine(settings.database_url)
        app.state.sessions = db.session_factory(engine)
        try:
            await prepare_storage(engine, app.state.sessions, [agency], seed=not settings.production)
            yield
        finally:
            await engine.dispose()

    view = subgraph_view(
        agency.schema(production=settings.production, caches=caches),
        production=settings.production,
        sessions=_app_sessions,
    )
    return standalone_app(view, lifespan=lifespan)
