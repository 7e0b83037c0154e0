"""Crash safety of the write path: a real `govgraph serve` takes a stream of mutations over HTTP and is killed
with SIGKILL at a random moment, again and again. After every kill, every acknowledged mutation is in the
database with its ledger entry, every ledger entry has its rows, indexes are contiguous and the logs check
clean; a last start signs everything that was acknowledged."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from govgraph import db
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import Settings
from govgraph.ledger.fsck import fsck
from govgraph.ledger.log import Log
from tests.support.servers import LiveServer, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROUNDS = 6
WORKERS = 8
REGISTER = """mutation ($input: RegisterParcelInput!, $key: String) {
  registerParcel(input: $input, idempotencyKey: $key) { id ledgerEntry { index } } }"""
REGISTER_MANY = """mutation ($input: [RegisterParcelInput!]!) {
  registerParcels(input: $input) { id ledgerEntry { index } } }"""
ENROL = (
    """mutation ($input: EnrolCitizenInput!) { enrolCitizen(input: $input) { id ledgerEntry { index } } }"""
)
PERSON = {
    "givenName": "Crash",
    "familyName": "Test",
    "birthDate": "1990-01-01",
    "residence": "Hillcrest",
    "citizenship": "NL",
    "householdIncome": 1,
}


def parcel(parcel_id: str) -> dict:
    return {"id": parcel_id, "area": 100.0, "locality": "Hillcrest", "owner": "cit_5b0e2f7c1a9d4e83"}


async def stream(server: LiveServer, token: str, round_number: int, rng: random.Random) -> dict[str, int]:
    """Mutations from WORKERS clients until the server dies under them (killed after a random delay);
    returns what was acknowledged: parcel or citizen id -> its entry's index."""
    acked: dict[str, int] = {}
    serial = itertools.count()
    first_ack = asyncio.Event()

    async def worker(client: httpx.AsyncClient, worker_number: int) -> None:
        while True:
            n = next(serial)
            kind = rng.random()
            if kind < 0.7:
                name = f"crash-{round_number}-{n}"
                body = {"query": REGISTER, "variables": {"input": parcel(name), "key": f"k-{name}"}}
            elif kind < 0.9:
                names = [f"crash-{round_number}-{n}-{k}" for k in range(3)]
                body = {"query": REGISTER_MANY, "variables": {"input": [parcel(name) for name in names]}}
            else:
                body = {"query": ENROL, "variables": {"input": PERSON}}
            try:
                response = await client.post("/graphql", json=body)
                data = response.json()["data"]
            except (httpx.HTTPError, ValueError):
                return  # the server is gone: this request was never acknowledged
            for value in data.values():
                for item in value if isinstance(value, list) else [value]:
                    acked[item["id"]] = int(item["ledgerEntry"]["index"])
            first_ack.set()

    async def kill_later() -> None:
        # A random moment of the stream, counted from its first acknowledgment: how soon a fresh server
        # answers (it may first integrate the last round's entries) must not decide whether a round tests
        # anything.
        delay = rng.uniform(0.0, 1.4)
        await asyncio.wait_for(first_ack.wait(), timeout=60)
        await asyncio.sleep(delay)
        server.process.kill()  # SIGKILL: no shutdown, no flushing, mid-request

    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        await asyncio.gather(kill_later(), *(worker(client, w) for w in range(WORKERS)))
    return acked


def check_database(database: Path, acked: dict[str, int]) -> int:
    """Every acknowledged write is stored with its entry, every entry has its rows; returns land's size."""
    with sqlite3.connect(database) as connection:
        logs = dict(connection.execute("SELECT name, id FROM ledger_logs"))
        entries = {
            name: connection.execute(
                "SELECT idx, data FROM ledger_entries WHERE log_id = ? ORDER BY idx", (log_id,)
            ).fetchall()
            for name, log_id in logs.items()
        }
        sizes = dict(connection.execute("SELECT name, next_index FROM ledger_logs"))
        parcels = dict(connection.execute("SELECT id, ledger_index FROM land_parcel"))
        titles = dict(connection.execute("SELECT id, ledger_index FROM land_title"))
        citizens = dict(connection.execute("SELECT id, ledger_index FROM identity_citizen"))
        records = {row[0] for row in connection.execute("SELECT citizen_id FROM identity_citizen_record")}
    for name, rows in entries.items():
        assert [idx for idx, _ in rows] == list(range(sizes[name])), f"{name}: indexes not contiguous"
    land = {idx: json.loads(data) for idx, data in entries["land"]}
    for idx, entry in land.items():
        if entry["type"] == "govgraph.land.ParcelRegistered/v1":
            assert parcels.get(entry["parcel"]) == idx, f"land entry {idx} has no parcel row"
            assert titles.get(entry["title"]) == idx, f"land entry {idx} has no title row"
        else:
            assert titles.get(entry["title"]) == idx, f"land entry {idx} has no title row"
    enrolled = {citizen for citizen, idx in citizens.items() if idx is not None}
    assert sorted(citizens[c] for c in enrolled) == list(range(sizes["identity"]))  # one row per entry
    assert enrolled <= records
    for key, idx in acked.items():
        if key.startswith("crash-"):
            assert parcels.get(key) == idx, f"acknowledged parcel {key} is missing or moved"
            assert land[idx]["parcel"] == key
        else:
            assert citizens.get(key) == idx, f"acknowledged citizen {key} is missing"
    return sizes["land"]


async def logs_check_clean(settings: Settings) -> None:
    engine = db.create_engine(settings.database_url)
    try:
        for name in ("identity", "land"):
            report = await fsck(await Log.open(engine, name))
            assert report.clean, report.summary()
    finally:
        await engine.dispose()


def test_sigkilled_service_never_loses_an_acknowledged_write_nor_leaves_an_entry_without_rows(
    data_dir: Path,
) -> None:
    rng = random.Random(20261206)
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
    database = data_dir / "govgraph.db"
    acked: dict[str, int] = {}
    for round_number in range(ROUNDS):
        with running_server(data_dir, log_level="warning") as server:
            token = EmbeddedIssuer.load_or_create(
                settings.auth_issuer_key_path, issuer=settings.token_issuer, audience=settings.token_audience
            ).issue("crash-clerk", ["clerk:land", "clerk:identity"])
            acked_now = asyncio.run(stream(server, token, round_number, rng))
            server.process.wait()
        assert len(acked_now) > 0, f"round {round_number}: nothing was acknowledged before the kill"
        acked |= acked_now
        check_database(database, acked)
        asyncio.run(logs_check_clean(settings))
    assert len(acked) > 300
    # A last start integrates and signs whatever the kills left pending.
    with running_server(data_dir, log_level="warning") as server:
        size = check_database(database, acked)
        deadline = time.monotonic() + 20
        while (signed := signed_size(server)) < size and time.monotonic() < deadline:
            time.sleep(0.05)
        assert signed == size


def signed_size(server: LiveServer) -> int:
    body = httpx.post(
        f"{server.url}/graphql", json={"query": '{ ledger(name: "land") { size } }'}, timeout=10
    )
    return int(body.json()["data"]["ledger"]["size"])
