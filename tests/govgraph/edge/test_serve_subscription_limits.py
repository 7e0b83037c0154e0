"""`govgraph serve`'s rate limits on subscription starts, over real WebSockets and SSE: connection_init and
each subscribe take a token from the verified caller's bucket (an API key by its name), an SSE request from
its bucket like any request; and X-Forwarded-For is not believed when no proxy is listed (the default)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.credentials import create_api_key
from tests.support.servers import running_server

TURNOUT = {"query": 'subscription { turnout(electionId: "no-such-election") }'}
LIMITED = {
    "message": "Rate limit reached: retry in 10 s.",
    "extensions": {"code": "RATE_LIMITED", "retryAfter": 10},
}
# The elections subgraph refuses the unknown election before its first event (no path: docs/federation.md).
NOT_FOUND = {
    "errors": [
        {
            "message": "No election no-such-election.",
            "extensions": {"code": "NOT_FOUND", "serviceName": "elections"},
        }
    ]
}


def test_subscription_starts_are_rate_limited_per_verified_caller(tmp_path: Path) -> None:
    ci = create_api_key(tmp_path, "ci", "auditor")
    other = create_api_key(tmp_path, "other", "auditor")
    env = {"GOVGRAPH_RATE_LIMITS": "address=2/20s,api_key=2/20s"}  # no token comes back while it runs
    with running_server(tmp_path, env=env) as server:
        url = server.url + "/graphql"
        # No proxy listed: the header is the client's own words, and every request is the peer's.
        spoofed = [
            httpx.post(url, json={"query": "{ __typename }"}, headers={"x-forwarded-for": f"203.0.113.{n}"})
            for n in range(3)
        ]
        assert [answer.status_code for answer in spoofed] == [200, 200, 429]
        ws_url = server.url.replace("http://", "ws://") + "/graphql"
        with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:  # anonymous: the address's
            socket.send(json.dumps({"type": "connection_init"}))
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=10)
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
            1013,
            "Rate limit reached: retry in 10 s.",
        )
        # Refused credentials are counted by the address, as over HTTP: 1013 here, not 4403.
        with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:
            socket.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": "gg_guess"}}))
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=10)
        assert closed.value.rcvd.code == 1013
        with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:
            socket.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": ci}}))
            assert json.loads(socket.recv(timeout=10)) == {"type": "connection_ack"}
            socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": TURNOUT}))
            assert json.loads(socket.recv(timeout=10)) == {"id": "1", "type": "next", "payload": NOT_FOUND}
            assert json.loads(socket.recv(timeout=10)) == {"id": "1", "type": "complete"}
            socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": TURNOUT}))
            assert json.loads(socket.recv(timeout=10)) == {"id": "2", "type": "error", "payload": [LIMITED]}
        sse = {"accept": "text/event-stream"}
        refused = httpx.post(url, json=TURNOUT, headers={**sse, "x-api-key": ci})
        assert refused.status_code == 429 and refused.json() == {"errors": [LIMITED]}
        streamed = httpx.post(url, json=TURNOUT, headers={**sse, "x-api-key": other})
        assert streamed.status_code == 200
        assert streamed.text == (
            f"event: next\ndata: {json.dumps(NOT_FOUND, separators=(',', ':'))}\n\nevent: complete\ndata:\n\n"
        )
