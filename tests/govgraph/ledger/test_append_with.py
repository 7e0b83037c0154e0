"""Domain rows and ledger entries committed together (Log.append_with) on a real SQLite file: callers queued
together share one transaction; a refusal undoes only its caller's rows (the batch runs again, a savepoint
per writer) and costs no index, so indexes stay contiguous and every entry has its row."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govgraph import db
from govgraph.ledger.fsck import fsck
from govgraph.ledger.log import MAX_ENTRY_SIZE, EntryTooLarge, Log
from govgraph.ledger.note import Signer

METADATA = MetaData()
THINGS = Table(
    "things",
    METADATA,
    Column("name", String, primary_key=True),
    Column("entry_index", Integer, nullable=False),
)


class Refused(Exception):
    pass


@pytest.fixture
async def things(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    return engine


def thing_writer(name: str, *, refuse: bool = False, entries: int = 1):
    """Inserts a row naming the index of its first entry, then refuses (after the insert) or returns its
    entries."""

    async def write(connection: AsyncConnection, index: int) -> list[bytes]:
        await connection.execute(insert(THINGS).values(name=name, entry_index=index))
        if refuse:
            raise Refused(name)
        return [f"{name}/{k}".encode() for k in range(entries)]

    return write


async def stored_things(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        return dict((await connection.execute(select(THINGS.c.name, THINGS.c.entry_index))).all())


async def outcome(call) -> range | Exception:
    try:
        return await call
    except Exception as exc:
        return exc


async def test_a_refusal_undoes_only_its_rows_and_the_indexes_stay_contiguous(log: Log, things: AsyncEngine):
    names = [f"t{i:02d}" for i in range(30)]
    refused = {name for i, name in enumerate(names) if i % 3 == 1}
    calls = []
    for i, name in enumerate(names):
        calls.append(log.append_with(thing_writer(name, refuse=name in refused)))
        if i % 5 == 0:
            calls.append(log.append(f"plain {i}".encode()))  # plain appends share the same batches
    results = await asyncio.gather(*(outcome(call) for call in calls))

    refusals = [r for r in results if isinstance(r, Exception)]
    assert sorted(str(r) for r in refusals) == sorted(refused)
    assert all(isinstance(r, Refused) for r in refusals)
    indexes = sorted(
        i for r in results if not isinstance(r, Exception) for i in (r if isinstance(r, range) else [r])
    )
    assert indexes == list(range(20 + 6))
    rows = await stored_things(things)
    assert sorted(rows) == sorted(set(names) - refused)
    assert await log.state() == (26, 0)
    for name, index in rows.items():
        assert await log.entry(index) == f"{name}/0".encode()
    await log.integrate()
    assert (await fsck(log)).clean


async def test_a_writer_appends_any_number_of_entries_from_the_index_it_is_given(
    log: Log, things: AsyncEngine
):
    assert await log.append(b"first") == 0
    many, none, one = await asyncio.gather(
        log.append_with(thing_writer("many", entries=3)),
        log.append_with(thing_writer("none", entries=0)),
        log.append_with(thing_writer("one")),
    )
    assert (many, none, one) == (range(1, 4), range(4, 4), range(4, 5))
    assert await stored_things(things) == {"many": 1, "none": 4, "one": 4}
    assert await log.entries(0, 5) == [b"first", b"many/0", b"many/1", b"many/2", b"one/0"]


async def test_an_oversized_entry_refuses_its_writer_and_rolls_back_its_rows(log: Log, things: AsyncEngine):
    async def too_large(connection: AsyncConnection, index: int) -> list[bytes]:
        await connection.execute(insert(THINGS).values(name="large", entry_index=index))
        return [b"x" * (MAX_ENTRY_SIZE + 1)]

    large, small = await asyncio.gather(
        outcome(log.append_with(too_large)), outcome(log.append_with(thing_writer("small")))
    )
    assert isinstance(large, EntryTooLarge)
    assert str(large) == f"entry of {MAX_ENTRY_SIZE + 1} bytes exceeds the {MAX_ENTRY_SIZE}-byte limit"
    assert small == range(0, 1)
    assert await stored_things(things) == {"small": 0}


async def test_a_caller_that_gives_up_mid_commit_leaves_its_row_and_entry_together(
    log: Log, things: AsyncEngine
):
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(connection: AsyncConnection, index: int) -> list[bytes]:
        await connection.execute(insert(THINGS).values(name="slow", entry_index=index))
        entered.set()
        await release.wait()
        return [b"slow"]

    caller = asyncio.create_task(log.append_with(slow))
    await entered.wait()
    caller.cancel()  # e.g. the client disconnected: the batch it is in still commits whole
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert await log.append(b"next") == 1
    assert await stored_things(things) == {"slow": 0}
    assert await log.entries(0, 2) == [b"slow", b"next"]


async def test_two_engines_writing_at_once_never_share_an_index_and_every_row_has_its_entry(
    log: Log, things: AsyncEngine, database_url: str, log_signer: Signer
):
    second_engine = db.create_engine(database_url)
    try:
        other = await Log.open(second_engine, "land", log_signer)
        results = await asyncio.gather(
            *(log.append_with(thing_writer(f"a{i}", refuse=i % 4 == 0)) for i in range(60)),
            *(other.append_with(thing_writer(f"b{i}", refuse=i % 4 == 0)) for i in range(60)),
            return_exceptions=True,
        )
        await other.integrate()
    finally:
        await second_engine.dispose()
    accepted = [r.start for r in results if isinstance(r, range)]
    assert sorted(accepted) == list(range(90))
    rows = await stored_things(things)
    assert len(rows) == 90
    assert {index: await log.entry(index) for index in rows.values()} == {
        index: f"{name}/0".encode() for name, index in rows.items()
    }
    assert (await fsck(log)).clean


async def test_a_refusal_replays_the_batch_with_a_savepoint_per_writer_and_rows_are_stored_once(
    log: Log, things: AsyncEngine
):
    calls: dict[str, int] = {}

    def counted(name: str, refuse: bool = False):
        write = thing_writer(name, refuse=refuse)

        async def run(connection: AsyncConnection, index: int) -> list[bytes]:
            calls[name] = calls.get(name, 0) + 1
            return await write(connection, index)

        return run

    results = await asyncio.gather(
        outcome(log.append_with(counted("a"))),
        outcome(log.append_with(counted("b", refuse=True))),
        outcome(log.append_with(counted("c"))),
    )
    assert [r if isinstance(r, range) else str(r) for r in results] == [range(0, 1), "b", range(1, 2)]
    # One run together (a, then b refused), then each again in its own savepoint.
    assert calls == {"a": 2, "b": 2, "c": 1}
    assert await stored_things(things) == {"a": 0, "c": 1}
    assert await log.entries(0, 2) == [b"a/0", b"c/0"]


async def test_a_batch_without_refusals_runs_each_writer_once(log: Log, things: AsyncEngine):
    calls: list[str] = []

    def counted(name: str):
        write = thing_writer(name)

        async def run(connection: AsyncConnection, index: int) -> list[bytes]:
            calls.append(name)
            return await write(connection, index)

        return run

    await asyncio.gather(*(log.append_with(counted(f"w{i}")) for i in range(10)))
    assert sorted(calls) == [f"w{i}" for i in range(10)]
