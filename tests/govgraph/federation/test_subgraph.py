"""The subgraph kit in-process: Federation 2.7, caches that really hit, production hardening, subscriptions
only over graphql-transport-ws with a per-connection cap."""

from __future__ import annotations

import asyncio

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from govgraph.federation.limits import DEFAULT_LIMITS, Limits
from govgraph.federation.subgraph import build_subgraph_schema, standalone_app, subgraph_view
from tests.govgraph.federation.probe import Query, Subscription

TRANSPORT_WS = "graphql-transport-ws"


def app(production: bool = False, limits: Limits = DEFAULT_LIMITS, subgraph_secret: str | None = None):
    schema = build_subgraph_schema(Query, subscription=Subscription, production=production, limits=limits)
    return standalone_app(
        subgraph_view(schema, production=production, limits=limits, subgraph_secret=subgraph_secret)
    )


def test_schema_links_federation_2_7() -> None:
    sdl = build_subgraph_schema(Query).as_str()
    assert sdl.startswith('schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [')


def test_document_cache_hits_on_a_repeated_document() -> None:
    schema = build_subgraph_schema(Query)
    query = "{ tree { child { depth } } __typename }"
    results = [asyncio.run(schema.execute(query)) for _ in range(3)]
    assert [r.data for r in results] == [{"tree": {"child": {"depth": 1}}, "__typename": "Query"}] * 3
    # First run misses (parsed and validated once), the next two reuse the document and its verdict.
    assert (schema.documents.misses, schema.documents.hits, len(schema.documents)) == (1, 2, 1)
    assert schema.documents.bytes == len(query)


def test_uncached_schema_answers_the_same() -> None:
    query = "{ tree { children(first: 2) { depth } } }"
    cached = asyncio.run(build_subgraph_schema(Query).execute(query))
    uncached = asyncio.run(build_subgraph_schema(Query, caches=False).execute(query))
    assert cached.data == uncached.data == {"tree": {"children": [{"depth": 1}, {"depth": 1}]}}


def test_development_serves_graphiql_and_introspection() -> None:
    with TestClient(app()) as client:
        page = client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        body = client.post("/graphql", json={"query": '{ __type(name: "Tree") { name } }'}).json()
        assert body == {"data": {"__type": {"name": "Tree"}}}


def test_production_hides_graphiql_and_introspection_and_keeps_service_sdl_for_the_gateway() -> None:
    with TestClient(app(production=True, subgraph_secret="s3cret")) as client:
        page = client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404
        assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        body = client.post("/graphql", json={"query": '{ __type(name: "Tree") { name } }'}).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert body["errors"][0]["message"] == (
            "GraphQL introspection has been disabled, but the requested query contained the field '__type'."
        )
        refused = client.post("/graphql", json={"query": "{ _service { sdl } }"})
        assert refused.status_code == 403
        assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["FORBIDDEN"]
        gateway = {"govgraph-subgraph-secret": "s3cret"}
        answer = client.post("/graphql", json={"query": "{ _service { sdl } }"}, headers=gateway)
        assert "type Tree {" in answer.json()["data"]["_service"]["sdl"]


def _init(ws) -> None:
    ws.send_json({"type": "connection_init"})
    assert ws.receive_json() == {"type": "connection_ack"}


def test_subscription_streams_over_graphql_transport_ws() -> None:
    with TestClient(app()) as client, client.websocket_connect("/graphql", subprotocols=[TRANSPORT_WS]) as ws:
        assert ws.accepted_subprotocol == TRANSPORT_WS
        _init(ws)
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": "subscription { ticks(count: 3) }"}}
        )
        ticks = [ws.receive_json() for _ in range(3)]
        assert [m["payload"]["data"]["ticks"] for m in ticks] == [0, 1, 2]
        assert ws.receive_json() == {"id": "1", "type": "complete"}


def test_legacy_graphql_ws_protocol_is_refused() -> None:
    with TestClient(app()) as client, client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4406


def test_subscriptions_per_connection_are_capped() -> None:
    limits = Limits(max_subscriptions_per_connection=2)
    with (
        TestClient(app(limits=limits)) as client,
        client.websocket_connect("/graphql", subprotocols=[TRANSPORT_WS]) as ws,
    ):
        _init(ws)
        for operation_id in ("1", "2", "3"):
            ws.send_json(
                {"id": operation_id, "type": "subscribe", "payload": {"query": "subscription { forever }"}}
            )
        refused = None
        while refused is None:
            message = ws.receive_json()
            if message["type"] == "error":
                refused = message
        assert refused["id"] == "3"
        assert refused["payload"] == [
            {"message": "Subscription limit reached", "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"}}
        ]


def test_subscription_errors_carry_codes() -> None:
    with TestClient(app()) as client, client.websocket_connect("/graphql", subprotocols=[TRANSPORT_WS]) as ws:
        _init(ws)
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": "subscription { nope }"}})
        message = ws.receive_json()
    assert message["type"] == "error"
    assert [(e["message"], e["extensions"]["code"]) for e in message["payload"]] == [
        ("Cannot query field 'nope' on type 'Subscription'.", "GRAPHQL_VALIDATION_FAILED")
    ]
