"""Differential: one subscription through the embedded gateway of a real `govgraph serve`, through the
embedded gateway alone over that server's elections and ledger subgraphs (`govgraph gateway`), and through
the real Hive Gateway composing the same subgraphs (both subscribe to the elections subgraph over
graphql-transport-ws, as docker/gateway configures Hive): all three deliver the same events, in the same
order, for the ballots cast through the API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from govgraph.federation.node_composer import compose_supergraph
from tests.govgraph.agencies.elections.ballots import open_election
from tests.govgraph.agencies.elections.conftest import ROLES, Service
from tests.support.credentials import issue_token
from tests.support.servers import HiveGateway, running_server

pytestmark = pytest.mark.e2e
BALLOTS = """subscription($e: ID!) { ballotsCast(electionId: $e) {
  trackingCode counted ledgerEntry { ledger index leafHash } } }"""
TURNOUT = "subscription($e: ID!) { turnout(electionId: $e) }"


class Listener(threading.Thread):
    """Reads `count` results of one subscription over SSE from `url` (GraphQL over SSE), in order."""

    def __init__(self, url: str, query: str, variables: dict, count: int) -> None:
        super().__init__(daemon=True)
        self.url, self.body, self.count = url, {"query": query, "variables": variables}, count
        self.results: list[dict] = []
        self.listening = threading.Event()

    def run(self) -> None:
        headers = {"accept": "text/event-stream"}
        with httpx.stream("POST", self.url, json=self.body, headers=headers, timeout=30) as response:
            self.listening.set()
            for line in response.iter_lines():
                if line.startswith("data:") and line[5:].strip():
                    self.results.append(json.loads(line[5:]))
                    if len(self.results) == self.count:
                        return


@pytest.fixture(scope="module")
def served(
    gateway_packages: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Service, list[str]]]:
    """`govgraph serve`; the gateways over its elections and ledger subgraphs: its own embedded one, the
    embedded gateway alone (`govgraph gateway`, subscribing over WebSocket) and Hive Gateway."""
    data = tmp_path_factory.mktemp("subscriptions-hive")
    with running_server(data, log_level="warning") as server:
        services = {name: f"{server.url}/subgraphs/{name}/graphql" for name in ("elections", "ledger")}
        supergraph = compose_supergraph(services, data / "supergraph.graphql")
        assert "ballotsCast" in supergraph
        remote_dir = data / "remote"
        remote_dir.mkdir()
        command = ["gateway", "--port", "{port}", *(f"--subgraph={n}={u}" for n, u in services.items())]
        with running_server(remote_dir, "warning", command=command, health_path="/readiness") as remote:
            hive = HiveGateway.start(data / "supergraph.graphql", data / "hive.log")
            try:
                service = Service(server.url, data, issue_token(data, "commission", *ROLES, ttl=3600))
                yield service, [server.url + "/graphql", remote.url + "/graphql", hive.url]
            finally:
                hive.stop()


def test_embedded_and_hive_gateways_deliver_the_same_events(served: tuple[Service, str]) -> None:
    service, urls = served
    election = open_election(service, seed=91, voters=0)
    variables = {"e": election.id}
    listeners = [
        Listener(url, query, variables, count)
        for url in urls
        for query, count in ((BALLOTS, 2), (TURNOUT, 3))
    ]
    for listener in listeners:
        listener.start()
        assert listener.listening.wait(30)
    time.sleep(1.0)  # every subscription has read the board's end (they poll every 0.25 s)
    cast = []
    for seen in (2, 3):  # turnout is polled: one ballot at a time, each seen by both before the next
        cast.append(election.cast(election.ballot(election.new_voter()))["data"]["castBallot"])
        deadline = time.monotonic() + 30
        while any(len(listener.results) < seen for listener in listeners[1::2]):
            assert time.monotonic() < deadline, [listener.results for listener in listeners]
            time.sleep(0.05)
    for listener in listeners:
        listener.join(timeout=30)
        assert not listener.is_alive(), (listener.url, listener.results)
    embedded_ballots, embedded_turnout, remote_ballots, remote_turnout, hive_ballots, hive_turnout = (
        each.results for each in listeners
    )
    assert embedded_turnout == remote_turnout == hive_turnout == [{"data": {"turnout": n}} for n in (0, 1, 2)]
    assert [r["data"]["ballotsCast"]["trackingCode"] for r in embedded_ballots] == [
        c["trackingCode"] for c in cast
    ]
    assert [r["data"]["ballotsCast"]["ledgerEntry"]["index"] for r in embedded_ballots] == [
        str(c["ledgerIndex"]) for c in cast
    ]
    assert all(r["data"]["ballotsCast"]["ledgerEntry"]["leafHash"] for r in embedded_ballots)
    assert embedded_ballots == remote_ballots == hive_ballots


def test_a_refused_subscription_is_answered_alike_over_sse(served: tuple[Service, list[str]]) -> None:
    _service, urls = served
    answers = []
    for url in urls:
        body = {"query": "subscription { turnout }"}
        answer = httpx.post(url, json=body, headers={"accept": "text/event-stream"}, timeout=30)
        assert (answer.status_code, answer.headers["content-type"].split(";")[0]) == (
            200,
            "text/event-stream",
        )
        # Hive opens every stream with a keep-alive comment line (":"); the events are what count
        answers.append([line for line in answer.text.split("\n") if line and not line.startswith(":")])
    assert answers[0] == answers[1] == answers[2]
    event, data, complete, empty = answers[0]
    assert (event, complete, empty) == ("event: next", "event: complete", "data:")
    assert (
        json.loads(data.removeprefix("data: "))["errors"][0]["extensions"]["code"]
        == "GRAPHQL_VALIDATION_FAILED"
    )
