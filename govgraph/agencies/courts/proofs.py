"""Inclusion proofs and entries for the notary, kept in memory: the notarizations a checkpoint covers all
need the same few hash tiles near the tree's right edge and entries that were just integrated, so they are
read once per checkpoint, not once per notarization. A stored tile's hashes never change (tiles only
grow), so a cached tile is never wrong: one too short for a proof raises MissingHash and is read again."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from govgraph.ledger.log import Log, NotIntegrated, tiles_for_ranges
from govgraph.ledger.subtrees import inclusion_ranges
from govgraph.ledger.tiles import MissingHash, range_hash

KEPT_TILES = 256  # at most 256 x 8 KiB in memory
KEPT_ENTRIES = 4096  # at most 4096 x 64 KiB, in practice a few hundred bytes each


class CachedTiles:
    """A TileSource over the tiles last read from one log (least recently used ones dropped), and the
    entries last integrated."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self._tiles: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._entries: OrderedDict[int, bytes] = OrderedDict()
        self._reading = asyncio.Lock()

    async def read_entries(self, begin: int, end: int) -> None:
        """Keep entries begin..end-1 (integrated) for `entry`."""
        for index, data in enumerate(await self.log.entries(begin, end), start=begin):
            self._entries[index] = data
        while len(self._entries) > KEPT_ENTRIES:
            self._entries.popitem(last=False)

    async def entry(self, index: int) -> bytes:
        found = self._entries.get(index)
        return found if found is not None else await self.log.entry(index)

    def tile(self, level: int, index: int) -> bytes:
        found = self._tiles.get((level, index), b"")
        if found:
            self._tiles.move_to_end((level, index))
        return found

    async def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[0:size]), as Log.inclusion_proof gives it (the tree of `size` must be signed)."""
        if not 0 <= index < size:
            raise NotIntegrated(f"index {index} is not in a tree of size {size}")
        ranges = inclusion_ranges(index, size)
        try:
            return [range_hash(self, begin, end) for begin, end in ranges]
        except MissingHash:
            pass
        async with self._reading:  # one reader: the waiters of a checkpoint share its read
            try:
                return [range_hash(self, begin, end) for begin, end in ranges]
            except MissingHash:
                for level, tile_index in sorted(tiles_for_ranges(ranges)):
                    self._tiles[(level, tile_index)] = await self.log.tile(level, tile_index)
                    self._tiles.move_to_end((level, tile_index))
                while len(self._tiles) > KEPT_TILES:
                    self._tiles.popitem(last=False)
        return [range_hash(self, begin, end) for begin, end in ranges]
