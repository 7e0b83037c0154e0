"""The HTTP server facing the network: uvicorn (httptools) with deadlines for a request's head and body, caps
on the head's size and on open connections, and repeated error lines (accept failures) logged once a while.

uvicorn times out idle keep-alive connections but not a client that sends half a request head, or a body one
byte at a time: such connections used to stay open until the process ran out of file descriptors. Here a
request's head must be complete within `header_timeout` seconds of its first byte (the first request's, of the
connection), and its body within `body_timeout` seconds of the head; a late head is answered 408 and closed, a
late body too while its answer has not started (the application then sees the client as gone)."""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import resource
import socket
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from govgraph.config import Settings
from govgraph.federation.request_id import RequestIdLogFilter
from govgraph.metrics import BODY_TIMED_OUT

log = logging.getLogger("govgraph.server")

MAX_HEAD_BYTES = 64 * 1024  # request line and headers; nginx allows 4 x 8 KiB by default
FD_RESERVE = 64  # descriptors kept for the listening socket, the database, log files and worker threads
# Python 3.11's accept loop takes up to `backlog` connections per event-loop turn before any protocol sees
# them, and on EMFILE logs (and schedules a retry) once per remaining try: a small backlog bounds both.
MAX_BACKLOG = 256
BURST_TURNS = 4  # event-loop turns between accept() and the close of a connection refused at the cap
REPEAT_INTERVAL = 10.0  # seconds between two log lines of one repeated kind
# Lines that repeat once per failed attempt: asyncio's accept() out of descriptors (each try of its accept
# loop, thousands a second in Python 3.11), and uvicorn's refusal of a garbled request (one per connection).
REPEATED_LINES = {
    "asyncio": (
        "socket.accept() out of system resource",
        "Exception in callback BaseSelectorEventLoop._start_serving",  # its retries, once the server closed
    ),
    "uvicorn.error": ("Invalid HTTP request received.",),
}


@dataclass(frozen=True, slots=True)
class Guards:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1000
    max_head_bytes: int = MAX_HEAD_BYTES


def refusal(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP/1.1 response closing the connection, with a GraphQL-style error body."""
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the guards: one deadline timer per connection, armed for the head
    (at connection and at each request's first byte) and then for the body, cancelled once the body is in."""

    def __init__(self, *args: Any, guards: Guards, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guards = guards
        self._deadline: asyncio.TimerHandle | None = None
        self._in_head = False
        self._in_body = False
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.guards.max_connections:
            _CAP_REACHED.note()
            self._refuse(
                503, "Service Unavailable", "SERVICE_UNAVAILABLE", "Too many connections; retry later."
            )
            return
        self._arm(self.guards.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        began_in_body = self._in_body
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            # Bytes of a chunk that also ended a previous body are not counted: at most one chunk too few.
            self._head_bytes += 0 if began_in_body else len(data)
            if self._head_bytes > self.guards.max_head_bytes:
                limit = self.guards.max_head_bytes
                message = f"The request line and headers exceed {limit} bytes."
                self._refuse(431, "Request Header Fields Too Large", "HEADERS_TOO_LARGE", message)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0
        if self._deadline is None:  # a later request on a kept-alive connection
            self._arm(self.guards.header_timeout, self._head_timed_out)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._in_head = False
        if self.parser.should_upgrade() and self._should_upgrade():
            self._disarm()  # a WebSocket: its own protocol takes over the connection
            return
        self._in_body = True
        self._arm(self.guards.body_timeout, self._body_timed_out)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_body = False
        self._disarm()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def _arm(self, seconds: float, callback) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._in_head:  # part of a head arrived: say why; a connection that sent nothing is just closed
            message = f"The request head did not arrive within {self.guards.header_timeout:g} s."
            self._refuse(408, "Request Timeout", "REQUEST_TIMEOUT", message)
        else:
            self.transport.close()

    def _body_timed_out(self) -> None:
        self._deadline = None
        cycle = self.cycle
        if self.transport.is_closing():
            return
        if cycle is not None and not cycle.response_started:
            cycle.scope[BODY_TIMED_OUT] = True  # type: ignore[literal-required]
            # The application's receive() now answers http.disconnect and its send() goes nowhere.
            cycle.disconnected = True
            cycle.message_event.set()
            message = f"The request body did not arrive within {self.guards.body_timeout:g} s."
            self._refuse(408, "Request Timeout", "REQUEST_TIMEOUT", message)
        else:  # answered (or answering) already: the rest of the body is not worth waiting for
            self.transport.close()

    def _refuse(self, status: int, reason: str, code: str, message: str) -> None:
        self._disarm()
        self.transport.write(refusal(status, reason, code, message))
        self.transport.close()


class RepeatedLines(logging.Filter):
    """Lets one record of each listed kind through per `interval` seconds, without its traceback, saying how
    many were dropped since the last; every other record passes untouched."""

    def __init__(self, prefixes: tuple[str, ...], interval: float = REPEAT_INTERVAL) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.interval = interval
        self._last: dict[str, float] = {}
        self._dropped: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        kind = next((prefix for prefix in self.prefixes if message.startswith(prefix)), None)
        if kind is None:
            return True
        now = time.monotonic()
        if now - self._last.get(kind, -self.interval) < self.interval:
            self._dropped[kind] = self._dropped.get(kind, 0) + 1
            return False
        self._last[kind] = now
        dropped = self._dropped.pop(kind, 0)
        cause = f": {record.exc_info[1]}" if record.exc_info and record.exc_info[1] else ""
        record.msg = kind + cause + (f" ({dropped} more since the last such line)" if dropped else "")
        record.args, record.exc_info, record.exc_text = (), None, None
        return True


class _CapReached:
    """A warning when connections are refused at the cap, at most once per REPEAT_INTERVAL."""

    def __init__(self) -> None:
        self._last = -REPEAT_INTERVAL
        self._refused = 0

    def note(self) -> None:
        self._refused += 1
        now = time.monotonic()
        if now - self._last >= REPEAT_INTERVAL:
            log.warning("connection limit reached: %d connection(s) refused with 503", self._refused)
            self._last, self._refused = now, 0


_CAP_REACHED = _CapReached()


def backlog_and_cap(requested: int) -> tuple[int, int]:
    """The listen backlog, and `requested` connections lowered to what the descriptor limit leaves once
    FD_RESERVE and a burst of accepted-but-not-yet-refused connections are kept aside: past it, accept()
    itself fails, and nobody (/healthz included) gets in."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_BACKLOG, requested
    backlog = min(MAX_BACKLOG, max(16, soft // 8))
    room = max(1, soft - FD_RESERVE - BURST_TURNS * backlog)
    if requested > room:
        log.warning(
            "GOVGRAPH_MAX_CONNECTIONS=%d lowered to %d: the descriptor limit is %d", requested, room, soft
        )
    return backlog, min(requested, room)


class Server(uvicorn.Server):
    """uvicorn's server, which once started (the app's lifespan run: schemas built, supergraph composed) moves
    every object alive to the collector's permanent generation (gc.freeze): a request that allocates many
    objects (1 MB of `[[],[],...]` is 333,333 lists) then triggers full collections over its own objects
    only, not the ~10^5 of the application (measured: 300 ms of stall per such body becomes 45 ms)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        gc.freeze()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Before uvicorn closes connections (a WebSocket with 1012), the app's streams are ended the way
        their protocols say: `complete` for each subscription, then close 1001 (app.state.close_streams)."""
        close_streams = getattr(getattr(self.config.app, "state", None), "close_streams", None)
        if close_streams is not None:
            try:
                await close_streams()
            except Exception:  # never in the way of the rest of shutdown
                log.exception("closing subscription streams failed")
        await super().shutdown(sockets=sockets)


def quiet_repeated_lines() -> None:
    for name, prefixes in REPEATED_LINES.items():
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RepeatedLines) for existing in logger.filters):
            logger.addFilter(RepeatedLines(prefixes))


def server_config(asgi_app: Any, settings: Settings, port: int) -> uvicorn.Config:
    """uvicorn's configuration for `asgi_app` on settings.host:port, with the guards from the settings."""
    backlog, cap = backlog_and_cap(settings.max_connections)
    guards = Guards(
        header_timeout=settings.header_timeout, body_timeout=settings.body_timeout, max_connections=cap
    )
    config = uvicorn.Config(
        asgi_app,
        host=settings.host,
        port=port,
        log_level=settings.log_level,
        lifespan="on",
        timeout_graceful_shutdown=10,
        backlog=backlog,
        http=functools.partial(GuardedProtocol, guards=guards),  # type: ignore[arg-type]
        # uvicorn would believe X-Forwarded-For/-Proto from 127.0.0.1 by default; govgraph believes the
        # client's address only from GOVGRAPH_TRUSTED_PROXIES (federation/client_address.py).
        proxy_headers=False,
    )
    quiet_repeated_lines()  # after uvicorn.Config, which (re)configures logging
    name_requests_in_access_log()
    return config


def name_requests_in_access_log() -> None:
    """uvicorn's access lines end with the request's id (`[request <id>]`), as govgraph's own lines do: the
    line is written while the response starts, inside the request (govgraph.federation.request_id)."""
    from uvicorn.logging import AccessFormatter

    for handler in logging.getLogger("uvicorn.access").handlers:
        if not any(isinstance(existing, RequestIdLogFilter) for existing in handler.filters):
            handler.addFilter(RequestIdLogFilter())
            handler.setFormatter(
                AccessFormatter(
                    '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s%(request)s'
                )
            )
