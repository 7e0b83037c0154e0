"""How the gateway reaches a subgraph: in-process (the schema's executor, no HTTP, no JSON) or over httpx
(a pooled client), and how it fetches a subgraph's SDL. Both pass on the client's forwarded headers
(credentials): over HTTP as headers, in-process to the context builder, so the subgraph checks them itself."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
from strawberry.schema.base import BaseSchema

from govgraph.federation.errors import ServiceError
from govgraph.federation.gateway.supergraph import CompositionError
from govgraph.federation.telemetry import propagation_headers

Forwarded = tuple[tuple[str, str], ...]
"""The client's headers a gateway passes on to subgraphs: (lower-case name, value) pairs in the client's
order, repeated headers kept (a subgraph must see two Authorization headers as two, and refuse them)."""
Transport = Callable[[str, dict[str, Any], str | None, Forwarded], Awaitable[dict]]
"""One subgraph request: (document, variables, operation name, forwarded headers) -> the response body,
`data` and `errors`."""
StreamTransport = Callable[[str, dict[str, Any], str | None, Forwarded], AsyncIterator[dict]]
"""One subgraph subscription: (document, variables, operation name, forwarded headers) -> its events, each a
response body (`data` and `errors`); the stream ends when the subgraph completes it."""
ContextBuilder = Callable[[Forwarded], Any]
"""Builds an in-process fetch's context value from the forwarded headers (or returns an awaitable of it);
it raises a ServiceError (e.g. Unauthenticated) to refuse the fetch."""


class InProcess:
    """Calls a strawberry schema's `execute` directly; `context` builds each fetch's context value from the
    forwarded headers. A refusal while building it (bad credentials) answers the fetch as the subgraph's HTTP
    endpoint would: no data, one error with the refusal's code."""

    def __init__(self, schema: BaseSchema, context: ContextBuilder | None = None) -> None:
        self.schema = schema
        self.context = context or (lambda _forwarded: None)

    async def __call__(
        self,
        document: str,
        variables: dict[str, Any],
        operation_name: str | None,
        forwarded: Forwarded = (),
    ) -> dict:
        try:
            context = await build_context(self.context, forwarded)
        except ServiceError as error:
            return {
                "data": None,
                "errors": [{"message": str(error), "extensions": {"code": error.code.value}}],
            }
        result = await self.schema.execute(
            document, variable_values=variables, context_value=context, operation_name=operation_name
        )
        return _body(result)

    async def subscribe(
        self,
        document: str,
        variables: dict[str, Any],
        operation_name: str | None,
        forwarded: Forwarded = (),
    ) -> AsyncIterator[dict]:
        """The schema's subscription events as response bodies; a refusal before it runs (credentials,
        validation, the resolver's first error) is one body with its errors, and the end."""
        try:
            context = await build_context(self.context, forwarded)
        except ServiceError as error:
            yield {
                "data": None,
                "errors": [{"message": str(error), "extensions": {"code": error.code.value}}],
            }
            return
        results = await self.schema.subscribe(
            document, variable_values=variables, context_value=context, operation_name=operation_name
        )
        if not hasattr(results, "__aiter__"):
            yield _body(results)
            return
        try:
            async for result in results:
                yield _body(result)
        finally:
            await results.aclose()


def _body(result: Any) -> dict:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return body


class OverHttp:
    """POSTs to a subgraph's GraphQL URL through a shared pooled client, at most `concurrency` at a time."""

    def __init__(self, url: str, client: httpx.AsyncClient, *, concurrency: int = 64) -> None:
        self.url = url
        self.client = client
        self.slots = asyncio.Semaphore(concurrency)

    async def __call__(
        self,
        document: str,
        variables: dict[str, Any],
        operation_name: str | None,
        forwarded: Forwarded = (),
    ) -> dict:
        payload: dict[str, Any] = {"query": document, "variables": variables}
        if operation_name:
            payload["operationName"] = operation_name
        async with self.slots:
            # The trace context and request id of this fetch: not part of `forwarded`, which keys the
            # sharing of identical fetches (a per-request header there would share nothing).
            headers = [*forwarded, *propagation_headers().items()]
            response = await self.client.post(self.url, json=payload, headers=headers)
        body = response.json()
        if not isinstance(body, dict):
            raise TypeError("subgraph answered a non-object")
        return body


async def build_context(context: ContextBuilder, forwarded: Forwarded) -> Any:
    """`context(forwarded)`, awaited if it is awaitable."""
    value = context(forwarded)
    return await value if inspect.isawaitable(value) else value


def http_client(*, timeout: float = 30.0, connections: int = 100) -> httpx.AsyncClient:
    """The pooled client subgraph fetches share (keep-alive connections, one timeout for every phase)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        headers={"accept": "application/json"},
    )


async def fetch_sdl(name: str, url: str, client: httpx.AsyncClient) -> str:
    """A subgraph's SDL from `{ _service { sdl } }`; if it gives none, a CompositionError naming it."""
    try:
        response = await client.post(url, json={"query": "{ _service { sdl } }"})
        response.raise_for_status()
        return response.json()["data"]["_service"]["sdl"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise CompositionError(
            f'subgraph "{name}" at {url} did not give its SDL ({exc.__class__.__name__}: {exc})'
        ) from None
