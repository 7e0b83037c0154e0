"""The `turnout(electionId)` subscription on the elections subgraph's own endpoint over graphql-transport-ws
(through the gateway: test_gateway_subscriptions.py): the turnout now, then each change as ballots are
cast."""

from __future__ import annotations

import json

from tests.govgraph.agencies.elections.ballots import open_election
from tests.govgraph.agencies.elections.conftest import Service


def test_turnout_streams_each_change(service: Service) -> None:
    from websockets.sync.client import connect

    election = open_election(service, seed=41, voters=2)
    endpoint = service.url.replace("http://", "ws://") + "/subgraphs/elections/graphql"
    with connect(endpoint, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
        query = "subscription($e: ID!) { turnout(electionId: $e) }"
        payload = {"query": query, "variables": {"e": election.id}}
        ws.send(json.dumps({"id": "t", "type": "subscribe", "payload": payload}))
        assert json.loads(ws.recv(timeout=10)) == {
            "id": "t",
            "type": "next",
            "payload": {"data": {"turnout": 2}},
        }
        assert "errors" not in election.cast(election.ballot(election.new_voter()))
        assert json.loads(ws.recv(timeout=10)) == {
            "id": "t",
            "type": "next",
            "payload": {"data": {"turnout": 3}},
        }
        ws.send(
            json.dumps(
                {"id": "u", "type": "subscribe", "payload": {"query": query, "variables": {"e": "nope"}}}
            )
        )
        refused = json.loads(ws.recv(timeout=10))
    assert (refused["id"], refused["type"], refused["payload"]["data"]) == ("u", "next", None)
    [error] = refused["payload"]["errors"]
    assert (error["message"], error["extensions"]["code"]) == ("No election nope.", "NOT_FOUND")
