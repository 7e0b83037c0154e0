"""One signer per log across processes, on a real PostgreSQL: three real processes append to one log; only
the holder of the signing lease integrates; `kill -9` of the holder hands the lease to another process
within 5 s, and no acknowledged entry is lost, indexes stay contiguous and every checkpoint is consistent."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from govgraph import db
from govgraph.ledger.fsck import fsck
from govgraph.ledger.lease import LEASE_CLASS, Lease
from govgraph.ledger.log import Log
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.note import Signer
from tests.support.databases import PostgresServer

CHILD = Path(__file__).with_name("lease_appender.py")
PROCESSES = 3
KILLS = 3
TAKEOVER = 5.0  # seconds: the bound


@pytest.fixture
def database(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


async def lease_holder(engine, log_id: int) -> int | None:
    """The pid of the govgraph process holding the log's lease (db.create_engine names each connection
    `govgraph:<pid>`), or None."""
    async with engine.connect() as connection:
        holder = (
            await connection.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :class AND l.objid = :log"
                ),
                {"class": LEASE_CLASS, "log": log_id},
            )
        ).scalar_one_or_none()
    return int(holder.partition(":")[2]) if holder else None


async def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s")


async def test_killing_the_signer_hands_the_lease_over_and_loses_no_acknowledged_entry(
    database: str, tmp_path: Path
):
    engine = db.create_engine(database)
    await create_ledger_tables(engine)
    signer = Signer.generate("govgraph.example/land")
    log = await Log.create(engine, "land", signer)
    children: dict[int, subprocess.Popen] = {}
    acks: list[Path] = []

    def spawn() -> None:
        ack = tmp_path / f"acks-{len(acks)}"
        acks.append(ack)
        child = subprocess.Popen(
            [sys.executable, str(CHILD), database, log.name, signer.skey, str(ack)], stderr=subprocess.PIPE
        )
        children[child.pid] = child

    async def integrated() -> int:
        return (await log.state())[1]

    try:
        for _ in range(PROCESSES):
            spawn()
        killed: list[int] = []
        for _ in range(KILLS):
            holder = await wait_for(
                lambda: lease_holder(engine, log.id), TAKEOVER, "a process took the lease"
            )
            assert holder in children, f"the lease is held by {holder}, not one of the appenders"
            signed = await wait_for(integrated, TAKEOVER, "the holder signed")
            children.pop(holder).kill()
            killed.append(holder)
            started = time.monotonic()
            spawn()  # three processes append at any time

            async def taken_over(signed: int = signed) -> int | None:
                now = await lease_holder(engine, log.id)
                return now if now not in (None, *killed) and await integrated() > signed else None

            successor = await wait_for(taken_over, TAKEOVER, "another process took the lease and signed")
            assert successor in children
            assert time.monotonic() - started < TAKEOVER
        for child in children.values():
            assert child.poll() is None, child.stderr.read().decode()
    finally:
        for child in children.values():
            child.kill()
            child.wait()
            child.stderr.close()
    acknowledged: dict[int, bytes] = {}
    for ack in acks:
        for line in ack.read_text().splitlines() if ack.exists() else []:  # a new process may ack nothing
            index, data = line.split(" ")
            assert int(index) not in acknowledged, f"index {index} was handed out twice"
            acknowledged[int(index)] = data.encode()
    lease = Lease(engine, log.id, "land")
    assert await lease.held()  # every appender is gone: the lease is free
    await log.integrate()
    await lease.release()
    next_index, size = await log.state()
    assert next_index == size >= len(acknowledged) > 0
    stored = await log.entries(0, size)
    assert len(stored) == size  # contiguous: every index below the size has its entry
    assert all(stored[index] == data for index, data in acknowledged.items())
    report = await fsck(log)
    assert report.clean, report.problems  # every signed checkpoint's root re-derived from the entries
    async with engine.connect() as connection:
        sizes = list(
            (
                await connection.execute(
                    text("SELECT size FROM ledger_checkpoints WHERE log_id = :log ORDER BY id"),
                    {"log": log.id},
                )
            ).scalars()
        )
    assert sizes == sorted(set(sizes)) and sizes[-1] == size  # signed sizes only grow
    await engine.dispose()
