"""c2sp.org/tlog-tiles paths and tile counts against the C2SP and x/mod vectors, and tile bytes against the
Tessera log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govgraph.ledger.merkle import leaf_hash, root_hash
from govgraph.ledger.tiles import (
    TILE_WIDTH,
    TilePath,
    TilePathError,
    encode_index,
    extend_tiles,
    parse_tile_path,
    range_hash,
    tile_counts,
)


class _Tiles:
    def __init__(self) -> None:
        self.tiles: dict = {}

    def tile(self, level: int, index: int) -> bytes:
        return self.tiles.get((level, index), b"")


def test_tile_counts_match_the_c2sp_examples(vectors_dir: Path):
    cases = json.loads((vectors_dir / "tlog" / "tiles" / "c2sp_tlog_tiles.json").read_text())
    for case in cases["tree_sizes"]:
        assert tile_counts(case["size"]) == [
            (t["level"], t["full_tiles"], t["partial_width"]) for t in case["tiles"]
        ]
    for case in cases["index_encoding"]:
        assert encode_index(case["index"]) == case["path"]
        assert parse_tile_path("tile/0/" + case["path"]) == TilePath(0, case["index"], TILE_WIDTH)


def test_x_mod_tile_paths_parse_once_the_explicit_height_is_dropped(vectors_dir: Path):
    # x/mod writes tile/H/L/N; tlog-tiles fixes H = 8 and drops it. Level, index and partial width agree.
    formats = json.loads((vectors_dir / "tlog" / "tiles" / "sumdb_tlog_formats.json").read_text())
    for case in formats["tile_paths"]:
        _, height, *rest = case["path"].split("/")
        ours = "tile/" + "/".join(rest)
        if case.get("invalid"):
            with pytest.raises(TilePathError):
                parse_tile_path(ours)
            continue
        if case["level"] == "data":
            continue  # x/mod's legacy record tiles; tlog-tiles serves entry bundles instead
        parsed = parse_tile_path(ours)
        assert (parsed.level, parsed.index) == (case["level"], case["index"])
        if ".p/" in ours:
            assert parsed.width == case["width"]
            assert str(parsed) == ours


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/0/0001",
        "tile/64/000",
        "tile/00/000",
        "tile/0/x000/001",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/007",
        "tile/entries/x1/000",
        "tile/0/",
        "tiles/0/000",
        "tile/0/000.p",
    ],
)
def test_malformed_tile_paths_are_refused(path):
    with pytest.raises(TilePathError):
        parse_tile_path(path)


@given(st.integers(0, 10**15), st.integers(1, TILE_WIDTH))
def test_tile_paths_round_trip(index, width):
    path = TilePath(3, index, width)
    assert parse_tile_path(str(path)) == path


def test_hash_tiles_and_entry_bundles_match_the_tessera_log(vectors_dir: Path):
    base = vectors_dir / "tlog" / "checkpoint" / "tessera-testdata-log"
    manifest = json.loads((base / "manifest.json").read_text())
    entries = [e.encode() for e in manifest["entries"]]
    tiles = _Tiles()
    for size, entry in enumerate(entries, start=1):
        tiles.tiles.update(extend_tiles(tiles, size - 1, [leaf_hash(entry)]))
        assert tiles.tile(0, 0) == (base / "tile" / "0" / "000.p" / str(size)).read_bytes()
        bundle = b"".join(len(e).to_bytes(2, "big") + e for e in entries[:size])
        assert bundle == (base / "tile" / "entries" / "000.p" / str(size)).read_bytes()


@given(st.lists(st.integers(1, 700), min_size=1, max_size=6))
def test_tiles_built_in_any_batches_give_the_rfc_root_of_every_prefix(batches):
    tiles, leaves = _Tiles(), []
    for batch in batches:
        new = [leaf_hash(len(leaves).to_bytes(4, "big") + bytes([i % 7])) for i in range(batch)]
        tiles.tiles.update(extend_tiles(tiles, len(leaves), new))
        leaves += new
        for size in {1, len(leaves) // 2 + 1, len(leaves)}:
            assert range_hash(tiles, 0, size) == root_hash(leaves[:size])
