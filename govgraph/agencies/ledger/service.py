"""The ledger subgraph's reads: every agency's log pinned to its latest signed checkpoint (a snapshot), its
entries, receipts and consistency proofs, computed from the stored hash tiles. Batched for DataLoaders;
the rules on what a client may ask for (bounds, sizes) live here, not in the GraphQL types."""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.federation.errors import BadUserInput
from govgraph.ledger.log import tiles_for_ranges
from govgraph.ledger.merkle import leaf_hash
from govgraph.ledger.models import LedgerCheckpoint, LedgerCosignature, LedgerLog, LedgerTile
from govgraph.ledger.models import LedgerEntry as EntryRow
from govgraph.ledger.note import SIGNATURE_PREFIX
from govgraph.ledger.receipt import Receipt
from govgraph.ledger.subtrees import consistency_ranges, inclusion_ranges
from govgraph.ledger.tiles import range_hash

MAX_NAME_LENGTH = 64
DEFAULT_PAGE = 20
MAX_PAGE = 100
KEYS_PER_QUERY = 500  # bounds one `IN (...)` list, however many keys a request batches
_COSIGNATURE_LENGTH = 4 + 8 + 64  # key ID, timestamp, Ed25519 signature (tlog-cosignature §Format)


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A witness cosignature line of a checkpoint, taken apart (c2sp.org/tlog-cosignature)."""

    witness: str
    key_id: int
    timestamp: int
    signature: bytes
    line: str

    @classmethod
    def from_line(cls, line: str) -> Cosignature:
        """The parts of a stored line `— <name> <base64(key ID || timestamp || signature)>`. The line was
        verified when it was collected; a line that does not parse means storage was altered."""
        name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).rstrip("\n").partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"stored cosignature of {name!r} is not base64") from None
        if not line.startswith(SIGNATURE_PREFIX) or len(raw) != _COSIGNATURE_LENGTH:
            raise ValueError(f"stored cosignature of {name!r} is not a cosignature/v1 line")
        key_id, timestamp = struct.unpack(">IQ", raw[:12])
        return cls(name, key_id, timestamp, raw[12:], line.rstrip("\n"))


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """A log as of its latest signed checkpoint. Everything one response serves about the log (size, entries,
    receipts, proofs) is pinned to this checkpoint, so the parts agree even while the log grows."""

    log_id: int
    name: str
    origin: str
    vkey: str
    size: int
    root_hash: bytes
    note: bytes  # the log-signed checkpoint note
    signed_at: float
    cosignature_lines: tuple[str, ...]

    @property
    def published(self) -> bytes:
        """The checkpoint as receipts embed it and /ledgers/<name>/checkpoint serves it: the note with every
        cosignature line appended, in the order they were collected."""
        return self.note + "".join(self.cosignature_lines).encode()

    def cosignatures(self) -> list[Cosignature]:
        return [Cosignature.from_line(line) for line in self.cosignature_lines]


@dataclass(frozen=True, slots=True)
class Entry:
    ledger: LedgerSnapshot
    index: int
    data: bytes

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.data)

    def text(self) -> str:
        """The entry as UTF-8 text; an entry whose bytes are not UTF-8 has no text form."""
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadUserInput(
                f"Entry {self.index} of ledger {self.ledger.name} is not UTF-8 text: "
                "select `dataBase64` instead."
            ) from None

    def receipt(self, inclusion_proof: Sequence[bytes]) -> str:
        """The govgraph-receipt/v1 document `govgraph ledger prove` writes, against the snapshot's
        checkpoint."""
        snapshot = self.ledger
        receipt = Receipt(
            snapshot.origin, self.index, self.data, snapshot.size, tuple(inclusion_proof), snapshot.published
        )
        return receipt.to_json()


def check_name(name: str) -> str:
    if not 0 < len(name) <= MAX_NAME_LENGTH:
        raise BadUserInput(f"A ledger name must be 1..{MAX_NAME_LENGTH} characters.")
    return name


def check_index(snapshot: LedgerSnapshot, index: int) -> int:
    if index >= snapshot.size:
        raise BadUserInput(
            f"Entry {index} is beyond ledger {snapshot.name}'s signed size {snapshot.size}: "
            "it is not in a signed checkpoint yet."
        )
    return index


class _Tiles:
    """Hash tiles read for one computation (a TileSource)."""

    def __init__(self, tiles: dict[tuple[int, int], bytes]) -> None:
        self.tiles = tiles

    def tile(self, level: int, index: int) -> bytes:
        return self.tiles.get((level, index), b"")


class LedgerService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    # -- ledgers -------------------------------------------------------------------------------------------

    async def ledgers(self) -> list[LedgerSnapshot]:
        """Every log that has signed a checkpoint, by name. A log that never signed one has no verifiable
        state yet and is not served."""
        return await self._snapshots(None)

    async def ledgers_by_names(self, names: Sequence[str]) -> list[LedgerSnapshot | None]:
        found: dict[str, LedgerSnapshot] = {}
        for start in range(0, len(names), KEYS_PER_QUERY):
            chunk = names[start : start + KEYS_PER_QUERY]
            found.update({snapshot.name: snapshot for snapshot in await self._snapshots(chunk)})
        return [found.get(name) for name in names]

    async def _snapshots(self, names: Iterable[str] | None) -> list[LedgerSnapshot]:
        latest = (
            select(func.max(LedgerCheckpoint.id))
            .where(LedgerCheckpoint.log_id == LedgerLog.id)
            .correlate(LedgerLog)
            .scalar_subquery()
        )
        query = (
            select(LedgerLog, LedgerCheckpoint)
            .join(LedgerCheckpoint, col(LedgerCheckpoint.id) == latest)
            .order_by(LedgerLog.name)
        )
        if names is not None:
            query = query.where(col(LedgerLog.name).in_(list(names)))
        # One session, so one read transaction: each log's checkpoint and its cosignatures agree.
        async with self.sessions() as session:
            rows = (await session.exec(query)).all()
            checkpoint_ids = [checkpoint.id for _log, checkpoint in rows]
            lines = (
                await session.exec(
                    select(LedgerCosignature.checkpoint_id, LedgerCosignature.line)
                    .where(col(LedgerCosignature.checkpoint_id).in_(checkpoint_ids))
                    .order_by(LedgerCosignature.id)
                )
            ).all()
        by_checkpoint: dict[int, list[str]] = {}
        for checkpoint_id, line in lines:
            by_checkpoint.setdefault(checkpoint_id, []).append(line)
        return [
            LedgerSnapshot(
                log_id=log.id,  # type: ignore[arg-type]
                name=log.name,
                origin=log.origin,
                vkey=log.vkey,
                size=checkpoint.size,
                root_hash=checkpoint.root_hash,
                note=checkpoint.note,
                signed_at=checkpoint.signed_at,
                cosignature_lines=tuple(by_checkpoint.get(checkpoint.id, ())),  # type: ignore[arg-type]
            )
            for log, checkpoint in rows
        ]

    # -- entries -------------------------------------------------------------------------------------------

    async def entries_by_keys(self, keys: Sequence[tuple[LedgerSnapshot, int]]) -> list[Entry | None]:
        """Entries by (snapshot, index), one query per log; None for an index the snapshot does not cover."""
        wanted: dict[LedgerSnapshot, set[int]] = {}
        for snapshot, index in keys:
            if index < snapshot.size:
                wanted.setdefault(snapshot, set()).add(index)
        found: dict[tuple[int, int], bytes] = {}
        async with self.sessions() as session:
            for snapshot, indexes in wanted.items():
                ordered = sorted(indexes)
                for start in range(0, len(ordered), KEYS_PER_QUERY):
                    rows = await session.exec(
                        select(EntryRow.idx, EntryRow.data).where(
                            EntryRow.log_id == snapshot.log_id,
                            col(EntryRow.idx).in_(ordered[start : start + KEYS_PER_QUERY]),
                        )
                    )
                    found.update({(snapshot.log_id, idx): data for idx, data in rows})
        return [
            Entry(snapshot, index, found[(snapshot.log_id, index)])
            if (snapshot.log_id, index) in found
            else None
            for snapshot, index in keys
        ]

    async def entries(self, snapshot: LedgerSnapshot, after: int | None, first: int | None) -> list[Entry]:
        """Up to `first` entries with an index above `after` (from the first entry if None), oldest first,
        within the snapshot's signed size."""
        first = DEFAULT_PAGE if first is None else first
        if not 0 <= first <= MAX_PAGE:
            raise BadUserInput(f"`first` must lie in 0..{MAX_PAGE}, got {first}.")
        begin = 0 if after is None else after + 1
        end = min(snapshot.size, begin + first)
        if begin >= end:
            return []
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(EntryRow.idx, EntryRow.data)
                    .where(
                        EntryRow.log_id == snapshot.log_id,
                        col(EntryRow.idx) >= begin,
                        col(EntryRow.idx) < end,
                    )
                    .order_by(EntryRow.idx)
                )
            ).all()
        return [Entry(snapshot, idx, data) for idx, data in rows]

    # -- proofs --------------------------------------------------------------------------------------------

    async def inclusion_proofs(self, keys: Sequence[tuple[LedgerSnapshot, int]]) -> list[list[bytes]]:
        """PATH(index, D[0:size]) for each (snapshot, index) with index < size: the tiles every proof of a
        log needs are read once."""
        wanted = {(snapshot, index): inclusion_ranges(index, snapshot.size) for snapshot, index in keys}
        by_log: dict[int, list[tuple[int, int]]] = {}
        for (snapshot, _index), ranges in wanted.items():
            by_log.setdefault(snapshot.log_id, []).extend(ranges)
        async with self.sessions() as session:
            tiles = {
                log_id: await self._read_tiles(session, log_id, ranges) for log_id, ranges in by_log.items()
            }
        return [
            [range_hash(tiles[snapshot.log_id], begin, end) for begin, end in wanted[(snapshot, index)]]
            for snapshot, index in keys
        ]

    async def consistency_proof(self, snapshot: LedgerSnapshot, from_size: int, to_size: int) -> list[bytes]:
        """PROOF(from_size, D[0:to_size]) (RFC 9162 §2.1.4.1), for sizes within the snapshot's signed size."""
        if from_size == 0:
            raise BadUserInput("`fromSize` must be at least 1: every tree extends the empty one.")
        if from_size > to_size:
            raise BadUserInput(f"`fromSize` ({from_size}) must not exceed `toSize` ({to_size}).")
        if to_size > snapshot.size:
            raise BadUserInput(
                f"`toSize` ({to_size}) is beyond ledger {snapshot.name}'s signed size {snapshot.size}."
            )
        ranges = consistency_ranges(from_size, to_size)
        async with self.sessions() as session:
            tiles = await self._read_tiles(session, snapshot.log_id, ranges)
        return [range_hash(tiles, begin, end) for begin, end in ranges]

    @staticmethod
    async def _read_tiles(session: AsyncSession, log_id: int, ranges: Iterable[tuple[int, int]]) -> _Tiles:
        # One query per tile level with `idx IN (...)`, which walks the primary key. A partial tile is
        # rewritten as the tree grows but keeps its prefix, so a newer one serves an older size too.
        by_level: dict[int, list[int]] = {}
        for level, index in sorted(tiles_for_ranges(ranges)):
            by_level.setdefault(level, []).append(index)
        found: dict[tuple[int, int], bytes] = {}
        for level, indexes in by_level.items():
            for start in range(0, len(indexes), KEYS_PER_QUERY):
                rows = await session.exec(
                    select(LedgerTile.idx, LedgerTile.hashes).where(
                        LedgerTile.log_id == log_id,
                        LedgerTile.level == level,
                        col(LedgerTile.idx).in_(indexes[start : start + KEYS_PER_QUERY]),
                    )
                )
                found.update({(level, idx): hashes for idx, hashes in rows})
        return _Tiles(found)
