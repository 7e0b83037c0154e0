"""Agency fixtures: a real SQLite file with the standard agencies' tables and demo data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event

from govgraph import db
from govgraph.agencies.registry import prepare_storage, standard_agencies


class StatementLog:
    """SQL statements sent to the database, to show that look-ups are batched."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements.append(statement)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[tuple]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'agencies.db'}")
    sessions = db.session_factory(engine)
    await prepare_storage(engine, sessions, standard_agencies(), seed=True)
    log = StatementLog()
    event.listen(engine.sync_engine, "before_cursor_execute", log)
    try:
        yield engine, sessions, log
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(storage):
    return storage[1]
