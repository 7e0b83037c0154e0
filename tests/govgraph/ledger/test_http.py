"""The tlog-tiles read path served by build_app: a mirror rebuilds and checks the whole tree from it."""

from __future__ import annotations

import asyncio

import pytest
from starlette.testclient import TestClient

from govgraph import db
from govgraph.app import build_app
from govgraph.ledger import merkle
from govgraph.ledger.checkpoint import open_checkpoint
from govgraph.ledger.note import Verifier
from govgraph.ledger.operations import append_entries, init_log
from govgraph.ledger.tiles import TILE_WIDTH, TilePath, perfect_root, split_hashes, tile_counts


async def _archive_log(settings, entries: list[bytes]) -> str:
    """Create the archive log, append `entries` and sign; returns the log's verifier key."""
    engine = db.create_engine(settings.database_url)
    try:
        log = await init_log(engine, settings.ledger_keys_dir, "archive")
        await append_entries(engine, settings.ledger_keys_dir, "archive", entries)
        return log.verifier.vkey
    finally:
        await engine.dispose()


@pytest.fixture
def served(settings):
    entries = [f"parcel {i}".encode() for i in range(70_000 // 100)]  # 700: two full tiles and a partial one
    vkey = asyncio.run(_archive_log(settings, entries))
    with TestClient(build_app(settings)) as client:
        yield client, vkey, entries


def _mirror(client: TestClient, vkey: str) -> tuple[int, list[bytes]]:
    """What a standard tiles client does: verify the checkpoint, fetch every tile the size implies,
    and check each entry bundle against the level-0 hashes and every tile level against the one below."""
    checkpoint = open_checkpoint(
        client.get("/ledgers/archive/checkpoint").content, Verifier.from_vkey(vkey)
    ).checkpoint
    size = checkpoint.size
    levels: dict[int, list[bytes]] = {}
    for level, full, partial in tile_counts(size):
        row = []
        for index in range(full + (1 if partial else 0)):
            width = TILE_WIDTH if index < full else partial
            response = client.get(f"/ledgers/archive/{TilePath(level, index, width)}")
            assert response.status_code == 200
            row += split_hashes(response.content)
        levels[level] = row
    entries = []
    for index in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - index * TILE_WIDTH)
        bundle = client.get(f"/ledgers/archive/{TilePath(None, index, width)}").content
        while bundle:
            length = int.from_bytes(bundle[:2], "big")
            entries.append(bundle[2 : 2 + length])
            bundle = bundle[2 + length :]
    assert [merkle.leaf_hash(e) for e in entries] == levels[0]
    for level in range(1, len(levels)):
        below = levels[level - 1]
        assert levels[level] == [
            perfect_root(below[i * TILE_WIDTH : (i + 1) * TILE_WIDTH])
            for i in range(len(below) // TILE_WIDTH)
        ]
    assert merkle.root_hash(levels[0]) == checkpoint.root_hash
    return size, entries


def test_a_tiles_client_mirrors_the_log_and_every_check_passes(served):
    client, vkey, entries = served
    assert _mirror(client, vkey) == (700, entries)


def test_full_tiles_are_immutable_partial_ones_revalidated_and_missing_ones_404(served):
    client, _, _ = served
    full = client.get("/ledgers/archive/tile/0/000")
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert full.headers["content-type"] == "application/octet-stream"
    assert len(full.content) == 32 * 256
    partial = client.get("/ledgers/archive/tile/0/002.p/188")
    assert partial.headers["cache-control"] == "no-cache" and len(partial.content) == 32 * 188
    # A narrower partial tile is a prefix of the wider one: both describe the same tree.
    assert client.get("/ledgers/archive/tile/0/002.p/10").content == partial.content[:320]
    assert client.get("/ledgers/archive/tile/0/002").status_code == 404
    assert client.get("/ledgers/archive/tile/entries/003.p/1").status_code == 404
    assert client.get("/ledgers/archive/tile/1/000").status_code == 404
    assert client.get("/ledgers/archive/tile/0/2").status_code == 400
    # No 64-bit tree has a tile index of 39 digits: such a path is malformed (tiles.MAX_INDEX_GROUPS).
    huge = "/".join(["x999"] * 12 + ["999"])
    assert client.get(f"/ledgers/archive/tile/63/{huge}").status_code == 400
    assert client.get(f"/ledgers/archive/tile/entries/{huge}.p/7").status_code == 400
    beyond = "x072/x057/x594/x037/x927/936"  # MAX_TILE_INDEX + 1
    assert client.get(f"/ledgers/archive/tile/0/{beyond}").status_code == 400
    assert client.get("/ledgers/archive/tile/0/x072/x057/x594/x037/x927/935").status_code == 404
    assert client.get("/ledgers/nowhere/checkpoint").status_code == 404
    assert client.get("/ledgers/archive/witness/add-checkpoint").status_code == 405
