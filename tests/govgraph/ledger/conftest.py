"""Ledger fixtures: a real SQLite file with the ledger tables, and a log with a fresh key on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from govgraph import db
from govgraph.ledger.log import Log
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.note import Signer


@pytest.fixture
def database_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'ledger.db'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator:
    engine = db.create_engine(database_url)
    await create_ledger_tables(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def log_signer() -> Signer:
    return Signer.generate("govgraph.example/land")


@pytest.fixture
async def log(engine, log_signer: Signer) -> Log:
    return await Log.create(engine, "land", log_signer)
