"""The notary's cached inclusion proofs and entries agree with the log's own, read from storage, for every
index of trees that grow past tile boundaries while the cache holds their older right edges."""

from __future__ import annotations

from pathlib import Path

from govgraph import db
from govgraph.agencies.courts.proofs import CachedTiles
from govgraph.ledger.log import Log
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.note import Signer


async def test_cached_proofs_and_entries_are_the_logs(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
    try:
        await create_ledger_tables(engine)
        log = await Log.create(engine, "courts", Signer.generate("govgraph.example/courts"))
        cache = CachedTiles(log)
        size = 0
        for grown in (1, 2, 3, 255, 256, 257, 300, 513):
            await log.append_many([f"entry {n}".encode() for n in range(size, grown)])
            head = await log.integrate()
            assert head is not None and head.size == grown
            await cache.read_entries(size, grown)
            size = grown
            for index in sorted({0, 1, size // 2, size - 2, size - 1} & set(range(size))):
                assert await cache.inclusion_proof(index, size) == await log.inclusion_proof(index, size)
                assert await cache.entry(index) == await log.entry(index) == f"entry {index}".encode()
        # Every index of the last tree, and proofs against an older size than the tiles cached now.
        for index in range(size):
            assert await cache.inclusion_proof(index, size) == await log.inclusion_proof(index, size)
        assert await cache.inclusion_proof(100, 257) == await log.inclusion_proof(100, 257)
    finally:
        await engine.dispose()
