"""Fixtures of the service's tests: settings over a temporary data dir, the app in-process and as a real
`govgraph serve` process, and, for the whole session, the compliance and agency subgraphs (uvicorn threads
on 127.0.0.1) with one real Hive Gateway over all of them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from govgraph.agencies.registry import standard_agencies
from govgraph.app import build_app, standalone_agency_app
from govgraph.config import Settings
from govgraph.federation.node_composer import GatewayUnavailable, compose_supergraph, node_executable
from govgraph.federation.subgraph import standalone_app, subgraph_view
from tests.govgraph.federation.compliance import inventory, products, users
from tests.support.databases import (  # noqa: F401  (the storage tests' database fixtures)
    backend,
    empty_database_url,
    postgres_server,
    storage_url,
)
from tests.support.servers import HiveGateway, LiveServer, UvicornThread, running_server

COMPLIANCE = {"products": products, "users": users, "inventory": inventory}


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app in-process, with its lifespan run (start-up and shutdown)."""
    with TestClient(build_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def live_server(data_dir: Path) -> Iterator[LiveServer]:
    """The real `govgraph serve` process on a free 127.0.0.1 port, logging at info level."""
    with running_server(data_dir) as server:
        yield server


@dataclass
class Subgraphs:
    urls: dict[str, str]

    def post(self, name: str, query: str, variables: dict | None = None, **kwargs) -> dict:
        response = httpx.post(
            self.urls[name], json={"query": query, "variables": variables}, timeout=10, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()


@dataclass
class Gateway:
    url: str
    supergraph: str

    def post(self, query: str, variables: dict | None = None) -> dict:
        response = httpx.post(self.url, json={"query": query, "variables": variables}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
def gateway_packages() -> None:
    """Node and docker/gateway's npm packages, or a skip with the reason; under CI=true, where the gateway
    tests must run, a failure."""
    try:
        node_executable()
    except GatewayUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the real gateway cannot run: {exc}")
        pytest.skip(f"real Hive Gateway unavailable: {exc}")


@pytest.fixture(scope="session")
def live_subgraphs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Subgraphs]:
    """products/users/inventory (compliance) and identity/land (agencies, seeded SQLite) on free ports."""
    data_dir = tmp_path_factory.mktemp("agencies")
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
    servers = {
        name: UvicornThread(standalone_app(subgraph_view(module.build_schema())))
        for name, module in COMPLIANCE.items()
    }
    for agency in standard_agencies():
        servers[agency.name] = UvicornThread(standalone_agency_app(agency, settings))
    started = []
    try:
        for server in servers.values():
            started.append(server.start())
        yield Subgraphs({name: f"{server.url}/graphql" for name, server in servers.items()})
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="session")
def hive_gateway(
    gateway_packages: None, live_subgraphs: Subgraphs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    """The real Hive Gateway (Rust planner) over all five subgraphs; the supergraph is composed first."""
    directory: Path = tmp_path_factory.mktemp("gateway")
    supergraph = directory / "supergraph.graphql"
    sdl = compose_supergraph(live_subgraphs.urls, supergraph)
    gateway = HiveGateway.start(supergraph, directory / "gateway.log")
    try:
        yield Gateway(gateway.url, sdl)
    finally:
        gateway.stop()
