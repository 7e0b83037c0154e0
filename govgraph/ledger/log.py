"""An agency's append-only log over SQL storage: `append` acknowledges a durable index at once, and
`append_with` commits a caller's domain rows with its entries; `integrate` (the sequencer step) hashes
pending entries into tlog-tiles hash tiles and signs a checkpoint, cosigned in the same transaction by
in-process witnesses, refusing to sign one that is not consistent with the last; proofs come from tiles."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govgraph.ledger.appending import GroupCommit, Pending, RowWriter, settle, write_batch
from govgraph.ledger.checkpoint import Checkpoint
from govgraph.ledger.errors import LedgerError
from govgraph.ledger.merkle import EMPTY_ROOT, ProofError, leaf_hash, verify_consistency
from govgraph.ledger.models import LedgerCheckpoint, LedgerCosignature, LedgerEntry, LedgerLog, LedgerTile
from govgraph.ledger.note import Signer, Verifier, sign_note
from govgraph.ledger.subtrees import consistency_ranges, inclusion_ranges, perfect_subtrees
from govgraph.ledger.tiles import TILE_HEIGHT, extend_tiles, range_hash, tile_counts

MAX_ENTRY_SIZE = 0xFFFF  # entry bundles length-prefix each entry with a uint16 (tlog-tiles §Log Entries)
# PostgreSQL: the transaction-scoped advisory lock (class "glgi", govgraph log integration; the second key
# is the log's id) that integrators of one log take instead of its row, so appends go on while one signs.
INTEGRATION_LOCK = 0x676C6769

_logs = LedgerLog.__table__  # type: ignore[attr-defined]
_entries = LedgerEntry.__table__  # type: ignore[attr-defined]
_tiles = LedgerTile.__table__  # type: ignore[attr-defined]
_checkpoints = LedgerCheckpoint.__table__  # type: ignore[attr-defined]
_cosignatures = LedgerCosignature.__table__  # type: ignore[attr-defined]


class LogError(LedgerError):
    """Base of the log's own failures."""


class LogNotFound(LogError, LookupError):
    pass


class LogExists(LogError):
    pass


class EntryTooLarge(LogError, ValueError):
    pass


class NotIntegrated(LogError, ValueError):
    """A proof was asked for an index or size the signed tree does not cover yet."""


class InconsistentTree(LogError):
    """The stored tree does not extend the last signed checkpoint: storage was altered. Nothing is signed."""


class NoSigner(LogError):
    pass


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """A stored, log-signed checkpoint with the witness cosignature lines collected for it."""

    id: int
    size: int
    root_hash: bytes
    note: bytes
    cosignatures: tuple[str, ...] = ()
    witnesses: tuple[str, ...] = ()  # who gave `cosignatures`, when known (the signing process knows)

    @property
    def published(self) -> bytes:
        """The checkpoint as served and put in receipts: the log's note with every cosignature appended."""
        return self.note + "".join(self.cosignatures).encode()


Prove = Callable[[int], Awaitable[list[bytes]]]
"""The consistency proof from an earlier size to the tree being signed, read in the signing transaction."""


class Cosigner(Protocol):
    """A witness in this process that cosigns a checkpoint inside the transaction that signs it (so the
    checkpoint is never stored, nor served, without its cosignature). Returns the cosignature line, or None
    when it refuses (it logs why)."""

    name: str

    async def cosign(
        self, connection: AsyncConnection, note: bytes, size: int, prove: Prove
    ) -> str | None: ...


class _DictTiles:
    def __init__(self, tiles: dict[tuple[int, int], bytes]) -> None:
        self.tiles = tiles

    def tile(self, level: int, index: int) -> bytes:
        return self.tiles.get((level, index), b"")


def tiles_for_ranges(ranges: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which hash tiles hold the complete subtrees the given leaf ranges are built from."""
    needed = set()
    for begin, end in ranges:
        for level, index in perfect_subtrees(begin, end):
            tile_level, within = divmod(level, TILE_HEIGHT)
            needed.add((tile_level, (index << within) >> TILE_HEIGHT))
    return needed


async def _make_durable(connection: AsyncConnection) -> None:
    # WAL with synchronous=NORMAL may lose the last commits on power loss; an acknowledged index must not be
    # lost, so ledger writes run with FULL (the WAL is synced at every commit). Per connection, before BEGIN:
    # the setting stays with the pooled connection, so it is sent once per connection (`info` is the DBAPI
    # connection's own dictionary).
    if connection.dialect.name == "sqlite" and not connection.info.get("synchronous_full"):
        await connection.exec_driver_sql("PRAGMA synchronous=FULL")
        connection.info["synchronous_full"] = True


class Log:
    """One log. Appends from many tasks are committed together (group commit); one integration runs at a
    time per process, and the database's write lock serializes writers across processes."""

    def __init__(self, engine: AsyncEngine, record: LedgerLog, signer: Signer | None = None) -> None:
        self.engine = engine
        self.id: int = record.id  # type: ignore[assignment]
        self.name = record.name
        self.origin = record.origin
        self.verifier = Verifier.from_vkey(record.vkey)
        self.signer: Signer | None = None
        if signer is not None:
            self.use_signer(signer)
        self._group = GroupCommit(self._commit_batch)
        # Set after every commit that appended entries: wakes this process's sequencer at once.
        self.appended = asyncio.Event()
        # In-process witnesses that cosign every checkpoint `integrate` signs, in its transaction.
        self.cosigners: list[Cosigner] = []
        # Every write transaction of this process takes this FIFO lock first: SQLite's busy handler polls and
        # is not fair, so two connections writing back to back could starve one another for the whole
        # busy timeout. Across processes the database lock still serializes writers (one writer per log).
        self._write_lock = asyncio.Lock()
        # On PostgreSQL integrations take this one instead: they do not lock out this process's appends.
        self._integrate_lock = asyncio.Lock()

    def use_signer(self, signer: Signer) -> None:
        """Let this process sign checkpoints (integrate) with the log's key."""
        if signer.vkey != self.verifier.vkey:
            raise NoSigner(f"the given key is not the key of log {self.name}")
        self.signer = signer

    # -- opening -------------------------------------------------------------------------------------------

    @classmethod
    async def create(cls, engine: AsyncEngine, name: str, signer: Signer) -> Log:
        """A new, empty log named `name` whose origin is the signer's key name."""
        if await cls.taken(engine, name, signer.name):
            raise LogExists(f"a log named {name!r} or with origin {signer.name!r} already exists")
        async with engine.begin() as connection:
            await connection.execute(
                insert(_logs).values(
                    name=name, origin=signer.name, vkey=signer.vkey, next_index=0, integrated_size=0
                )
            )
        return await cls.open(engine, name, signer)

    @classmethod
    async def open(cls, engine: AsyncEngine, name: str, signer: Signer | None = None) -> Log:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(_logs).where(or_(_logs.c.name == name, _logs.c.origin == name))
                )
            ).first()
        if row is None:
            raise LogNotFound(f"no log named {name!r}")
        return cls(engine, LedgerLog(**row._mapping), signer)

    @staticmethod
    async def taken(engine: AsyncEngine, name: str, origin: str) -> bool:
        """Whether a log with this name or origin already exists."""
        async with engine.connect() as connection:
            found = await connection.execute(
                select(_logs.c.id).where(or_(_logs.c.name == name, _logs.c.origin == origin))
            )
            return found.first() is not None

    @staticmethod
    async def names(engine: AsyncEngine) -> list[str]:
        async with engine.connect() as connection:
            return list((await connection.execute(select(_logs.c.name).order_by(_logs.c.id))).scalars())

    # -- appending -----------------------------------------------------------------------------------------

    async def append(self, data: bytes) -> int:
        """Sequence one entry; returns its index once it is durably stored. Concurrent callers share commits
        (group commit: see appending.py)."""
        self._check_size(data)
        return (await self._group.submit((data,))).start

    async def append_with(self, write: RowWriter) -> range:
        """Commit `write`'s domain rows and the entries it returns in one transaction, shared with the other
        callers queued meanwhile; `write` runs inside its own savepoint (see RowWriter). Returns the indexes
        of its entries (empty if it appended none) once durably stored; raises what `write` raised, with
        nothing of it stored and no index used."""
        return await self._group.submit((), write)

    async def append_many(self, entries: Sequence[bytes]) -> range:
        """Sequence many entries in one durable commit; returns their consecutive indexes."""
        for data in entries:
            self._check_size(data)
        return await self._group.submit(list(entries))

    @staticmethod
    def _check_size(data: bytes) -> None:
        if not isinstance(data, bytes | bytearray):
            raise TypeError("log entries are bytes")
        if len(data) > MAX_ENTRY_SIZE:
            raise EntryTooLarge(f"entry of {len(data)} bytes exceeds the {MAX_ENTRY_SIZE}-byte limit")

    async def _commit_batch(self, batch: list[Pending]) -> None:
        async with self._write_lock, self.engine.begin() as connection:
            await _make_durable(connection)
            outcomes, appended = await write_batch(connection, self.id, batch, self._check_size)
        # Committed: only now is any caller told its indexes.
        settle(outcomes)
        if appended:
            self.appended.set()

    # -- integrating and signing ---------------------------------------------------------------------------

    async def integrate(self, max_entries: int | None = None) -> SignedTreeHead | None:
        """Hash pending entries into the tree and sign a checkpoint for the new size, in one transaction.
        Returns None when there is nothing new. Raises InconsistentTree, signing nothing, if the stored
        tree does not extend the last signed checkpoint."""
        if self.signer is None:
            raise NoSigner(f"log {self.name} was opened without its signing key")
        postgres = self.engine.dialect.name == "postgresql"
        async with self._integrate_lock if postgres else self._write_lock, self.engine.begin() as connection:
            await _make_durable(connection)
            if postgres:
                # Integrators of this log exclude one another with an advisory lock, not the log's row: the
                # appends (which lock the row for their group commit) go on while this transaction hashes,
                # signs and waits for the witnesses, some over HTTP. The row is updated last, so it is held
                # only until the commit. Reading next_index without locking is safe: an index is committed
                # with its entry, so every entry below a committed next_index is visible here.
                await connection.execute(select(func.pg_advisory_xact_lock(INTEGRATION_LOCK, self.id)))
                state = (
                    await connection.execute(
                        select(_logs.c.integrated_size, _logs.c.next_index).where(_logs.c.id == self.id)
                    )
                ).one()
            else:  # SQLite: the write lock, taken by this first write, serializes everything anyway
                state = (
                    await connection.execute(
                        update(_logs)
                        .where(_logs.c.id == self.id)
                        .values(integrated_size=_logs.c.integrated_size)
                        .returning(_logs.c.integrated_size, _logs.c.next_index)
                    )
                ).one()
            old_size, target = state
            if max_entries is not None:
                target = min(target, old_size + max_entries)
            latest = await self._latest(connection)
            if target == old_size and latest is not None:
                return None
            rows = (
                await connection.execute(
                    select(_entries.c.idx, _entries.c.data)
                    .where(_entries.c.log_id == self.id, _entries.c.idx >= old_size, _entries.c.idx < target)
                    .order_by(_entries.c.idx)
                )
            ).all()
            if [row.idx for row in rows] != list(range(old_size, target)):
                raise InconsistentTree(f"entries {old_size}..{target - 1} are not all stored")
            leaves = [leaf_hash(row.data) for row in rows]
            edge = {(level, full) for level, full, width in tile_counts(old_size) if width}
            signed_size = latest.size if latest else 0
            check_ranges = consistency_ranges(signed_size, target) if 0 < signed_size < target else []
            source = _DictTiles(await self._read_tiles(connection, edge | tiles_for_ranges(check_ranges)))
            changed = extend_tiles(source, old_size, leaves)
            source.tiles.update(changed)
            extra = tiles_for_ranges([(0, target), *check_ranges]) - source.tiles.keys()
            source.tiles.update(await self._read_tiles(connection, extra))
            root = range_hash(source, 0, target)
            if latest is not None:
                proof = [range_hash(source, begin, end) for begin, end in check_ranges]
                try:
                    if signed_size:
                        verify_consistency(signed_size, target, proof, latest.root_hash, root)
                    elif latest.root_hash != EMPTY_ROOT:
                        raise ProofError("the signed empty tree has a root other than SHA-256()")
                except ProofError as exc:
                    raise InconsistentTree(
                        f"tree of size {target} is not consistent with signed checkpoint {signed_size}: {exc}"
                    ) from exc
            note = sign_note(Checkpoint(self.origin, target, root).body(), self.signer)
            cosignatures = await self._cosign(connection, source, note, target)
            if changed:
                # Only the partial tiles on the old right edge existed before; every other changed tile
                # is new.
                await self._write_tiles(connection, changed, replacing=changed.keys() & edge)
            inserted = await connection.execute(
                insert(_checkpoints).values(
                    log_id=self.id, size=target, root_hash=root, note=note, signed_at=time.time()
                )
            )
            checkpoint_id = inserted.inserted_primary_key[0]
            if cosignatures:
                await connection.execute(
                    insert(_cosignatures),
                    [
                        {"checkpoint_id": checkpoint_id, "witness": witness, "line": line}
                        for witness, line in cosignatures.items()
                    ],
                )
            # Last: on PostgreSQL this waits for an append batch in flight and holds the log's row only
            # from here to the commit.
            await connection.execute(
                update(_logs).where(_logs.c.id == self.id).values(integrated_size=target)
            )
            return SignedTreeHead(
                checkpoint_id, target, root, note, tuple(cosignatures.values()), tuple(cosignatures)
            )

    async def _cosign(
        self, connection: AsyncConnection, source: _DictTiles, note: bytes, size: int
    ) -> dict[str, str]:
        """Each in-process witness's cosignature line for `note`, asked inside the signing transaction; a
        consistency proof a witness needs is computed from the tiles this transaction sees."""

        proofs: dict[int, list[bytes]] = {}  # the witnesses mostly hold the same size: one proof for them all

        async def prove(old_size: int) -> list[bytes]:
            if old_size not in proofs:
                ranges = consistency_ranges(old_size, size)
                missing = tiles_for_ranges(ranges) - source.tiles.keys()
                source.tiles.update(await self._read_tiles(connection, missing))
                proofs[old_size] = [range_hash(source, begin, end) for begin, end in ranges]
            return list(proofs[old_size])

        lines = {}
        for cosigner in self.cosigners:
            line = await cosigner.cosign(connection, note, size, prove)
            if line is not None:
                lines[cosigner.name] = line
        return lines

    async def _write_tiles(
        self,
        connection: AsyncConnection,
        changed: dict[tuple[int, int], bytes],
        replacing: set[tuple[int, int]],
    ) -> None:
        for level, index in replacing:
            await connection.execute(
                _tiles.delete().where(
                    _tiles.c.log_id == self.id, _tiles.c.level == level, _tiles.c.idx == index
                )
            )
        await connection.execute(
            insert(_tiles),
            [
                {"log_id": self.id, "level": level, "idx": index, "hashes": hashes}
                for (level, index), hashes in changed.items()
            ],
        )

    async def _read_tiles(
        self, connection: AsyncConnection, wanted: set[tuple[int, int]]
    ) -> dict[tuple[int, int], bytes]:
        # One query per tile level with `idx IN (...)`, which walks the primary key; a row-value IN over
        # (level, idx) would make SQLite scan every tile of the log.
        by_level: dict[int, list[int]] = {}
        for level, index in wanted:
            by_level.setdefault(level, []).append(index)
        found = {}
        for level, indexes in by_level.items():
            for start in range(0, len(indexes), 500):
                rows = await connection.execute(
                    select(_tiles.c.idx, _tiles.c.hashes).where(
                        _tiles.c.log_id == self.id,
                        _tiles.c.level == level,
                        _tiles.c.idx.in_(indexes[start : start + 500]),
                    )
                )
                found.update({(level, row.idx): row.hashes for row in rows})
        return found

    # -- reading -------------------------------------------------------------------------------------------

    async def _latest(self, connection: AsyncConnection) -> SignedTreeHead | None:
        row = (
            await connection.execute(
                select(_checkpoints)
                .where(_checkpoints.c.log_id == self.id)
                .order_by(_checkpoints.c.id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        lines = (
            (
                await connection.execute(
                    select(_cosignatures.c.line)
                    .where(_cosignatures.c.checkpoint_id == row.id)
                    .order_by(_cosignatures.c.id)
                )
            )
            .scalars()
            .all()
        )
        return SignedTreeHead(row.id, row.size, row.root_hash, row.note, tuple(lines))

    async def latest_checkpoint(self) -> SignedTreeHead | None:
        async with self.engine.connect() as connection:
            return await self._latest(connection)

    async def checkpoint_at(self, size: int) -> SignedTreeHead | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(_checkpoints.c.id).where(
                        _checkpoints.c.log_id == self.id, _checkpoints.c.size == size
                    )
                )
            ).first()
            if row is None:
                return None
            full = (await connection.execute(select(_checkpoints).where(_checkpoints.c.id == row.id))).one()
            lines = (
                (
                    await connection.execute(
                        select(_cosignatures.c.line)
                        .where(_cosignatures.c.checkpoint_id == row.id)
                        .order_by(_cosignatures.c.id)
                    )
                )
                .scalars()
                .all()
            )
            return SignedTreeHead(full.id, full.size, full.root_hash, full.note, tuple(lines))

    async def add_cosignatures(self, checkpoint_id: int, lines: dict[str, str]) -> None:
        """Record witness cosignature lines (witness name -> line) for a signed checkpoint."""
        if not lines:
            return
        async with self.engine.begin() as connection:
            await connection.execute(
                insert(_cosignatures).prefix_with("OR IGNORE", dialect="sqlite"),
                [
                    {"checkpoint_id": checkpoint_id, "witness": witness, "line": line}
                    for witness, line in lines.items()
                ],
            )

    async def state(self) -> tuple[int, int]:
        """(acknowledged entries, integrated size)."""
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(_logs.c.next_index, _logs.c.integrated_size).where(_logs.c.id == self.id)
                )
            ).one()
        return row.next_index, row.integrated_size

    async def entry(self, index: int) -> bytes:
        async with self.engine.connect() as connection:
            data = (
                await connection.execute(
                    select(_entries.c.data).where(_entries.c.log_id == self.id, _entries.c.idx == index)
                )
            ).scalar_one_or_none()
        if data is None:
            raise NotIntegrated(f"log {self.name} has no entry {index}")
        return data

    async def entries(self, begin: int, end: int) -> list[bytes]:
        async with self.engine.connect() as connection:
            return list(
                (
                    await connection.execute(
                        select(_entries.c.data)
                        .where(_entries.c.log_id == self.id, _entries.c.idx >= begin, _entries.c.idx < end)
                        .order_by(_entries.c.idx)
                    )
                ).scalars()
            )

    async def tile(self, level: int, index: int) -> bytes:
        async with self.engine.connect() as connection:
            return (await self._read_tiles(connection, {(level, index)})).get((level, index), b"")

    async def _hashes(self, size: int, ranges: list[tuple[int, int]]) -> list[bytes]:
        async with self.engine.connect() as connection:
            integrated = (
                await connection.execute(select(_logs.c.integrated_size).where(_logs.c.id == self.id))
            ).scalar_one()
            if size > integrated:
                raise NotIntegrated(f"tree size {size} is beyond the integrated size {integrated}")
            source = _DictTiles(await self._read_tiles(connection, tiles_for_ranges(ranges)))
        return [range_hash(source, begin, end) for begin, end in ranges]

    async def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[0:size]) from stored tiles: O(log n) tile reads."""
        if not 0 <= index < size:
            raise NotIntegrated(f"index {index} is not in a tree of size {size}")
        return await self._hashes(size, inclusion_ranges(index, size))

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        if not 0 < old_size <= new_size:
            raise NotIntegrated(f"no consistency proof from {old_size} to {new_size}")
        return await self._hashes(new_size, consistency_ranges(old_size, new_size))

    async def root_at(self, size: int) -> bytes:
        if size == 0:
            return EMPTY_ROOT
        return (await self._hashes(size, [(0, size)]))[0]
