"""Ledger subgraph fixtures: two agency logs on a real SQLite file, made with the ledger's own operations
(init, append, integrate) and a real witness: land (7 entries, signed at 3 then 7, the second checkpoint
cosigned by identity's witness) and identity (3 entries signed, a fourth acknowledged but not integrated)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from govgraph import db
from govgraph.agencies.registry import LEDGER
from govgraph.app import build_app
from govgraph.config import Settings
from govgraph.ledger.keys import read_signer, read_vkey, read_witness_signer, witness_label
from govgraph.ledger.log import Log
from govgraph.ledger.operations import init_log
from govgraph.ledger.witness import AddCheckpointRequest, Witness
from zk.wire import canonical_json

LAND_ENTRIES = [
    canonical_json({"type": "govgraph.land.ParcelRegistered/v1", "parcel": f"parcel-{i:04d}", "seq": i})
    for i in range(7)
]
IDENTITY_ENTRIES = [
    canonical_json({"type": "govgraph.identity.CitizenEnrolled/v1", "citizen": f"h{i}"}) for i in range(3)
]
PENDING_ENTRY = canonical_json({"type": "govgraph.identity.CitizenEnrolled/v1", "citizen": "pending"})
WITNESS_TIME = 1_700_000_000


@dataclass(frozen=True)
class Logs:
    """What a client of the ledger subgraph would know: the logs' and the witness's verifier keys."""

    land_vkey: str
    identity_vkey: str
    witness_vkey: str  # identity's witness, which cosigned land's checkpoint of size 7
    witness_name: str


async def fill_logs(engine: AsyncEngine, keys_dir: Path) -> Logs:
    land = await init_log(engine, keys_dir, "land")
    identity = await init_log(engine, keys_dir, "identity")
    await land.append_many(LAND_ENTRIES[:3])
    await land.integrate()
    await land.append_many(LAND_ENTRIES[3:])
    head = await land.integrate()
    assert head is not None and head.size == 7
    witness = Witness(
        engine,
        read_witness_signer(keys_dir, "identity"),
        {land.origin: [land.verifier]},
        clock=lambda: WITNESS_TIME,
    )
    # The witness has cosigned nothing of land yet: it accepts the checkpoint from size 0, without a proof.
    reply = await witness.add_checkpoint(AddCheckpointRequest(0, (), head.note).encode())
    assert reply.status == 200, reply.body
    await land.add_cosignatures(head.id, {witness.name: reply.body.decode()})
    await identity.append_many(IDENTITY_ENTRIES)
    await identity.integrate()
    await identity.append(PENDING_ENTRY)
    return Logs(
        land.verifier.vkey,
        identity.verifier.vkey,
        read_vkey(keys_dir, witness_label("identity")),
        witness.name,
    )


async def append_and_sign(engine: AsyncEngine, keys_dir: Path, name: str, entries: list[bytes]) -> None:
    log = await Log.open(engine, name, read_signer(keys_dir, name))
    await log.append_many(entries)
    await log.integrate()


def run_on_database(settings: Settings, operation) -> object:
    """Run `operation(engine, keys_dir)` on the app's database from the test's thread (the app, in a
    TestClient, runs its own event loop)."""

    async def run() -> object:
        engine = db.create_engine(settings.database_url)
        try:
            return await operation(engine, settings.ledger_keys_dir)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app serving the ledger subgraph alone: the agencies that write their own ledgers (land, identity)
    would append to the logs this fixture fills, which are named after them."""
    with TestClient(build_app(settings, [LEDGER])) as test_client:
        yield test_client


@pytest.fixture
def logs(settings: Settings) -> Logs:
    """The two logs in the database the app's `settings` name (create them before starting the app)."""
    return run_on_database(settings, fill_logs)  # type: ignore[return-value]


@pytest.fixture
async def filled(tmp_path: Path) -> AsyncIterator[tuple]:
    """(sessions, engine, Logs, selects) over a real SQLite file holding the two logs; `selects` collects the
    SELECT statements sent from then on (to show that reads are batched)."""
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ledgers.db'}")
    made = await fill_logs(engine, tmp_path / "keys")
    statements: list[str] = []

    def collect(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", collect)
    try:
        yield db.session_factory(engine), engine, made, statements
    finally:
        await engine.dispose()
