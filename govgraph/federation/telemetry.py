"""OpenTelemetry traces across the gateway and the subgraphs: a server span per HTTP request (continuing the
caller's W3C `traceparent`), a client span per subgraph fetch, and the fetch's `traceparent` sent on.

Off by default: until `configure_tracing` installs an exporter, the OpenTelemetry API's tracer is a no-op
and TracingMiddleware passes requests straight through. The exporter speaks OTLP over HTTP (protobuf) to
`<endpoint>/v1/traces`, in batches, from a background thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govgraph.federation.request_id import REQUEST_ID

TRACER_NAME = "govgraph"
_provider = None  # the SDK provider configure_tracing installed (None: tracing off)


def configure_tracing(endpoint: str, service_name: str) -> None:
    """Export spans to the OTLP/HTTP collector at `endpoint` (a base URL, as OTEL_EXPORTER_OTLP_ENDPOINT),
    as `service_name`. Once per process: OpenTelemetry's tracer provider is process-wide."""
    global _provider
    if _provider is not None:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces", timeout=5)
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=200))
    trace.set_tracer_provider(provider)
    _provider = provider


def flush_tracing() -> None:
    """Send the spans still queued (at shutdown, so the last requests' spans are not lost)."""
    if _provider is not None:
        _provider.force_flush(timeout_millis=5000)


def tracing_enabled() -> bool:
    return _provider is not None


@contextlib.contextmanager
def subgraph_fetch_span(subgraph: str) -> Iterator[None]:
    """The span of one subgraph fetch (kind CLIENT); a transport inside it sends `propagation_headers()`."""
    if _provider is None:
        yield
        return
    with trace.get_tracer(TRACER_NAME).start_as_current_span(
        f"subgraph {subgraph}", kind=trace.SpanKind.CLIENT, attributes={"govgraph.subgraph": subgraph}
    ):
        yield


def propagation_headers() -> dict[str, str]:
    """The headers a subgraph request carries for tracing: `traceparent` (and `tracestate`) of the current
    span when tracing is on, and the request's `x-request-id`."""
    carrier: dict[str, str] = {}
    if _provider is not None:
        propagate.inject(carrier)
    request_id = REQUEST_ID.get()
    if request_id is not None:
        carrier["x-request-id"] = request_id
    return carrier


class TracingMiddleware:
    """Pure ASGI middleware: one SERVER span per HTTP request, a child of the caller's `traceparent` when it
    sent one, named after the matched route's template (bounded names whatever the path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _provider is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        parent = propagate.extract(
            {name: headers[name] for name in ("traceparent", "tracestate") if name in headers}
        )
        token = otel_context.attach(parent)
        tracer = trace.get_tracer(TRACER_NAME)
        try:
            with tracer.start_as_current_span(scope["method"], kind=trace.SpanKind.SERVER) as span:
                span.set_attribute("http.request.method", scope["method"])
                status = 500

                async def send_and_record(message: Message) -> None:
                    nonlocal status
                    if message["type"] == "http.response.start":
                        status = message["status"]
                    await send(message)

                try:
                    await self.app(scope, receive, send_and_record)
                finally:
                    route = getattr(scope.get("route"), "path", None)
                    if route is not None:
                        span.update_name(f"{scope['method']} {route}")
                        span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
                    request_id = REQUEST_ID.get()
                    if request_id is not None:
                        span.set_attribute("govgraph.request_id", request_id)
                    if status >= 500:
                        span.set_status(trace.StatusCode.ERROR)
        finally:
            otel_context.detach(token)
