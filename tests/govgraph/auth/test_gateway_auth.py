"""Credentials through gateways to subgraphs that check them themselves: the real Hive Gateway (headers
propagated by docker/gateway's config) and the real `govgraph gateway` (OverHttp forwards them) over agency
subgraphs on 127.0.0.1; and the embedded gateway's in-flight deduplication, which never shares one caller's
subgraph answer with a caller holding other credentials."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from govgraph.agencies.registry import standard_agencies
from govgraph.app import build_app, standalone_agency_app
from govgraph.config import Settings
from govgraph.federation.node_composer import compose_supergraph
from tests.support.credentials import (
    ANONYMOUS_MESSAGE,
    FORBIDDEN_MESSAGE,
    REGISTER_PARCEL,
    bearer,
    create_api_key,
    govgraph,
    issue_token,
    refused_tokens,
)
from tests.support.mutations import ledger_sizes, mutations
from tests.support.servers import HiveGateway, UvicornThread, running_server


@dataclass
class Topology:
    data_dir: Path
    subgraphs: dict[str, str]  # name -> GraphQL URL
    hive: str  # Hive Gateway's GraphQL URL
    govgraph_gateway: str  # `govgraph gateway`'s GraphQL URL

    def ledgers(self) -> dict[str, int]:
        return ledger_sizes(self.data_dir / "govgraph.db")


@pytest.fixture(scope="module")
def topology(gateway_packages: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """identity, land and ledger as standalone subgraphs (one SQLite file), Hive Gateway and `govgraph
    gateway` in front of them."""
    data_dir = tmp_path_factory.mktemp("topology")
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
    servers = {
        agency.name: UvicornThread(standalone_agency_app(agency, settings)) for agency in standard_agencies()
    }
    started: list[UvicornThread] = []
    try:
        for server in servers.values():
            started.append(server.start())
        urls = {name: f"{server.url}/graphql" for name, server in servers.items()}
        compose_supergraph(urls, data_dir / "supergraph.graphql")
        hive = HiveGateway.start(data_dir / "supergraph.graphql", data_dir / "hive.log")
        arguments = ["gateway", "--port", "{port}"]
        for name, url in urls.items():
            arguments += ["--subgraph", f"{name}={url}"]
        gateway_dir = data_dir / "gateway"
        gateway_dir.mkdir()
        try:
            with running_server(gateway_dir, command=arguments, health_path="/readiness") as gateway:
                yield Topology(data_dir, urls, hive.url, f"{gateway.url}/graphql")
        finally:
            hive.stop()
    finally:
        for server in started:
            server.stop()


def post(url: str, body: dict, headers: dict | None = None) -> httpx.Response:
    return httpx.post(url, json=body, headers=headers, timeout=30)


def parcel(identifier: str) -> dict:
    return {
        "query": REGISTER_PARCEL,
        "variables": {"input": {"id": identifier, "area": 80.0, "locality": "Hill", "owner": "c-0002"}},
    }


GATEWAYS = ["hive", "govgraph_gateway"]


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_every_mutation_refuses_anonymous_callers_and_callers_without_its_role(
    topology: Topology, gateway: str
) -> None:
    url = getattr(topology, gateway)
    found = [mutation for mutation in mutations(lambda body: post(url, body).json()) if not mutation.public]
    assert found, "the composed schema has no mutation that needs a role"
    visitor = issue_token(topology.data_dir, "visitor", "auditor")
    before = topology.ledgers()
    for mutation in found:
        for headers, code in ((None, "UNAUTHENTICATED"), (bearer(visitor), "FORBIDDEN")):
            response = post(url, mutation.body, headers)
            body = response.json()
            assert response.status_code == 200, (mutation.name, body)
            assert body.get("data") is None and len(body["errors"]) == 1, (mutation.name, body)
            error = body["errors"][0]
            assert (error["extensions"]["code"], error["path"]) == (code, [mutation.name]), (
                mutation.name,
                body,
            )
            if code == "UNAUTHENTICATED":
                assert error["message"] == ANONYMOUS_MESSAGE
            else:
                assert FORBIDDEN_MESSAGE.fullmatch(error["message"]), error["message"]
    assert topology.ledgers() == before


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_clerk_token_reaches_the_subgraph_through_the_gateway(topology: Topology, gateway: str) -> None:
    url = getattr(topology, gateway)
    token = issue_token(topology.data_dir, "clerk-cy", "clerk:land")
    before = topology.ledgers()
    response = post(url, parcel(f"GW-{gateway}"), bearer(token))
    assert (response.status_code, response.json()) == (
        200,
        {"data": {"registerParcel": {"id": f"GW-{gateway}", "locality": "Hill"}}},
    )
    assert topology.ledgers() == {**before, "land": before["land"] + 1}


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_an_api_key_reaches_the_subgraph_through_the_gateway_until_revoked(
    topology: Topology, gateway: str
) -> None:
    url = getattr(topology, gateway)
    key = create_api_key(topology.data_dir, f"bot-{gateway.replace('_', '-')}", "clerk:land")
    before = topology.ledgers()
    response = post(url, parcel(f"KEY-{gateway}"), {"X-API-Key": key})
    assert response.json() == {"data": {"registerParcel": {"id": f"KEY-{gateway}", "locality": "Hill"}}}
    govgraph(topology.data_dir, "apikey", "revoke", f"bot-{gateway.replace('_', '-')}")
    refused = post(url, parcel(f"KEY-{gateway}-2"), {"X-API-Key": key})
    error = refused.json()["errors"][0]
    assert (refused.status_code, error["message"], error["extensions"]["code"]) == (
        200,
        "the API key has been revoked",
        "UNAUTHENTICATED",
    )
    assert topology.ledgers() == {**before, "land": before["land"] + 1}


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_refused_tokens_come_back_through_the_gateway_as_unauthenticated(
    topology: Topology, gateway: str
) -> None:
    url = getattr(topology, gateway)
    before = topology.ledgers()
    for refused in refused_tokens(topology.data_dir):
        response = post(url, parcel("NEVER"), refused.headers)
        body = response.json()
        assert response.status_code == 200, (refused.name, body)
        assert body.get("data") is None and len(body["errors"]) == 1, (refused.name, body)
        error = body["errors"][0]
        assert (error["message"], error["extensions"]["code"]) == (refused.message, "UNAUTHENTICATED"), (
            refused.name
        )
    assert topology.ledgers() == before


class CountingTransport:
    """Wraps one subgraph transport of a running embedded gateway: counts the fetches that reach it, keeps
    the headers each carried, and holds each one long enough for concurrent requests to overlap."""

    def __init__(self, transport) -> None:
        self.transport = transport
        self.forwarded: list[tuple] = []

    async def __call__(self, document, variables, operation_name, forwarded=()):
        self.forwarded.append(forwarded)
        await asyncio.sleep(0.3)
        return await self.transport(document, variables, operation_name, forwarded)


@pytest.fixture
def embedded(data_dir: Path) -> Iterator[tuple[str, CountingTransport, Path]]:
    """`build_app` over real HTTP with the ledger subgraph's transport counted."""
    app = build_app(Settings.from_env({"GOVGRAPH_DATA": str(data_dir)}))
    server = UvicornThread(app).start()
    try:
        transports = app.state.gateway.gateway.transports
        counting = transports["ledger"] = CountingTransport(transports["ledger"])
        yield f"{server.url}/graphql", counting, data_dir
    finally:
        server.stop()


async def concurrently(url: str, headers: list[dict]) -> list[dict]:
    async with httpx.AsyncClient(timeout=30) as client:
        responses = await asyncio.gather(
            *(client.post(url, json={"query": "{ ledgers { name } }"}, headers=each) for each in headers)
        )
    return [response.json() for response in responses]


def test_deduplication_never_shares_an_answer_between_different_credentials(embedded) -> None:
    url, counting, data_dir = embedded
    alice = issue_token(data_dir, "alice", "auditor")
    bob = issue_token(data_dir, "bob", "auditor")
    key = create_api_key(data_dir, "dedup-bot", "auditor")
    cases = [
        ([{}, {}], 1),
        ([bearer(alice), bearer(alice)], 1),
        ([{}, bearer(alice)], 2),
        ([bearer(alice), bearer(bob)], 2),
        ([{"X-API-Key": key}, {}], 2),
        ([{"X-API-Key": key}, {"X-API-Key": key}, bearer(alice), {}], 3),
    ]
    for headers, fetches in cases:
        counting.forwarded.clear()
        answers = asyncio.run(concurrently(url, headers))
        assert all(answer == answers[0] for answer in answers) and "errors" not in answers[0], answers
        assert len(counting.forwarded) == fetches, headers
        expected = {tuple((name.lower(), value) for name, value in each.items()) for each in headers}
        assert set(counting.forwarded) == expected
