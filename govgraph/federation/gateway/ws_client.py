"""How the gateway subscribes to a remote subgraph: graphql-transport-ws over a WebSocket at the subgraph's
URL (ws:// for http://, wss:// for https://), one WebSocket per client subscription, as Hive Gateway's ws
transport does. The client's forwarded headers (credentials) go with the handshake, where govgraph
subgraphs authenticate them; the subgraph's messages are decoded as untrusted JSON."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from govgraph.federation.gateway.transports import Forwarded
from zk.json_input import load_json

PROTOCOL = "graphql-transport-ws"
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # one event from a subgraph


class SubgraphStreamError(Exception):
    """The subgraph's WebSocket said something graphql-transport-ws does not allow."""


def websocket_url(url: str) -> str:
    """The WebSocket URL of a subgraph's GraphQL URL."""
    if url.startswith("https://"):
        return "wss://" + url.removeprefix("https://")
    return "ws://" + url.removeprefix("http://")


class OverWebSocket:
    """A StreamTransport: each call opens a WebSocket to the subgraph, acknowledges, subscribes, and yields
    each `next` payload; an `error` is one body with its errors; the stream ends at `complete`. Closing the
    stream early (the client completed it) sends `complete` and closes the socket."""

    def __init__(
        self, url: str, *, headers: Iterable[tuple[str, str]] = (), open_timeout: float = 10.0
    ) -> None:
        self.url = websocket_url(url)
        self.headers = tuple(headers)
        self.open_timeout = open_timeout

    async def __call__(
        self,
        document: str,
        variables: dict[str, Any],
        operation_name: str | None,
        forwarded: Forwarded = (),
    ) -> AsyncIterator[dict]:
        async with connect(
            self.url,
            subprotocols=[PROTOCOL],  # type: ignore[list-item]
            additional_headers=[*self.headers, *forwarded],
            open_timeout=self.open_timeout,
            max_size=MAX_MESSAGE_BYTES,
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            if (await _message(ws))["type"] != "connection_ack":
                raise SubgraphStreamError("no connection_ack")
            payload: dict[str, Any] = {"query": document, "variables": variables}
            if operation_name:
                payload["operationName"] = operation_name
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            completed = False
            try:
                while True:
                    message = await _message(ws)
                    kind = message["type"]
                    if kind == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif kind == "pong":
                        continue
                    elif kind == "next" and isinstance(message.get("payload"), dict):
                        yield message["payload"]
                    elif kind == "error" and isinstance(message.get("payload"), list):
                        completed = True
                        yield {"data": None, "errors": message["payload"]}
                        return
                    elif kind == "complete":
                        completed = True
                        return
                    else:
                        raise SubgraphStreamError(f"unexpected {kind!r} message")
            finally:
                if not completed:  # the client ended it: the subgraph stops its subscription too
                    with contextlib.suppress(ConnectionClosed):
                        await ws.send(json.dumps({"id": "1", "type": "complete"}))


async def _message(ws: Any) -> dict:
    message = load_json(await ws.recv(), what="subgraph message")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise SubgraphStreamError("a message without a type")
    return message
