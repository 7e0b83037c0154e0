"""Ledger throughput and latency on a real SQLite file (WAL, synchronous=FULL), measured in one run.

1. Entries/s appended and integrated with a signed checkpoint, for append batches of 1, 64 and 1024 entries
   (each batch: one durable append commit, then one integrate-and-sign commit). Reference: the issue's
   target (3,000/s) and the naive batch size 1, both in the same table.
2. Time-to-integrate under a steady offered load (3,000/s and 6,000/s) of single `append` calls from many
   concurrent clients (group commit) with the sequencer running: p50/p95/p99 from the append call to the
   signed checkpoint that covers the entry, and the rate achieved. Reference: the 1 s target.
3. Proof generation from storage (inclusion and consistency, O(log n) tile reads) at 10^4, 10^5 and 10^6
   entries. Reference: recomputing the same proof in memory from all leaf hashes (merkle.py), same run.

    python bench/ledger.py            # full run (builds a 10^6-entry log: a few minutes)
    python bench/ledger.py --quick    # short run (10^6 skipped)
    python bench/ledger.py --json     # the same figures as one JSON object
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govgraph import db  # noqa: E402
from govgraph.ledger import merkle  # noqa: E402
from govgraph.ledger.log import Log  # noqa: E402
from govgraph.ledger.models import create_ledger_tables  # noqa: E402
from govgraph.ledger.note import Signer  # noqa: E402

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


def table(result: dict) -> str:
    lines = []
    base = result["throughput"][0]["entries_per_s"]
    lines.append(
        "Appended + integrated + signed checkpoint (one append commit and one signing commit per batch)"
    )
    lines.append(f"{'batch':>6} {'entries':>8} {'entries/s':>10} {'vs target 3000/s':>17} {'vs batch 1':>11}")
    for row in result["throughput"]:
        lines.append(
            f"{row['batch']:>6} {row['entries']:>8} {row['entries_per_s']:>10.0f} "
            f"{row['entries_per_s'] / TARGET_ENTRIES_PER_S:>16.2f}x {row['entries_per_s'] / base:>10.1f}x"
        )
    lines.append("")
    lines.append(
        "Time to integrate: single `append` calls from concurrent clients at a steady offered rate, sequencer"
    )
    lines.append("running; from the call to the signed checkpoint covering the entry (reference: 1 s)")
    lines.append(
        f"{'offered/s':>10} {'achieved/s':>11} {'checkpoints':>12} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} "
        f"{'p95 vs 1 s':>11}"
    )
    for t in result["time_to_integrate"]:
        lines.append(
            f"{t['offered_per_s']:>10.0f} {t['achieved_per_s']:>11.0f} {t['checkpoints']:>12} "
            f"{t['p50_s']:>7.3f} {t['p95_s']:>7.3f} {t['p99_s']:>7.3f} {t['p95_s'] / TARGET_P95_S:>10.2f}x"
        )
    lines.append("")
    lines.append(
        "Proof generation from storage (mean per proof) vs the in-memory recomputation from all leaves"
    )
    lines.append(
        f"{'size':>9} {'inclusion ms':>13} {'consistency ms':>15} {'in-memory ms':>13} {'speed-up':>9}"
    )
    for row in result["proofs"]:
        lines.append(
            f"{row['size']:>9} {row['inclusion_ms']:>13.3f} {row['consistency_ms']:>15.3f} "
            f"{row['in_memory_inclusion_ms']:>13.3f} {row['in_memory_inclusion_ms'] / row['inclusion_ms']:>8.1f}x"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short run; skips the 10^6-entry log")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args.quick))
    print(json.dumps(result, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main()
