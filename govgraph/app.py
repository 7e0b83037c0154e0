"""The ASGI applications: build_app(settings) wires storage, the agencies' write paths (their ledgers
sequenced in the background), authentication, health, metrics and the agency subgraphs;
standalone_agency_app(agency, settings) serves one agency alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from govgraph import __version__, db, migrations
from govgraph.agencies.courts import service as courts
from govgraph.agencies.courts.notary import open_notary
from govgraph.agencies.identity.credentials import CitizenRegistry
from govgraph.agencies.registry import (
    Agency,
    agencies_gateway,
    agency_http_routes,
    agency_routes,
    app_services,
    app_sessions,
    app_writes,
    ledger_names,
    ledgerless_names,
    seed_agencies,
    standard_agencies,
)
from govgraph.agencies.writes import WritePaths
from govgraph.auth.remote_jwks import JwksUnavailable
from govgraph.auth.setup import Auth, build_auth
from govgraph.config import Settings
from govgraph.credentials.service import credential_routes, start_credentials, start_verifier
from govgraph.federation.client_address import ClientAddresses
from govgraph.federation.cors import cors_middleware
from govgraph.federation.gateway.endpoint import GatewayEndpoint
from govgraph.federation.gateway.persisted import ManifestError, PersistedDocuments, parse_manifest
from govgraph.federation.gateway.subscriptions import StreamLimits
from govgraph.federation.rate_limits import RateLimiter
from govgraph.federation.request_id import RequestIdMiddleware
from govgraph.federation.subgraph import standalone_app, subgraph_view
from govgraph.federation.telemetry import TracingMiddleware, configure_tracing, flush_tracing
from govgraph.ledger.http import Ledgers, ledger_routes
from govgraph.ledger.sequencing import SequencedLogs
from govgraph.metrics import HttpMetrics, MetricsMiddleware
from govgraph.web.pages import Web
from govgraph.web.routes import web_routes
from zk.curve import get_backend

log = logging.getLogger("govgraph")
# How long start-up waits for the demo data's ledger entries to be signed into a checkpoint.
SEED_SETTLE_TIMEOUT = 10.0


def build_app(settings: Settings, agencies: Sequence[Agency] | None = None) -> Starlette:
    """The service; `agencies` (default: all standard agencies) are mounted at /subgraphs/<name>/graphql."""
    metrics = HttpMetrics()
    agencies = standard_agencies() if agencies is None else list(agencies)
    auth = _auth(settings, lambda: app.state.sessions(), metrics.registry)
    authenticate = auth.authenticator.authenticate
    # The embedded gateway: every agency's subgraph federated in-process (composed at start-up, below). It
    # refuses bad credentials itself (401) and forwards good ones to each fetch, where the agency's schema
    # authenticates them again: a subgraph never relies on a gateway's check.
    if settings.otel_endpoint is not None:
        configure_tracing(settings.otel_endpoint, settings.otel_service_name)
    gateway = GatewayEndpoint(
        agencies_gateway(
            agencies,
            lambda: app.state.sessions,
            writes=lambda: getattr(app.state, "writes", None),
            services=lambda: getattr(app.state, "services", None),
            production=settings.production,
            deduplicate=settings.gateway_deduplicate,
            authenticate=authenticate,
        ),
        graphiql=not settings.production,
        authenticate=authenticate,
        persisted=persisted_documents(settings),
        rate_limiter=RateLimiter(settings.rate_limits, registry=metrics.registry)
        if settings.rate_limits
        else None,
        stream_limits=stream_limits(settings),
        client_addresses=ClientAddresses(settings.trusted_proxies),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with _storage(app, settings, agencies) as engine, _credentials(app, settings, engine):
                await _load_remote_keys(auth)
                # Agency ledgers are whatever logs the database holds (created with `govgraph ledger init`).
                app.state.ledgers = Ledgers(engine, settings.ledger_keys_dir)
                await app.state.ledgers.start()
                # Compose the supergraph now: agencies that cannot be federated stop start-up with the
                # reason (a CompositionError naming the subgraphs and fields), and the first request does
                # not pay for it.
                await gateway.ready()
                log.info("govgraph %s started: data in %s", __version__, settings.data_dir)
                yield
        finally:
            flush_tracing()
            log.info("govgraph stopped")

    app = Starlette(
        routes=[
            *health_routes(),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            Route("/graphql", cors(gateway, settings)),
            WebSocketRoute("/graphql", gateway),  # subscriptions over graphql-transport-ws
            *agency_routes(
                agencies,
                production=settings.production,
                subgraph_secret=settings.subgraph_secret,
                authenticate=authenticate,
            ),
            *ledger_routes(),
            *agency_http_routes(agencies),
            *auth.routes(),
            *credential_routes(),
            *web_routes(),  # the pages for people (docs/web.md)
        ],
        middleware=edge_middleware(metrics),
        lifespan=lifespan,
    )
    app.state.web = Web.for_data_dir(settings.data_dir)
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.gateway = gateway
    app.state.close_streams = gateway.close_streams  # govgraph.server.Server calls it as shutdown begins
    app.state.auth = auth
    app.state.agencies = agencies  # the clerk console reads who may call each mutation from them
    return app


def stream_limits(settings: Settings) -> StreamLimits:
    """The gateway's limits on subscription streams, from the GOVGRAPH_SUBSCRIPTION_* settings."""
    return StreamLimits(
        max_connections=settings.subscription_max_connections,
        max_subscriptions_per_connection=settings.subscription_max_per_connection,
        init_timeout=settings.subscription_init_timeout,
        max_message_bytes=settings.subscription_max_message_bytes,
        sse_keepalive=settings.sse_keepalive,
    )


def standalone_agency_app(agency: Agency, settings: Settings, *, caches: bool = True) -> Starlette:
    """One agency served alone (`govgraph subgraph <name>`): /graphql, /healthz, /readyz, /metrics, the
    embedded issuer's JWKS, own engine and tables; it authenticates every request itself, whatever gateway
    is in front. `caches=False` turns the parse/validation caches off (the benchmark's reference)."""
    metrics = HttpMetrics()
    auth = _auth(settings, lambda: app.state.sessions(), metrics.registry)
    if settings.otel_endpoint is not None:
        default_name = settings.otel_service_name == "govgraph"
        configure_tracing(
            settings.otel_endpoint, f"govgraph-{agency.name}" if default_name else settings.otel_service_name
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The identity bureau alone also runs the credential issuer and verifier (its endpoints below), as
        # `govgraph serve` does: an offer's URI then points at this process (GOVGRAPH_PUBLIC_URL). Another
        # agency runs a verifier of its own when GOVGRAPH_CREDENTIAL_ISSUER names the issuer.
        async with _storage(app, settings, [agency]) as engine, _credentials(app, settings, engine):
            await _load_remote_keys(auth)
            # The ledgers' read endpoints and the agency's witness (/ledgers/<name>/witness/add-checkpoint),
            # which other processes' ledgers ask over HTTP (GOVGRAPH_WITNESSES).
            app.state.ledgers = Ledgers(engine, settings.ledger_keys_dir)
            await app.state.ledgers.start()
            try:
                yield
            finally:
                flush_tracing()

    view = subgraph_view(
        agency.schema(production=settings.production, caches=caches),
        production=settings.production,
        sessions=app_sessions,
        subgraph_secret=settings.subgraph_secret,
        writes=app_writes,
        authenticate=auth.authenticator.authenticate,
        services=app_services,
    )
    # The credential endpoints: the issuer's and verifier's with the identity bureau; the verifier's alone
    # where GOVGRAPH_CREDENTIAL_ISSUER names the issuer to trust (the issuer's routes answer 404 there).
    serves_credentials = agency.name == "identity" or settings.credential_issuer is not None
    credentials = credential_routes(issuer=agency.name == "identity") if serves_credentials else []
    app = standalone_app(
        view,
        lifespan=lifespan,
        routes=[
            *health_routes(),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            *agency_http_routes([agency]),
            *auth.routes(),
            *credentials,
            *ledger_routes(),
        ],
        middleware=[*edge_middleware(metrics), cors_middleware_for(settings)],
    )
    app.state.auth = auth
    return app


def edge_middleware(metrics: HttpMetrics) -> list[Middleware]:
    """Outermost first: the request id (so everything inside sees it), the request's trace span, metrics."""
    return [
        Middleware(RequestIdMiddleware),
        Middleware(TracingMiddleware),
        Middleware(MetricsMiddleware, metrics=metrics),
    ]


def cors_middleware_for(settings: Settings) -> Middleware:
    return cors_middleware(
        settings.cors_origins, credentials=settings.cors_credentials, max_age=settings.cors_max_age
    )


def cors(endpoint: ASGIApp, settings: Settings) -> ASGIApp:
    """`endpoint` behind the CORS policy of the settings (docs/frontend.md)."""
    middleware = cors_middleware_for(settings)
    return middleware.cls(endpoint, *middleware.args, **middleware.kwargs)


def persisted_documents(settings: Settings) -> PersistedDocuments:
    """APQ's cache, with the trusted documents of GOVGRAPH_TRUSTED_DOCUMENTS when set (read now: a manifest
    that cannot be used stops start-up with a ManifestError naming the file and the fault)."""
    trusted = None
    if settings.trusted_documents is not None:
        try:
            raw = settings.trusted_documents.read_bytes()
        except OSError as exc:
            raise ManifestError(f"{settings.trusted_documents}: {exc.strerror or exc}") from None
        try:
            trusted = parse_manifest(raw)
        except ManifestError as exc:
            raise ManifestError(f"{settings.trusted_documents}: {exc}") from None
    return PersistedDocuments(trusted, only=settings.trusted_documents_only)


def health_routes() -> list[Route]:
    """`/healthz`: the process answers (liveness). `/readyz`: every dependency answers, each named: the
    database, each ledger's sequencer, the other processes' witnesses (GOVGRAPH_WITNESSES) and the
    credential issuer whose keys a verifier here trusts (GOVGRAPH_CREDENTIAL_ISSUER); 503 listing in `down`
    whichever does not. `checkpoints` adds how many witnesses cosigned each log's last one."""

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(request: Request) -> JSONResponse:
        body: dict = {"database": "ok"}
        try:
            await db.ping(request.app.state.engine)
        except Exception as exc:  # any driver error means "not ready", reported without internals
            log.warning("readiness check failed: %s", exc)
            body["database"] = "unreachable"
        sequenced: SequencedLogs | None = getattr(request.app.state, "sequenced", None)
        if sequenced is not None:
            body.update(await sequenced.health())
        published = getattr(getattr(request.app.state, "services", None), "published", None)
        if published is not None:  # a verifier trusting another process's issuer: its keys fetched?
            body["credential issuer"] = "ok" if published.failure is None else "unreachable"
        down = ["database"] if body["database"] != "ok" else []
        down += ["credential issuer"] if body.get("credential issuer", "ok") != "ok" else []
        down += [f"ledger {name}" for name, state in body.get("ledgers", {}).items() if state != "ok"]
        down += [
            f"witness {name}" for name, state in body.get("witnesses", {}).items() if state != "reachable"
        ]
        body = {"status": "unavailable" if down else "ready", "down": down, **body}
        return JSONResponse(body, status_code=503 if down else 200)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]


def _auth(settings: Settings, api_key_sessions, registry: CollectorRegistry) -> Auth:
    """Authentication as configured: the embedded issuer (its key in the data directory, created on first
    use) or the external provider's JWKS; API keys in the app's database (`api_key_sessions` opens a
    session once the lifespan has opened it); refusals counted in `registry`."""
    return build_auth(
        token_issuer=settings.token_issuer,
        token_audience=settings.token_audience,
        jwks_url=settings.auth_jwks_url,
        issuer_key_path=settings.auth_issuer_key_path,
        sessions=api_key_sessions,
        registry=registry,
    )


async def _load_remote_keys(auth: Auth) -> None:
    """Fetch the external provider's JWKS at start-up. If it cannot be fetched the service still starts
    (public queries need no token, as Apollo Router keeps serving): tokens are refused (keys_unavailable)
    until a later attempt, at most one per refresh interval, succeeds."""
    if auth.remote_keys is None:
        return
    try:
        await auth.remote_keys.load()
    except JwksUnavailable as error:
        log.warning("the identity provider's JWKS at %s could not be loaded: %s", auth.remote_keys.url, error)


@contextlib.asynccontextmanager
async def _credentials(app: Starlette, settings: Settings, engine: AsyncEngine) -> AsyncIterator[None]:
    """The credential issuer (over the identity bureau's registry and write path) and the verifier, in the
    app's state as its services, when the identity agency is served; their verification workers stopped
    on exit."""
    writes: WritePaths = app.state.writes
    if "identity" not in writes:
        async with _verifier(app, settings, engine):
            yield
        return
    services = await start_credentials(
        engine,
        base_url=settings.base_url,
        data_dir=settings.data_dir,
        registry=CitizenRegistry(app.state.sessions, writes["identity"]),
        backend=get_backend(settings.zk_backend),
        backend_name=settings.zk_backend,
        verify_workers=settings.verify_workers,
        revocation_grace=settings.revocation_grace,
    )
    app.state.services = services
    try:
        yield
    finally:
        app.state.services = None
        await asyncio.to_thread(services.close)


@contextlib.asynccontextmanager
async def _verifier(app: Starlette, settings: Settings, engine: AsyncEngine) -> AsyncIterator[None]:
    """Without the identity bureau: the credential verifier alone, trusting what the issuer named by
    GOVGRAPH_CREDENTIAL_ISSUER publishes (nothing when unset)."""
    if settings.credential_issuer is None:
        yield
        return
    services = await start_verifier(
        engine,
        base_url=settings.base_url,
        issuer_url=settings.credential_issuer,
        backend_name=settings.zk_backend,
        verify_workers=settings.verify_workers,
        revocation_grace=settings.revocation_grace,
    )
    app.state.services = services
    try:
        yield
    finally:
        app.state.services = None
        assert services.published is not None
        await services.published.stop()
        await asyncio.to_thread(services.close)


@contextlib.asynccontextmanager
async def _storage(
    app: Starlette, settings: Settings, agencies: Sequence[Agency]
) -> AsyncIterator[AsyncEngine]:
    """The database for the app's lifetime: its schema checked (a database never migrated is brought to
    the latest revision; one behind stops start-up: govgraph.migrations.prepare), engine and sessions in
    the app's state, the agencies' ledgers opened (created with their keys when missing), their write
    paths in the app's state, demo data only outside production, written through those write paths (so
    `make run` shows ledgers with entries; seeding is idempotent), then the ledgers sequenced in the
    background; with demo data, start-up ends once its entries are in signed checkpoints."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await migrations.prepare(settings.database_url)
    engine = db.create_engine(settings.database_url)
    app.state.engine = engine
    app.state.sessions = db.session_factory(engine)
    logs = SequencedLogs(
        engine, settings.ledger_keys_dir, ledger_names(agencies), remote_witnesses=settings.witnesses
    )
    try:
        await logs.open()
        app.state.sequenced = logs
        app.state.writes = WritePaths(
            logs.logs, settings.ledger_keys_dir, engine=engine, ledgerless=ledgerless_names(agencies)
        )
        if courts.AGENCY in app.state.writes:  # its receipts carry RFC 3161 tokens (docs/evidence.md)
            app.state.writes.attach(
                courts.AGENCY, open_notary(settings.data_dir, settings.tsa_url, settings.ots_calendars)
            )
        if not settings.production:
            await seed_agencies(app.state.sessions, app.state.writes, agencies)
        await logs.start()  # the first rounds integrate what seeding appended, in one checkpoint a log
        # The first answer then shows the demo entries with their receipts, not "pending".
        if not settings.production and not await logs.settled(SEED_SETTLE_TIMEOUT):
            log.warning("demo entries not integrated after %.0f s: serving anyway", SEED_SETTLE_TIMEOUT)
        yield engine
    finally:
        await logs.stop()
        await engine.dispose()
