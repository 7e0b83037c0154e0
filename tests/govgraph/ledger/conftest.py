"""Ledger fixtures: a real database with the ledger tables (a SQLite file, and a PostgreSQL database when
one is configured: tests/support/databases.py), a log with a fresh key on it, and a real server holding
three agency logs and their witnesses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from govgraph import db
from govgraph.config import Settings
from govgraph.ledger.log import Log
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.note import Signer
from govgraph.ledger.operations import init_log
from tests.support.servers import running_server


@pytest.fixture
def database_url(storage_url: str) -> str:
    """Every test on this database runs on SQLite and on PostgreSQL."""
    return storage_url


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


@dataclass
class LedgerServer:
    url: str
    settings: Settings


@pytest.fixture
async def ledger_server(data_dir: Path) -> AsyncIterator[LedgerServer]:
    """Three logs (deeds, census, procurement), each with its witness key, created with the ledger
    operations, then the real `govgraph serve` process on a free 127.0.0.1 port serving them. None is named
    after an agency that writes its own ledger (land, identity): the service would append to those and
    cosign them itself."""
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
    engine = db.create_engine(settings.database_url)
    try:
        for name in ("deeds", "census", "procurement"):
            await init_log(engine, settings.ledger_keys_dir, name)
    finally:
        await engine.dispose()
    with running_server(data_dir, log_level="warning") as server:
        yield LedgerServer(server.url, settings)
