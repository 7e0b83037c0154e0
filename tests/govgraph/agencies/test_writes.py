"""The agencies' write path on a real SQLite file, without GraphQL: entries are canonical JSON with a
versioned type, the actor's role and a keyed hash of the actor; idempotency keys replay the first result and
append nothing; a refusal appends nothing and records no key; the agency's secret is created once, 0600. The
same idempotency rules for an agency without a ledger (LedgerlessWrites)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph import db
from govgraph.agencies import idempotency
from govgraph.agencies.writes import (
    Actor,
    AgencyWrites,
    Change,
    Event,
    LedgerlessWrites,
    WritePaths,
    load_or_create_secret,
)
from govgraph.federation.errors import BadUserInput, Conflict, Forbidden
from govgraph.federation.principal import AuthMethod, Principal
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.sequencing import open_or_create

NOTES = Table("notes", MetaData(), Column("id", String, primary_key=True), Column("text", String))
CLERK = Actor("clerk:tests", "bearer:alice")
MOMENT = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
async def writes(tmp_path: Path) -> AsyncIterator[AgencyWrites]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'writes.db'}")
    await create_ledger_tables(engine)
    async with engine.begin() as connection:
        await connection.run_sync(NOTES.metadata.create_all)
        await connection.run_sync(idempotency.metadata.create_all)
    log = await open_or_create(engine, tmp_path / "keys", "tests")
    try:
        yield AgencyWrites(
            "tests", log, load_or_create_secret(tmp_path / "keys", "tests"), clock=lambda: MOMENT
        )
    finally:
        await engine.dispose()


def note(note_id: str, text: str, *, refuse: bool = False):
    async def rows(connection: AsyncConnection, index: int) -> Change:
        await connection.execute(insert(NOTES).values(id=note_id, text=text))
        if refuse:
            raise Conflict(f"note {note_id} refused")
        return Change(
            {"note": note_id, "index": index}, [Event("govgraph.tests.NoteTaken/v1", {"note": note_id})]
        )

    return rows


async def notes(writes: AgencyWrites) -> dict[str, str]:
    async with writes.log.engine.connect() as connection:
        return dict((await connection.execute(select(NOTES.c.id, NOTES.c.text))).all())


def expected_hash(secret: bytes, label: str, value: str) -> str:
    digest = hmac.new(secret, label.encode() + b"\x00" + value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def test_an_entry_is_canonical_json_with_its_type_the_role_and_a_keyed_hash_of_the_actor(
    writes: AgencyWrites,
):
    written = await writes.write(CLERK, "takeNote", {"id": "n1"}, note("n1", "private text"))
    assert (written.result, written.indexes, written.replayed) == (
        {"note": "n1", "index": 0},
        range(0, 1),
        False,
    )
    actor = expected_hash(writes.secret, "actor", "bearer:alice")
    expected = {
        "actor": {"id": actor, "role": "clerk:tests"},
        "note": "n1",
        "time": "2026-01-01T00:00:00Z",
        "type": "govgraph.tests.NoteTaken/v1",
    }
    assert await writes.log.entry(0) == json.dumps(expected, separators=(",", ":"), sort_keys=True).encode()
    assert b"alice" not in await writes.log.entry(0)
    assert await notes(writes) == {"n1": "private text"}


async def test_a_retry_with_the_same_key_and_input_returns_the_first_result_and_appends_nothing(
    writes: AgencyWrites,
):
    first = await writes.write(CLERK, "takeNote", {"id": "n1"}, note("n1", "a"), "key-1")
    again = await writes.write(CLERK, "takeNote", {"id": "n1"}, note("n1", "a"), "key-1")
    assert (again.result, again.indexes, again.replayed) == (first.result, range(0), True)
    assert await writes.log.state() == (1, 0)
    with pytest.raises(
        Conflict, match=r"^This idempotency key was used for another operation or other input\.$"
    ):
        await writes.write(CLERK, "takeNote", {"id": "n2"}, note("n2", "b"), "key-1")
    with pytest.raises(Conflict, match="other input"):
        await writes.write(CLERK, "dropNote", {"id": "n1"}, note("n3", "c"), "key-1")
    assert await writes.log.state() == (1, 0)
    assert await notes(writes) == {"n1": "a"}
    # Keys are each caller's own: another clerk's key-1 is another write.
    other = await writes.write(
        Actor("clerk:tests", "bearer:bob"), "takeNote", {"id": "n4"}, note("n4", "d"), "key-1"
    )
    assert (other.indexes, other.replayed) == (range(1, 2), False)


async def test_concurrent_retries_of_one_write_append_it_once(writes: AgencyWrites):
    results = await asyncio.gather(
        *(writes.write(CLERK, "takeNote", {"id": "n1"}, note("n1", "a"), "retried") for _ in range(20))
    )
    assert {tuple(sorted(r.result.items())) for r in results} == {(("index", 0), ("note", "n1"))}
    assert sum(not r.replayed for r in results) == 1
    assert await writes.log.state() == (1, 0)


async def test_a_refused_write_appends_nothing_and_its_key_stays_free(writes: AgencyWrites):
    with pytest.raises(Conflict, match=r"^note n1 refused$"):
        await writes.write(CLERK, "takeNote", {"id": "n1"}, note("n1", "a", refuse=True), "key-1")
    assert await writes.log.state() == (0, 0)
    assert await notes(writes) == {}
    written = await writes.write(CLERK, "takeNote", {"id": "n1"}, note("n1", "a"), "key-1")
    assert (written.indexes, written.replayed) == (range(0, 1), False)


@pytest.mark.parametrize("key", ["", "x" * 129, "has space", "naïve", "tab\there"])
async def test_a_malformed_idempotency_key_is_bad_user_input(writes: AgencyWrites, key: str):
    with pytest.raises(
        BadUserInput, match=r"^An idempotency key is 1\.\.128 printable ASCII characters without spaces\.$"
    ):
        await writes.write(CLERK, "takeNote", {"id": "n1"}, note("n1", "a"), key)
    assert await writes.log.state() == (0, 0)


def test_an_actor_must_hold_the_role_it_acts_in():
    clerk = Principal(subject="alice", roles=frozenset({"clerk:tests"}), method=AuthMethod.BEARER)
    assert Actor.acting(clerk, "clerk:tests") == Actor("clerk:tests", "bearer:alice")
    with pytest.raises(Forbidden, match=r"^this operation requires the role clerk:land$"):
        Actor.acting(clerk, "clerk:land")
    with pytest.raises(Forbidden):
        Actor.acting(Principal(subject=None), "clerk:tests")


def test_the_agency_secret_is_created_once_owner_only_and_read_back(tmp_path: Path):
    first = load_or_create_secret(tmp_path / "keys", "land")
    path = tmp_path / "keys" / "land.hashkey"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 32 and load_or_create_secret(tmp_path / "keys", "land") == first
    assert load_or_create_secret(tmp_path / "keys", "identity") != first
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["identity.hashkey", "land.hashkey"]


async def test_write_paths_give_each_agency_its_own_secret(writes: AgencyWrites, tmp_path: Path):
    paths = WritePaths({"tests": writes.log}, tmp_path / "keys")
    assert "tests" in paths and "land" not in paths
    assert paths["tests"].secret == writes.secret
    assert paths["tests"].keyed_hash("citizen", "cit_1") == expected_hash(writes.secret, "citizen", "cit_1")


@pytest.fixture
async def ledgerless(tmp_path: Path) -> AsyncIterator[LedgerlessWrites]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ledgerless.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(NOTES.metadata.create_all)
        await connection.run_sync(idempotency.metadata.create_all)
    try:
        yield LedgerlessWrites("desk", engine, load_or_create_secret(tmp_path / "keys", "desk"))
    finally:
        await engine.dispose()


def plain_note(note_id: str, text: str, *, refuse: bool = False, event: bool = False):
    async def rows(connection: AsyncConnection) -> Change:
        await connection.execute(insert(NOTES).values(id=note_id, text=text))
        if refuse:
            raise Conflict(f"note {note_id} refused")
        events = [Event("govgraph.desk.NoteTaken/v1", {"note": note_id})] if event else []
        return Change({"note": note_id}, events, rows=f"row {note_id}")

    return rows


async def desk_state(writes: LedgerlessWrites) -> tuple[dict[str, str], list[tuple]]:
    """The notes, and the idempotency records (agency, actor, key, result)."""
    records = idempotency.IdempotencyRow.__table__  # type: ignore[attr-defined]
    async with writes.engine.connect() as connection:
        written = dict((await connection.execute(select(NOTES.c.id, NOTES.c.text))).all())
        recorded = (
            await connection.execute(
                select(records.c.agency, records.c.actor, records.c.key, records.c.result).order_by(
                    records.c.created_at
                )
            )
        ).all()
    return written, [tuple(row) for row in recorded]


async def test_a_ledgerless_retry_with_the_same_key_and_input_returns_the_first_result_and_writes_nothing(
    ledgerless: LedgerlessWrites,
):
    first = await ledgerless.write("bearer:alice", "takeNote", {"id": "n1"}, plain_note("n1", "a"), "key-1")
    assert (first.result, first.indexes, first.replayed, first.rows) == (
        {"note": "n1"},
        range(0),
        False,
        "row n1",
    )
    again = await ledgerless.write("bearer:alice", "takeNote", {"id": "n1"}, plain_note("n1", "a"), "key-1")
    assert (again.result, again.indexes, again.replayed, again.rows) == ({"note": "n1"}, range(0), True, None)
    alice = expected_hash(ledgerless.secret, "actor", "bearer:alice")
    assert await desk_state(ledgerless) == ({"n1": "a"}, [("desk", alice, "key-1", '{"note": "n1"}')])
    for operation, arguments in (("takeNote", {"id": "n2"}), ("dropNote", {"id": "n1"})):
        with pytest.raises(
            Conflict, match=r"^This idempotency key was used for another operation or other input\.$"
        ):
            await ledgerless.write("bearer:alice", operation, arguments, plain_note("n2", "b"), "key-1")
    assert await desk_state(ledgerless) == ({"n1": "a"}, [("desk", alice, "key-1", '{"note": "n1"}')])
    # Keys are each caller's own: another clerk's key-1 is another write.
    other = await ledgerless.write("bearer:bob", "takeNote", {"id": "n3"}, plain_note("n3", "c"), "key-1")
    assert (other.result, other.replayed) == ({"note": "n3"}, False)
    assert (await desk_state(ledgerless))[0] == {"n1": "a", "n3": "c"}


async def test_concurrent_ledgerless_retries_of_one_write_write_it_once(ledgerless: LedgerlessWrites):
    results = await asyncio.gather(
        *(
            ledgerless.write("bearer:alice", "takeNote", {"id": "n1"}, plain_note("n1", "a"), "retried")
            for _ in range(20)
        )
    )
    assert [r.result for r in results] == [{"note": "n1"}] * 20
    assert sum(not r.replayed for r in results) == 1
    written, recorded = await desk_state(ledgerless)
    assert (written, len(recorded)) == ({"n1": "a"}, 1)


async def test_a_refused_ledgerless_write_keeps_nothing_and_its_key_stays_free(ledgerless: LedgerlessWrites):
    with pytest.raises(Conflict, match=r"^note n1 refused$"):
        await ledgerless.write(
            "bearer:alice", "takeNote", {"id": "n1"}, plain_note("n1", "a", refuse=True), "key-1"
        )
    with pytest.raises(ValueError, match=r"^desk keeps no ledger: its writes record no events$"):
        await ledgerless.write(
            "bearer:alice", "takeNote", {"id": "n1"}, plain_note("n1", "a", event=True), "key-1"
        )
    with pytest.raises(
        BadUserInput, match=r"^An idempotency key is 1\.\.128 printable ASCII characters without spaces\.$"
    ):
        await ledgerless.write("bearer:alice", "takeNote", {"id": "n1"}, plain_note("n1", "a"), "two words")
    assert await desk_state(ledgerless) == ({}, [])
    written = await ledgerless.write("bearer:alice", "takeNote", {"id": "n1"}, plain_note("n1", "a"), "key-1")
    assert written.replayed is False
    assert (await desk_state(ledgerless))[0] == {"n1": "a"}


async def test_write_paths_give_a_ledgerless_agency_its_own_secret(writes: AgencyWrites, tmp_path: Path):
    paths = WritePaths(
        {"tests": writes.log}, tmp_path / "keys", engine=writes.log.engine, ledgerless=["desk"]
    )
    desk = paths.ledgerless("desk")
    assert desk is not None and desk.engine is writes.log.engine
    assert "desk" not in paths and paths.ledgerless("tests") is None
    assert desk.secret == bytes.fromhex((tmp_path / "keys" / "desk.hashkey").read_text())
    assert desk.secret != writes.secret
    with pytest.raises(ValueError, match=r"^the ledgerless agencies' writes need the engine$"):
        WritePaths({}, tmp_path / "keys", ledgerless=["desk"])
