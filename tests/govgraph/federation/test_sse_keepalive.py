"""GraphQL over SSE keeps an idle stream alive: a comment line (`:`) after each `sse_keepalive` seconds
without an event, over a real HTTP server, and none while events come faster than that."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator

import httpx
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route

from govgraph.federation.gateway.endpoint import GatewayEndpoint, local_gateway
from govgraph.federation.gateway.subscriptions import StreamLimits
from govgraph.federation.subgraph import build_subgraph_schema
from tests.support.servers import UvicornThread


@strawberry.type
class Query:
    @strawberry.field
    def ready(self) -> bool:
        return True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, pause: float) -> AsyncGenerator[int, None]:
        yield 1
        await asyncio.sleep(pause)
        yield 2


def stream(url: str, pause: float) -> str:
    query = {"query": f"subscription {{ ticks(pause: {pause}) }}"}
    with httpx.stream(
        "POST", url, json=query, headers={"accept": "text/event-stream"}, timeout=10
    ) as response:
        assert response.status_code == 200
        return b"".join(response.iter_raw()).decode()


def test_an_idle_stream_gets_comment_lines_and_a_busy_one_none() -> None:
    schema = build_subgraph_schema(Query, subscription=Subscription)
    endpoint = GatewayEndpoint(
        lambda: local_gateway({"ticks": schema}), stream_limits=StreamLimits(sse_keepalive=0.2)
    )
    server = UvicornThread(Starlette(routes=[Route("/graphql", endpoint)])).start()
    events = 'event: next\ndata: {"data":{"ticks":1}}\n\nevent: next\ndata: {"data":{"ticks":2}}\n\n'
    try:
        url = server.url + "/graphql"
        idle = stream(url, 0.9)  # 0.9 s between the two events: about four intervals of 0.2 s
        first, comments, rest = re.fullmatch(r"(.*?\n\n)((?::\n\n)*)(event: next.*)", idle, re.S).groups()
        assert first + rest == events + "event: complete\ndata:\n\n"
        assert 2 <= comments.count(":\n\n") <= 9  # about four; a loaded machine may stretch either way
        assert stream(url, 0.0) == events + "event: complete\ndata:\n\n"
    finally:
        server.stop()
