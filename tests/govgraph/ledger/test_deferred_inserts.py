"""Deferred inserts in a group commit, on a real database (SQLite and PostgreSQL): a batch of writers that
only insert sends one INSERT per table, reads see the rows earlier writers held back, and whatever deferral
cannot stand for (a failing INSERT, a read INSERT result) is run again writer by writer with the outcome
immediate execution gives."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, event, func, insert, select
from sqlalchemy.exc import IntegrityError

from govgraph.ledger.deferred import DeferredUnusable
from govgraph.ledger.log import Log

metadata = MetaData()
parents = Table("deferred_parent", metadata, Column("id", String, primary_key=True), Column("idx", Integer))
children = Table(
    "deferred_child",
    metadata,
    Column("id", String, primary_key=True),
    Column("parent", String, ForeignKey("deferred_parent.id")),
)


@pytest.fixture
async def tables(engine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


def counting(engine) -> list[str]:
    """The SQL of every statement `engine` sends from now on (an executemany counts once)."""
    sent: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


def registering(name: str):
    async def write(connection, index: int) -> list[bytes]:
        await connection.execute(insert(parents), {"id": name, "idx": index})
        await connection.execute(insert(children), [{"id": f"{name}/a", "parent": name}])
        return [name.encode()]

    return write


async def stored(engine) -> list[tuple[str, int]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(select(parents).order_by(parents.c.idx))]


async def test_a_batch_of_inserting_writers_sends_one_insert_per_table(log: Log, engine, tables):
    sent = counting(engine)
    ranges = await asyncio.gather(*(log.append_with(registering(f"p{i}")) for i in range(20)))
    assert ranges == [range(i, i + 1) for i in range(20)]
    inserts = [sql.split("(")[0].strip() for sql in sent if sql.lstrip().upper().startswith("INSERT")]
    assert inserts == [
        "INSERT INTO deferred_parent",
        "INSERT INTO deferred_child",
        "INSERT INTO ledger_entries",
    ]
    assert await stored(engine) == [(f"p{i}", i) for i in range(20)]
    assert await log.entries(0, 20) == [f"p{i}".encode() for i in range(20)]


async def test_a_read_sees_the_rows_earlier_writers_held_back(log: Log, engine, tables):
    async def counter(connection, index: int) -> list[bytes]:
        count = (await connection.execute(select(func.count()).select_from(parents))).scalar_one()
        await connection.execute(insert(parents), {"id": "counter", "idx": index})
        return [b"saw %d" % count]

    writers = [registering("a"), registering("b"), counter, registering("c")]
    ranges = await asyncio.gather(*(log.append_with(write) for write in writers))
    assert ranges == [range(i, i + 1) for i in range(4)]
    assert await log.entries(0, 4) == [b"a", b"b", b"saw 2", b"c"]
    assert await stored(engine) == [("a", 0), ("b", 1), ("counter", 2), ("c", 3)]


async def test_a_failing_held_back_insert_refuses_its_writer_alone(log: Log, engine, tables):
    outcomes = await asyncio.gather(
        log.append_with(registering("x")),
        log.append_with(registering("x")),  # the same key: refused when its INSERT runs
        log.append_with(registering("y")),
        return_exceptions=True,
    )
    assert outcomes[0] == range(0, 1)
    assert isinstance(outcomes[1], IntegrityError)
    assert outcomes[2] == range(1, 2)
    assert await stored(engine) == [("x", 0), ("y", 1)]
    assert await log.state() == (2, 0)
    assert await log.entries(0, 2) == [b"x", b"y"]


async def test_a_writer_reading_its_insert_result_gets_the_real_one(log: Log, engine, tables):
    seen: list[int] = []

    async def careful(connection, index: int) -> list[bytes]:
        result = await connection.execute(insert(parents), {"id": "r", "idx": index})
        seen.append(result.rowcount)
        return [b"r"]

    ranges = await asyncio.gather(log.append_with(registering("a")), log.append_with(careful))
    assert ranges == [range(0, 1), range(1, 2)]
    assert seen == [1]  # its deferred run failed on the read; the run that counts read the real result
    assert await stored(engine) == [("a", 0), ("r", 1)]


async def test_a_writer_swallowing_the_deferral_error_is_still_run_again(log: Log, engine, tables):
    results: list[str] = []

    async def swallowing(connection, index: int) -> list[bytes]:
        result = await connection.execute(insert(parents), {"id": "s", "idx": index})
        try:
            results.append(f"rowcount {result.rowcount}")
        except DeferredUnusable:
            results.append("guessed")
        return [results[-1].encode()]

    assert await log.append_with(swallowing) == range(0, 1)
    assert results == ["guessed", "rowcount 1"]
    assert await log.entries(0, 1) == [b"rowcount 1"]
