"""Alembic's environment: migrations run on the connection the caller opened (govgraph.migrations.upgrade),
in its transaction, or on a new async engine when alembic is driven from its own command line."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString

from govgraph.migrations import metadata, migration_engine

# Any constant: the advisory lock that serializes concurrent upgrades of one PostgreSQL database.
MIGRATION_LOCK = 0x67676D69


def render_item(kind: str, item: object, autogen_context) -> str | bool:
    """SQLModel's string columns are written `sa.String()`: revisions import nothing from sqlmodel."""
    if kind == "type" and isinstance(item, AutoString):
        return "sa.String()"
    return False


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata(),
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table
        compare_type=True,
        render_item=render_item,
    )
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    # The caller's transaction is the migrations' transaction (alembic sees it and opens none of its own),
    # so the current revision is read once the lock is held.
    context.run_migrations()


async def run_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit(
            "set sqlalchemy.url (or use `govgraph db upgrade`, which reads GOVGRAPH_DATABASE_URL)"
        )
    engine = migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    asyncio.run(run_online())
