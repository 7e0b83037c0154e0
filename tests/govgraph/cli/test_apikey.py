"""`govgraph apikey create / list / revoke` on a real SQLite file through typer's CliRunner: the key is
printed once, listed never, and refused once revoked."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govgraph import db
from govgraph.auth.apikeys import ApiKeyStore
from govgraph.auth.failures import AuthenticationFailed, Reason
from govgraph.cli import app

LINE = re.compile(
    r"(?P<id>[0-9a-f]{16})  (?P<name>\S+)  (?P<roles>\S+)  created \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00  "
    r"(?P<state>active|revoked \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)"
)


@pytest.fixture
def run(data_dir: Path):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["apikey", *args], env={"GOVGRAPH_DATA": str(data_dir)})

    return invoke


def verify(data_dir: Path, key: str):
    async def check():
        engine = db.create_engine(f"sqlite+aiosqlite:///{data_dir.resolve() / 'govgraph.db'}")
        try:
            return await ApiKeyStore(db.session_factory(engine)).verify(key)
        finally:
            await engine.dispose()

    return asyncio.run(check())


def test_create_list_revoke(run, data_dir: Path):
    created = run("create", "--name", "tally-bot", "--role", "service:tally", "--role", "auditor")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert re.fullmatch(r"gg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", key)
    key_id = key.split("_")[1]
    assert created.stderr == f"API key {key_id} (tally-bot) created; store it now, it is not shown again\n"
    assert verify(data_dir, key).roles == frozenset({"service:tally", "auditor"})

    assert run("create", "--name", "ci", "--role", "service:ci").exit_code == 0
    listed = run("list")
    assert listed.exit_code == 0
    lines = [LINE.fullmatch(line) for line in listed.stdout.splitlines()]
    assert all(lines)
    assert [(m["name"], m["roles"], m["state"]) for m in lines] == [
        ("tally-bot", "auditor,service:tally", "active"),
        ("ci", "service:ci", "active"),
    ]
    assert lines[0]["id"] == key_id
    assert key.split("_", 2)[2] not in listed.stdout

    revoked = run("revoke", "tally-bot")
    assert revoked.exit_code == 0
    match = LINE.fullmatch(revoked.stdout.strip())
    assert match and match["name"] == "tally-bot" and match["state"].startswith("revoked ")
    with pytest.raises(AuthenticationFailed) as refused:
        verify(data_dir, key)
    assert refused.value.reason is Reason.API_KEY_REVOKED
    by_id = run("revoke", lines[1]["id"])
    assert by_id.exit_code == 0 and LINE.fullmatch(by_id.stdout.strip())["name"] == "ci"
    states = [LINE.fullmatch(line)["state"][:7] for line in run("list").stdout.splitlines()]
    assert states == ["revoked", "revoked"]


def test_refusals_end_with_one_line(run):
    assert run("create", "--name", "ci", "--role", "service:ci").exit_code == 0
    duplicate = run("create", "--name", "ci", "--role", "auditor")
    assert (duplicate.exit_code, duplicate.stdout) == (1, "")
    assert duplicate.stderr == "govgraph apikey: an API key named 'ci' exists already\n"
    bad_role = run("create", "--name", "x", "--role", "Admin")
    assert bad_role.exit_code == 1
    assert bad_role.stderr.startswith("govgraph apikey: 'Admin' is not a role: expected admin")
    missing = run("revoke", "nobody")
    assert (missing.exit_code, missing.stderr) == (
        1,
        "govgraph apikey: no API key with id or name 'nobody'\n",
    )
    assert run("create", "--name", "x").exit_code == 2  # --role is required


def test_list_of_a_fresh_database_is_empty(run):
    result = run("list")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
