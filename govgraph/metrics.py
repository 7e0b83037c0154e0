"""Prometheus metrics for HTTP traffic: request counts and latencies labelled by route template.

A client that goes away before its answer counts as 499 ("client closed request"), one whose body did not
arrive in time as 408: neither is a server error, and neither is logged with a traceback."""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    ProcessCollector,
    generate_latest,
)
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govgraph.request_body import CLIENT_CLOSED_REQUEST

UNMATCHED_ROUTE = "<unmatched>"
# Set in the ASGI scope by the server (govgraph.server) when it closed a request whose body was too slow.
BODY_TIMED_OUT = "govgraph.body_timed_out"
REQUEST_TIMEOUT = 408


class HttpMetrics:
    """One registry per app (not the process-global default), so several apps can live in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "govgraph_http_requests",
            "HTTP requests served.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "govgraph_http_request_duration_seconds",
            "Time to produce the full HTTP response.",
            ("method", "route"),
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        # Which process answered (replicas sharing one address each have their own counts) and its CPU time,
        # memory and start time (Prometheus' standard process_* metrics).
        Info("govgraph_instance", "The process serving these metrics.", registry=self.registry).info(
            {"pid": str(os.getpid())}
        )
        ProcessCollector(registry=self.registry)

    async def endpoint(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Pure ASGI middleware (streaming- and websocket-safe). Labels use the matched route's template,
    never the raw path, so label cardinality stays bounded whatever clients send."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        status = 500

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record_status)
        except ClientDisconnect:
            # An endpoint let it through: still the client's doing, and there is nobody to answer.
            status = CLIENT_CLOSED_REQUEST
        finally:
            if status == CLIENT_CLOSED_REQUEST and scope.get(BODY_TIMED_OUT):
                status = REQUEST_TIMEOUT
            route = _route_template(scope, root_path)
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)


def _route_template(scope: Scope, app_root_path: str) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return UNMATCHED_ROUTE
    mount_prefix = scope.get("root_path", "")[len(app_root_path) :]
    return mount_prefix + path
