"""Subgraph throughput: a single-subgraph query and the 2-hop identity+land join through Hive Gateway,
at concurrency 1 and 10, with the kit's parse/validation caches on and off (the reference, same run).

    python bench/subgraph.py            # full run
    python bench/subgraph.py --quick    # short run
    python bench/subgraph.py --json     # the same figures as one JSON object

Each subgraph runs in its own process (uvicorn, seeded SQLite), Hive Gateway (Rust planner) in another; the
load generator keeps `c` requests in flight over keep-alive connections and reports req/s, p50 and p99."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govgraph.federation.servers import HiveGateway, compose_supergraph, free_port  # noqa: E402

SINGLE = ("land subgraph (SQLite)", "{ parcels { id area locality owner { id } } }")
JOIN = (
    "identity+land join via Hive",
    'query { citizen(id: "cit_5b0e2f7c1a9d4e83") { id enrolledBy { name } parcels { id area } } }',
)
# The same shapes over the in-memory compliance subgraphs: the kit's and the gateway's own cost, no database.
MEMORY_SINGLE = (
    "products subgraph (memory)",
    '{ product(id: "apollo-federation") { id sku dimensions { size } } }',
)
MEMORY_JOIN = (
    "products+users join via Hive",
    '{ product(id: "apollo-federation") { id createdBy { email yearsOfEmployment } } }',
)
SCENARIOS = (SINGLE, JOIN, MEMORY_SINGLE, MEMORY_JOIN)
CONCURRENCY = (1, 10)


def serve(name: str, port: int, caches: bool, data: str) -> None:
    """Child-process mode: one standalone subgraph (an agency, or a compliance one), caches on or off."""
    import uvicorn

    from govgraph.config import Settings
    from govgraph.federation import agencies
    from govgraph.federation.subgraph import standalone_app, subgraph_view

    if name in ("products", "users", "inventory"):
        from tests.federation.compliance import inventory, products, users

        module = {"products": products, "users": users, "inventory": inventory}[name]
        app = standalone_app(subgraph_view(module.build_schema(caches=caches)))
    else:
        settings = Settings.from_env({"GOVGRAPH_DATA": data})
        app = agencies.standalone_agency_app(agencies.find_agency(name), settings, caches=caches)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_subgraph(name: str, caches: bool, data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", name, "--port", str(port), "--data", str(data)]
    if not caches:
        command.append("--no-caches")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readiness", timeout=1).status_code == 200:
                return process, url + "/graphql"
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"subgraph {name} did not start")


class Connection:
    """A minimal keep-alive HTTP/1.1 client: the load generator must cost far less than the servers it
    measures (httpx spends about a millisecond of Python per request, as much as a subgraph does)."""

    def __init__(self, url: str, body: bytes) -> None:
        parsed = urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.head = (
            f"POST {parsed.path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nContent-Type: application/json\r\n"
        )
        self.request = self._request(body)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def _request(self, body: bytes) -> bytes:
        return f"{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body

    async def post(self, body: bytes | None = None) -> bytes:
        """POST the connection's body, or `body` instead."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(self.request if body is None else self._request(body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
        }
        if headers.get(b"transfer-encoding") == b"chunked":
            body = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                body += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            body = await self.reader.readexactly(int(headers[b"content-length"]))
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:200]!r}")
        return body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def measure(
    url: str,
    query: str,
    concurrency: int,
    duration: float,
    warmup: float,
    variables: Iterator[dict] | None = None,
) -> dict:
    """req/s, p50 and p99 of `query` from `concurrency` keep-alive clients; with `variables`, each request
    takes the next variables from it (all clients draw from the one iterator)."""
    body = json.dumps({"query": query, **({"variables": next(variables)} if variables else {})}).encode()
    first = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=30)
    if first.status_code != 200 or "errors" in first.json():
        raise RuntimeError(f"benchmark query failed: {first.text}")
    latencies: list[float] = []
    connections = [Connection(url, body) for _ in range(concurrency)]

    async def worker(connection: Connection, until: float, record: bool) -> None:
        while (now := time.perf_counter()) < until:
            if variables is None:
                await connection.post()
            else:
                await connection.post(json.dumps({"query": query, "variables": next(variables)}).encode())
            if record:
                latencies.append(time.perf_counter() - now)

    try:
        await asyncio.gather(*(worker(c, time.perf_counter() + warmup, False) for c in connections))
        started = time.perf_counter()
        await asyncio.gather(*(worker(c, started + duration, True) for c in connections))
        elapsed = time.perf_counter() - started
    finally:
        for connection in connections:
            connection.close()
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def run(duration: float, warmup: float) -> list[dict]:
    rows = []
    for caches in (True, False):
        with tempfile.TemporaryDirectory(prefix="govgraph-bench-") as tmp:
            data = Path(tmp)
            processes = []
            gateway = None
            try:
                urls = {}
                for name in ("identity", "land", "products", "users", "inventory"):
                    process, urls[name] = start_subgraph(name, caches, data / name)
                    processes.append(process)
                supergraph = data / "supergraph.graphql"
                compose_supergraph(urls, supergraph)
                gateway = HiveGateway.start(supergraph, data / "gateway.log")
                targets = (urls["land"], gateway.url, urls["products"], gateway.url)
                for (label, query), url in zip(SCENARIOS, targets, strict=True):
                    for concurrency in CONCURRENCY:
                        figures = asyncio.run(measure(url, query, concurrency, duration, warmup))
                        rows.append(
                            {"scenario": label, "caches": caches, "concurrency": concurrency, **figures}
                        )
            finally:
                if gateway is not None:
                    gateway.stop()
                for process in processes:
                    process.terminate()
                    process.wait(timeout=10)
    reference = {(r["scenario"], r["concurrency"]): r["rps"] for r in rows if not r["caches"]}
    for row in rows:
        row["ratio_vs_uncached"] = row["rps"] / reference[(row["scenario"], row["concurrency"])]
    return rows


def table(rows: list[dict]) -> str:
    header = (
        f"{'scenario':<30} {'c':>3} {'caches':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x uncached':>10}"
    )
    lines = [header, "-" * len(header)]
    order = [label for label, _query in SCENARIOS]
    for row in sorted(rows, key=lambda r: (order.index(r["scenario"]), r["concurrency"], not r["caches"])):
        lines.append(
            f"{row['scenario']:<30} {row['concurrency']:>3} {'on' if row['caches'] else 'off':>7} "
            f"{row['rps']:>9.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['ratio_vs_uncached']:>10.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--no-caches", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, not args.no_caches, args.data)
        return
    duration, warmup = (1.5, 0.3) if args.quick else (8.0, 1.5)
    rows = run(duration, warmup)
    if args.json:
        print(
            json.dumps(
                {"benchmark": "subgraph", "duration_s": duration, "cpus": os.cpu_count(), "rows": rows}
            )
        )
    else:
        print(table(rows))


if __name__ == "__main__":
    main()
