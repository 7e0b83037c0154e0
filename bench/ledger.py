"""Ledger throughput and latency on a real SQLite file (WAL, synchronous=FULL), measured in one run.

1. Entries/s appended and integrated with a signed checkpoint, for append batches of 1, 64 and 1024 entries
   (each batch: one durable append commit, then one integrate-and-sign commit). Reference: the issue's
   target (3,000/s) and the naive batch size 1, both in the same table.
2. Time-to-integrate under a steady offered load (3,000/s and 6,000/s) of single `append` calls from many
   concurrent clients (group commit) with the sequencer running: p50/p95/p99 from the append call to the
   signed checkpoint that covers the entry, and the rate achieved. Reference: the 1 s target.
3. Proof generation from storage (inclusion and consistency, O(log n) tile reads) at 10^4, 10^5 and 10^6
   entries. Reference: recomputing the same proof in memory from all leaf hashes (merkle.py), same run.

    python -m bench.ledger            # full run (builds a 10^6-entry log: a few minutes)
    python -m bench.ledger --quick    # short run (10^6 skipped)
    python -m bench.ledger --json     # the same figures as one JSON object
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.harness import Column, arguments, report, table_lines
from govgraph import db
from govgraph.ledger import merkle
from govgraph.ledger.log import Log
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.note import Signer

TARGET_ENTRIES_PER_S = 3000.0
TARGET_P95_S = 1.0


def _entry(i: int) -> bytes:
    return json.dumps({"kind": "bench", "n": i, "pad": "x" * 64}).encode()


async def _new_log(directory: Path, name: str):
    engine = db.create_engine(f"sqlite+aiosqlite:///{directory / (name + '.db')}")
    await create_ledger_tables(engine)
    return engine, await Log.create(engine, name, Signer.generate(f"bench.example/{name}"))


async def throughput(directory: Path, batch: int, total: int) -> dict:
    engine, log = await _new_log(directory, f"batch{batch}")
    try:
        await log.integrate()
        started = time.perf_counter()
        for start in range(0, total, batch):
            await log.append_many([_entry(i) for i in range(start, min(total, start + batch))])
            await log.integrate()
        elapsed = time.perf_counter() - started
        assert (await log.latest_checkpoint()).size == total
        return {"batch": batch, "entries": total, "seconds": elapsed, "entries_per_s": total / elapsed}
    finally:
        await engine.dispose()


async def time_to_integrate(directory: Path, rate: float, seconds: float) -> dict:
    directory.mkdir()
    engine, log = await _new_log(directory, "latency")
    submitted: dict[int, float] = {}
    heads: list[tuple[int, float]] = []
    stop = asyncio.Event()

    async def sequencer() -> None:
        while not (stop.is_set() and (await log.state())[1] == len(submitted)):
            head = await log.integrate()
            if head is None:
                await asyncio.sleep(0.005)
            else:
                heads.append((head.size, time.perf_counter()))

    async def one(i: int) -> None:
        called = time.perf_counter()
        submitted[await log.append(_entry(i))] = called

    try:
        await log.integrate()
        task = asyncio.create_task(sequencer())
        pending, tick, n = set(), 0.01, 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            due = int((time.perf_counter() - started) * rate) - n
            for _ in range(max(0, due)):
                pending.add(asyncio.create_task(one(n)))
                n += 1
            await asyncio.sleep(tick)
        await asyncio.gather(*pending)
        offered_s = time.perf_counter() - started
        stop.set()
        await task
        latencies = []
        head_index = 0
        for index in sorted(submitted):
            while heads[head_index][0] <= index:
                head_index += 1
            latencies.append(heads[head_index][1] - submitted[index])
        quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
        return {
            "offered_per_s": rate,
            "entries": n,
            "achieved_per_s": n / offered_s,
            "checkpoints": len(heads),
            "p50_s": quantiles[49],
            "p95_s": quantiles[94],
            "p99_s": quantiles[98],
        }
    finally:
        await engine.dispose()


async def proofs(directory: Path, sizes: list[int], samples: int) -> list[dict]:
    engine, log = await _new_log(directory, "proofs")
    rng = random.Random(6962)
    leaves: list[bytes] = []
    rows = []
    try:
        for size in sizes:
            while len(leaves) < size:
                chunk = [_entry(i) for i in range(len(leaves), min(size, len(leaves) + 65536))]
                await log.append_many(chunk)
                await log.integrate()
                leaves += [merkle.leaf_hash(e) for e in chunk]
            root = await log.root_at(size)
            indexes = [rng.randrange(size) for _ in range(samples)]
            started = time.perf_counter()
            for index in indexes:
                proof = await log.inclusion_proof(index, size)
            inclusion_ms = (time.perf_counter() - started) / samples * 1e3
            merkle.verify_inclusion(leaves[indexes[-1]], indexes[-1], size, proof, root)
            olds = [rng.randrange(1, size) for _ in range(samples)]
            started = time.perf_counter()
            for old in olds:
                await log.consistency_proof(old, size)
            consistency_ms = (time.perf_counter() - started) / samples * 1e3
            reference_samples = max(1, min(samples, 2_000_000 // size))
            started = time.perf_counter()
            for index in indexes[:reference_samples]:
                reference = merkle.inclusion_proof(leaves[:size], index)
            reference_ms = (time.perf_counter() - started) / reference_samples * 1e3
            assert reference == await log.inclusion_proof(indexes[reference_samples - 1], size)
            rows.append(
                {
                    "size": size,
                    "inclusion_ms": inclusion_ms,
                    "consistency_ms": consistency_ms,
                    "in_memory_inclusion_ms": reference_ms,
                }
            )
        return rows
    finally:
        await engine.dispose()


async def run(quick: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-") as tmp:
        directory = Path(tmp)
        plan = {1: 300 if quick else 1000, 64: 6400 if quick else 32000, 1024: 20480 if quick else 102400}
        batches = [await throughput(directory, batch, total) for batch, total in plan.items()]
        latency = [
            await time_to_integrate(directory / f"rate{rate}", rate, 3.0 if quick else 10.0)
            for rate in (TARGET_ENTRIES_PER_S, 2 * TARGET_ENTRIES_PER_S)
        ]
        proof_rows = await proofs(
            directory, [10**4, 10**5] if quick else [10**4, 10**5, 10**6], 50 if quick else 200
        )
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "quick": quick},
        "throughput": batches,
        "time_to_integrate": latency,
        "proofs": proof_rows,
        "targets": {"entries_per_s": TARGET_ENTRIES_PER_S, "p95_s": TARGET_P95_S},
    }


THROUGHPUT_COLUMNS = (
    Column("batch", 6),
    Column("entries", 8),
    Column("entries/s", 10, ".0f"),
    Column("vs target 3000/s", 17, ".2f", suffix="x"),
    Column("vs batch 1", 11, ".1f", suffix="x"),
)
LATENCY_COLUMNS = (
    Column("offered/s", 10, ".0f"),
    Column("achieved/s", 11, ".0f"),
    Column("checkpoints", 12),
    Column("p50 s", 7, ".3f"),
    Column("p95 s", 7, ".3f"),
    Column("p99 s", 7, ".3f"),
    Column("p95 vs 1 s", 11, ".2f", suffix="x"),
)
PROOF_COLUMNS = (
    Column("size", 9),
    Column("inclusion ms", 13, ".3f"),
    Column("consistency ms", 15, ".3f"),
    Column("in-memory ms", 13, ".3f"),
    Column("speed-up", 9, ".1f", suffix="x"),
)


def table(result: dict) -> str:
    base = result["throughput"][0]["entries_per_s"]
    lines = ["Appended + integrated + signed checkpoint (one append commit and one signing commit per batch)"]
    lines += table_lines(
        THROUGHPUT_COLUMNS,
        (
            (
                r["batch"],
                r["entries"],
                r["entries_per_s"],
                r["entries_per_s"] / TARGET_ENTRIES_PER_S,
                r["entries_per_s"] / base,
            )
            for r in result["throughput"]
        ),
    )
    lines += [
        "",
        "Time to integrate: single `append` calls from concurrent clients at a steady offered rate, "
        "sequencer",
        "running; from the call to the signed checkpoint covering the entry (reference: 1 s)",
    ]
    lines += table_lines(
        LATENCY_COLUMNS,
        (
            (
                t["offered_per_s"],
                t["achieved_per_s"],
                t["checkpoints"],
                t["p50_s"],
                t["p95_s"],
                t["p99_s"],
                t["p95_s"] / TARGET_P95_S,
            )
            for t in result["time_to_integrate"]
        ),
    )
    lines += [
        "",
        "Proof generation from storage (mean per proof) vs the in-memory recomputation from all leaves",
    ]
    lines += table_lines(
        PROOF_COLUMNS,
        (
            (
                r["size"],
                r["inclusion_ms"],
                r["consistency_ms"],
                r["in_memory_inclusion_ms"],
                r["in_memory_inclusion_ms"] / r["inclusion_ms"],
            )
            for r in result["proofs"]
        ),
    )
    return "\n".join(lines)


def main() -> None:
    parser = arguments(__doc__, quick_help="short run; skips the 10^6-entry log")
    args = parser.parse_args()
    report(asyncio.run(run(args.quick)), args.json, table)


if __name__ == "__main__":
    main()
