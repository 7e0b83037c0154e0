"""`govgraph db ...`: the database's schema revision (Alembic migrations in govgraph/migrations/)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from govgraph.cli.settings import load_settings

app = typer.Typer(help="Database migrations (GOVGRAPH_DATABASE_URL).", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Upgrade the database to the latest revision (safe to run from several processes at once)."""
    from govgraph import migrations

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    before = asyncio.run(migrations.current(settings.database_url)).current
    after = migrations.run_upgrade(settings.database_url)
    typer.echo(f"database at revision {after}" + ("" if before == after else f" (was {before or 'none'})"))


@app.command("current")
def current() -> None:
    """Print the database's revision and the latest one; exit 1 when the database is behind."""
    from govgraph import migrations

    settings = load_settings()
    revision = asyncio.run(migrations.current(settings.database_url))
    head = migrations.head()
    typer.echo(f"database: {revision.current or 'none'}\nhead:     {head}")
    if revision.current != head:
        typer.echo(
            f"govgraph: the database is not at the latest revision: run `{migrations.UPGRADE_COMMAND}`"
        )
        raise typer.Exit(code=1)


@app.command("revision")
def revision(
    message: Annotated[str, typer.Argument(help="What the revision does, e.g. 'welfare tables'.")],
    rev_id: Annotated[str, typer.Option("--id", help="Revision id, e.g. 0002_welfare.")],
) -> None:
    """Write a new revision under govgraph/migrations/versions/ with what the models have and the migrations
    do not create yet (autogenerate, against a scratch SQLite database upgraded to the current head)."""
    from govgraph import migrations

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}"
        asyncio.run(migrations.upgrade(url))
        path = asyncio.run(migrations.autogenerate(url, message, rev_id))
    typer.echo(f"wrote {path}: read it, and check it on PostgreSQL too (tests/govgraph/test_migrations.py)")
