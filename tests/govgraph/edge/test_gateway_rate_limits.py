"""Rate limits of `govgraph gateway` (the embedded gateway alone over a real `govgraph subgraph land`), over
real HTTP and WebSockets: callers counted by address (X-Forwarded-For believed from the listed proxy only)
and by the hash of the credential they present, unverified; made-up credentials do not escape the address's
bucket; WebSocket connection_init and subscribe, and SSE requests, each take a token; refusals are 429 with
Retry-After and RATE_LIMITED, counted on the gateway's own /metrics."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.servers import LiveServer, running_server

TYPENAME = {"query": "{ __typename }"}
# No subscription field in the land subgraph: a subscribe that gets past the limiter is refused at
# validation, which tells it apart from one the limiter refused.
SUBSCRIPTION = {"query": "subscription { nothing }"}


def limited(seconds: int) -> dict:
    return {
        "message": f"Rate limit reached: retry in {seconds} s.",
        "extensions": {"code": "RATE_LIMITED", "retryAfter": seconds},
    }


@pytest.fixture(scope="module")
def land(tmp_path_factory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("land")
    command = ("subgraph", "land", "--port", "{port}")
    with running_server(data, command=command, health_path="/readiness") as server:
        yield server


def gateway(tmp_path: Path, land: LiveServer, env: dict[str, str]):
    command = ("gateway", "--subgraph", f"land={land.url}/graphql", "--port", "{port}")
    return running_server(tmp_path, env=env, command=command, health_path="/readiness")


def refused_counts(server: LiveServer) -> dict[str, str]:
    metrics = httpx.get(server.url + "/metrics").text
    return dict(re.findall(r'govgraph_rate_limited_total\{kind="([a-z_]+)"\} ([0-9.]+)', metrics))


def test_the_standalone_gateway_limits_by_forwarded_address_and_presented_credential(
    tmp_path: Path, land: LiveServer
) -> None:
    env = {
        # One token back every 2 s: slow enough that no bucket refills while a sequence below runs.
        "GOVGRAPH_RATE_LIMITS": "address=3/6s,api_key=2/4s,bearer=2/4s,role:auditor=100/1s",
        "GOVGRAPH_TRUSTED_PROXIES": "127.0.0.0/8",  # the test client stands in for a load balancer
    }
    with gateway(tmp_path, land, env) as server:
        assert (
            "govgraph: GOVGRAPH_RATE_LIMITS rules role:auditor have no effect on `govgraph gateway`, which"
            " authenticates nobody (docs/frontend.md)"
        ) in server.log_path.read_text().splitlines()
        url = server.url + "/graphql"

        def ask(client: str, headers: dict[str, str] | None = None, **extra) -> httpx.Response:
            return httpx.post(
                url, json=TYPENAME, headers={"x-forwarded-for": client, **(headers or {})}, **extra
            )

        assert [ask("203.0.113.1").status_code for _ in range(4)] == [200, 200, 200, 429]
        refused = ask("203.0.113.1")
        assert refused.status_code == 429 and refused.headers["retry-after"] == "2"
        assert refused.json() == {"errors": [limited(2)]}
        # Only the right-most hop the trusted proxy appended counts: what the client wrote before it does not.
        assert ask("203.0.113.1, 203.0.113.2").json() == {"data": {"__typename": "Query"}}
        assert ask("203.0.113.2, 203.0.113.1").status_code == 429
        # A presented key is counted by its hash wherever it calls from; another key has its own bucket.
        assert [ask("203.0.113.3", {"x-api-key": "k1"}).status_code for _ in range(3)] == [200, 200, 429]
        assert ask("203.0.113.4", {"x-api-key": "k1"}).status_code == 429
        assert ask("203.0.113.4", {"x-api-key": "k2"}).status_code == 200
        bearer = {"authorization": "Bearer not-verified-here"}
        assert [ask("203.0.113.5", bearer).status_code for _ in range(3)] == [200, 200, 429]
        # Made-up credentials mint no fresh buckets: the address's still holds.
        made_up = [ask("203.0.113.6", {"x-api-key": f"guess-{n}"}).status_code for n in range(4)]
        assert made_up == [200, 200, 200, 429]
        time.sleep(2.05)  # one token back, at 1 every 2 s
        assert ask("203.0.113.1").json() == {"data": {"__typename": "Query"}}
        assert refused_counts(server) == {"address": "4.0", "api_key": "2.0", "bearer": "1.0"}


def test_subscription_starts_take_tokens_on_the_standalone_gateway(tmp_path: Path, land: LiveServer) -> None:
    # One token back every 10 s: none refills while the test runs.
    env = {"GOVGRAPH_RATE_LIMITS": "address=3/30s,api_key=2/20s", "GOVGRAPH_TRUSTED_PROXIES": "127.0.0.1"}
    with gateway(tmp_path, land, env) as server:
        ws_url = server.url.replace("http://", "ws://") + "/graphql"
        first = {"x-forwarded-for": "198.51.100.1"}
        with connect(ws_url, subprotocols=["graphql-transport-ws"], additional_headers=first) as socket:
            socket.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": "w1"}}))
            assert json.loads(socket.recv(timeout=10)) == {"type": "connection_ack"}
            socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": SUBSCRIPTION}))
            answer = json.loads(socket.recv(timeout=10))
            assert [error["extensions"]["code"] for error in answer["payload"]] == [
                "GRAPHQL_VALIDATION_FAILED"
            ]
            socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": SUBSCRIPTION}))
            assert json.loads(socket.recv(timeout=10)) == {
                "id": "2",
                "type": "error",
                "payload": [limited(10)],
            }
        # The key's bucket is empty: its next connection_init is refused, from any address.
        second = {"x-forwarded-for": "198.51.100.2"}
        with connect(ws_url, subprotocols=["graphql-transport-ws"], additional_headers=second) as socket:
            socket.send(json.dumps({"type": "connection_init", "payload": {"X-API-Key": "w1"}}))
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=10)
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
            1013,
            "Rate limit reached: retry in 10 s.",
        )
        # Each SSE request takes a token too.
        sse = {"accept": "text/event-stream", "x-forwarded-for": "198.51.100.3"}
        answers = [httpx.post(server.url + "/graphql", json=SUBSCRIPTION, headers=sse) for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        assert answers[0].headers["content-type"].startswith("text/event-stream")
        assert '"code":"GRAPHQL_VALIDATION_FAILED"' in answers[0].text
        assert answers[3].json() == {"errors": [limited(10)]} and answers[3].headers["retry-after"] == "10"
        assert refused_counts(server) == {"address": "1.0", "api_key": "2.0", "bearer": "0.0"}
