"""Subscriptions served by the gateway's /graphql: the limits on streaming connections, the registry that
counts them and ends them all at shutdown, and GraphQL over Server-Sent Events (distinct-connections mode).

Each stream runs as one task per subscription, which the registry knows: on shutdown every stream is told
to stop (a WebSocket's subscriptions each get `complete`, then the socket closes with 1001; an SSE stream
ends with `event: complete`), and shutdown returns once every such task has finished, so none outlives the
server. graphql-transport-ws itself is in transport_ws.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("govgraph.gateway")

QUEUED_RESULTS = 64  # results an SSE stream holds for a slow reader before it stops reading events
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
# An SSE comment line: clients ignore it, and proxies that cut idle connections see traffic (GraphQL Yoga
# sends the same every 12 s).
SSE_KEEPALIVE = b":\n\n"


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """Per-process and per-connection limits on streaming clients (GOVGRAPH_SUBSCRIPTION_* settings)."""

    max_connections: int = 1000  # WebSockets and SSE streams open at once
    max_subscriptions_per_connection: int = 10  # operations running at once on one WebSocket
    init_timeout: float = 10.0  # seconds for a WebSocket's connection_init to arrive
    max_message_bytes: int = 256 * 1024  # one WebSocket message from a client
    sse_keepalive: float = 12.0  # seconds of silence after which an SSE stream sends a comment line


class Stream:
    """One streaming connection, as the registry sees it: `stop()` ends it for shutdown (its subscriptions
    told they are complete), and returns once its tasks are done."""

    async def stop(self) -> None:  # pragma: no cover - each kind of stream says how it stops
        raise NotImplementedError


class Streams:
    """The streaming connections open now: admitted up to `limits.max_connections`, all stopped at
    shutdown (after which none is admitted)."""

    def __init__(self, limits: StreamLimits) -> None:
        self.limits = limits
        self.open: set[Stream] = set()
        self.closing = False

    def admit(self, stream: Stream) -> bool:
        if self.closing or len(self.open) >= self.limits.max_connections:
            return False
        self.open.add(stream)
        return True

    def leave(self, stream: Stream) -> None:
        self.open.discard(stream)

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop every open stream (each says `complete` to its client) and wait for their tasks."""
        self.closing = True
        streams = list(self.open)
        if not streams:
            return
        log.info("closing %d subscription stream(s) for shutdown", len(streams))
        results = await asyncio.wait_for(
            asyncio.gather(*(stream.stop() for stream in streams), return_exceptions=True), timeout
        )
        for result in results:
            if isinstance(result, Exception):
                log.warning("a stream failed to stop cleanly: %s", type(result).__name__)


async def finish(task: asyncio.Task | None) -> None:
    """Cancel `task` and wait until it has finished (its own cancellation swallowed, others' not)."""
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def sse_event(kind: str, payload: dict | None = None) -> bytes:
    """One event of GraphQL over SSE: `event: next` with the result as data, or `event: complete`."""
    if payload is None:
        return f"event: {kind}\ndata:\n\n".encode()
    return f"event: {kind}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


class SseStream(Stream):
    """One GraphQL-over-SSE request (distinct connections mode): its results as `next` events, then
    `complete`, whether the operation ended, the client left, or the server is shutting down. A task pumps
    the operation's results into a queue the response body reads, so shutdown can stop the pump alone;
    when no result came for `limits.sse_keepalive` seconds, the body sends a comment line."""

    def __init__(self, streams: Streams, results: AsyncIterator[dict]) -> None:
        self.streams = streams
        self.results = results
        self.queue: asyncio.Queue[dict | None] = asyncio.Queue()  # the end (None) always fits
        self.room = asyncio.Semaphore(QUEUED_RESULTS)  # a slow reader holds the subscription back
        self.pump: asyncio.Task | None = None

    async def body(self) -> AsyncIterator[bytes]:
        self.pump = asyncio.create_task(self._pump())
        try:
            keepalive = self.streams.limits.sse_keepalive
            while True:
                try:
                    result = await asyncio.wait_for(self.queue.get(), keepalive)
                except TimeoutError:
                    yield SSE_KEEPALIVE
                    continue
                if result is None:
                    break
                self.room.release()
                yield sse_event("next", result)
            yield sse_event("complete")
        finally:  # also when the client left mid-stream: its subgraph subscription ends with it
            await finish(self.pump)
            self.streams.leave(self)

    async def _pump(self) -> None:
        try:
            async for result in self.results:
                await self.room.acquire()
                self.queue.put_nowait(result)
        finally:
            self.queue.put_nowait(None)
            await _close(self.results)

    async def stop(self) -> None:
        await finish(self.pump)


async def _close(results: AsyncIterator[dict]) -> None:
    close: Callable[[], Awaitable[None]] | None = getattr(results, "aclose", None)
    if close is not None:
        await close()
