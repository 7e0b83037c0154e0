"""In-flight deduplication: identical subgraph requests in flight at the same time share one (SharedFetches),
as Hive Gateway's `deduplicateInflightRequests` does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from govgraph.federation.gateway.transports import Forwarded, Transport

_canonical_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False).encode


class _InFlight:
    """One request in flight: the task running it and a future per waiter, resolved by that task."""

    __slots__ = ("task", "waiters")

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.waiters: list[asyncio.Future[dict]] = []


class SharedFetches:
    """Identical subgraph requests in flight at the same time share one: the first starts it, the others wait
    for its answer and get the same body object (the executor only ever reads a subgraph's answer).

    Identical means everything the request sends: subgraph, document text, variables as canonical JSON,
    operation name and the client headers forwarded with it (the credentials: a subgraph's answer to one
    caller is never handed to another caller, nor to an anonymous one). An entry lives while
    its request is in flight and is removed when the request completes or fails; a failure reaches every
    waiter. The request runs in its own task, so a waiter that is cancelled leaves it to the others; when
    every waiter has gone it is cancelled, as an unshared request would have been.

    Hive Gateway's HTTP executor does the same (`deduplicateInflightRequests`, on by default). Only reads may
    share: the gateway sends the fetches of a query through here and a mutation's fetches alone, its entity
    fetches included (Hive shares those), so the read that follows a write is never answered by an identical
    read that started before the write."""

    def __init__(self) -> None:
        self._in_flight: dict[tuple[str, str, str, str | None, Forwarded], _InFlight] = {}

    def __len__(self) -> int:
        """How many distinct requests are in flight."""
        return len(self._in_flight)

    def waiting(self, subgraph: str) -> int:
        """How many callers wait for an answer from `subgraph`, over all its requests in flight."""
        return sum(len(shared.waiters) for key, shared in self._in_flight.items() if key[0] == subgraph)

    async def fetch(
        self,
        subgraph: str,
        transport: Transport,
        document: str,
        variables: dict[str, Any],
        operation_name: str | None,
        forwarded: Forwarded = (),
    ) -> dict:
        """`transport(document, variables, operation_name, forwarded)`, or the answer of an identical one in
        flight."""
        try:
            key = (subgraph, document, _canonical_json(variables), operation_name, forwarded)
        except (TypeError, ValueError):  # not plain JSON: no reliable way to call two of these equal
            return await transport(document, variables, operation_name, forwarded)
        loop = asyncio.get_running_loop()
        shared = self._in_flight.get(key)
        if shared is None:
            shared = self._in_flight[key] = _InFlight()
            request = self._send(key, shared, transport, document, variables, operation_name, forwarded)
            shared.task = loop.create_task(request)
        # A future of its own per waiter (not the task itself, nor a shield of it): cancelling a waiter then
        # cancels only its future, and the task resolves every future in the step it finishes in.
        waiter: asyncio.Future[dict] = loop.create_future()
        shared.waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter in shared.waiters:
                shared.waiters.remove(waiter)
            if not shared.waiters and not shared.task.done():  # nobody wants the answer any more
                self._forget(key, shared)
                shared.task.cancel()
            raise

    async def _send(
        self,
        key: tuple,
        shared: _InFlight,
        transport: Transport,
        document: str,
        variables: dict[str, Any],
        operation_name: str | None,
        forwarded: Forwarded,
    ) -> None:
        try:
            body = await transport(document, variables, operation_name, forwarded)
        except Exception as exc:
            self._forget(key, shared)
            for waiter in shared.waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        except BaseException:  # cancelled (or the process is stopping): so are the waiters still there
            self._forget(key, shared)
            for waiter in shared.waiters:
                waiter.cancel()
            raise
        # Forgotten before anyone reads the answer: from here an identical request is a new one.
        self._forget(key, shared)
        for waiter in shared.waiters:
            if not waiter.done():
                waiter.set_result(body)

    def _forget(self, key: tuple, shared: _InFlight) -> None:
        if self._in_flight.get(key) is shared:
            del self._in_flight[key]


__all__ = ["SharedFetches"]
