"""The ASGI application: build_app(settings) wires storage, health, metrics and the agency subgraphs."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from govgraph import __version__, db
from govgraph.config import Settings
from govgraph.federation.agencies import Agency, agency_routes, prepare_storage, standard_agencies
from govgraph.federation.gateway.endpoint import GatewayEndpoint, agencies_gateway
from govgraph.ledger.http import Ledgers, ledger_routes
from govgraph.metrics import HttpMetrics, MetricsMiddleware

log = logging.getLogger("govgraph")


def build_app(settings: Settings, agencies: Sequence[Agency] | None = None) -> Starlette:
    """The service; `agencies` (default: all standard agencies) are mounted at /subgraphs/<name>/graphql."""
    metrics = HttpMetrics()
    agencies = standard_agencies() if agencies is None else list(agencies)
    # The embedded gateway: every agency's subgraph federated in-process (composed at start-up, below).
    gateway = GatewayEndpoint(
        agencies_gateway(
            agencies,
            lambda: app.state.sessions,
            production=settings.production,
            deduplicate=settings.gateway_deduplicate,
        ),
        graphiql=not settings.production,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = db.create_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessions = db.session_factory(engine)
        # Demo data only outside production, so `make run` shows something; seeding is idempotent.
        await prepare_storage(engine, app.state.sessions, agencies, seed=not settings.production)
        # Agency ledgers are whatever logs the database holds (created with `govgraph ledger init`).
        app.state.ledgers = Ledgers(engine, settings.ledger_keys_dir)
        await app.state.ledgers.start()
        try:
            # Compose the supergraph now: agencies that cannot be federated stop start-up with the reason (a
            # CompositionError naming the subgraphs and fields), and the first request does not pay for it.
            await gateway.ready()
            log.info("govgraph %s started: data in %s", __version__, settings.data_dir)
            yield
        finally:
            await engine.dispose()
            log.info("govgraph stopped")

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(request: Request) -> JSONResponse:
        try:
            await db.ping(request.app.state.engine)
        except Exception as exc:  # any driver error means "not ready", reported without internals
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ready", "database": "ok"})

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            Route("/graphql", gateway),
            *agency_routes(agencies, production=settings.production),
            *ledger_routes(),
        ],
        middleware=[Middleware(MetricsMiddleware, metrics=metrics)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.gateway = gateway
    return app
