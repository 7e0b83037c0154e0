"""A reverse proxy for the pages' tests: an ASGI app in front of a real `govgraph serve` that passes every
request through, except the responses a test chose to alter (a tampered tile, a forged checkpoint), so the
browser's own checks can be shown to catch them."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from starlette.requests import Request
from starlette.responses import Response

HOP_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "connection"}


class TamperingProxy:
    """Forward to `upstream`; `alter[path] = f` replaces the body of the response to `path` with `f(body)`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.alter: dict[str, Callable[[bytes], bytes]] = {}
        self.served: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path
        self.served.append(path)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in {"host", *HOP_HEADERS}}
        async with httpx.AsyncClient(base_url=self.upstream, timeout=10) as client:
            upstream = await client.request(
                request.method,
                path,
                params=request.query_params,
                headers=headers,
                content=await request.body(),
            )
        body = upstream.content
        if path in self.alter:
            body = self.alter[path](body)
        response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS}
        response = Response(body, status_code=upstream.status_code, headers=response_headers)
        await response(scope, receive, send)


def flip_byte(at: int) -> Callable[[bytes], bytes]:
    """A body with the byte at `at` inverted (negative counts from the end)."""

    def flip(body: bytes) -> bytes:
        data = bytearray(body)
        data[at] ^= 0xFF
        return bytes(data)

    return flip
