"""Request ids: every HTTP response carries `x-request-id`, the client's own when it sent a sane one, else a
fresh one; the id is in a context variable while the request runs, so subgraph fetches send it on and log
lines name it (RequestIdLogFilter)."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
# What a client may choose: short, printable, no spaces or separators a log line or a header could
# misread (a UUID, a ULID, a W3C trace id, `web-1234.5` all fit).
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("govgraph_request_id", default=None)


def request_id_from(headers: Headers) -> str:
    """The client's id when it sent exactly one sane one; otherwise a new random one (UUID4, hex)."""
    given = headers.getlist(REQUEST_ID_HEADER)
    if len(given) == 1 and SANE_REQUEST_ID.fullmatch(given[0]):
        return given[0]
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI middleware: sets REQUEST_ID for the request (HTTP, and a WebSocket for its lifetime) and
    adds `x-request-id` to the HTTP response's headers or the WebSocket handshake's answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope))
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            elif message["type"] == "websocket.accept":  # the handshake's answer names it too
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Gives every record `request_id` (`-` outside a request) and `request` (` [request <id>]`, empty
    outside a request), for a format naming them."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        record.request_id = request_id or "-"
        record.request = f" [request {request_id}]" if request_id else ""
        return True
