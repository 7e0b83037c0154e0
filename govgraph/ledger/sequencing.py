"""Sequencing in the service: a Sequencer integrates one log in the background (across processes, only the
holder of the log's signing lease does); SequencedLogs are the logs one process appends to and signs (one
per agency), each created with its keys when missing and every
checkpoint cosigned, in the transaction that signs it, by the other logs' witnesses this process holds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from govgraph.ledger.keys import (
    KeyFileError,
    read_signer,
    read_witness_signer,
    write_signer,
    write_witness_key,
)
from govgraph.ledger.lease import Lease
from govgraph.ledger.log import Log, LogExists, LogNotFound, SignedTreeHead
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.note import Signer
from govgraph.ledger.operations import DEFAULT_ORIGIN_PREFIX
from govgraph.ledger.witness import Witness
from govgraph.ledger.witness_client import LocalWitness, RemoteWitness, witness_reachable

MAX_RETRY_PAUSE = 5.0  # seconds between retries of a failing sequencer, at most
# Under load, at most one checkpoint per log every CHECKPOINT_PACE seconds: each signing (and its in-process
# cosignatures) then covers a batch of entries, and appends keep the database most of the time. A round
# that takes longer (a busy process: its wall time grows with the load) spaces the next one further, so that
# signing takes at most about CHECKPOINT_SHARE of the time, up to MAX_CHECKPOINT_PACE seconds apart: under
# full load on 2 cores (castBallot) rounds take 20-40 ms, and at 10 a second they were a quarter of the
# server process's CPU.
CHECKPOINT_PACE = 0.1
CHECKPOINT_SHARE = 0.1
MAX_CHECKPOINT_PACE = 1.0
# A process without the signing lease tries to take it this often while entries are pending: when the
# signer's process dies, another signs within about this long (PostgreSQL frees the lock at once).
LEASE_RETRY = 0.5
# A remote witness that missed the last checkpoint this process signed (down, or refusing) is offered it
# again this often while no newer checkpoint is signed: when it comes back, the checkpoint gets its line.
REOFFER_INTERVAL = 1.0
# An idle sequencer polls for other processes' entries at most this far apart (see Sequencer).
IDLE_INTERVAL = 1.0
log = logging.getLogger("govgraph.ledger.sequencer")


@dataclass
class Sequencer:
    """Integrates whenever entries are pending: the background half of a log's write path. It wakes at once
    when this process appends (Log.appended), and polls the database for entries other processes appended:
    every `interval` seconds after activity, the pause doubling while the log stays idle up to
    `idle_interval` (an idle service costs a query per log a second, not twenty). Under load it signs at most
    one checkpoint every `pace` seconds, so each checkpoint covers a batch. With a `lease`, it integrates only
    while it holds the log's signing lease (one signer across processes, govgraph.ledger.lease), and
    otherwise tries to take it every `lease_retry` seconds."""

    log: Log
    lease: Lease | None = None
    lease_retry: float = LEASE_RETRY
    interval: float = 0.05
    idle_interval: float = IDLE_INTERVAL
    max_batch: int | None = None
    pace: float = 0.0
    # Called after each signed checkpoint, e.g. to collect witness cosignatures over HTTP.
    on_signed: list[Callable[[SignedTreeHead], Awaitable[None]]] = field(default_factory=list)
    _task: asyncio.Task | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # For readiness: why the last round failed (None once one succeeds), and how many of the in-process
    # witnesses cosigned the last checkpoint this process signed, out of how many.
    failure: str | None = None
    cosigned: tuple[int, int] | None = None
    reoffer_interval: float = REOFFER_INTERVAL
    # The last checkpoint this process signed and the remote witnesses that have not cosigned it yet.
    _unwitnessed: tuple[SignedTreeHead, list[RemoteWitness]] | None = None
    _reoffered_at: float = 0.0
    _poll: float = 0.0  # the current pause between polls: `interval` after activity, growing while idle

    async def run(self) -> None:
        """Integrate until `stop`; between batches, not inside one (see `stop`). A failure (the database
        unreachable, a tree that does not extend the last checkpoint) is logged and retried after a pause
        that doubles up to MAX_RETRY_PAUSE: the sequencer outlives it, and signs nothing meanwhile."""
        pending = True  # a log just opened may hold entries, or lack its first checkpoint
        pause = self.interval
        try:
            while not self._stopping.is_set():
                try:
                    pending = await self._step(pending)
                    pause = self.interval
                    self.failure = None
                except Exception as exc:
                    self.failure = type(exc).__name__
                    log.error("sequencer of log %s failed, retrying in %.2f s: %s", self.log.name, pause, exc)
                    await self._sleep(pause)
                    pause = min(pause * 2, MAX_RETRY_PAUSE)
        finally:
            if self.lease is not None:
                await self.lease.release()

    async def _step(self, pending: bool) -> bool:
        """One round: integrate while entries are pending, else wait; returns whether entries are pending.
        Log.appended is cleared just before each read of the log's state, so an append committed after the
        read leaves it set and the next wait ends at once."""
        if pending and self.lease is not None and not await self.lease.held():
            await self._sleep(self.lease_retry)  # another process signs; take over if it stops
            return True
        if pending:
            started = time.monotonic()
            self.log.appended.clear()
            head = await self.log.integrate(self.max_batch)
            spent = time.monotonic() - started  # the signing and in-process cosigning, not on_signed's
            if head is not None:
                self.cosigned = (len(head.cosignatures), len(self.log.cosigners))
                missed = [
                    witness
                    for witness in self.log.cosigners
                    if isinstance(witness, RemoteWitness) and witness.name not in head.witnesses
                ]
                self._unwitnessed = (head, missed) if missed else None
                self._reoffered_at = time.monotonic()
                for callback in self.on_signed:
                    await callback(head)
                if self.pace:
                    await self._sleep(self.next_round(spent) - (time.monotonic() - started))
                return True
        if self._unwitnessed is not None and time.monotonic() - self._reoffered_at >= self.reoffer_interval:
            await self._reoffer()
        woken = await self._wake_up()
        self.log.appended.clear()
        next_index, integrated = await self.log.state()
        if woken or next_index > integrated:
            self._poll = self.interval
        else:  # idle: poll less often, up to idle_interval
            self._poll = min(max(self._poll, self.interval) * 2, max(self.idle_interval, self.interval))
        return next_index > integrated

    def next_round(self, spent: float) -> float:
        """Seconds from the start of a signing round that took `spent` to the start of the next under load:
        `pace`, or longer when the round took more than CHECKPOINT_SHARE of that, at most MAX_CHECKPOINT_PACE
        (never less than `pace`)."""
        return max(self.pace, min(spent / CHECKPOINT_SHARE, MAX_CHECKPOINT_PACE))

    async def _reoffer(self) -> None:
        """Offer the last signed checkpoint again to the remote witnesses that did not cosign it (down when it
        was signed), outside any transaction: a cosignature that verifies is stored with it."""
        assert self._unwitnessed is not None
        head, missed = self._unwitnessed
        self._reoffered_at = time.monotonic()

        async def prove(old_size: int) -> list[bytes]:
            return await self.log.consistency_proof(old_size, head.size)

        still: list[RemoteWitness] = []
        late = 0
        for witness in missed:
            line = await witness.cosign(None, head.note, head.size, prove)
            if line is None:
                if witness.known_size <= head.size:  # not past it: offer it again later
                    still.append(witness)
                continue
            await self.log.add_cosignatures(head.id, {witness.name: line})
            late += 1
            log.info(
                "witness %s cosigned checkpoint %d of log %s late", witness.name, head.size, self.log.name
            )
        if self.cosigned is not None:
            self.cosigned = (self.cosigned[0] + late, self.cosigned[1])
        self._unwitnessed = (head, still) if still else None

    async def _wake_up(self) -> bool:
        """Wait for an append in this process, `stop`, or the current poll pause (shorter while a checkpoint
        waits to be offered again to a witness); returns whether something woke it before the pause ended."""
        timeout = max(self._poll, self.interval)
        if self._unwitnessed is not None:
            due = self.reoffer_interval - (time.monotonic() - self._reoffered_at)
            timeout = min(timeout, max(due, self.interval))
        waits = [
            asyncio.ensure_future(self.log.appended.wait()),
            asyncio.ensure_future(self._stopping.wait()),
        ]
        try:
            done, _ = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        return bool(done)

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), seconds)

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        """Let the current batch finish, then stop. Cancelling the task instead would abandon an open write
        transaction in the driver's thread, and the database stayed locked for the next writer (seen under
        load)."""
        if self._task is not None:
            self._stopping.set()
            await self._task
            self._task = None


class SequencedLogs:
    """The logs this process writes, by name: opened (or created, with their keys under `keys_dir`) by
    `start`, each with a running Sequencer, until `stop`. The witness of every log in the database whose key
    is in `keys_dir` cosigns the other logs of this set in-process, so no checkpoint they sign is stored
    without those cosignatures."""

    def __init__(
        self,
        engine: AsyncEngine,
        keys_dir: Path,
        names: Iterable[str],
        *,
        interval: float = 0.05,
        pace: float = CHECKPOINT_PACE,
        remote_witnesses: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.engine = engine
        # Other processes' witnesses, (agency, submission prefix): they cosign over HTTP (RemoteWitness).
        self.remote_witnesses = list(remote_witnesses)
        self.keys_dir = keys_dir
        self.names = list(names)
        self.interval = interval
        self.pace = pace
        self.logs: dict[str, Log] = {}
        self._sequencers: list[Sequencer] = []

    def __getitem__(self, name: str) -> Log:
        return self.logs[name]

    async def open(self) -> None:
        """Open the logs (created with their keys when missing) and attach their witnesses, without
        sequencing them yet: entries appended before `start` are integrated by its first rounds."""
        await create_ledger_tables(self.engine)
        for name in self.names:
            self.logs[name] = await open_or_create(self.engine, self.keys_dir, name)
        await self._attach_witnesses()

    async def start(self) -> None:
        """Open the logs unless `open` did, and sequence each in the background."""
        if not self.logs:
            await self.open()
        for name, log in self.logs.items():
            lease = Lease(self.engine, log.id, name)
            sequencer = Sequencer(log, lease, interval=self.interval, pace=self.pace)
            sequencer.start()
            self._sequencers.append(sequencer)

    async def settled(self, timeout: float) -> bool:
        """Wait until every log has integrated the entries acknowledged when called (by this process's
        sequencers or, holding the lease, another process's), at most `timeout` seconds; returns whether they
        all were. Start-up uses it after seeding, so the service answers only once the demo's entries are
        in a signed checkpoint."""
        targets = {name: (await log.state())[0] for name, log in self.logs.items()}
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while targets:
                    for name in list(targets):
                        if (await self.logs[name].state())[1] >= targets[name]:
                            del targets[name]
                    if targets:
                        await asyncio.sleep(self.interval)
        return not targets

    async def stop(self) -> None:
        """Stop every sequencer after its current batch (entries still pending are integrated at the next
        start)."""
        sequencers, self._sequencers = self._sequencers, []
        for sequencer in sequencers:
            await sequencer.stop()

    async def health(self) -> dict[str, dict[str, str]]:
        """`ledgers`: each log's sequencer, `ok` or `failing (<error>)`. `checkpoints`: how many of its
        witnesses cosigned the last checkpoint this process signed (`not signing here` while another
        process holds the lease). `witnesses`: each remote witness, `reachable` or `unreachable` now."""
        ledgers: dict[str, str] = {}
        checkpoints: dict[str, str] = {}
        for sequencer in self._sequencers:
            name = sequencer.log.name
            ledgers[name] = "ok" if sequencer.failure is None else f"failing ({sequencer.failure})"
            if sequencer.cosigned is not None:
                checkpoints[name] = "{}/{} cosigned".format(*sequencer.cosigned)
            elif sequencer.lease is not None and not sequencer.lease.holding:
                checkpoints[name] = "not signing here"
            else:
                checkpoints[name] = "none signed yet"
        probes = [witness_reachable(prefix) for _, prefix in self.remote_witnesses]
        reachable = await asyncio.gather(*probes)
        witnesses = {
            agency: "reachable" if up else "unreachable"
            for (agency, _), up in zip(self.remote_witnesses, reachable, strict=True)
        }
        return {"ledgers": ledgers, "checkpoints": checkpoints, "witnesses": witnesses}

    async def _attach_witnesses(self) -> None:
        witnesses: dict[str, LocalWitness] = {}
        for name in await Log.names(self.engine):
            try:
                signer = read_witness_signer(self.keys_dir, name)
            except KeyFileError:
                continue  # a log whose witness runs elsewhere
            trusted = {log.origin: [log.verifier] for other, log in self.logs.items() if other != name}
            witnesses[name] = LocalWitness(Witness(self.engine, signer, trusted))
        for name, log in self.logs.items():
            log.cosigners = [witness for other, witness in witnesses.items() if other != name]
            log.cosigners += [
                RemoteWitness(agency, prefix, self.keys_dir, log.verifier)
                for agency, prefix in self.remote_witnesses
                if agency != name and agency not in witnesses  # a witness held here cosigns in-process
            ]


async def open_or_create(engine: AsyncEngine, keys_dir: Path, name: str, origin: str | None = None) -> Log:
    """Log `name` with its signer, created (origin `govgraph.example/<name>` unless given) with its key and
    its agency's witness key when missing. Key files are never overwritten: a key left by a start that
    stopped before creating the log is used, and a log another process created meanwhile is opened. Its
    first checkpoint (the empty tree's) is left to its sequencer, which cosigns it."""
    try:
        log = await Log.open(engine, name)
    except LogNotFound:
        origin = origin or DEFAULT_ORIGIN_PREFIX + name
        signer = _signer(keys_dir, name, origin)
        try:
            read_witness_signer(keys_dir, name)
        except KeyFileError:
            with contextlib.suppress(FileExistsError):
                write_witness_key(keys_dir, name, signer.name)
        try:
            log = await Log.create(engine, name, signer)
        except LogExists:
            log = await Log.open(engine, name)
    log.use_signer(read_signer(keys_dir, name))
    return log


def _signer(keys_dir: Path, name: str, origin: str) -> Signer:
    try:
        return read_signer(keys_dir, name)
    except KeyFileError:
        pass
    try:
        write_signer(keys_dir, name, Signer.generate(origin))
    except FileExistsError:  # another process wrote it first
        pass
    return read_signer(keys_dir, name)
