"""The kit's side of authentication, with a stand-in `authenticate`: the subgraph view sets each request's
principal from its headers and answers refused credentials with a 401 UNAUTHENTICATED before anything runs;
the gateway forwards exactly the credential headers, in-process and over HTTP, and its in-flight sharing
keys on them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from strawberry.types import Info

from govgraph.federation.context import RequestContext
from govgraph.federation.errors import Unauthenticated
from govgraph.federation.gateway.dedup import SharedFetches
from govgraph.federation.gateway.endpoint import GatewayEndpoint, local_gateway, remote_gateway
from govgraph.federation.http import WWW_AUTHENTICATE
from govgraph.federation.principal import ANONYMOUS, AuthMethod, Principal
from govgraph.federation.subgraph import build_subgraph_schema, standalone_app, subgraph_view
from tests.support.servers import UvicornThread

ALICE = Principal("alice", frozenset({"auditor"}), AuthMethod.BEARER)
KEY_BOT = Principal("bot", frozenset({"service:bot"}), AuthMethod.API_KEY)
seen: list[dict[str, list[str]]] = []  # the credential headers each authenticate call saw


async def authenticate(headers: Mapping[str, str]) -> Principal:
    """Bearer good -> alice, X-API-Key key-1 -> bot, nothing -> anonymous, anything else refused."""
    sent = {name: headers.getlist(name) for name in ("authorization", "x-api-key") if name in headers}
    seen.append(sent)
    if not sent:
        return ANONYMOUS
    if sent == {"authorization": ["Bearer good"]}:
        return ALICE
    if sent == {"x-api-key": ["key-1"]}:
        return KEY_BOT
    raise Unauthenticated("the credentials are refused")


@strawberry.type
class Caller:
    subject: str | None
    method: str
    roles: list[str]


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: Info) -> Caller:
        principal = info.context.principal
        return Caller(subject=principal.subject, method=principal.method.value, roles=sorted(principal.roles))


WHOAMI = {"query": "{ whoami { subject method roles } }"}


def caller(subject: str | None, method: str, roles: list[str]) -> dict:
    return {"data": {"whoami": {"subject": subject, "method": method, "roles": roles}}}


@pytest.fixture(autouse=True)
def _forget_seen() -> None:
    seen.clear()


@pytest.fixture(scope="module")
def subgraph() -> Iterator[str]:
    schema = build_subgraph_schema(Query)
    server = UvicornThread(standalone_app(subgraph_view(schema, authenticate=authenticate))).start()
    yield f"{server.url}/graphql"
    server.stop()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, caller(None, "anonymous", [])),
        ({"Authorization": "Bearer good"}, caller("alice", "bearer", ["auditor"])),
        ({"X-API-Key": "key-1"}, caller("bot", "api_key", ["service:bot"])),
    ],
)
def test_the_subgraph_view_puts_the_callers_principal_in_the_context(
    subgraph: str, headers: dict, expected: dict
) -> None:
    response = httpx.post(subgraph, json=WHOAMI, headers=headers, timeout=10)
    assert (response.status_code, response.json()) == (200, expected)


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer bad"},
        {"X-API-Key": "nope"},
        {"Authorization": "Bearer good", "X-API-Key": "key-1"},
    ],
)
def test_refused_credentials_are_a_401_before_the_body_is_read(subgraph: str, headers: dict) -> None:
    # The body is not even JSON: the refusal comes first.
    response = httpx.post(
        subgraph, content=b"{not json", headers={**headers, "content-type": "application/json"}, timeout=10
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == WWW_AUTHENTICATE
    assert response.json() == {
        "errors": [{"message": "the credentials are refused", "extensions": {"code": "UNAUTHENTICATED"}}]
    }


def test_a_failing_authenticate_is_an_internal_error_that_logs_no_credential(caplog) -> None:
    async def broken(headers: Mapping[str, str]) -> Principal:
        raise RuntimeError(f"database unreachable while checking {headers['authorization']}")

    app = standalone_app(subgraph_view(build_subgraph_schema(Query), authenticate=broken))
    with TestClient(app) as client, caplog.at_level(logging.DEBUG):
        response = client.post("/graphql", json=WHOAMI, headers={"Authorization": "Bearer s3cret-token"})
    assert (response.status_code, response.json()) == (
        500,
        {"errors": [{"message": "Internal error.", "extensions": {"code": "INTERNAL"}}]},
    )
    assert "authentication could not be checked: RuntimeError" in caplog.text
    assert "s3cret-token" not in caplog.text


def test_a_websocket_handshake_with_refused_credentials_is_closed_4401() -> None:
    app = standalone_app(subgraph_view(build_subgraph_schema(Query), authenticate=authenticate))
    with TestClient(app) as client:
        with pytest.raises(WebSocketDisconnect) as refused:
            client.websocket_connect(
                "/graphql", subprotocols=["graphql-transport-ws"], headers={"Authorization": "Bearer bad"}
            ).__enter__()
        assert refused.value.code == 4401
        with client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"], headers={"Authorization": "Bearer good"}
        ) as socket:
            socket.send_json({"type": "connection_init"})
            assert socket.receive_json() == {"type": "connection_ack"}
    assert seen == [{"authorization": ["Bearer bad"]}, {"authorization": ["Bearer good"]}]


def in_process_gateway(*, check_at_gateway: bool) -> Starlette:
    """The `people` subgraph behind an in-process gateway at /gateway."""
    schemas = {"people": build_subgraph_schema(Query)}

    async def context(forwarded) -> RequestContext:
        headers = Headers(raw=[(name.encode(), value.encode()) for name, value in forwarded])
        return RequestContext(
            request=None, response=None, sessions=None, principal=await authenticate(headers)
        )

    endpoint = GatewayEndpoint(
        lambda: local_gateway(schemas, context), authenticate=authenticate if check_at_gateway else None
    )
    return Starlette(routes=[Route("/gateway", endpoint)])


def test_the_in_process_gateway_forwards_only_the_credential_headers() -> None:
    app = in_process_gateway(check_at_gateway=False)
    with TestClient(app) as client:
        headers = {"Authorization": "Bearer good", "Cookie": "session=1", "X-Other": "x"}
        assert client.post("/gateway", json=WHOAMI, headers=headers).json() == caller(
            "alice", "bearer", ["auditor"]
        )
        assert client.post("/gateway", json=WHOAMI).json() == caller(None, "anonymous", [])
        refused = client.post("/gateway", json=WHOAMI, headers={"X-API-Key": "nope"})
    # Without a check of its own, the gateway passes the subgraph's refusal on as a request-level error.
    assert (refused.status_code, refused.json()) == (
        200,
        {
            "errors": [
                {
                    "message": "the credentials are refused",
                    "extensions": {"code": "UNAUTHENTICATED", "serviceName": "people"},
                }
            ]
        },
    )
    # The SDL fetch at start-up, then one context per fetch, each seeing exactly the credential headers.
    assert seen == [{}, {"authorization": ["Bearer good"]}, {}, {"x-api-key": ["nope"]}]


def test_a_gateway_that_checks_credentials_refuses_them_before_any_fetch() -> None:
    app = in_process_gateway(check_at_gateway=True)
    with TestClient(app) as client:
        client.post("/gateway", json={"query": "{ __typename }"})  # composed
        seen.clear()
        refused = client.post("/gateway", json=WHOAMI, headers={"Authorization": "Bearer bad"})
        over_get = client.get(
            "/gateway", params={"query": "{ whoami { subject } }"}, headers={"X-API-Key": "x"}
        )
    assert (refused.status_code, refused.headers["www-authenticate"], refused.json()) == (
        401,
        WWW_AUTHENTICATE,
        {"errors": [{"message": "the credentials are refused", "extensions": {"code": "UNAUTHENTICATED"}}]},
    )
    assert over_get.status_code == 401
    assert seen == [{"authorization": ["Bearer bad"]}, {"x-api-key": ["x"]}]  # no subgraph context was built


def test_a_gateway_over_http_forwards_the_credentials_and_passes_the_subgraphs_refusal_on(
    subgraph: str,
) -> None:
    async def run() -> list[tuple[int, dict]]:
        gateway = await remote_gateway({"people": subgraph})
        return [
            await gateway.execute(WHOAMI["query"], forwarded=(("authorization", "Bearer good"),)),
            await gateway.execute(WHOAMI["query"], forwarded=(("x-api-key", "key-1"),)),
            await gateway.execute(WHOAMI["query"]),
            await gateway.execute(
                WHOAMI["query"],
                forwarded=(("authorization", "Bearer good"), ("authorization", "Bearer good")),
            ),
        ]

    alice, bot, anonymous, doubled = asyncio.run(run())
    assert alice == (200, caller("alice", "bearer", ["auditor"]))
    assert bot == (200, caller("bot", "api_key", ["service:bot"]))
    assert anonymous == (200, caller(None, "anonymous", []))
    # Repeated headers stay repeated: the subgraph sees two and refuses them.
    assert doubled == (
        200,
        {
            "errors": [
                {
                    "message": "the credentials are refused",
                    "extensions": {"code": "UNAUTHENTICATED", "serviceName": "people"},
                }
            ]
        },
    )
    assert seen[-1] == {"authorization": ["Bearer good", "Bearer good"]}


def test_shared_fetches_are_shared_only_between_identical_credentials() -> None:
    calls: list[tuple] = []

    async def transport(document, variables, operation_name, forwarded=()):
        calls.append(forwarded)
        await asyncio.sleep(0.05)
        return {"data": {"who": list(forwarded)}}

    async def run(credentials: list[tuple]) -> list[dict]:
        shared = SharedFetches()
        return await asyncio.gather(
            *(shared.fetch("s", transport, "{ who }", {}, None, forwarded) for forwarded in credentials)
        )

    alice = (("authorization", "Bearer a"),)
    bob = (("authorization", "Bearer b"),)
    answers = asyncio.run(run([(), alice, alice, bob, ()]))
    assert sorted(calls) == sorted([(), alice, bob])
    assert [answer["data"]["who"] for answer in answers] == [[], list(alice), list(alice), list(bob), []]
    assert answers[1] is answers[2] and answers[0] is answers[4] and answers[0] is not answers[1]
