"""Database migrations (Alembic): every table govgraph keeps, the revision a database is at, and upgrading
it; `govgraph db upgrade` and the start-up check of `govgraph serve` / `govgraph subgraph` call these.

A database that no migration has touched (no `alembic_version` table: a new file, an empty PostgreSQL
database, or one written by `govgraph ledger init`) is upgraded at start-up: the baseline revision creates
only the tables that are missing. A database at an older revision is refused, naming the command to run."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from govgraph import db

HERE = Path(__file__).resolve().parent
UPGRADE_COMMAND = "govgraph db upgrade"


class SchemaError(RuntimeError):
    """The database's revision is not the one this govgraph runs on; the message says what to do."""


def metadata() -> MetaData:
    """Every table govgraph keeps, in one MetaData: the standard agencies' tables, the idempotency
    records, the ledger's, the credential layer's and the API keys'. A table added anywhere must be added
    here (through its agency, or by name) and get a revision: tests/govgraph/test_migrations.py fails until
    the migrations create exactly these tables."""
    from govgraph.agencies import idempotency
    from govgraph.agencies.registry import standard_agencies
    from govgraph.auth import apikeys
    from govgraph.credentials import models as credential_models
    from govgraph.ledger.models import LEDGER_TABLES

    combined = MetaData()
    sources: list[MetaData] = [agency.metadata for agency in standard_agencies()]
    sources += [idempotency.metadata, credential_models.metadata, apikeys.metadata]
    for source in sources:
        for table in source.tables.values():
            if table.name not in combined.tables:
                table.to_metadata(combined)
    for table in LEDGER_TABLES:
        if table.name not in combined.tables:
            table.to_metadata(combined)
    return combined


def config() -> Config:
    """Alembic's configuration, without an alembic.ini: the scripts are this package."""
    alembic_config = Config()
    alembic_config.set_main_option("script_location", str(HERE))
    alembic_config.set_main_option("path_separator", "os")
    return alembic_config


def head() -> str:
    heads = ScriptDirectory.from_config(config()).get_heads()
    if len(heads) != 1:  # two branches merged without a merge revision
        raise SchemaError(f"the migrations have {len(heads)} heads ({', '.join(heads)}): merge them")
    return heads[0]


@dataclass(frozen=True)
class Revision:
    """Where a database stands: its revision (None: never migrated) and whether it holds any table."""

    current: str | None
    has_tables: bool


def _revision(connection: Connection) -> Revision:
    context = MigrationContext.configure(connection)
    tables = set(connection.dialect.get_table_names(connection)) - {"alembic_version"}
    return Revision(context.get_current_revision(), bool(tables))


def migration_engine(database_url: str) -> AsyncEngine:
    """An engine for migrating: on SQLite each transaction begins with BEGIN IMMEDIATE, so DDL is
    transactional and two processes migrating one file at once run one after the other (pysqlite would
    otherwise run CREATE TABLE outside any transaction)."""
    engine = db.create_engine(database_url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _no_implicit_transactions(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def current(database_url: str) -> Revision:
    engine = db.create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_revision)
    finally:
        await engine.dispose()


# Alembic keeps the running migration's context in a module global: one upgrade at a time per process
# (several apps in one process, e.g. subgraphs in threads, may start at once). Across processes, the
# database serializes them (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL).
_one_at_a_time = threading.Lock()


async def upgrade(database_url: str, target: str = "head") -> str | None:
    """Upgrade the database to `target` in one transaction; returns the revision it is at afterwards."""
    return await asyncio.to_thread(_upgrade_now, database_url, target)


def _upgrade_now(database_url: str, target: str) -> str | None:
    with _one_at_a_time:
        return asyncio.run(_upgrade(database_url, target))


async def _upgrade(database_url: str, target: str) -> str | None:
    engine = migration_engine(database_url)
    alembic_config = config()

    def run(connection: Connection) -> str | None:
        alembic_config.attributes["connection"] = connection
        command.upgrade(alembic_config, target)
        return MigrationContext.configure(connection).get_current_revision()

    try:
        async with engine.begin() as connection:
            return await connection.run_sync(run)
    finally:
        await engine.dispose()


async def prepare(database_url: str) -> str:
    """The start-up check: a database never migrated is upgraded to head; one at the head revision is used
    as it is; any other revision stops start-up with a SchemaError saying what to run."""
    expected = head()
    revision = await current(database_url)
    if revision.current == expected:
        return expected
    if revision.current is None:
        await upgrade(database_url)
        return expected
    known = {script.revision for script in ScriptDirectory.from_config(config()).walk_revisions()}
    if revision.current not in known:
        raise SchemaError(
            f"the database is at revision {revision.current}, which this govgraph does not know "
            f"(its head is {expected}): it was migrated by a newer version"
        )
    raise SchemaError(
        f"the database is at revision {revision.current}, behind {expected}: run `{UPGRADE_COMMAND}` "
        "(with the same GOVGRAPH_DATABASE_URL) before starting govgraph"
    )


def differences(connection: Connection, target: MetaData | None = None) -> Sequence[object]:
    """What autogenerate would change to make the database match `target` (default: every table)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, target if target is not None else metadata())


async def autogenerate(database_url: str, message: str, rev_id: str) -> str:
    """Write a revision with what autogenerate finds between the database (at head) and `metadata()`;
    returns its path."""
    engine = migration_engine(database_url)
    alembic_config = config()

    def run(connection: Connection) -> str:
        alembic_config.attributes["connection"] = connection
        script = command.revision(alembic_config, message=message, autogenerate=True, rev_id=rev_id)
        return script.path  # type: ignore[union-attr]

    try:
        async with engine.begin() as connection:
            return await connection.run_sync(run)
    finally:
        await engine.dispose()


def run_upgrade(database_url: str) -> str | None:
    """`upgrade` for synchronous callers (the CLI)."""
    return _upgrade_now(database_url, "head")
