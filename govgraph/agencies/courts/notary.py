"""Receipts for notarized entries: wait until a signed checkpoint covers the entry, get that checkpoint's
RFC 3161 token (once per checkpoint, whoever asks first; kept in the courts' tables so every receipt of a
checkpoint carries the same token), and assemble the evidence receipt.

Why one token per checkpoint: the sequencer signs a checkpoint per group of entries; time-stamping its body
once costs one TSA round trip per checkpoint instead of one per notarization, and the inclusion proof links
each entry to the time-stamped root (see govgraph.evidence.receipt)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from govgraph.agencies.courts.models import CheckpointAnchorRow, CheckpointTimestampRow
from govgraph.agencies.courts.proofs import KEPT_ENTRIES, CachedTiles
from govgraph.evidence.anchoring import AnchoringFailed, anchor
from govgraph.evidence.authority import load_or_create_authority
from govgraph.evidence.receipt import EvidenceReceipt, checkpoint_body
from govgraph.evidence.timestampers import (
    EmbeddedTimestamper,
    RemoteTimestamper,
    Timestamper,
    TimestampUnavailable,
)
from govgraph.ledger.errors import LedgerError
from govgraph.ledger.log import Log, SignedTreeHead
from govgraph.ledger.receipt import Receipt

POLL = 0.005  # seconds between looks for a newer checkpoint (or integrations), shared by every waiter
WAIT_LIMIT = 30.0  # seconds a notarization waits for a checkpoint covering its entry
KEPT_TOKENS = 64  # checkpoints whose token stays in memory
ANCHOR_EVERY = 60.0  # seconds between two checkpoints anchored through OpenTimestamps calendars, at least
logger = logging.getLogger("govgraph.courts")

_timestamps = CheckpointTimestampRow.__table__  # type: ignore[attr-defined]
_anchors = CheckpointAnchorRow.__table__  # type: ignore[attr-defined]


class ReceiptUnavailable(Exception):
    """No receipt can be made now (no checkpoint in time, or the TSA failed); the entry stays recorded."""


class Notary:
    """Makes evidence receipts for entries of one log, with tokens from `timestamper`. `authority_chain` is
    the embedded TSA's certificates (PEM), None when tokens come from an external TSA."""

    def __init__(
        self,
        timestamper: Timestamper,
        *,
        authority_chain: bytes | None = None,
        calendars: tuple[str, ...] = (),
        anchor_every: float = ANCHOR_EVERY,
    ) -> None:
        self.timestamper = timestamper
        self.authority_chain = authority_chain
        # OpenTimestamps calendars that checkpoints are anchored through (none: anchoring is off).
        self.calendars = calendars
        self.anchor_every = anchor_every
        self._anchored_at: float | None = None
        self._anchoring: set[asyncio.Task[None]] = set()
        self._tiles: CachedTiles | None = None
        self._head: SignedTreeHead | None = None
        self._head_read = 0.0
        self._head_lock = asyncio.Lock()
        self._tokens: OrderedDict[int, bytes] = OrderedDict()
        self._pending: dict[int, asyncio.Task[bytes]] = {}
        self._refreshing: asyncio.Task[None] | None = None

    def _tiles_of(self, log: Log) -> CachedTiles:
        if self._tiles is None or self._tiles.log is not log:
            self._tiles = CachedTiles(log)
        return self._tiles

    async def receipt(self, log: Log, index: int, *, wait: float = WAIT_LIMIT) -> EvidenceReceipt:
        head = await self.covering(log, index, wait)
        cache = self._tiles_of(log)
        proof = await cache.inclusion_proof(index, head.size)
        ledger = Receipt(log.origin, index, await cache.entry(index), head.size, tuple(proof), head.published)
        return EvidenceReceipt(ledger, await self.token(log.engine, head))

    async def covering(self, log: Log, index: int, wait: float) -> SignedTreeHead:
        """The latest signed checkpoint once it covers entry `index`. Waiters share one reader: whoever holds
        the lock brings the head up to date, the others use it. A caller waits for its checkpoint, so when
        this process holds the log's key the notary integrates at once rather than at the sequencer's pace
        (which batches for throughput, not for latency); `Log.integrate` signs nothing twice and runs one
        at a time, so it may race the sequencer."""
        deadline = time.monotonic() + wait
        while True:
            async with self._head_lock:
                if self._head is None or self._head.size <= index:
                    await self._refresh(log)
                head = self._head
            if head is not None and head.size > index:
                return head
            if time.monotonic() > deadline:
                raise ReceiptUnavailable(f"no signed checkpoint covers entry {index} yet")
            await asyncio.sleep(POLL)

    async def _refresh(self, log: Log) -> None:
        """Bring the head up to date in a task of its own: a waiter that is cancelled (its client went away)
        must not cancel an integration half-way, which would leave its write transaction open."""
        if time.monotonic() - self._head_read < POLL:
            return
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.get_running_loop().create_task(self._integrate(log))
        await asyncio.shield(self._refreshing)

    async def _integrate(self, log: Log) -> None:
        known = self._head.size if self._head is not None else 0
        signed = None
        if log.signer is not None:
            try:
                signed = await log.integrate()
            except (LedgerError, SQLAlchemyError) as exc:  # the sequencer meets it too, logs it and retries
                logger.warning("integrating the courts ledger for a receipt failed: %s", exc)
        self._head = signed if signed is not None else await log.latest_checkpoint()
        self._head_read = time.monotonic()
        if self._head is not None and known < self._head.size <= known + KEPT_ENTRIES:
            # the entries whose notarizations wait for this checkpoint: one read for all of them
            await self._tiles_of(log).read_entries(known, self._head.size)

    async def token(self, engine: AsyncEngine, head: SignedTreeHead) -> bytes:
        """The token over `head`'s body: from memory, the table, or the TSA (one request per checkpoint in
        this process, in a task of its own so that no waiter's cancellation cancels it; across processes the
        first token stored wins and is the one every receipt carries)."""
        known = self._tokens.get(head.size)
        if known is not None:
            return known
        pending = self._pending.get(head.size)
        if pending is None:
            pending = asyncio.get_running_loop().create_task(self._stored_or_new(engine, head))
            self._pending[head.size] = pending
            pending.add_done_callback(lambda done: self._settled(head.size, done))
        token = await asyncio.shield(pending)
        self._tokens[head.size] = token
        while len(self._tokens) > KEPT_TOKENS:
            self._tokens.popitem(last=False)
        return token

    def _settled(self, size: int, done: asyncio.Task[bytes]) -> None:
        self._pending.pop(size, None)
        if not done.cancelled():
            done.exception()  # retrieved here too, in case every waiter was cancelled before it ended

    async def _stored_or_new(self, engine: AsyncEngine, head: SignedTreeHead) -> bytes:
        stored = await _stored(engine, head.size)
        if stored is not None:
            return stored
        try:
            token = await self.timestamper.timestamp(checkpoint_body(head.note))
        except TimestampUnavailable as exc:
            raise ReceiptUnavailable(str(exc)) from None
        async with engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            await connection.execute(
                dialect.insert(_timestamps).values(tree_size=head.size, token=token).on_conflict_do_nothing()
            )
        stored = await _stored(engine, head.size)
        assert stored is not None  # inserted above, or by another process first
        self._maybe_anchor(engine, head)
        return stored

    def _maybe_anchor(self, engine: AsyncEngine, head: SignedTreeHead) -> None:
        """Anchor `head` in the background if calendars are configured and none was anchored lately (a
        later checkpoint extends every earlier one, so anchoring one now and then covers them all)."""
        now = time.monotonic()
        if not self.calendars or (
            self._anchored_at is not None and now - self._anchored_at < self.anchor_every
        ):
            return
        self._anchored_at = now
        task = asyncio.get_running_loop().create_task(self._anchor(engine, head))
        self._anchoring.add(task)
        task.add_done_callback(self._anchoring.discard)

    async def _anchor(self, engine: AsyncEngine, head: SignedTreeHead) -> None:
        try:
            proof = await anchor(checkpoint_body(head.note), list(self.calendars))
        except AnchoringFailed as exc:
            logger.warning("checkpoint %d of the courts ledger was not anchored: %s", head.size, exc)
            return
        async with engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            await connection.execute(
                dialect.insert(_anchors).values(tree_size=head.size, proof=proof).on_conflict_do_nothing()
            )

    async def anchors(self, engine: AsyncEngine, last: int) -> list[tuple[int, bytes]]:
        """The `last` checkpoints anchored, newest first: (tree size, .ots proof of its body)."""
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(_anchors.c.tree_size, _anchors.c.proof)
                .order_by(_anchors.c.tree_size.desc())
                .limit(last)
            )
            return [(row.tree_size, bytes(row.proof)) for row in rows]


async def _stored(engine: AsyncEngine, size: int) -> bytes | None:
    async with engine.connect() as connection:
        found = await connection.execute(select(_timestamps.c.token).where(_timestamps.c.tree_size == size))
        row = found.first()
    return None if row is None else bytes(row.token)


def open_notary(data_dir: Path, tsa_url: str | None, calendars: tuple[str, ...] = ()) -> Notary:
    """The notary as configured: tokens from the TSA at `tsa_url` (GOVGRAPH_TSA_URL), else from the
    embedded authority in `<data>/tsa` (created on first use: root CA and TSA certificate, keys 0600);
    checkpoints anchored through `calendars` (GOVGRAPH_OTS_CALENDARS; none: not anchored)."""
    if tsa_url:
        return Notary(RemoteTimestamper(tsa_url), calendars=calendars)
    authority = load_or_create_authority(data_dir / "tsa")
    return Notary(EmbeddedTimestamper(authority), authority_chain=authority.chain_pem(), calendars=calendars)
