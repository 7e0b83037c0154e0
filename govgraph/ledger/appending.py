"""Group commit for one log: appends queued by many tasks are written together, one transaction per
batch, by a single draining task. A row writer's domain rows and its entries commit in that transaction; a
refusal undoes only that caller's rows, and its entries get no index (see write_batch for how)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.ledger.deferred import DeferringConnection
from govgraph.ledger.errors import LedgerError
from govgraph.ledger.models import LedgerEntry, LedgerLog

RowWriter = Callable[[AsyncConnection, int], Awaitable[Sequence[bytes]]]
"""Writes one caller's rows on the log's open transaction, given the index its first entry will get, and
returns the entries to append from that index (none: nothing is appended). Raising refuses: the caller's
rows are rolled back and the exception reaches that caller alone. A writer may be called a second time in
the same transaction, its first run rolled back (see write_batch): it has no effect outside `connection`."""

MAX_BATCH = 1024  # callers per transaction: bounds how long one commit holds the database's write lock
INSERT_CHUNK = 4096  # rows per executemany; keeps one statement's parameter list bounded

_logs = LedgerLog.__table__  # type: ignore[attr-defined]
_entries = LedgerEntry.__table__  # type: ignore[attr-defined]


class AppendCancelled(LedgerError):
    """The batch holding this append was interrupted (the process is shutting down): nothing committed."""


@dataclass(slots=True)
class Pending:
    """One caller's append: plain entries, or a row writer that produces its entries."""

    entries: Sequence[bytes]
    write: RowWriter | None
    future: asyncio.Future[range]


Commit = Callable[[list[Pending]], Awaitable[None]]
"""Writes a batch in one transaction and settles each pending future (its range or its refusal)."""


class GroupCommit:
    """Queues appends and drains them in batches from one task. A caller only waits for its own future, so a
    caller that is cancelled never abandons a transaction half-way: the batch it is in commits or not as a
    whole, and an append not yet taken into a batch when its caller gave up is dropped."""

    def __init__(self, commit: Commit, max_batch: int = MAX_BATCH) -> None:
        self._commit = commit
        self.max_batch = max_batch
        self._queue: list[Pending] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, entries: Sequence[bytes], write: RowWriter | None = None) -> range:
        """Queue an append and wait until its batch is durably committed; returns its indexes."""
        loop = asyncio.get_running_loop()
        pending = Pending(entries, write, loop.create_future())
        self._queue.append(pending)
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await pending.future

    async def _drain(self) -> None:
        while self._queue:
            taken, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            batch = [pending for pending in taken if not pending.future.done()]
            if not batch:
                continue
            try:
                await self._commit(batch)
            except BaseException as exc:
                failure = exc if isinstance(exc, Exception) else AppendCancelled("append interrupted")
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(failure)
                if not isinstance(exc, Exception):
                    raise


Outcome = tuple[Pending, range | Exception]


async def write_batch(
    connection: AsyncConnection, log_id: int, batch: list[Pending], check_size: Callable[[bytes], None]
) -> tuple[list[Outcome], int]:
    """Write a batch on the open transaction `connection` (not yet committed): each caller's rows and
    entries, the entries' indexes reserved. Returns each caller's outcome and how many entries were added.

    Writers run one after another in one savepoint for the whole batch, their plain INSERTs held back and
    sent together (govgraph.ledger.deferred): the log's row is held for a few round trips per batch, not a
    few per writer. Refusals are rare, so the savepoint costs two statements per batch rather than two per
    writer; when a writer refuses (or a held-back INSERT fails, or a writer read what the deferral cannot
    give it), the batch's savepoint is rolled back and every writer runs again on the connection itself,
    each in a savepoint of its own, so a refusal undoes only its rows."""
    if all(pending.write is None for pending in batch):
        rows = [data for pending in batch for data in pending.entries]
        first = next_index = await _reserve(connection, log_id, len(rows))
        outcomes: list[Outcome] = []
        for pending in batch:
            outcomes.append((pending, range(next_index, next_index + len(pending.entries))))
            next_index += len(pending.entries)
    else:
        # How many entries the writers append is known only once they ran: read the next index with a write
        # that takes the lock, and advance it at the end. A write comes first also because pysqlite begins
        # its transaction only before a DML statement: a SAVEPOINT sent first would open a transaction of
        # its own, and releasing that savepoint would commit it.
        first = await _reserve(connection, log_id, 0)
        together = await connection.begin_nested()
        try:
            deferring = DeferringConnection(connection)
            outcomes, rows = await _run_writers(deferring, batch, first, check_size, separately=False)
            try:
                await deferring.flush()
            except Exception as exc:  # a held-back INSERT refused: whose, the separate run will tell
                raise _Refusal from exc
            if deferring.unusable:
                raise _Refusal
        except _Refusal:
            await together.rollback()
            outcomes, rows = await _run_writers(connection, batch, first, check_size, separately=True)
        else:
            await together.commit()
        if rows:
            await connection.execute(
                update(_logs).where(_logs.c.id == log_id).values(next_index=first + len(rows))
            )
    for start in range(0, len(rows), INSERT_CHUNK):
        await connection.execute(
            insert(_entries),
            [
                {"log_id": log_id, "idx": first + start + offset, "data": bytes(data)}
                for offset, data in enumerate(rows[start : start + INSERT_CHUNK])
            ],
        )
    return outcomes, len(rows)


class _Refusal(Exception):
    """A writer refused during the batch's single-savepoint run: the batch runs again, a savepoint each."""


async def _run_writers(
    connection: AsyncConnection | DeferringConnection,
    batch: list[Pending],
    first: int,
    check_size: Callable[[bytes], None],
    *,
    separately: bool,
) -> tuple[list[Outcome], list[bytes]]:
    outcomes: list[Outcome] = []
    rows: list[bytes] = []
    for pending in batch:
        entries = pending.entries
        if pending.write is not None:
            try:
                if separately:
                    async with connection.begin_nested():
                        entries = await _written(pending.write, connection, first + len(rows), check_size)
                else:
                    entries = await _written(pending.write, connection, first + len(rows), check_size)
            except Exception as exc:  # the caller's refusal
                if not separately:
                    raise _Refusal from exc
                outcomes.append((pending, exc))
                continue
        outcomes.append((pending, range(first + len(rows), first + len(rows) + len(entries))))
        rows += entries
    return outcomes, rows


async def _written(
    write: RowWriter,
    connection: AsyncConnection | DeferringConnection,
    index: int,
    check_size: Callable[[bytes], None],
) -> list[bytes]:
    entries = list(await write(connection, index))  # type: ignore[arg-type]  # a DeferringConnection is used as one
    for data in entries:
        check_size(data)
    return entries


def settle(outcomes: list[Outcome]) -> None:
    """Tell each caller its indexes or its refusal: only once the batch is committed."""
    for pending, outcome in outcomes:
        if pending.future.done():  # its caller gave up meanwhile
            continue
        if isinstance(outcome, Exception):
            pending.future.set_exception(outcome)
        else:
            pending.future.set_result(outcome)


async def _reserve(connection: AsyncConnection, log_id: int, count: int) -> int:
    """Reserve `count` indexes (possibly none) and return the first. It is the transaction's first statement
    and a write, so it takes the write lock before anything is read: two processes can never be handed the
    same index."""
    reserved = await connection.execute(
        update(_logs)
        .where(_logs.c.id == log_id)
        .values(next_index=_logs.c.next_index + count)
        .returning(_logs.c.next_index)
    )
    return reserved.scalar_one() - count
