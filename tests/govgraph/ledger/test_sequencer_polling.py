"""The sequencer's waiting on a real database (SQLite and PostgreSQL): an idle log is polled less and less
often, an append in this process wakes it at once, and another process's append is found by the poll."""

from __future__ import annotations

import asyncio
import time

from govgraph import db
from govgraph.ledger.log import Log
from govgraph.ledger.note import Signer
from govgraph.ledger.sequencing import Sequencer


async def _signed(log: Log, size: int, timeout: float) -> float:
    """Seconds until a checkpoint of at least `size` entries is stored (fails after `timeout`)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        head = await log.latest_checkpoint()
        if head is not None and head.size >= size:
            return time.monotonic() - started
        await asyncio.sleep(0.005)
    raise AssertionError(f"no checkpoint of size {size} within {timeout} s")


async def test_an_idle_log_is_polled_with_a_growing_pause(log: Log):
    reads = 0
    state = log.state

    async def counted() -> tuple[int, int]:
        nonlocal reads
        reads += 1
        return await state()

    log.state = counted  # type: ignore[method-assign]
    sequencer = Sequencer(log, interval=0.01, idle_interval=0.16)
    sequencer.start()
    try:
        await _signed(log, 0, timeout=5)  # the empty tree's checkpoint: the log is now idle
        reads = 0
        await asyncio.sleep(1.0)
    finally:
        await sequencer.stop()
    # Pauses 0.02, 0.04, 0.08, then 0.16 s: about 9 reads in a second, where a fixed 10 ms poll read 100.
    assert 4 <= reads <= 14


async def test_an_append_here_wakes_an_idle_sequencer_at_once(log: Log):
    # The poll pause is 3 s: only the in-process signal can get the entry signed sooner.
    sequencer = Sequencer(log, interval=3.0, idle_interval=3.0)
    sequencer.start()
    try:
        await _signed(log, 0, timeout=5)
        await asyncio.sleep(0.2)
        assert await log.append(b"entry") == 0
        assert await _signed(log, 1, timeout=5) < 1.5
    finally:
        await sequencer.stop()


async def test_another_process_append_is_found_by_the_idle_poll(
    log: Log, database_url: str, log_signer: Signer
):
    sequencer = Sequencer(log, interval=0.01, idle_interval=0.25)
    sequencer.start()
    other_engine = db.create_engine(database_url)  # its own Log: its appends do not signal this sequencer
    try:
        other = await Log.open(other_engine, "land", log_signer)
        await _signed(log, 0, timeout=5)
        await asyncio.sleep(1.0)  # long enough for the pause to reach idle_interval
        assert await other.append(b"from elsewhere") == 0
        assert await _signed(log, 1, timeout=5) < 1.5
    finally:
        await sequencer.stop()
        await other_engine.dispose()
