"""Large ledgers made fast, for the explorer's tests and benchmark: each log created with its key in a data
directory and filled through the ledger's own storage layer (Log.append_many + Log.integrate, 65,536 entries a
commit), not through one mutation per entry; `govgraph serve` then serves them like any agency's."""

from __future__ import annotations

import json
import time
from pathlib import Path

from govgraph import db, migrations
from govgraph.config import Settings
from govgraph.ledger.keys import write_signer
from govgraph.ledger.log import Log
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.note import Signer

CHUNK = 65536


def bulk_entry(i: int) -> bytes:
    """Entry `i` of a bulk-loaded ledger."""
    return json.dumps({"kind": "bench", "n": i, "note": f"bulk-loaded entry {i}"}).encode()


async def bulk_load(data_dir: Path, sizes: dict[str, int]) -> dict[str, float]:
    """Migrate the data dir's database (as `govgraph serve` would: its start-up then finds it done), then
    create each ledger (origin bench.example/<name>, key in the data dir) holding entries
    bulk_entry(0..size-1) under one signed checkpoint; returns the seconds each took."""
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
    data_dir.mkdir(parents=True, exist_ok=True)
    await migrations.prepare(settings.database_url)
    engine = db.create_engine(settings.database_url)
    took = {}
    try:
        await create_ledger_tables(engine)
        for name, size in sizes.items():
            started = time.perf_counter()
            signer = Signer.generate(f"bench.example/{name}")
            write_signer(settings.ledger_keys_dir, name, signer)
            log = await Log.create(engine, name, signer)
            await log.integrate()
            for start in range(0, size, CHUNK):
                await log.append_many([bulk_entry(i) for i in range(start, min(size, start + CHUNK))])
                await log.integrate()
            assert (await log.latest_checkpoint()).size == size
            took[name] = time.perf_counter() - started
    finally:
        await engine.dispose()
    return took
