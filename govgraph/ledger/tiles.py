"""c2sp.org/tlog-tiles layout: tile paths, which tiles a tree size has, and hash tiles as storage for every
complete subtree. Pure except for the small `TileSource` protocol the storage layer implements."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from govgraph.ledger.errors import LedgerError
from govgraph.ledger.merkle import EMPTY_ROOT, HASH_SIZE, node_hash
from govgraph.ledger.subtrees import perfect_subtrees

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # hashes (or entries) in a full tile
MAX_LEVEL = 63
# Tree sizes are uint64 (tlog-tiles), so a tile index is below 2**56: at most 17 digits, six 3-digit groups.
MAX_TILE_INDEX = ((1 << 64) - 1) >> TILE_HEIGHT
MAX_INDEX_GROUPS = 6
_GROUP = re.compile(r"[0-9]{3}")


class TilePathError(LedgerError, ValueError):
    """A tile path does not follow c2sp.org/tlog-tiles."""


@dataclass(frozen=True, slots=True)
class TilePath:
    level: int | None  # None for entry bundles (tile/entries/...)
    index: int
    width: int  # TILE_WIDTH for a full tile

    def __str__(self) -> str:
        level = "entries" if self.level is None else str(self.level)
        suffix = "" if self.width == TILE_WIDTH else f".p/{self.width}"
        return f"tile/{level}/{encode_index(self.index)}{suffix}"


def encode_index(index: int) -> str:
    """N as 3-digit groups, every group but the last prefixed with 'x' (tlog-tiles §Merkle Tree)."""
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def parse_tile_path(path: str) -> TilePath:
    """Parse `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` strictly."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TilePathError("path must start with tile/<level>/")
    level_text, rest = parts[1], parts[2:]
    if level_text == "entries":
        level = None
    elif re.fullmatch(r"0|[1-9][0-9]?", level_text) and int(level_text) <= MAX_LEVEL:
        level = int(level_text)
    else:
        raise TilePathError("tile level must be 0-63 or 'entries'")
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        width_text = rest[-1]
        if not re.fullmatch(r"[1-9][0-9]{0,2}", width_text) or int(width_text) >= TILE_WIDTH:
            raise TilePathError("partial tile width must be 1-255")
        width = int(width_text)
        rest = rest[:-2] + [rest[-2][:-2]]
    if len(rest) > MAX_INDEX_GROUPS:
        raise TilePathError(f"tile index must have at most {MAX_INDEX_GROUPS} groups")
    *upper, last = rest
    if not _GROUP.fullmatch(last) or not all(g[:1] == "x" and _GROUP.fullmatch(g[1:]) for g in upper):
        raise TilePathError("tile index must be 3-digit groups, all but the last prefixed with x")
    index = int("".join(g[1:] for g in upper) + last)
    if encode_index(index) != "/".join(rest):
        raise TilePathError("tile index must not have leading zero groups")
    if index > MAX_TILE_INDEX:
        raise TilePathError("tile index is beyond any 64-bit tree size")
    return TilePath(level, index, width)


def tile_counts(size: int) -> list[tuple[int, int, int]]:
    """(level, full tiles, partial tile width) for every level a tree of `size` has tiles at."""
    counts = []
    level = 0
    while True:
        nodes = size >> (TILE_HEIGHT * level)
        if nodes == 0:
            break
        counts.append((level, nodes // TILE_WIDTH, nodes % TILE_WIDTH))
        level += 1
    return counts


class TileSource(Protocol):
    def tile(self, level: int, index: int) -> bytes: ...


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """Root of a perfect subtree (len(hashes) a power of two) from its bottom row."""
    row = list(hashes)
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


def split_hashes(blob: bytes) -> list[bytes]:
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


class MissingHash(LedgerError, LookupError):
    """Storage lacks a hash the tree size says it must hold."""


def node_from_tiles(source: TileSource, level: int, index: int) -> bytes:
    """The hash of complete subtree (level, index): read from the tile holding level 8*(level//8) and hashed
    up the remaining level % 8 levels inside that tile."""
    tile_level, within = divmod(level, TILE_HEIGHT)
    first = index << within
    tile = source.tile(tile_level, first >> TILE_HEIGHT)
    start = (first % TILE_WIDTH) * HASH_SIZE
    end = start + (HASH_SIZE << within)
    if len(tile) < end:
        raise MissingHash(f"no stored hash for node ({level}, {index})")
    return perfect_root(split_hashes(tile[start:end]))


def range_hash(source: TileSource, begin: int, end: int) -> bytes:
    """MTH(D[begin:end]) for a range a proof or root names, folded right to left from complete subtrees."""
    if begin == end:
        return EMPTY_ROOT
    nodes = [node_from_tiles(source, level, index) for level, index in perfect_subtrees(begin, end)]
    root = nodes.pop()
    while nodes:
        root = node_hash(nodes.pop(), root)
    return root


def extend_tiles(
    source: TileSource, old_size: int, leaf_hashes: Sequence[bytes]
) -> dict[tuple[int, int], bytes]:
    """The hash tiles that change when `leaf_hashes` are appended to a tree of `old_size`: level-0 tiles take
    the leaf hashes, and each tile that fills up contributes its root to the tile level above."""
    changed: dict[tuple[int, int], bytes] = {}

    def current(level: int, index: int) -> bytes:
        return changed[(level, index)] if (level, index) in changed else source.tile(level, index)

    level, start, new = 0, old_size, list(leaf_hashes)
    while new:
        position, taken = start, 0
        while taken < len(new):
            index, offset = divmod(position, TILE_WIDTH)
            existing = current(level, index) if offset else b""
            if len(existing) != offset * HASH_SIZE:
                raise MissingHash(
                    f"tile {level}/{index} holds {len(existing) // HASH_SIZE} hashes, expected {offset}"
                )
            take = min(TILE_WIDTH - offset, len(new) - taken)
            changed[(level, index)] = existing + b"".join(new[taken : taken + take])
            taken += take
            position += take
        end = start + len(new)
        # Tiles that became full in this step: their roots are the new nodes one tile level up.
        new = [
            perfect_root(split_hashes(changed[(level, index)]))
            for index in range(start // TILE_WIDTH, end // TILE_WIDTH)
        ]
        level, start = level + 1, start // TILE_WIDTH
    return changed
