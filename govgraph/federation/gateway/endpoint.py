"""The gateway's HTTP endpoint (`/graphql`), and the two ways to assemble a gateway: over remote subgraph
URLs, or in-process over schemas living in this process.

A POST body is read only up to MAX_BODY_BYTES (a larger Content-Length is refused unread) and, when large,
decoded in a worker thread, so one client's body neither fills the memory nor holds the event loop. The
client's credential headers (FORWARDED_HEADERS) go on to every subgraph fetch; subgraphs check them. Before
the body is read, a caller past its rate limit is turned away (429); a document may come by hash or id
(persisted.py); a GET runs no mutation. Subscriptions are served on the same path: GraphQL over SSE
(subscriptions.py) and, for a WebSocket, graphql-transport-ws (transport_ws.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.schema.base import BaseSchema

from govgraph.federation.client_address import ClientAddresses
from govgraph.federation.errors import ErrorCode
from govgraph.federation.gateway import CompositionError, Gateway, SubgraphSource
from govgraph.federation.gateway.persisted import PersistedDocuments, Refusal
from govgraph.federation.gateway.subscriptions import (
    SSE_HEADERS,
    SseStream,
    StreamLimits,
    Streams,
    sse_event,
)
from govgraph.federation.gateway.transport_ws import TransportWsConnection
from govgraph.federation.gateway.transports import (
    ContextBuilder,
    Forwarded,
    InProcess,
    OverHttp,
    build_context,
    fetch_sdl,
    http_client,
)
from govgraph.federation.gateway.ws_client import OverWebSocket
from govgraph.federation.http import SUBGRAPH_SECRET_HEADER, establish_principal, load_json_body
from govgraph.federation.principal import ANONYMOUS, Authenticate, Principal
from govgraph.federation.rate_limits import Limited, RateLimiter, Rule
from govgraph.federation.request_id import RequestIdMiddleware
from govgraph.federation.telemetry import TracingMiddleware, flush_tracing
from govgraph.metrics import HttpMetrics, MetricsMiddleware
from govgraph.request_body import CLIENT_CLOSED_REQUEST, BodyTooLarge, read_body
from zk.errors import MalformedInput
from zk.json_input import JsonTooDeep, JsonTooLarge, load_json

MAX_BODY_BYTES = 1_000_000
# What the gateway passes on to subgraphs, as docker/gateway configures Hive Gateway's propagateHeaders: the
# caller's credentials (a bearer token, an API key), which each subgraph checks for itself.
FORWARDED_HEADERS = frozenset({"authorization", "x-api-key"})
GRAPHIQL = """<!doctype html><html><head><title>govgraph</title>
<link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css"/></head>
<body style="margin:0"><div id="graphiql" style="height:100vh"></div>
<script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
<script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
<script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
<script>ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL,
{fetcher: GraphiQL.createFetcher({url: window.location.pathname})}));</script></body></html>"""


def _refusal(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


class GatewayEndpoint:
    """ASGI app answering GraphQL over HTTP (POST JSON, or GET with query parameters; GraphiQL for browsers),
    over SSE (`Accept: text/event-stream`) and over graphql-transport-ws (a WebSocket scope), the streaming
    clients held to `stream_limits` and ended by `close_streams` at shutdown.
    The gateway is built on first use, in the serving event loop (its HTTP client belongs to that loop).

    The request's `forward_headers` go with each subgraph fetch. With `authenticate`, credentials are also
    checked here first, as Apollo Router's JWT authentication does: refused ones are answered 401
    UNAUTHENTICATED before any subgraph is asked (subgraphs still check every request themselves).
    `persisted` resolves documents sent by hash or documentId (APQ, trusted documents: persisted.py);
    `rate_limiter` refuses callers past their rate (429) before their body is read, and WebSocket
    connections and subscriptions past it; without `authenticate` it counts presented credentials by
    their hash (rate_limits.py). `client_addresses` says whose address a request is (X-Forwarded-For from
    trusted proxies: client_address.py); by default the TCP peer's."""

    def __init__(
        self,
        build: Callable[[], Awaitable[Gateway]],
        *,
        graphiql: bool = True,
        forward_headers: Collection[str] = FORWARDED_HEADERS,
        authenticate: Authenticate | None = None,
        persisted: PersistedDocuments | None = None,
        rate_limiter: RateLimiter | None = None,
        stream_limits: StreamLimits | None = None,
        client_addresses: ClientAddresses | None = None,
    ) -> None:
        self.build = build
        self.persisted = persisted
        self.rate_limiter = rate_limiter
        self.client_addresses = client_addresses or ClientAddresses()
        self.streams = Streams(stream_limits or StreamLimits())
        self.graphiql = graphiql
        self.forward_headers = frozenset(name.lower() for name in forward_headers)
        self.authenticate = authenticate
        self.gateway: Gateway | None = None
        self._lock: asyncio.Lock | None = None

    async def ready(self) -> Gateway:
        if self.gateway is None:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self.gateway is None:
                    self.gateway = await self.build()
        return self.gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            websocket = WebSocket(scope, receive, send)
            address = self._address(websocket.client.host if websocket.client else None, websocket.headers)
            connection = TransportWsConnection(
                websocket,
                self.ready,
                self.streams,
                authenticate=self.authenticate,
                forward_headers=self.forward_headers,
                resolve=self.persisted.resolve if self.persisted is not None else None,
                limit=None
                if self.rate_limiter is None
                else lambda principal, headers: self.limit(principal, headers, address),
            )
            await connection.serve()
            return
        try:
            response = await self._respond(Request(scope, receive))
        except ClientDisconnect:  # gone mid-upload: nobody to answer, and nothing went wrong here
            response = Response(status_code=CLIENT_CLOSED_REQUEST)
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        if request.method == "GET":
            params = request.query_params
            if not any(name in params for name in ("query", "extensions", "documentId")):
                if self.graphiql and "text/html" in request.headers.get("accept", ""):
                    return HTMLResponse(GRAPHIQL)
                return _refusal(400, "Must provide query string.", ErrorCode.BAD_REQUEST)
            refused = await self._turned_away(request)
            if refused is not None:
                return refused
            try:
                variables = load_json(params["variables"]) if params.get("variables") else None
            except MalformedInput:
                return _refusal(400, "Variables are invalid JSON.", ErrorCode.BAD_REQUEST)
            try:
                extensions = load_json(params["extensions"]) if params.get("extensions") else None
            except MalformedInput:
                return _refusal(400, "Extensions are invalid JSON.", ErrorCode.BAD_REQUEST)
            payload: Any = {
                "query": params.get("query"),
                "variables": variables,
                "operationName": params.get("operationName"),
                "extensions": extensions,
                "documentId": params.get("documentId"),
            }
        elif request.method == "POST":
            if not request.headers.get("content-type", "").split(";")[0].strip().endswith("json"):
                return _refusal(
                    415, "Unsupported content type: send application/json.", ErrorCode.UNSUPPORTED_MEDIA_TYPE
                )
            refused = await self._turned_away(request)
            if refused is not None:
                return refused
            try:
                body = await read_body(request, MAX_BODY_BYTES)
            except BodyTooLarge as exc:
                return _refusal(413, str(exc), ErrorCode.PAYLOAD_TOO_LARGE)
            try:
                payload = await load_json_body(body)
            except (JsonTooDeep, JsonTooLarge) as exc:
                return _refusal(400, f"Unable to parse request body as JSON: {exc}.", ErrorCode.BAD_REQUEST)
            except MalformedInput:
                return _refusal(400, "Unable to parse request body as JSON.", ErrorCode.BAD_REQUEST)
            if not isinstance(payload, dict):
                return _refusal(400, "The request body must be a JSON object.", ErrorCode.BAD_REQUEST)
        else:
            return _refusal(405, f"Method {request.method} is not allowed.", ErrorCode.METHOD_NOT_ALLOWED)
        query = payload.get("query")
        if self.persisted is not None:
            query = self.persisted.resolve(payload)
            if isinstance(query, Refusal):
                return JSONResponse(query.body(), status_code=query.status)
        gateway = await self.ready()
        accept = request.headers.get("accept", "*/*")
        if "text/event-stream" in accept or (
            # A subscription sent to a client that takes anything is streamed, as GraphQL Yoga does.
            "*/*" in accept and gateway.is_subscription(query, payload.get("operationName"))
        ):
            return await self._event_stream(gateway, {**payload, "query": query}, request)
        status, result = await gateway.execute(
            query,
            payload.get("variables"),
            payload.get("operationName"),
            forwarded=self.forwarded(request),
            queries_only=request.method == "GET",
        )
        headers = {"Allow": "POST"} if status == 405 else None
        return JSONResponse(result, status_code=status, headers=headers)

    async def _event_stream(self, gateway: Gateway, payload: dict, request: Request) -> Response:
        """GraphQL over SSE, distinct connections mode: the operation's results as `next` events, then
        `complete`. A request refused before it runs is one `next` with its errors, then `complete`, as
        Hive Gateway answers it."""
        results = await gateway.subscribe(
            payload.get("query"),
            payload.get("variables"),
            payload.get("operationName"),
            forwarded=self.forwarded(request),
            queries_only=request.method == "GET",
        )
        if isinstance(results, tuple):
            refusal = sse_event("next", results[1]) + sse_event("complete")
            return Response(refusal, media_type="text/event-stream", headers=SSE_HEADERS)
        stream = SseStream(self.streams, results)
        if not self.streams.admit(stream):
            await results.aclose()  # type: ignore[attr-defined]
            message = "Too many streaming connections; retry later."
            return _refusal(503, message, ErrorCode.SERVICE_UNAVAILABLE)
        return StreamingResponse(stream.body(), media_type="text/event-stream", headers=SSE_HEADERS)

    async def close_streams(self) -> None:
        """Shutdown, before the server stops: every subscription told `complete`, every stream closed."""
        await self.streams.shutdown()

    def forwarded(self, request: Request) -> Forwarded:
        """The request's headers that go on to subgraphs, repeated ones kept."""
        return tuple(
            (name, value)
            for name, value in request.headers.items()
            if name in self.forward_headers  # starlette gives header names in lower case
        )

    async def _turned_away(self, request: Request) -> Response | None:
        """The response refusing the request before its body is read, if any: 401 for credentials
        `authenticate` refuses, 429 when the caller's rate limit is reached (a caller whose credentials are
        refused is counted by its address: guessing keys is rate-limited too)."""
        principal = ANONYMOUS
        if self.authenticate is not None:
            established = await establish_principal(self.authenticate, request.headers)
            if isinstance(established, Response):
                limited = self._limited(ANONYMOUS, request)
                return limited if limited is not None else established
            principal = established
        return self._limited(principal, request)

    def _limited(self, principal: Principal, request: Request) -> Response | None:
        if self.rate_limiter is None:
            return None
        address = self._address(request.client.host if request.client else None, request.headers)
        limited = self.limit(principal, request.headers, address)
        if limited is None:
            return None
        return JSONResponse(
            limited.body(), status_code=429, headers={"Retry-After": str(limited.retry_after_seconds)}
        )

    def _address(self, peer: str | None, headers: Headers) -> str | None:
        return self.client_addresses.of(peer, headers.getlist("x-forwarded-for"))

    def limit(self, principal: Principal, headers: Mapping[str, str], address: str | None) -> Limited | None:
        """A token for the caller (HTTP request, WebSocket connection_init or subscribe): by its verified
        principal when this endpoint authenticates, else by the credential it presents and its address."""
        assert self.rate_limiter is not None
        if self.authenticate is None:
            return self.rate_limiter.check_presented(headers, address)
        return self.rate_limiter.check(principal, address)


async def remote_gateway_with_clients(
    services: Mapping[str, str],
    *,
    timeout: float = 30.0,
    concurrency: int = 64,
    introspection: bool = True,
    deduplicate: bool = True,
    subgraph_secret: str | None = None,
) -> tuple[Gateway, list[httpx.AsyncClient]]:
    """The gateway and its HTTP clients (the caller closes them). One pooled client per subgraph: httpcore
    scans every pooled connection on each request, so one shared pool costs more as subgraphs are added.
    `deduplicate`: identical query fetches in flight share one request (see Gateway). `subgraph_secret` goes
    with every subgraph request (SDL and fetches): production subgraphs answer _service and _entities only
    with it."""
    clients = {name: http_client(timeout=timeout, connections=concurrency) for name in services}
    secret = () if subgraph_secret is None else ((SUBGRAPH_SECRET_HEADER, subgraph_secret),)
    for client in clients.values():
        client.headers.update(secret)
    try:
        sources = [
            SubgraphSource(name, await fetch_sdl(name, url, clients[name])) for name, url in services.items()
        ]
        gateway = Gateway.from_sources(
            sources,
            {name: OverHttp(url, clients[name], concurrency=concurrency) for name, url in services.items()},
            introspection=introspection,
            deduplicate=deduplicate,
            # Subscriptions: graphql-transport-ws at each subgraph's own URL, as Hive Gateway is configured.
            streams={name: OverWebSocket(url, headers=secret) for name, url in services.items()},
        )
    except BaseException:
        for client in clients.values():
            await client.aclose()
        raise
    return gateway, list(clients.values())


async def check_composition(
    services: Mapping[str, str], *, timeout: float = 30.0, subgraph_secret: str | None = None
) -> None:
    """Fetch and compose the subgraphs once, raising the CompositionError that would stop start-up."""
    _gateway, clients = await remote_gateway_with_clients(
        services, timeout=timeout, subgraph_secret=subgraph_secret
    )
    for client in clients:
        await client.aclose()


async def remote_gateway(
    services: Mapping[str, str], *, timeout: float = 30.0, concurrency: int = 64, deduplicate: bool = True
) -> Gateway:
    """A gateway over subgraphs at `services` (name -> GraphQL URL): SDLs fetched, composed, pooled client."""
    gateway, _clients = await remote_gateway_with_clients(
        services, timeout=timeout, concurrency=concurrency, deduplicate=deduplicate
    )
    return gateway


async def local_gateway(
    schemas: Mapping[str, BaseSchema],
    context: ContextBuilder | None = None,
    *,
    introspection: bool = True,
    deduplicate: bool = True,
) -> Gateway:
    """A gateway calling each schema's executor directly (no HTTP, no JSON); `context` builds each fetch's
    context from the forwarded headers (the subgraph authenticates them there). `deduplicate`: identical
    query fetches in flight share one execution (see Gateway)."""
    sources = []
    for name, schema in schemas.items():
        value = await build_context(context, ()) if context else None
        result = await schema.execute("{ _service { sdl } }", context_value=value)
        if result.errors:
            raise CompositionError(f'subgraph "{name}" did not give its SDL: {result.errors[0].message}')
        sources.append(SubgraphSource(name, result.data["_service"]["sdl"]))
    transports = {name: InProcess(schema, context) for name, schema in schemas.items()}
    return Gateway.from_sources(
        sources,
        transports,
        introspection=introspection,
        deduplicate=deduplicate,
        streams={name: transport.subscribe for name, transport in transports.items()},
    )


def gateway_app(
    services: Mapping[str, str],
    *,
    timeout: float = 30.0,
    concurrency: int = 64,
    production: bool = False,
    deduplicate: bool = True,
    subgraph_secret: str | None = None,
    persisted: PersistedDocuments | None = None,
    middleware: Sequence[Middleware] = (),
    stream_limits: StreamLimits | None = None,
    rate_limits: Sequence[Rule] = (),
    client_addresses: ClientAddresses | None = None,
) -> Starlette:
    """`govgraph gateway`: the embedded gateway alone over remote subgraphs, at /graphql (HTTP, SSE and
    graphql-transport-ws) with /readiness and /metrics. Composition happens at start-up: a subgraph that
    cannot be composed stops the process, with the reason. Every response carries its request id; each
    request is traced when tracing is configured (telemetry.py); `middleware` (e.g. CORS) goes inside those
    two. `rate_limits` (rules, rate_limits.py) count callers by address and presented credential: this
    gateway authenticates nobody."""
    clients: list[httpx.AsyncClient] = []
    metrics = HttpMetrics()

    async def build() -> Gateway:
        gateway, opened = await remote_gateway_with_clients(
            services,
            timeout=timeout,
            concurrency=concurrency,
            introspection=not production,
            deduplicate=deduplicate,
            subgraph_secret=subgraph_secret,
        )
        clients.extend(opened)
        return gateway

    endpoint = GatewayEndpoint(
        build,
        graphiql=not production,
        persisted=persisted,
        stream_limits=stream_limits,
        rate_limiter=RateLimiter(rate_limits, registry=metrics.registry) if rate_limits else None,
        client_addresses=client_addresses,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await endpoint.ready()
        try:
            yield
        finally:
            for client in clients:
                await client.aclose()
            flush_tracing()

    async def readiness(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    app = Starlette(
        routes=[
            Route("/graphql", endpoint),
            WebSocketRoute("/graphql", endpoint),
            Route("/readiness", readiness, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(TracingMiddleware),
            Middleware(MetricsMiddleware, metrics=metrics),
            *middleware,
        ],
        lifespan=lifespan,
    )
    app.state.close_streams = endpoint.close_streams  # govgraph.server.Server calls it as shutdown begins
    return app
