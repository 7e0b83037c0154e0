"""Offline integrity check of a stored log: re-derive every hash tile and every signed checkpoint's root
from the entries alone and report each mismatch (an altered entry, hash, checkpoint or counter)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from govgraph.ledger.checkpoint import Checkpoint, CheckpointError
from govgraph.ledger.log import Log
from govgraph.ledger.merkle import EMPTY_ROOT, leaf_hash, node_hash
from govgraph.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerLog, LedgerTile
from govgraph.ledger.note import NoteError, Verifiers, open_note
from govgraph.ledger.tiles import TILE_WIDTH, MissingHash, extend_tiles

CHUNK = 16384
_logs = LedgerLog.__table__  # type: ignore[attr-defined]
_entries = LedgerEntry.__table__  # type: ignore[attr-defined]
_tiles = LedgerTile.__table__  # type: ignore[attr-defined]
_checkpoints = LedgerCheckpoint.__table__  # type: ignore[attr-defined]


@dataclass
class FsckReport:
    log: str
    entries: int = 0
    integrated_size: int = 0
    tiles_checked: int = 0
    checkpoints_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        head = (
            f"log {self.log}: {self.entries} entries, {self.integrated_size} integrated, "
            f"{self.tiles_checked} tiles and {self.checkpoints_checked} checkpoints re-derived"
        )
        if self.clean:
            return head + ": clean"
        return head + f": {len(self.problems)} problem(s)\n" + "\n".join(f"  - {p}" for p in self.problems)


class _Recomputed:
    """Tiles rebuilt from entries; full tiles are compared and dropped as soon as they are final."""

    def __init__(self) -> None:
        self.tiles: dict[tuple[int, int], bytes] = {}

    def tile(self, level: int, index: int) -> bytes:
        return self.tiles.get((level, index), b"")


class _RootTracker:
    """Roots of every prefix of the entry stream, from a stack of perfect-subtree roots (compact range)."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []
        self.size = 0

    def push(self, leaf: bytes) -> None:
        self.size += 1
        level, current = 0, leaf
        while self.stack and self.stack[-1][0] == level:
            current = node_hash(self.stack.pop()[1], current)
            level += 1
        self.stack.append((level, current))

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        root = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            root = node_hash(left, root)
        return root


async def fsck(log: Log) -> FsckReport:
    report = FsckReport(log.name)
    problems = report.problems
    async with log.engine.connect() as connection:
        state = (
            await connection.execute(
                select(_logs.c.next_index, _logs.c.integrated_size).where(_logs.c.id == log.id)
            )
        ).one()
        next_index, integrated = state
        report.integrated_size = integrated
        if integrated > next_index:
            problems.append(f"integrated size {integrated} exceeds the {next_index} acknowledged entries")
        checkpoints = (
            await connection.execute(
                select(_checkpoints).where(_checkpoints.c.log_id == log.id).order_by(_checkpoints.c.id)
            )
        ).all()
        stored_tiles = {
            (row.level, row.idx): row.hashes
            for row in await connection.execute(
                select(_tiles.c.level, _tiles.c.idx, _tiles.c.hashes).where(_tiles.c.log_id == log.id)
            )
        }

        pending = _check_checkpoint_order(checkpoints, integrated, problems)
        recomputed, roots, expected_index = _Recomputed(), _RootTracker(), 0
        verifiers = Verifiers(log.verifier)
        while pending and pending[0].size == 0:
            _check_checkpoint(pending.pop(0), EMPTY_ROOT, log, verifiers, report)
        while True:
            rows = (
                await connection.execute(
                    select(_entries.c.idx, _entries.c.data)
                    .where(_entries.c.log_id == log.id, _entries.c.idx >= expected_index)
                    .order_by(_entries.c.idx)
                    .limit(CHUNK)
                )
            ).all()
            if not rows:
                break
            leaves = []
            for row in rows:
                if row.idx != expected_index:
                    problems.append(f"entries {expected_index}..{row.idx - 1} are missing")
                    expected_index = row.idx
                if expected_index < integrated:
                    leaves.append(leaf_hash(row.data))
                expected_index += 1
            if leaves:
                start = roots.size
                for leaf in leaves:
                    roots.push(leaf)
                    while pending and pending[0].size == roots.size:
                        _check_checkpoint(pending.pop(0), roots.root(), log, verifiers, report)
                try:
                    recomputed.tiles.update(extend_tiles(recomputed, start, leaves))
                except MissingHash as exc:  # only if entries were missing above
                    problems.append(f"cannot rebuild tiles: {exc}")
                    break
                _compare_final_tiles(recomputed, stored_tiles, report, keep_partial=True)
        report.entries = expected_index
        if expected_index != next_index:
            problems.append(f"{expected_index} entries stored but {next_index} acknowledged")
        for head in pending:
            problems.append(f"checkpoint at size {head.size} is beyond the entries that could be re-derived")
        _compare_final_tiles(recomputed, stored_tiles, report, keep_partial=False)
        for level, index in sorted(stored_tiles):
            problems.append(f"tile {level}/{index} is stored but no entry accounts for it")
    return report


def _check_checkpoint_order(checkpoints, integrated: int, problems: list[str]) -> list:
    previous = -1
    for head in checkpoints:
        if head.size <= previous:
            problems.append(
                f"checkpoint {head.id} signs size {head.size} after size {previous}: size went back"
            )
        previous = max(previous, head.size)
    if checkpoints and checkpoints[-1].size != integrated:
        problems.append(
            f"latest checkpoint signs size {checkpoints[-1].size} but {integrated} are integrated"
        )
    if not checkpoints and integrated:
        problems.append(f"{integrated} entries integrated but no checkpoint signed")
    return sorted(checkpoints, key=lambda head: head.size)


def _check_checkpoint(head, root: bytes, log: Log, verifiers: Verifiers, report: FsckReport) -> None:
    report.checkpoints_checked += 1
    where = f"checkpoint at size {head.size}"
    if head.root_hash != root:
        report.problems.append(f"{where}: stored root does not match the entries")
    try:
        note = open_note(head.note, verifiers)
        body = Checkpoint.parse(note.text)
    except (NoteError, CheckpointError) as exc:
        report.problems.append(f"{where}: signed note does not verify under the log key: {exc}")
        return
    if (body.origin, body.size, body.root_hash) != (log.origin, head.size, root):
        report.problems.append(f"{where}: signed body does not match the entries")


def _compare_final_tiles(
    recomputed: _Recomputed, stored: dict, report: FsckReport, keep_partial: bool
) -> None:
    for key in sorted(recomputed.tiles):
        hashes = recomputed.tiles[key]
        full = len(hashes) == 32 * TILE_WIDTH
        if keep_partial and not full:
            continue
        report.tiles_checked += 1
        found = stored.pop(key, None)
        if found is None:
            report.problems.append(f"tile {key[0]}/{key[1]} is missing")
        elif found != hashes:
            report.problems.append(f"tile {key[0]}/{key[1]} differs from the hashes of the entries")
        if full:
            del recomputed.tiles[key]
