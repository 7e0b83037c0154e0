"""The ledger subgraph behind the real Hive Gateway: the standalone ledger and land subgraphs (uvicorn on
127.0.0.1, one SQLite file), composed by the Guild composer. Land writes its demo data through its write path
onto its ledger, cosigned in-process by the identity agency's witness; a receipt fetched through the gateway
verifies offline, titles link to their ledger entries across the two subgraphs, and the subgraph's error
codes reach the client."""

from __future__ import annotations

import asyncio
import json
import time
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
from govgraph.ledger.keys import read_vkey, witness_label
from govgraph.ledger.operations import init_log
from tests.support.servers import HiveGateway, UvicornThread

pytestmark = pytest.mark.e2e
LAND_DEMO_ENTRIES = 5  # three parcels, the sale of parcel-0003, a fourth parcel


@dataclass
class Served:
    url: str
    land_vkey: str
    witness_vkey: str  # the identity agency's witness, which cosigns land's checkpoints

    def post(self, query: str) -> dict:
        response = httpx.post(self.url, json={"query": query}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


def wait_until_signed(url: str, name: str, size: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    query = {"query": "query ($n: String!) { ledger(name: $n) { size } }", "variables": {"n": name}}
    while (ledger := httpx.post(url, json=query, timeout=10).json()["data"]["ledger"]) is None or int(
        ledger["size"]
    ) < size:
        assert time.monotonic() < deadline, f"ledger {name} not signed at size {size}: {ledger}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def gateway(gateway_packages: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("ledger-gateway")
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})

    async def identity_log() -> None:
        # The identity agency's log and witness key: the land subgraph, alone in its process, finds the key
        # in the key directory and has that witness cosign its checkpoints.
        engine = db.create_engine(settings.database_url)
        try:
            await init_log(engine, settings.ledger_keys_dir, "identity")
        finally:
            await engine.dispose()

    asyncio.run(identity_log())
    servers = {
        agency.name: UvicornThread(standalone_agency_app(agency, settings)) for agency in (LEDGER, LAND)
    }
    started: list[UvicornThread] = []
    hive = None
    try:
        for server in servers.values():
            started.append(server.start())
        wait_until_signed(f"{servers['ledger'].url}/graphql", "land", LAND_DEMO_ENTRIES)
        supergraph = data_dir / "supergraph.graphql"
        compose_supergraph({name: f"{server.url}/graphql" for name, server in servers.items()}, supergraph)
        hive = HiveGateway.start(supergraph, data_dir / "gateway.log")
        keys = settings.ledger_keys_dir
        yield Served(hive.url, read_vkey(keys, "land"), read_vkey(keys, witness_label("identity")))
    finally:
        if hive is not None:
            hive.stop()
        for server in started:
            server.stop()


def test_a_receipt_through_hive_gateway_verifies_offline(gateway: Served, tmp_path: Path) -> None:
    body = gateway.post('{ ledger(name: "land") { verifierKey size entry(index: "4") { data receipt } } }')
    ledger = body["data"]["ledger"]
    assert (ledger["verifierKey"], ledger["size"]) == (gateway.land_vkey, "5")
    entry = json.loads(ledger["entry"]["data"])
    assert (entry["type"], entry["parcel"], entry["title"]) == (
        "govgraph.land.ParcelRegistered/v1",
        "parcel-0004",
        "title-0005",
    )
    path = tmp_path / "receipt.json"
    path.write_text(ledger["entry"]["receipt"])
    verified = CliRunner().invoke(
        cli,
        ["ledger", "verify-receipt", str(path), "--vkey", ledger["verifierKey"]]
        + ["--witness-vkey", gateway.witness_vkey, "--quorum", "1"],
    )
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.endswith("The receipt is valid.\n")


def test_ledgers_and_land_compose_in_one_query(gateway: Served) -> None:
    body = gateway.post("{ ledgers { name size } parcels(first: 2) { id } }")
    assert body == {
        "data": {
            "ledgers": [{"name": "identity", "size": "0"}, {"name": "land", "size": "5"}],
            "parcels": [{"id": "parcel-0001"}, {"id": "parcel-0002"}],
        }
    }


def test_titles_link_to_their_ledger_entries_across_subgraphs(gateway: Served) -> None:
    body = gateway.post('{ parcel(id: "parcel-0003") { titles { id ledgerEntry { ledger index data } } } }')
    titles = body["data"]["parcel"]["titles"]
    assert [(t["id"], t["ledgerEntry"]["ledger"], t["ledgerEntry"]["index"]) for t in titles] == [
        ("title-0003", "land", "2"),
        ("title-0004", "land", "3"),
    ]
    transfer = json.loads(titles[1]["ledgerEntry"]["data"])
    assert (transfer["type"], transfer["previousTitle"], transfer["title"]) == (
        "govgraph.land.TitleTransferred/v1",
        "title-0003",
        "title-0004",
    )


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
