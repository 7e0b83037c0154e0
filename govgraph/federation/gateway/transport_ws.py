"""The gateway's graphql-transport-ws server (the `graphql-ws` library's protocol, as Hive Gateway and Apollo
Router speak it): connection_init/connection_ack, ping/pong, subscribe/next/error/complete.

Close codes are the protocol's: 4400 invalid message, 4401 subscribe before acknowledgement, 4403 refused
credentials, 4406 subprotocol not offered, 4408 no connection_init in time, 4409 an id already running,
4429 a second connection_init; and WebSocket's own 1009 (message too big), 1013 (too many connections),
1011 (authentication could not be checked), 1013 also for a connection_init past the caller's rate limit
(the reason says when to retry) and 1001 (going away: server shutdown, after a `complete` for
each running subscription). Credentials ride in connection_init's payload (`Authorization` / `X-API-Key`,
the same tokens as over HTTP, as Hive Gateway reads connectionParams), or else in the handshake's headers.
A request refused before it runs (parse, validation, variables, limits) is an `error` message carrying the
codes it has over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from typing import Any

from starlette.datastructures import Headers
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from govgraph.federation.errors import INTERNAL_MESSAGE, ErrorCode, TooManySubscriptions, Unauthenticated
from govgraph.federation.gateway.engine import Gateway
from govgraph.federation.gateway.persisted import Refusal
from govgraph.federation.gateway.subscriptions import Stream, Streams, finish
from govgraph.federation.gateway.transports import Forwarded
from govgraph.federation.principal import ANONYMOUS, Authenticate, Principal
from govgraph.federation.rate_limits import Limited
from zk.errors import MalformedInput
from zk.json_input import load_json

log = logging.getLogger("govgraph.gateway")
PROTOCOL = "graphql-transport-ws"
GOING_AWAY = 1001
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
TRY_AGAIN_LATER = 1013
INVALID_MESSAGE = 4400
UNAUTHORIZED = 4401
FORBIDDEN = 4403
SUBPROTOCOL_NOT_ACCEPTABLE = 4406
INIT_TIMEOUT = 4408
SUBSCRIBER_EXISTS = 4409
TOO_MANY_INITS = 4429


class _Close(Exception):
    """Ends the connection with this close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class TransportWsConnection(Stream):
    """One client's WebSocket: its state (acknowledged, credentials) and its running subscriptions, one
    task each. `ready` gives the gateway; `authenticate` checks connection_init's credentials; `resolve`
    (persisted documents, when configured) turns a subscribe payload into the document to run, or refuses
    it, as for HTTP: trusted-documents-only mode holds over WebSockets too. `limit` (rate limits) takes a
    token for connection_init (refused: close 1013 with the retry time) and for each subscribe (refused: an
    `error` coded RATE_LIMITED)."""

    def __init__(
        self,
        websocket: WebSocket,
        ready: Callable[[], Awaitable[Gateway]],
        streams: Streams,
        *,
        authenticate: Authenticate | None,
        forward_headers: Collection[str],
        resolve: Callable[[dict], str | None | Refusal] | None = None,
        limit: Callable[[Principal, Mapping[str, str]], Limited | None] | None = None,
    ) -> None:
        self.websocket = websocket
        self.limit = limit
        self.principal: Principal = ANONYMOUS
        self.resolve = resolve
        self.ready = ready
        self.streams = streams
        self.limits = streams.limits
        self.authenticate = authenticate
        self.forward_headers = forward_headers
        self.acknowledged = False
        self.initialised = False
        self.forwarded: Forwarded = ()
        self.operations: dict[str, asyncio.Task] = {}
        self.sending = asyncio.Lock()
        self.stopping = False
        self.reader: asyncio.Task | None = None

    async def serve(self) -> None:
        offered = self.websocket.scope.get("subprotocols") or []
        await self.websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
        if PROTOCOL not in offered:
            await self._close(SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        if not self.streams.admit(self):
            await self._close(TRY_AGAIN_LATER, "Too many connections")
            return
        self.reader = asyncio.current_task()
        try:
            await self._read()
        except _Close as close:
            await self._end(close.code, close.reason)
        except WebSocketDisconnect:  # the client left: its subscriptions end with it
            await self._cancel_all()
        except asyncio.CancelledError:
            await self._cancel_all()
            if not self.stopping:  # cancelled by the server, not stopped by the registry
                raise
        finally:
            self.streams.leave(self)

    async def stop(self) -> None:
        """Shutdown: every running subscription is cancelled and told `complete`, then close 1001."""
        self.stopping = True
        await finish(self.reader)

    async def _end(self, code: int, reason: str) -> None:
        await self._cancel_all()
        await self._close(code, reason)

    async def _cancel_all(self) -> None:
        running = list(self.operations.items())
        self.operations.clear()
        for _id, task in running:
            await finish(task)
        if self.stopping:
            for operation_id, _task in running:
                await self._send({"id": operation_id, "type": "complete"})
            await self._close(GOING_AWAY, "Server shutting down")

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.init_timeout
        while True:
            if self.acknowledged:
                message = await self.websocket.receive()
            else:
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await self.websocket.receive()
                except TimeoutError:
                    raise _Close(INIT_TIMEOUT, "Connection initialisation timeout") from None
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            raw = message.get("text") if message.get("text") is not None else message.get("bytes") or b""
            if _too_big(raw, self.limits.max_message_bytes):
                raise _Close(MESSAGE_TOO_BIG, "Message too big")
            await self._handle(_decoded(raw))

    async def _handle(self, message: dict) -> None:
        kind = message["type"]
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            task = self.operations.pop(_operation_id(message), None)
            await finish(task)  # the client ended it: no `complete` goes back
        else:
            raise _Close(INVALID_MESSAGE, f"Invalid message received: unknown type {kind[:40]!r}")

    async def _init(self, payload: Any) -> None:
        if self.initialised:
            raise _Close(TOO_MANY_INITS, "Too many initialisation requests")
        self.initialised = True
        if payload is not None and not isinstance(payload, dict):
            raise _Close(INVALID_MESSAGE, "Invalid message received: payload must be an object")
        self.forwarded = self._credentials(payload or {})
        if self.authenticate is not None:
            raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in self.forwarded]
            try:
                self.principal = await self.authenticate(Headers(raw=raw))
            except Unauthenticated as error:
                # Refused credentials count against the address, as over HTTP: guessing keys is limited too.
                limited = None if self.limit is None else self.limit(ANONYMOUS, {})
                if limited is not None:
                    raise _Close(TRY_AGAIN_LATER, limited.body()["errors"][0]["message"]) from None
                raise _Close(FORBIDDEN, f"Forbidden: {str(error)[:100]}") from None
            except UnicodeEncodeError:
                raise _Close(FORBIDDEN, "Forbidden: credentials must be latin-1 text") from None
            except Exception as error:  # never a credential in the log line: only the error's type
                log.error("authentication could not be checked: %s", type(error).__name__)
                raise _Close(INTERNAL_ERROR, "Internal error") from None
        limited = self._limited()
        if limited is not None:
            raise _Close(TRY_AGAIN_LATER, limited.body()["errors"][0]["message"])
        self.acknowledged = True
        await self._send({"type": "connection_ack"})

    def _limited(self) -> Limited | None:
        return None if self.limit is None else self.limit(self.principal, dict(self.forwarded))

    def _credentials(self, payload: dict) -> Forwarded:
        """The headers forwarded to subgraphs: connection_init's (top level or under `headers`, any case),
        or else the handshake's."""
        given: dict[str, str] = {}
        nested = payload.get("headers")
        for source in (nested if isinstance(nested, dict) else {}, payload):
            for name, value in source.items():
                if isinstance(name, str) and name.lower() in self.forward_headers:
                    if not isinstance(value, str):
                        raise _Close(INVALID_MESSAGE, f"Invalid message received: {name} must be a string")
                    given.setdefault(name.lower(), value)
        if given:
            return tuple(given.items())
        return tuple(
            (name, value) for name, value in self.websocket.headers.items() if name in self.forward_headers
        )

    async def _subscribe(self, message: dict) -> None:
        if not self.acknowledged:
            raise _Close(UNAUTHORIZED, "Unauthorized")
        operation_id = _operation_id(message)
        payload = message.get("payload")
        if not _well_formed(payload):
            raise _Close(INVALID_MESSAGE, "Invalid message received: subscribe payload")
        if operation_id in self.operations:
            raise _Close(SUBSCRIBER_EXISTS, f"Subscriber for {operation_id[:80]} already exists")
        if len(self.operations) >= self.limits.max_subscriptions_per_connection:
            error = TooManySubscriptions(
                f"Subscription limit reached: {self.limits.max_subscriptions_per_connection} per connection."
            )
            await self._send({"id": operation_id, "type": "error", "payload": [error.formatted]})
            return
        limited = self._limited()
        if limited is not None:
            await self._send({"id": operation_id, "type": "error", "payload": limited.body()["errors"]})
            return
        query = payload.get("query")
        if self.resolve is not None:
            query = self.resolve(payload)
            if isinstance(query, Refusal):
                await self._send({"id": operation_id, "type": "error", "payload": query.body()["errors"]})
                return
        gateway = await self.ready()
        results = await gateway.subscribe(
            query,
            payload.get("variables"),
            payload.get("operationName"),
            forwarded=self.forwarded,
        )
        if isinstance(results, tuple):
            await self._send({"id": operation_id, "type": "error", "payload": results[1]["errors"]})
            return
        self.operations[operation_id] = asyncio.create_task(self._run(operation_id, results))

    async def _run(self, operation_id: str, results: AsyncIterator[dict]) -> None:
        try:
            async for result in results:
                await self._send({"id": operation_id, "type": "next", "payload": result})
        except Exception:  # a gateway bug: logged, and the client told with a code that leaks nothing
            log.exception("subscription %r failed", operation_id[:80])
            error = {"message": INTERNAL_MESSAGE, "extensions": {"code": ErrorCode.INTERNAL.value}}
            if self.operations.pop(operation_id, None) is not None:
                await self._send({"id": operation_id, "type": "error", "payload": [error]})
            return
        finally:
            await results.aclose()  # type: ignore[attr-defined]
        if self.operations.pop(operation_id, None) is not None:
            await self._send({"id": operation_id, "type": "complete"})

    async def _send(self, message: dict) -> None:
        async with self.sending:
            if self.websocket.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                    await self.websocket.send_text(json.dumps(message, separators=(",", ":")))

    async def _close(self, code: int, reason: str) -> None:
        async with self.sending:
            if self.websocket.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                    await self.websocket.close(code, reason)


def _too_big(raw: str | bytes, limit: int) -> bool:
    """Whether the message holds more than `limit` bytes (a text message's UTF-8 is encoded only when its
    length alone, at most 4 bytes a character, does not settle it)."""
    if isinstance(raw, bytes):
        return len(raw) > limit
    if len(raw) > limit:
        return True
    return len(raw) * 4 > limit and len(raw.encode()) > limit


def _decoded(raw: str | bytes) -> dict:
    try:
        message = load_json(raw, what="message")
    except MalformedInput:
        raise _Close(INVALID_MESSAGE, "Invalid message received: not JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise _Close(INVALID_MESSAGE, "Invalid message received: no type")
    return message


def _operation_id(message: dict) -> str:
    operation_id = message.get("id")
    if not isinstance(operation_id, str) or not operation_id:
        raise _Close(INVALID_MESSAGE, "Invalid message received: id must be a non-empty string")
    return operation_id


def _well_formed(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        # A document, or (persisted documents) its id: which one is the resolver's to judge.
        and (isinstance(payload.get("query"), str) or isinstance(payload.get("documentId"), str))
        and isinstance(payload.get("variables"), (dict, type(None)))
        and isinstance(payload.get("operationName"), (str, type(None)))
        and isinstance(payload.get("extensions"), (dict, type(None)))
    )
