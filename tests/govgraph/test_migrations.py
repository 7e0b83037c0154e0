"""Migrations on SQLite and PostgreSQL: the head revision creates exactly the tables the models declare (a
table added without a revision fails here), upgrades are idempotent and safe from two processes at once, a
database from before migrations is adopted, and `govgraph serve` / `govgraph db` refuse a database behind the
code with the command to run."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from govgraph import db, migrations
from govgraph.cli import app
from govgraph.cli.serve import checked_schema
from govgraph.config import Settings
from govgraph.ledger.models import create_ledger_tables

FUTURE_REVISION = '''"""A later revision, for the tests: one more table."""

import sqlalchemy as sa
from alembic import op

revision = "0999_future"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("future_notes", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("future_notes")
'''


async def tables_and_differences(url: str) -> tuple[set[str], list]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: set(sync.dialect.get_table_names(sync)))
            return names, list(await connection.run_sync(migrations.differences))
    finally:
        await engine.dispose()


async def test_the_head_revision_creates_exactly_the_models_tables(empty_database_url: str):
    assert await migrations.upgrade(empty_database_url) == migrations.head()
    names, differences = await tables_and_differences(empty_database_url)
    # Autogenerate finds nothing to add, drop or alter: models and migrations agree, column types included.
    assert differences == []
    assert names == set(migrations.metadata().tables) | {"alembic_version"}
    assert {"ledger_entries", "land_title", "identity_citizen_record", "auth_api_keys"} <= names


async def test_two_upgrades_at_once_leave_one_migrated_database(empty_database_url: str, data_dir: Path):
    """Two `govgraph db upgrade` processes on one new database: one migrates, the other waits and finds it
    done (as replicas starting together do)."""
    env = {**os.environ, "GOVGRAPH_DATA": str(data_dir), "GOVGRAPH_DATABASE_URL": empty_database_url}
    command = [sys.executable, "-m", "govgraph", "db", "upgrade"]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = sorted(process.communicate(timeout=60)[0] for process in processes)
    assert [process.returncode for process in processes] == [0, 0]
    head = migrations.head()
    assert outputs == [f"database at revision {head}\n", f"database at revision {head} (was none)\n"] or (
        outputs == [f"database at revision {head} (was none)\n"] * 2  # both read "none" before either began
    )
    revision = await migrations.current(empty_database_url)
    assert revision.current == migrations.head()
    assert (await tables_and_differences(empty_database_url))[1] == []


async def test_a_database_from_before_migrations_is_adopted(empty_database_url: str):
    engine = db.create_engine(empty_database_url)
    try:
        await create_ledger_tables(engine)  # what `govgraph ledger init` leaves
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO ledger_logs (name, origin, vkey, next_index, integrated_size) "
                    "VALUES ('old', 'govgraph.example/old', 'k', 3, 0)"
                )
            )
    finally:
        await engine.dispose()
    assert await migrations.current(empty_database_url) == migrations.Revision(None, True)
    assert await migrations.prepare(empty_database_url) == migrations.head()
    assert (await tables_and_differences(empty_database_url))[1] == []
    engine = db.create_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            kept = (await connection.execute(text("SELECT name, next_index FROM ledger_logs"))).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in kept] == [("old", 3)]


@pytest.fixture
def future_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The migrations as a later govgraph would ship them: one more revision after today's head."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrations.HERE, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    current_head = migrations.head()
    (scripts / "versions" / "0999_future.py").write_text(FUTURE_REVISION.format(head=current_head))
    monkeypatch.setattr(migrations, "HERE", scripts)
    return current_head


async def test_start_up_refuses_a_database_behind_and_names_the_command(
    empty_database_url: str, future_migrations: str
):
    await migrations.upgrade(empty_database_url, future_migrations)
    with pytest.raises(migrations.SchemaError) as refused:
        await migrations.prepare(empty_database_url)
    assert str(refused.value) == (
        f"the database is at revision {future_migrations}, behind 0999_future: run `govgraph db upgrade` "
        "(with the same GOVGRAPH_DATABASE_URL) before starting govgraph"
    )
    assert await migrations.upgrade(empty_database_url) == "0999_future"
    assert await migrations.prepare(empty_database_url) == "0999_future"


async def test_start_up_refuses_a_database_migrated_by_a_newer_govgraph(empty_database_url: str):
    await migrations.upgrade(empty_database_url)
    engine = db.create_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '0999_newer'"))
    finally:
        await engine.dispose()
    with pytest.raises(
        migrations.SchemaError, match="at revision 0999_newer, which this govgraph does not know"
    ):
        await migrations.prepare(empty_database_url)


def test_serve_stops_with_one_line_on_a_database_behind(data_dir: Path, future_migrations: str, capsys):
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
    asyncio.run(migrations.upgrade(settings.database_url, future_migrations))
    with pytest.raises(typer.Exit) as stopped:
        checked_schema(settings)
    assert stopped.value.exit_code == 1
    assert capsys.readouterr().err == (
        f"govgraph: the database is at revision {future_migrations}, behind 0999_future: run `govgraph db "
        "upgrade` (with the same GOVGRAPH_DATABASE_URL) before starting govgraph\n"
    )


def test_db_current_and_upgrade_commands(data_dir: Path):
    runner = CliRunner()
    env = {"GOVGRAPH_DATA": str(data_dir)}
    head = migrations.head()
    before = runner.invoke(app, ["db", "current"], env=env)
    assert before.exit_code == 1
    assert before.output == (
        f"database: none\nhead:     {head}\n"
        "govgraph: the database is not at the latest revision: run `govgraph db upgrade`\n"
    )
    upgraded = runner.invoke(app, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output == f"database at revision {head} (was none)\n"
    again = runner.invoke(app, ["db", "upgrade"], env=env)
    assert again.output == f"database at revision {head}\n"
    after = runner.invoke(app, ["db", "current"], env=env)
    assert (after.exit_code, after.output) == (0, f"database: {head}\nhead:     {head}\n")


def test_db_revision_writes_what_the_migrations_lack_against_the_models(
    tmp_path: Path, future_migrations: str
):
    """`govgraph db revision` autogenerates against a scratch database at head: with the future table
    in the migrations but not the models, the new revision drops it (what a reviewer would then read)."""
    result = CliRunner().invoke(app, ["db", "revision", "drop the future table", "--id", "1000_drop"])
    assert result.exit_code == 0, result.output
    written = next((migrations.HERE / "versions").glob("1000_drop*.py"))
    source = written.read_text()
    assert 'revision = "1000_drop"' in source or "revision = '1000_drop'" in source
    assert "op.drop_table('future_notes')" in source or 'op.drop_table("future_notes")' in source
