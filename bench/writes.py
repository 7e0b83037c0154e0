"""Write throughput through /graphql over HTTP: a real `govgraph serve` (SQLite, its agencies' ledgers
sequenced and cosigned in-process) taking authenticated mutations.

    python -m bench.writes            # full run
    python -m bench.writes --quick    # short run
    python -m bench.writes --json     # the same figures as one JSON object

Single: `registerParcel` (one parcel, one title, one ledger entry) from 1, 8 and 32 keep-alive clients, each
sending its next mutation when the last is answered: mutations/s, p50/p95 latency, and the time from sending
a mutation until a signed checkpoint covers its entry (the served checkpoint, polled every 20 ms: every
checkpoint served is cosigned). Offered: the same mutation sent on a fixed schedule (open loop, 300/s), the
latency counted from the scheduled moment so a slow server cannot hide its queue. Batch: `registerParcels`
carrying 256 parcels (256 entries in one transaction) from 1 and 4 clients, in entries/s.

Targets (2 cores): >= 600 single mutations/s at c=32, p95 time to a signed checkpoint < 1 s at 300/s
offered, >= 10,000 entries/s through the batch form."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.harness import Column, Connection, arguments, load_seconds, report, table_lines
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import Settings
from tests.support.servers import running_server

REGISTER = (
    "mutation ($input: RegisterParcelInput!) { registerParcel(input: $input) { id ledgerEntry { index } } }"
)
REGISTER_MANY = (
    "mutation ($input: [RegisterParcelInput!]!) { registerParcels(input: $input) { ledgerEntry { index } } }"
)
CONCURRENCY = (1, 8, 32)
BATCH_CONCURRENCY = (1, 4)
BATCH = 256
OFFERED_RATE = 300.0
OPEN_LOOP_CONNECTIONS = 128
POLL_SECONDS = 0.02
TARGET_SINGLE = 600.0
TARGET_P95_SIGNED_S = 1.0
TARGET_BATCH_ENTRIES = 10_000.0


def parcel(number: int) -> dict:
    return {"id": f"bench-{number}", "area": 250.0, "locality": "Eastgate", "owner": "cit_5b0e2f7c1a9d4e83"}


@dataclass
class Sample:
    sent: float  # when the request was sent (open loop: when it was due)
    answered: float
    last_index: int  # the index of its last entry


@dataclass
class Checkpoints:
    """The served checkpoint's size over time: (moment first seen, size)."""

    moments: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def signed_at(self, index: int) -> float | None:
        """When a served checkpoint first covered entry `index`."""
        position = bisect.bisect_right(self.sizes, index)
        return self.moments[position] if position < len(self.sizes) else None


async def poll_checkpoints(url: str, checkpoints: Checkpoints, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            note = (await client.get(f"{url}/ledgers/land/checkpoint")).text
            size = int(note.split("\n")[1])
            if not checkpoints.sizes or size > checkpoints.sizes[-1]:
                checkpoints.moments.append(time.perf_counter())
                checkpoints.sizes.append(size)
            await asyncio.sleep(POLL_SECONDS)


async def wait_until_signed(checkpoints: Checkpoints, index: int, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while (not checkpoints.sizes or checkpoints.sizes[-1] <= index) and time.perf_counter() < deadline:
        await asyncio.sleep(POLL_SECONDS)


def answer_index(body: bytes) -> int:
    """The index of the last entry a mutation's answer names; a GraphQL error ends the benchmark."""
    answer = json.loads(body)
    if "errors" in answer:
        raise RuntimeError(f"mutation refused: {answer['errors'][0]}")
    value = next(iter(answer["data"].values()))
    items = value if isinstance(value, list) else [value]
    return max(int(item["ledgerEntry"]["index"]) for item in items)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def summary(samples: list[Sample], elapsed: float, checkpoints: Checkpoints, entries_each: int = 1) -> dict:
    latencies = [s.answered - s.sent for s in samples]
    signed = [moment - s.sent for s in samples if (moment := checkpoints.signed_at(s.last_index)) is not None]
    return {
        "mutations": len(samples),
        "mutations_per_s": len(samples) / elapsed,
        "entries_per_s": len(samples) * entries_each / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "signed_p50_s": statistics.median(signed) if signed else None,
        "signed_p95_s": percentile(signed, 0.95) if signed else None,
        "unsigned": len(samples) - len(signed),
    }


class Load:
    """Mutations against one server: each request its own parcels (a counter shared by every scenario)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.numbers: Iterator[int] = itertools.count()

    def single(self) -> bytes:
        return json.dumps({"query": REGISTER, "variables": {"input": parcel(next(self.numbers))}}).encode()

    def batch(self) -> bytes:
        parcels = [parcel(next(self.numbers)) for _ in range(BATCH)]
        return json.dumps({"query": REGISTER_MANY, "variables": {"input": parcels}}).encode()

    def connection(self) -> Connection:
        return Connection(f"{self.url}/graphql", b"", self.headers)

    async def closed_loop(
        self, concurrency: int, duration: float, warmup: float, batch: bool = False
    ) -> dict:
        """`concurrency` clients, each sending its next mutation when the last is answered."""
        checkpoints, stop = Checkpoints(), asyncio.Event()
        poller = asyncio.create_task(poll_checkpoints(self.url, checkpoints, stop))
        samples: list[Sample] = []
        connections = [self.connection() for _ in range(concurrency)]
        started = time.perf_counter() + warmup
        until = started + duration

        async def client(connection: Connection) -> None:
            while (sent := time.perf_counter()) < until:
                body = await connection.post(self.batch() if batch else self.single())
                index = answer_index(body)
                if sent >= started:
                    samples.append(Sample(sent, time.perf_counter(), index))

        try:
            await asyncio.gather(*(client(connection) for connection in connections))
            elapsed = time.perf_counter() - started
            await wait_until_signed(checkpoints, max(s.last_index for s in samples))
        finally:
            stop.set()
            await poller
            for connection in connections:
                connection.close()
        return {"concurrency": concurrency, **summary(samples, elapsed, checkpoints, BATCH if batch else 1)}

    async def open_loop(self, rate: float, duration: float) -> dict:
        """Mutations due every 1/`rate` s; latency counts from the moment each was due."""
        checkpoints, stop = Checkpoints(), asyncio.Event()
        poller = asyncio.create_task(poll_checkpoints(self.url, checkpoints, stop))
        idle: asyncio.Queue[Connection] = asyncio.Queue()
        connections = [self.connection() for _ in range(OPEN_LOOP_CONNECTIONS)]
        for connection in connections:
            idle.put_nowait(connection)
        samples: list[Sample] = []

        async def send(due: float) -> None:
            connection = await idle.get()
            try:
                body = await connection.post(self.single())
                samples.append(Sample(due, time.perf_counter(), answer_index(body)))
            finally:
                idle.put_nowait(connection)

        started = time.perf_counter() + 0.2
        tasks = []
        try:
            for n in range(int(rate * duration)):
                due = started + n / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                tasks.append(asyncio.create_task(send(due)))
            await asyncio.gather(*tasks)
            elapsed = max(s.answered for s in samples) - started
            await wait_until_signed(checkpoints, max(s.last_index for s in samples))
        finally:
            stop.set()
            await poller
            for connection in connections:
                connection.close()
        return {"offered_per_s": rate, **summary(samples, elapsed, checkpoints)}


async def measure(url: str, token: str, quick: bool) -> dict:
    duration, warmup = load_seconds(quick)
    load = Load(url, token)
    single = [await load.closed_loop(c, duration, warmup) for c in CONCURRENCY]
    offered = await load.open_loop(OFFERED_RATE, duration)
    batches = [await load.closed_loop(c, duration, warmup, batch=True) for c in BATCH_CONCURRENCY]
    return {"single": single, "offered": offered, "batch": batches}


def run(quick: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-writes-") as tmp:
        data_dir = Path(tmp)
        settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
        with running_server(data_dir, log_level="warning") as server:
            token = EmbeddedIssuer.load_or_create(
                settings.auth_issuer_key_path, issuer=settings.token_issuer, audience=settings.token_audience
            ).issue("bench-clerk", ["clerk:land"])
            figures = asyncio.run(measure(server.url, token, quick))
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "quick": quick},
        **figures,
        "targets": {
            "single_per_s_at_32": TARGET_SINGLE,
            "signed_p95_s_at_300": TARGET_P95_SIGNED_S,
            "batch_entries_per_s": TARGET_BATCH_ENTRIES,
        },
    }


SINGLE_COLUMNS = (
    Column("clients", 8),
    Column("mutations/s", 12, ".0f"),
    Column("p50 ms", 8, ".1f"),
    Column("p95 ms", 8, ".1f"),
    Column("signed p50 s", 13, ".3f"),
    Column("signed p95 s", 13, ".3f"),
    Column("vs 600/s", 9, ".2f", suffix="x"),
)
OFFERED_COLUMNS = (
    Column("offered/s", 10, ".0f"),
    Column("achieved/s", 11, ".0f"),
    Column("p50 ms", 8, ".1f"),
    Column("p95 ms", 8, ".1f"),
    Column("signed p50 s", 13, ".3f"),
    Column("signed p95 s", 13, ".3f"),
    Column("p95 vs 1 s", 11, ".2f", suffix="x"),
)
BATCH_COLUMNS = (
    Column("clients", 8),
    Column("calls/s", 8, ".1f"),
    Column("entries/s", 10, ".0f"),
    Column("p50 ms", 8, ".0f"),
    Column("signed p95 s", 13, ".3f"),
    Column("vs 10,000/s", 12, ".2f", suffix="x"),
)


def table(result: dict) -> str:
    lines = ["registerParcel over HTTP (/graphql, bearer token), closed loop"]
    lines += table_lines(
        SINGLE_COLUMNS,
        (
            (
                r["concurrency"],
                r["mutations_per_s"],
                r["p50_ms"],
                r["p95_ms"],
                r["signed_p50_s"],
                r["signed_p95_s"],
                r["mutations_per_s"] / TARGET_SINGLE,
            )
            for r in result["single"]
        ),
        rule=True,
    )
    o = result["offered"]
    lines += ["", "registerParcel offered at a fixed rate (open loop; latency from the moment each was due)"]
    lines += table_lines(
        OFFERED_COLUMNS,
        [
            (
                o["offered_per_s"],
                o["mutations_per_s"],
                o["p50_ms"],
                o["p95_ms"],
                o["signed_p50_s"],
                o["signed_p95_s"],
                o["signed_p95_s"] / TARGET_P95_SIGNED_S if o["signed_p95_s"] is not None else None,
            )
        ],
        rule=True,
    )
    lines += ["", f"registerParcels carrying {BATCH} parcels (one entry each, one transaction per call)"]
    lines += table_lines(
        BATCH_COLUMNS,
        (
            (
                r["concurrency"],
                r["mutations_per_s"],
                r["entries_per_s"],
                r["p50_ms"],
                r["signed_p95_s"],
                r["entries_per_s"] / TARGET_BATCH_ENTRIES,
            )
            for r in result["batch"]
        ),
        rule=True,
    )
    machine = result["machine"]
    lines += [
        "",
        f"python {machine['python']}, {machine['cpus']} CPUs{', quick run' if machine['quick'] else ''}",
    ]
    return "\n".join(lines)


def main() -> None:
    options = arguments(__doc__).parse_args()
    report(run(options.quick), options.json, table)


if __name__ == "__main__":
    main()
