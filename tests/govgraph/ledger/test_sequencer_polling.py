"""The sequencer's waiting on a real database (SQLite and PostgreSQL): an idle log is polled less and less
often, an append in this process wakes it at once, another process's append is found by the poll, and under
load a slow signing round spaces the next one (signing takes a bounded share of the time)."""

from __future__ import annotations

import asyncio
import time

import pytest

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


def test_a_slow_signing_round_spaces_the_next_one(log: Log):
    sequencer = Sequencer(log, pace=0.1)
    # At most CHECKPOINT_SHARE (a tenth) of the time signing, between `pace` and MAX_CHECKPOINT_PACE apart.
    assert [sequencer.next_round(spent) for spent in (0.0, 0.005, 0.01)] == [0.1, 0.1, 0.1]
    assert sequencer.next_round(0.03) == pytest.approx(0.3)
    assert [sequencer.next_round(spent) for spent in (0.1, 0.5, 3.0)] == [1.0, 1.0, 1.0]
    assert Sequencer(log, pace=2.0).next_round(0.5) == 2.0  # a longer pace is kept


async def test_under_load_signing_takes_a_bounded_share_of_the_time(log: Log):
    rounds: list[float] = []
    integrate = log.integrate

    async def slow(max_batch=None):  # a busy process: each round takes 50 ms of wall time
        rounds.append(time.monotonic())
        await asyncio.sleep(0.05)
        return await integrate(max_batch)

    log.integrate = slow  # type: ignore[method-assign]
    sequencer = Sequencer(log, interval=0.01, pace=0.1)
    sequencer.start()
    try:
        started = time.monotonic()
        while time.monotonic() - started < 2.0:  # entries always pending
            await log.append(b"entry %d" % len(rounds))
            await asyncio.sleep(0.01)
    finally:
        await sequencer.stop()
    gaps = [later - earlier for earlier, later in zip(rounds, rounds[1:], strict=False)]
    # 0.5 s apart (50 ms is a tenth of it), where a fixed pace of 0.1 s signed every 0.1 s: 20 rounds.
    assert 3 <= len(rounds) <= 6, gaps
    assert all(gap >= 0.49 for gap in gaps), gaps
