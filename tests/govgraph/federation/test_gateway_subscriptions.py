"""Gateway.subscribe without a govgraph server: events of one subgraph's subscription completed with entity
fields from another, in order; refusals and a broken subgraph stream with their codes; and subscribing to a
remote subgraph over a real WebSocket (ws_client.OverWebSocket), including a client that stops early."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator

import httpx
import strawberry

from govgraph.federation.gateway.endpoint import local_gateway, remote_gateway
from govgraph.federation.subgraph import build_subgraph_schema, standalone_app, subgraph_view
from tests.support.servers import UvicornThread

STOPPED: list[int] = []  # the counts at which `endless` subscriptions were stopped (subgraph side)


@strawberry.federation.type(keys=["id"])
class Parcel:
    id: strawberry.ID
    area: int


@strawberry.type
class LandQuery:
    @strawberry.field
    def parcel(self, id: strawberry.ID) -> Parcel:
        return Parcel(id=id, area=100)


@strawberry.type
class LandSubscription:
    @strawberry.subscription
    async def registered(self, count: int) -> AsyncGenerator[Parcel, None]:
        for n in range(count):
            yield Parcel(id=strawberry.ID(f"p-{n}"), area=10 * n)
            await asyncio.sleep(0)

    @strawberry.subscription
    async def broken(self) -> AsyncGenerator[Parcel, None]:
        yield Parcel(id=strawberry.ID("p-0"), area=0)
        raise RuntimeError("the disk caught fire")

    @strawberry.subscription
    async def endless(self) -> AsyncGenerator[int, None]:
        n = 0
        try:
            while True:
                yield n
                n += 1
                await asyncio.sleep(0.01)
        finally:
            STOPPED.append(n)


@strawberry.federation.type(name="Parcel", keys=["id"])
class OwnedParcel:
    id: strawberry.ID
    owner: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> OwnedParcel:
        return cls(id=id, owner=f"owner of {id}")


def schemas() -> dict:
    return {
        "land": build_subgraph_schema(LandQuery, subscription=LandSubscription, types=[Parcel]),
        "owners": build_subgraph_schema(None, types=[OwnedParcel]),
    }


async def events(gateway, query: str) -> list[dict]:
    stream = await gateway.subscribe(query)
    assert not isinstance(stream, tuple), stream
    return [event async for event in stream]


async def test_each_event_gets_its_entity_fields_from_the_other_subgraph_in_order() -> None:
    gateway = await local_gateway(schemas())
    assert await events(gateway, "subscription { registered(count: 3) { id area owner } }") == [
        {"data": {"registered": {"id": f"p-{n}", "area": 10 * n, "owner": f"owner of p-{n}"}}}
        for n in range(3)
    ]


async def test_refusals_and_broken_streams_carry_codes() -> None:
    gateway = await local_gateway(schemas())
    status, body = await gateway.subscribe("subscription { registered(count: 1) { nope } }")
    assert (status, [e["extensions"]["code"] for e in body["errors"]]) == (200, ["GRAPHQL_VALIDATION_FAILED"])
    # the subgraph's own error mid-stream is an event with its errors (masked: nothing internal leaks)
    assert await events(gateway, "subscription { broken { id owner } }") == [
        {"data": {"broken": {"id": "p-0", "owner": "owner of p-0"}}},
        {
            "errors": [
                {"message": "Internal error.", "extensions": {"code": "INTERNAL", "serviceName": "land"}}
            ]
        },
    ]
    # over plain execute, a subscription is refused rather than half-run
    assert await gateway.execute("subscription { registered(count: 1) { id } }") == (
        400,
        {
            "errors": [
                {
                    "message": "Subscriptions are served over graphql-transport-ws or text/event-stream.",
                    "extensions": {"code": "BAD_REQUEST"},
                }
            ]
        },
    )


async def test_a_gateway_without_a_stream_to_the_subgraph_refuses_with_a_code() -> None:
    gateway = await local_gateway(schemas())
    gateway.streams.clear()
    assert await gateway.subscribe("subscription { registered(count: 1) { id } }") == (
        200,
        {
            "errors": [
                {
                    "message": 'Subgraph "land" serves no subscriptions to this gateway.',
                    "extensions": {"code": "QUERY_PLANNING_FAILED"},
                }
            ]
        },
    )


async def test_remote_subgraphs_are_subscribed_over_websocket() -> None:
    servers = {
        name: UvicornThread(standalone_app(subgraph_view(schema))) for name, schema in schemas().items()
    }
    try:
        for server in servers.values():
            await asyncio.to_thread(server.start)
        gateway = await remote_gateway({name: f"{server.url}/graphql" for name, server in servers.items()})
        assert await events(gateway, "subscription { registered(count: 2) { id owner } }") == [
            {"data": {"registered": {"id": f"p-{n}", "owner": f"owner of p-{n}"}}} for n in range(2)
        ]
        stream = await gateway.subscribe("subscription { endless }")
        assert [await anext(stream) for _ in range(3)] == [{"data": {"endless": n}} for n in range(3)]
        await stream.aclose()  # the client completed it: the subgraph's subscription stops too
        for _ in range(200):
            if STOPPED:
                break
            await asyncio.sleep(0.01)
        assert len(STOPPED) == 1 and STOPPED[0] >= 2
        # a subgraph that cannot be reached: one coded event, and the end
        servers["land"].stop()
        assert await events(gateway, "subscription { registered(count: 2) { id } }") == [
            {
                "errors": [
                    {
                        "message": 'Subscription to subgraph "land" failed: ConnectionRefusedError',
                        "extensions": {"code": "SUBGRAPH_REQUEST_FAILED"},
                    }
                ]
            }
        ]
    finally:
        for server in servers.values():
            await asyncio.to_thread(server.stop)


def test_connection_init_credentials_go_with_every_fetch_of_the_connection() -> None:
    """The payload's credentials (top level, or under `headers`, any case) are what the subgraph sees, for
    the streamed root field and for each event's entity fetch; the handshake's are the fallback."""
    seen: list[tuple] = []

    def context(forwarded):
        seen.append(forwarded)
        return None

    from starlette.applications import Starlette
    from starlette.routing import Route, WebSocketRoute
    from websockets.sync.client import connect

    from govgraph.federation.gateway.endpoint import GatewayEndpoint

    endpoint = GatewayEndpoint(lambda: local_gateway(schemas(), context))
    routes = [Route("/graphql", endpoint), WebSocketRoute("/graphql", endpoint)]
    server = UvicornThread(Starlette(routes=routes)).start()
    query = {"query": "subscription { registered(count: 1) { id owner } }"}
    try:
        # the gateway is built (each subgraph's SDL fetched) by its first request
        assert httpx.post(server.url + "/graphql", json={"query": "{ __typename }"}).status_code == 200
        url = server.url.replace("http://", "ws://") + "/graphql"
        cases = [
            ({"Authorization": "Bearer a"}, {}, (("authorization", "Bearer a"),)),
            ({"headers": {"x-API-key": "k1"}}, {}, (("x-api-key", "k1"),)),
            ({}, {"Authorization": "Bearer h"}, (("authorization", "Bearer h"),)),
        ]
        for payload, handshake, expected in cases:
            seen.clear()
            with connect(url, subprotocols=["graphql-transport-ws"], additional_headers=handshake) as ws:
                ws.send(json.dumps({"type": "connection_init", "payload": payload}))
                assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
                ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": query}))
                assert json.loads(ws.recv(timeout=10)) == {
                    "id": "1",
                    "type": "next",
                    "payload": {"data": {"registered": {"id": "p-0", "owner": "owner of p-0"}}},
                }
                assert json.loads(ws.recv(timeout=10)) == {"id": "1", "type": "complete"}
            # once for the land subgraph's stream, once for the owners subgraph's entity fetch
            assert seen == [expected, expected]
    finally:
        server.stop()


def test_server_shutdown_completes_streams_and_ends_every_subgraph_subscription() -> None:
    """govgraph.server.Server stopping: the client gets `complete` then close 1001, the SSE client `complete`,
    and the subgraph's generators have finished (their `finally` ran) before the server's loop is gone."""
    import threading

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Route, WebSocketRoute
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    from govgraph.federation.gateway.endpoint import GatewayEndpoint
    from govgraph.server import Server
    from tests.support.servers import free_port

    endpoint = GatewayEndpoint(lambda: local_gateway(schemas()))
    app = Starlette(routes=[Route("/graphql", endpoint), WebSocketRoute("/graphql", endpoint)])
    app.state.close_streams = endpoint.close_streams
    port = free_port()
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        threading.Event().wait(0.02)
    STOPPED.clear()
    query = {"query": "subscription { endless }"}
    with (
        connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]) as ws,
        httpx.stream(
            "POST", f"http://127.0.0.1:{port}/graphql", json=query, headers={"accept": "text/event-stream"}
        ) as sse,
    ):
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
        ws.send(json.dumps({"id": "e", "type": "subscribe", "payload": query}))
        assert json.loads(ws.recv(timeout=10)) == {
            "id": "e",
            "type": "next",
            "payload": {"data": {"endless": 0}},
        }
        lines = sse.iter_lines()
        assert [next(lines), next(lines)] == ["event: next", 'data: {"data":{"endless":0}}']
        server.should_exit = True
        received = []
        try:
            while True:
                received.append(json.loads(ws.recv(timeout=10)))
        except ConnectionClosed as closed:
            assert (closed.rcvd.code, closed.rcvd.reason) == (1001, "Server shutting down")
        assert received[-1] == {"id": "e", "type": "complete"}
        assert all(message["type"] == "next" for message in received[:-1])
        assert [line for line in lines if line.startswith("event:")][-1] == "event: complete"
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert endpoint.streams.open == set()
    assert len(STOPPED) == 2  # both subgraph subscriptions ran their `finally`: no task was left behind


def test_trusted_documents_only_holds_over_websockets() -> None:
    """With GOVGRAPH_TRUSTED_DOCUMENTS_ONLY a subscription runs by its documentId; any other document sent
    over graphql-transport-ws is refused with the code HTTP gives it, and nothing is subscribed."""
    import hashlib

    from starlette.applications import Starlette
    from starlette.routing import Route, WebSocketRoute
    from websockets.sync.client import connect

    from govgraph.federation.gateway.endpoint import GatewayEndpoint
    from govgraph.federation.gateway.persisted import PersistedDocuments

    trusted = "subscription { registered(count: 1) { id owner } }"
    digest = hashlib.sha256(trusted.encode()).hexdigest()
    persisted = PersistedDocuments({digest: trusted}, only=True)
    endpoint = GatewayEndpoint(lambda: local_gateway(schemas()), persisted=persisted)
    routes = [Route("/graphql", endpoint), WebSocketRoute("/graphql", endpoint)]
    server = UvicornThread(Starlette(routes=routes)).start()
    try:
        url = server.url.replace("http://", "ws://") + "/graphql"
        with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
            ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"documentId": digest}}))
            assert json.loads(ws.recv(timeout=10)) == {
                "id": "1",
                "type": "next",
                "payload": {"data": {"registered": {"id": "p-0", "owner": "owner of p-0"}}},
            }
            assert json.loads(ws.recv(timeout=10)) == {"id": "1", "type": "complete"}
            other = {"query": "subscription { registered(count: 2) { id } }"}
            ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": other}))
            assert json.loads(ws.recv(timeout=10)) == {
                "id": "2",
                "type": "error",
                "payload": [
                    {
                        "message": "Only trusted documents may run here: send a documentId.",
                        "extensions": {"code": "PERSISTED_QUERY_ONLY"},
                    }
                ],
            }
    finally:
        server.stop()
