"""Subscriptions through the embedded gateway's public /graphql of a real `govgraph serve`:
graphql-transport-ws and GraphQL over SSE, the root field streamed from the elections subgraph and each
event's ledger entry resolved from the ledger subgraph; refusals with their codes, the per-connection
limits, clean shutdown."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import signal
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.govgraph.agencies.elections.ballots import OpenElection, open_election
from tests.govgraph.agencies.elections.conftest import ROLES, Service
from tests.support.credentials import issue_token
from tests.support.servers import LiveServer, running_server

TURNOUT = "subscription($e: ID!) { turnout(electionId: $e) }"
BALLOTS = """subscription($e: ID!) { ballotsCast(electionId: $e) {
  trackingCode counted ledgerEntry { ledger index leafHash } } }"""
LIMITS = {
    "GOVGRAPH_SUBSCRIPTION_MAX_CONNECTIONS": "3",
    "GOVGRAPH_SUBSCRIPTION_MAX_PER_CONNECTION": "2",
    "GOVGRAPH_SUBSCRIPTION_INIT_TIMEOUT": "1",
    "GOVGRAPH_SUBSCRIPTION_MAX_MESSAGE_BYTES": "2048",
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("subscriptions")
    with running_server(data, log_level="info", env=LIMITS) as server:
        yield server


@pytest.fixture(scope="module")
def service(live: LiveServer) -> Service:
    data = live.log_path.parent
    return Service(live.url, data, issue_token(data, "commission", *ROLES, ttl=3600))


@pytest.fixture(scope="module")
def election(service: Service) -> OpenElection:
    return open_election(service, seed=77, voters=0)


def socket_to(service: Service) -> ClientConnection:
    url = service.url.replace("http://", "ws://") + "/graphql"
    return connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10, max_size=2**22)


def send(ws: ClientConnection, message: dict) -> None:
    ws.send(json.dumps(message))


def receive(ws: ClientConnection) -> dict:
    return json.loads(ws.recv(timeout=10))


def initialise(ws: ClientConnection, payload: dict | None = None) -> None:
    send(ws, {"type": "connection_init", **({"payload": payload} if payload is not None else {})})
    assert receive(ws) == {"type": "connection_ack"}


def closed_with(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    return closed.value.rcvd.code, closed.value.rcvd.reason


def leaf_hash(service: Service, index: int) -> str:
    leaf = service.ledger_leaves("elections")[index]
    return base64.b64encode(hashlib.sha256(b"\x00" + leaf).digest()).decode()


def test_turnout_and_ballots_stream_through_the_gateway_over_websocket(
    service: Service, election: OpenElection
) -> None:
    before = election.turnout()
    with socket_to(service) as ws:
        initialise(ws, {"Authorization": f"Bearer {service.token}"})
        send(
            ws,
            {"id": "t", "type": "subscribe", "payload": {"query": TURNOUT, "variables": {"e": election.id}}},
        )
        assert receive(ws) == {"id": "t", "type": "next", "payload": {"data": {"turnout": before}}}
        send(
            ws,
            {"id": "b", "type": "subscribe", "payload": {"query": BALLOTS, "variables": {"e": election.id}}},
        )
        time.sleep(0.6)  # the ballots subscription has read the board's end before the ballot arrives
        cast = election.cast(election.ballot(election.new_voter()))["data"]["castBallot"]
        got = {}
        while len(got) < 2:
            message = receive(ws)
            got[message["id"]] = message
        send(ws, {"id": "b", "type": "complete"})
        send(ws, {"id": "t", "type": "complete"})
        send(ws, {"type": "ping"})
        assert receive(ws) == {"type": "pong"}  # nothing else came: client-completed ones get no complete
    assert got["t"] == {"id": "t", "type": "next", "payload": {"data": {"turnout": before + 1}}}
    index = cast["ledgerIndex"]
    assert got["b"] == {
        "id": "b",
        "type": "next",
        "payload": {
            "data": {
                "ballotsCast": {
                    "trackingCode": cast["trackingCode"],
                    "counted": True,
                    # ledger and index from the elections subgraph, leafHash from the ledger subgraph
                    "ledgerEntry": {
                        "ledger": "elections",
                        "index": str(index),
                        "leafHash": leaf_hash(service, index),
                    },
                }
            }
        },
    }


def test_turnout_streams_over_server_sent_events(service: Service, election: OpenElection) -> None:
    before = election.turnout()
    body = {"query": TURNOUT, "variables": {"e": election.id}}
    headers = {"accept": "text/event-stream"}
    with httpx.stream("POST", service.url + "/graphql", json=body, headers=headers, timeout=10) as response:
        assert (response.status_code, response.headers["content-type"]) == (
            200,
            "text/event-stream; charset=utf-8",
        )
        lines = response.iter_lines()
        assert [next(lines), next(lines), next(lines)] == [
            "event: next",
            f'data: {{"data":{{"turnout":{before}}}}}',
            "",
        ]
        election.cast(election.ballot(election.new_voter()))
        assert [next(lines), next(lines)] == ["event: next", f'data: {{"data":{{"turnout":{before + 1}}}}}']
    # a query over SSE: its one result, then complete
    params = {
        "query": "query($e: ID!) { election(id: $e) { turnout } }",
        "variables": json.dumps({"e": election.id}),
    }
    answer = httpx.get(service.url + "/graphql", params=params, headers=headers, timeout=10)
    result = json.dumps({"data": {"election": {"turnout": before + 1}}}, separators=(",", ":"))
    assert answer.text == f"event: next\ndata: {result}\n\nevent: complete\ndata:\n\n"


def test_refused_subscriptions_carry_codes(service: Service, election: OpenElection) -> None:
    with socket_to(service) as ws:
        initialise(ws)
        send(ws, {"id": "v", "type": "subscribe", "payload": {"query": "subscription { turnout }"}})
        refused = receive(ws)
        assert (refused["id"], refused["type"]) == ("v", "error")
        assert [(e["message"], e["extensions"]["code"]) for e in refused["payload"]] == [
            (
                'Field "turnout" argument "electionId" of type "ID!" is required, but it was not provided.',
                "GRAPHQL_VALIDATION_FAILED",
            )
        ]
        send(ws, {"id": "p", "type": "subscribe", "payload": {"query": "subscription {"}})
        refused = receive(ws)
        assert (refused["type"], refused["payload"][0]["extensions"]["code"]) == (
            "error",
            "GRAPHQL_PARSE_FAILED",
        )
        send(ws, {"id": "n", "type": "subscribe", "payload": {"query": TURNOUT, "variables": {"e": "nope"}}})
        assert receive(ws) == {
            "id": "n",
            "type": "next",
            "payload": {
                "errors": [
                    {
                        "message": "No election nope.",
                        "extensions": {"code": "NOT_FOUND", "serviceName": "elections"},
                    }
                ],
            },
        }
        assert receive(ws) == {"id": "n", "type": "complete"}
    # the same refusal over SSE: one `next` with the errors, then `complete` (as Hive Gateway answers)
    answer = httpx.post(
        service.url + "/graphql",
        json={"query": "subscription { turnout }"},
        headers={"accept": "text/event-stream"},
        timeout=10,
    )
    assert (answer.status_code, answer.headers["content-type"]) == (200, "text/event-stream; charset=utf-8")
    event, data, blank, *rest = answer.text.split("\n")
    assert (event, blank, rest) == ("event: next", "", ["event: complete", "data:", "", ""])
    [error] = json.loads(data.removeprefix("data: "))["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # a subscription to a client that takes only JSON is refused, not half-run
    answer = httpx.post(
        service.url + "/graphql",
        json={"query": TURNOUT, "variables": {"e": election.id}},
        headers={"accept": "application/json"},
        timeout=10,
    )
    assert (answer.status_code, answer.json()["errors"][0]["extensions"]["code"]) == (400, "BAD_REQUEST")
    # one that takes anything (*/*) gets the stream, as from GraphQL Yoga
    body = {"query": TURNOUT, "variables": {"e": election.id}}
    with httpx.stream("POST", service.url + "/graphql", json=body, timeout=10) as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        lines = response.iter_lines()
        assert [next(lines), next(lines)] == [
            "event: next",
            f'data: {{"data":{{"turnout":{election.turnout()}}}}}',
        ]


def test_per_connection_limits_are_enforced(service: Service, election: OpenElection) -> None:
    subscribe = {"query": TURNOUT, "variables": {"e": election.id}}
    with socket_to(service) as ws:
        initialise(ws)
        for n in ("1", "2"):
            send(ws, {"id": n, "type": "subscribe", "payload": subscribe})
            assert receive(ws)["type"] == "next"
        send(ws, {"id": "3", "type": "subscribe", "payload": subscribe})
        assert receive(ws) == {
            "id": "3",
            "type": "error",
            "payload": [
                {
                    "message": "Subscription limit reached: 2 per connection.",
                    "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"},
                }
            ],
        }
        send(ws, {"id": "1", "type": "subscribe", "payload": subscribe})
        assert closed_with(ws) == (4409, "Subscriber for 1 already exists")
    with socket_to(service) as ws:  # no connection_init in time (1 s here)
        assert closed_with(ws) == (4408, "Connection initialisation timeout")
    with socket_to(service) as ws:
        send(ws, {"id": "x", "type": "subscribe", "payload": subscribe})
        assert closed_with(ws) == (4401, "Unauthorized")
    with socket_to(service) as ws:
        initialise(ws)
        send(ws, {"type": "connection_init"})
        assert closed_with(ws) == (4429, "Too many initialisation requests")
    with socket_to(service) as ws:
        initialise(ws)
        send(ws, {"id": "big", "type": "subscribe", "payload": {"query": "{" + " " * 3000 + "}"}})
        assert closed_with(ws) == (1009, "Message too big")
    with socket_to(service) as ws:
        send(ws, {"type": "connection_init", "payload": {"Authorization": "Bearer not-a-token"}})
        code, reason = closed_with(ws)
        assert (code, reason.split(":")[0]) == (4403, "Forbidden")
    with socket_to(service) as ws:
        ws.send("[1, 2")
        assert closed_with(ws) == (4400, "Invalid message received: not JSON")
    with contextlib.ExitStack() as stack:  # the cap is 3 streaming connections
        for _ in range(3):
            initialise(stack.enter_context(socket_to(service)))
        with socket_to(service) as ws:
            assert closed_with(ws) == (1013, "Too many connections")
        refused = httpx.post(
            service.url + "/graphql", json=subscribe, headers={"accept": "text/event-stream"}, timeout=10
        )
        assert (refused.status_code, refused.json()["errors"][0]["extensions"]["code"]) == (
            503,
            "SERVICE_UNAVAILABLE",
        )


def test_shutdown_completes_every_subscription_and_leaves_no_task(
    live: LiveServer, service: Service, election: OpenElection
) -> None:
    """Last in this module: it stops the module's server with SIGTERM, as a service manager would."""
    subscribe = {"query": TURNOUT, "variables": {"e": election.id}}
    turnout = election.turnout()
    with contextlib.ExitStack() as stack:
        ws = stack.enter_context(socket_to(service))
        initialise(ws)
        for n in ("a", "b"):
            send(ws, {"id": n, "type": "subscribe", "payload": subscribe})
            assert receive(ws) == {"id": n, "type": "next", "payload": {"data": {"turnout": turnout}}}
        sse = httpx.stream(
            "POST",
            service.url + "/graphql",
            json=subscribe,
            headers={"accept": "text/event-stream"},
            timeout=10,
        )
        lines = stack.enter_context(sse).iter_lines()
        assert next(lines) == "event: next"
        logged_before = len(live.log_path.read_text())
        started = time.monotonic()
        live.process.send_signal(signal.SIGTERM)
        assert sorted(json.dumps(receive(ws)) for _ in range(2)) == [
            '{"id": "a", "type": "complete"}',
            '{"id": "b", "type": "complete"}',
        ]
        assert closed_with(ws) == (1001, "Server shutting down")
        assert [line for line in lines if line] == [
            f'data: {{"data":{{"turnout":{turnout}}}}}',
            "event: complete",
            "data:",
        ]
    assert live.process.wait(timeout=10) == -signal.SIGTERM
    # nothing was left for uvicorn's graceful-shutdown timeout (10 s) to wait for or cancel
    assert time.monotonic() - started < 5
    log = live.log_path.read_text()[logged_before:]
    assert "closing 2 subscription stream(s) for shutdown" in log
    assert "Traceback" not in log and "Cancel" not in log and "ERROR" not in log
