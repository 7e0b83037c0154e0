"""The async database engine and sessions: SQLite (WAL, foreign keys) by default, PostgreSQL via asyncpg."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine(database_url: str) -> AsyncEngine:
    """An engine for `database_url`; for SQLite the file's directory is created and every connection
    gets WAL journaling, enforced foreign keys and a busy timeout (concurrent writers wait, not fail)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        # The process id in pg_stat_activity says which govgraph process holds a connection (or a lease).
        settings = {"application_name": f"govgraph:{os.getpid()}"}
        return create_async_engine(url, pool_pre_ping=True, connect_args={"server_settings": settings})
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    _journal_in_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _journal_in_wal(cursor) -> None:
    """Switch a new database file to WAL. The switch needs the file to itself, and SQLite refuses it at once
    ("database is locked") rather than waiting out the busy timeout while another process holds a lock, as
    a second process starting on the same new file does (two `govgraph db upgrade` at once): retry until
    the busy timeout. On a file already in WAL the pragma takes no lock and succeeds at once."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raises if the database cannot answer a trivial query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
