"""Agency fixtures: a real database (a SQLite file, and a PostgreSQL database when one is configured:
tests/support/databases.py) with the standard agencies' tables, their ledgers (keys in a temporary
directory) and the demo data written through their write paths and signed. The sequencers are stopped once
the demo data is signed, so the statements a test sees are its own: a test integrates itself when it needs
to (`Log.integrate` signs with the in-process witnesses' cosignatures)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from govgraph import db
from govgraph.agencies.registry import ledger_names, prepare_storage, seed_agencies, standard_agencies
from govgraph.agencies.writes import WritePaths
from govgraph.ledger.sequencing import SequencedLogs


class StatementLog:
    """SQL statements sent to the database, to show that look-ups are batched."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements.append(statement)


@dataclass
class Storage:
    engine: AsyncEngine
    sessions: async_sessionmaker
    log: StatementLog
    logs: SequencedLogs
    writes: WritePaths

    def __iter__(self):  # engine, sessions, log = storage
        return iter((self.engine, self.sessions, self.log))


@pytest.fixture
async def storage(tmp_path: Path, storage_url: str) -> AsyncIterator[Storage]:
    """Every test of the agencies' services and mutations on it runs on SQLite and on PostgreSQL."""
    engine = db.create_engine(storage_url)
    sessions = db.session_factory(engine)
    agencies = standard_agencies()
    await prepare_storage(engine, agencies)
    logs = SequencedLogs(engine, tmp_path / "keys", ledger_names(agencies), interval=0.01)
    await logs.start()
    try:
        writes = WritePaths(logs.logs, tmp_path / "keys")
        await seed_agencies(sessions, writes, agencies)
        await logs.stop()
        for ledger in logs.logs.values():
            await ledger.integrate()
        log = StatementLog()
        event.listen(engine.sync_engine, "before_cursor_execute", log)
        yield Storage(engine, sessions, log, logs, writes)
    finally:
        await logs.stop()
        await engine.dispose()


@pytest.fixture
def sessions(storage: Storage):
    return storage.sessions
