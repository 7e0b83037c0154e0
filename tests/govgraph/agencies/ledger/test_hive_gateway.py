"""The ledger subgraph behind the real Hive Gateway: the standalone ledger and land subgraphs (uvicorn on
127.0.0.1, one SQLite file holding two logs), composed by the Guild composer; a receipt fetched through the
gateway verifies offline, and the subgraph's error codes reach the client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from govgraph import db
from govgraph.agencies.registry import LAND, LEDGER
from govgraph.app import standalone_agency_app
from govgraph.cli import app as cli
from govgraph.config import Settings
from govgraph.federation.node_composer import compose_supergraph
from tests.govgraph.agencies.ledger.conftest import LAND_ENTRIES, Logs, fill_logs
from tests.support.servers import HiveGateway, UvicornThread

pytestmark = pytest.mark.e2e


@dataclass
class Served:
    url: str
    logs: Logs

    def post(self, query: str) -> dict:
        response = httpx.post(self.url, json={"query": query}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def gateway(gateway_packages: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("ledger-gateway")
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})

    async def fill() -> Logs:
        engine = db.create_engine(settings.database_url)
        try:
            return await fill_logs(engine, settings.ledger_keys_dir)
        finally:
            await engine.dispose()

    logs = asyncio.run(fill())
    servers = {
        agency.name: UvicornThread(standalone_agency_app(agency, settings)) for agency in (LEDGER, LAND)
    }
    started: list[UvicornThread] = []
    hive = None
    try:
        for server in servers.values():
            started.append(server.start())
        supergraph = data_dir / "supergraph.graphql"
        compose_supergraph({name: f"{server.url}/graphql" for name, server in servers.items()}, supergraph)
        hive = HiveGateway.start(supergraph, data_dir / "gateway.log")
        yield Served(hive.url, logs)
    finally:
        if hive is not None:
            hive.stop()
        for server in started:
            server.stop()


def test_a_receipt_through_hive_gateway_verifies_offline(gateway: Served, tmp_path: Path) -> None:
    body = gateway.post('{ ledger(name: "land") { verifierKey size entry(index: "6") { data receipt } } }')
    ledger = body["data"]["ledger"]
    assert (ledger["verifierKey"], ledger["size"], ledger["entry"]["data"]) == (
        gateway.logs.land_vkey,
        "7",
        LAND_ENTRIES[6].decode(),
    )
    path = tmp_path / "receipt.json"
    path.write_text(ledger["entry"]["receipt"])
    verified = CliRunner().invoke(
        cli,
        ["ledger", "verify-receipt", str(path), "--vkey", ledger["verifierKey"]]
        + ["--witness-vkey", gateway.logs.witness_vkey, "--quorum", "1"],
    )
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.endswith("The receipt is valid.\n")


def test_ledgers_and_land_compose_in_one_query(gateway: Served) -> None:
    body = gateway.post("{ ledgers { name size } parcels(first: 2) { id } }")
    assert body == {
        "data": {
            "ledgers": [{"name": "identity", "size": "3"}, {"name": "land", "size": "7"}],
            "parcels": [{"id": "parcel-0001"}, {"id": "parcel-0002"}],
        }
    }


def test_error_codes_pass_through_hive_gateway(gateway: Served) -> None:
    body = gateway.post('{ ledger(name: "land") { consistencyProof(fromSize: "5", toSize: "3") } }')
    assert body == {
        "data": {"ledger": None},
        "errors": [
            {
                "message": "`fromSize` (5) must not exceed `toSize` (3).",
                "path": ["ledger", "consistencyProof"],
                "extensions": {"code": "BAD_USER_INPUT", "serviceName": "ledger"},
            }
        ],
    }
