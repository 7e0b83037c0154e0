"""In production the subgraphs' federation fields (`_service`: the whole SDL; `_entities`: any entity by
key) answer only the gateway, which proves itself with GOVGRAPH_SUBGRAPH_SECRET; outside production, nothing
changes. Against real processes: `govgraph serve`, `govgraph subgraph`, `govgraph gateway`, Hive Gateway."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from websockets.sync.client import connect as websocket_connect

from govgraph.app import build_app
from govgraph.config import Settings
from govgraph.federation.node_composer import compose_supergraph
from tests.support.servers import HiveGateway, LiveServer, running_server

SECRET = "gateway-only-0123456789abcdef"
HEADER = "govgraph-subgraph-secret"
FORBIDDEN = (
    403,
    {
        "errors": [
            {
                "message": "_service and _entities answer only the gateway.",
                "extensions": {"code": "FORBIDDEN"},
            }
        ]
    },
)
PRODUCTION = {"GOVGRAPH_ENV": "production", "GOVGRAPH_SUBGRAPH_SECRET": SECRET}
SUBGRAPH = "/subgraphs/land/graphql"
ENTITY = '_entities(representations: [{__typename: "Parcel", id: "parcel-0001"}]) { ... on Parcel { area } }'
FEDERATION_QUERIES = [
    "{ _service { sdl } }",
    "{ schema: _service { sdl } }",
    "query Q { ...F } fragment F on Query { _service { sdl } }",
    "{ ... on Query { ... on Query { _service { sdl } } } }",
    "{ " + ENTITY + " }",
    "{ parcels(first: 1) { id } " + ENTITY + " }",
]
# Across subgraphs: land's parcels, then identity's Citizen entities (an _entities fetch).
JOINED = "{ parcels(first: 2) { id owner { id enrolledBy { name } } } }"


def seeded_database(directory: Path) -> dict[str, str]:
    """A SQLite database holding the agencies' demo rows (production seeds none), written once by the service
    itself outside production; the environment that points a production process at it and its ledger keys."""
    env = {
        "GOVGRAPH_DATA": str(directory),
        "GOVGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'seeded.db'}",
        "GOVGRAPH_LEDGER_KEYS": str(directory / "keys"),
    }
    with TestClient(build_app(Settings.from_env(env))):
        pass  # start-up seeds the demo rows through the agencies' write paths
    return {name: env[name] for name in ("GOVGRAPH_DATABASE_URL", "GOVGRAPH_LEDGER_KEYS")}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return seeded_database(tmp_path_factory.mktemp("seeded"))


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory, database: dict[str, str]) -> Iterator[LiveServer]:
    env = {**PRODUCTION, **database}
    with running_server(tmp_path_factory.mktemp("production"), env=env) as live:
        yield live


def post(url: str, query: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    response = httpx.post(url, json={"query": query}, headers=headers, timeout=10)
    return response.status_code, response.json()


@pytest.mark.parametrize("query", FEDERATION_QUERIES)
def test_federation_fields_without_the_secret_are_forbidden(production: LiveServer, query: str) -> None:
    url = production.url + SUBGRAPH
    assert post(url, query) == FORBIDDEN
    assert post(url, query, {HEADER: "not-" + SECRET}) == FORBIDDEN
    assert post(url, query, {HEADER: SECRET[:-1]}) == FORBIDDEN
    response = httpx.get(url, params={"query": query})
    assert (response.status_code, response.json()) == FORBIDDEN


@pytest.mark.parametrize("query", FEDERATION_QUERIES)
def test_federation_fields_with_the_secret_answer(production: LiveServer, query: str) -> None:
    status, body = post(production.url + SUBGRAPH, query, {HEADER: SECRET})
    assert status == 200 and "errors" not in body, body
    if "_service" in query:
        assert "type Parcel" in json.dumps(body)
    else:
        assert body["data"]["_entities"] == [{"area": 512.5}]


def test_ordinary_queries_need_no_secret(production: LiveServer) -> None:
    url = production.url + SUBGRAPH
    status, body = post(url, "{ parcels(first: 1) { id } }")
    assert status == 200 and len(body["data"]["parcels"]) == 1
    # The names inside a string are not fields: nothing is refused.
    assert post(url, '{ parcel(id: "_service _entities") { id } }') == (200, {"data": {"parcel": None}})


def test_the_embedded_gateway_joins_subgraphs_in_production(production: LiveServer) -> None:
    status, body = post(production.url + "/graphql", JOINED)
    assert status == 200 and "errors" not in body, body
    owners = [parcel["owner"] for parcel in body["data"]["parcels"] if parcel["owner"]]
    assert owners and all(owner["enrolledBy"]["name"] for owner in owners)


def test_federation_fields_over_a_websocket_without_the_secret_are_forbidden(production: LiveServer) -> None:
    url = production.url.replace("http://", "ws://") + SUBGRAPH
    with websocket_connect(url, subprotocols=["graphql-transport-ws"], open_timeout=5) as ws:
        ws.send('{"type": "connection_init"}')
        assert json.loads(ws.recv(timeout=5)) == {"type": "connection_ack"}
        ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{ _service { sdl } }"}}))
        assert json.loads(ws.recv(timeout=5)) == {
            "id": "1",
            "type": "error",
            "payload": [FORBIDDEN[1]["errors"][0]],
        }
    with websocket_connect(
        url, subprotocols=["graphql-transport-ws"], open_timeout=5, additional_headers={HEADER: SECRET}
    ) as ws:
        ws.send('{"type": "connection_init"}')
        assert json.loads(ws.recv(timeout=5)) == {"type": "connection_ack"}
        ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{ _service { sdl } }"}}))
        message = json.loads(ws.recv(timeout=5))
        assert message["type"] == "next" and "type Parcel" in message["payload"]["data"]["_service"]["sdl"]


def test_production_without_a_secret_refuses_everybody(tmp_path: Path) -> None:
    with running_server(tmp_path, env={"GOVGRAPH_ENV": "production"}) as live:
        url = live.url + SUBGRAPH
        assert post(url, "{ _service { sdl } }") == FORBIDDEN
        assert post(url, "{ _service { sdl } }", {HEADER: SECRET}) == FORBIDDEN
        assert post(live.url + "/graphql", "{ parcels(first: 1) { id } }") == (200, {"data": {"parcels": []}})


def test_outside_production_federation_fields_answer_anybody(live_server: LiveServer) -> None:
    status, body = post(live_server.url + SUBGRAPH, "{ _service { sdl } }")
    assert status == 200 and "type Parcel" in body["data"]["_service"]["sdl"]


@pytest.fixture(scope="module")
def remote_subgraphs(
    tmp_path_factory: pytest.TempPathFactory, database: dict[str, str]
) -> Iterator[dict[str, str]]:
    """identity and land, each its own `govgraph subgraph` process in production, over the seeded database."""
    env = {**PRODUCTION, **database}
    with (
        running_server(
            tmp_path_factory.mktemp("identity"),
            env=env,
            command=("subgraph", "identity", "--port", "{port}"),
            health_path="/readiness",
        ) as identity,
        running_server(
            tmp_path_factory.mktemp("land"),
            env=env,
            command=("subgraph", "land", "--port", "{port}"),
            health_path="/readiness",
        ) as land,
    ):
        yield {"identity": identity.url + "/graphql", "land": land.url + "/graphql"}


def test_the_remote_gateway_sends_the_secret(
    tmp_path_factory: pytest.TempPathFactory, remote_subgraphs: dict[str, str]
) -> None:
    command = ["gateway", "--port", "{port}"]
    for name, url in remote_subgraphs.items():
        command += ["--subgraph", f"{name}={url}"]
    with running_server(
        tmp_path_factory.mktemp("gateway"), env=PRODUCTION, command=command, health_path="/readiness"
    ) as gateway:
        status, body = post(gateway.url + "/graphql", JOINED)
    assert status == 200 and "errors" not in body, body
    assert any(
        parcel["owner"] and parcel["owner"]["enrolledBy"]["name"] for parcel in body["data"]["parcels"]
    )


def test_the_remote_gateway_without_the_secret_does_not_start(
    tmp_path: Path, remote_subgraphs: dict[str, str]
) -> None:
    arguments = [f"--subgraph={name}={url}" for name, url in remote_subgraphs.items()]
    completed = subprocess.run(
        [sys.executable, "-m", "govgraph", "gateway", *arguments],
        env={"GOVGRAPH_DATA": str(tmp_path), "GOVGRAPH_ENV": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert "did not give its SDL (HTTPStatusError: Client error '403 Forbidden'" in completed.stderr


def test_hive_gateway_sends_the_secret(
    gateway_packages: None,
    tmp_path: Path,
    remote_subgraphs: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOVGRAPH_SUBGRAPH_SECRET", SECRET)  # compose.mjs and gateway.config.mjs read it
    supergraph = tmp_path / "supergraph.graphql"
    compose_supergraph(remote_subgraphs, supergraph)
    gateway = HiveGateway.start(supergraph, tmp_path / "gateway.log")
    try:
        response = httpx.post(gateway.url, json={"query": JOINED}, timeout=30)
    finally:
        gateway.stop()
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    assert any(
        parcel["owner"] and parcel["owner"]["enrolledBy"]["name"] for parcel in body["data"]["parcels"]
    )
