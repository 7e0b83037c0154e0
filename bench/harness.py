"""What every benchmark shares: the command line, CPU timing, table layout, and the HTTP load generator with
the child server processes it measures."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

REPO = Path(__file__).resolve().parents[1]


# The command line ------------------------------------------------------------------------------------------


def arguments(doc: str, quick_help: str = "a short run") -> argparse.ArgumentParser:
    """The parser every benchmark starts from (`--quick`, `--json`), described by its module docstring; a
    benchmark adds its own options to it."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    return parser


def report(result: object, as_json: bool, table: Callable[[object], str]) -> None:
    """Print `result` as one JSON object, or as the benchmark's table."""
    print(json.dumps(result, indent=2) if as_json else table(result))


# Timing ----------------------------------------------------------------------------------------------------


def cpu_median_ms(operation: Callable[[], object], repeats: int) -> float:
    """The median CPU time (time.process_time) of `repeats` calls of `operation`, in ms: CPU time, so the
    figure does not depend on what else the machine is running."""
    samples = []
    for _ in range(repeats):
        start = time.process_time()
        operation()
        samples.append(time.process_time() - start)
    return statistics.median(samples) * 1e3


# Tables ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a printed table: its title, width and alignment, how a value is formatted (`spec`, then
    `suffix`, e.g. "x" after a ratio; None prints "n/a"), and the spaces before it (`gap`)."""

    title: str
    width: int
    spec: str = ""
    align: str = ">"
    suffix: str = ""
    gap: int = 1

    def cell(self, value: object) -> str:
        text = "n/a" if value is None else format(value, self.spec) + self.suffix
        return f"{text:{self.align}{self.width}}"


def table_lines(columns: Sequence[Column], rows: Iterable[Sequence[object]], rule: bool = False) -> list[str]:
    """The header (underlined with dashes if `rule`) and one line per row of values, one per column."""

    def line(cells: Iterable[str]) -> str:
        return "".join(" " * column.gap * (i > 0) + cell for i, (column, cell) in enumerate(cells))

    header = line((c, f"{c.title:{c.align}{c.width}}") for c in columns)
    lines = [header, "-" * len(header)] if rule else [header]
    for row in rows:
        lines.append(line((c, c.cell(value)) for c, value in zip(columns, row, strict=True)))
    return lines


# Load generation -------------------------------------------------------------------------------------------


def load_seconds(quick: bool) -> tuple[float, float]:
    """(duration, warm-up) of one load measurement, in seconds."""
    return (1.5, 0.3) if quick else (8.0, 1.5)


class Connection:
    """A minimal keep-alive HTTP/1.1 client: the load generator must cost far less than the servers it
    measures (httpx spends about a millisecond of Python per request, as much as a subgraph does)."""

    def __init__(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        parsed = urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.head = (
            f"POST {parsed.path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nContent-Type: application/json\r\n"
        ) + "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
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


async def measure_load(
    url: str,
    query: str,
    concurrency: int,
    duration: float,
    warmup: float,
    variables: Iterator[dict] | None = None,
    payload: dict | None = None,
) -> dict:
    """req/s, p50 and p99 of `query` from `concurrency` keep-alive clients; with `variables`, each request
    takes the next variables from it (all clients draw from the one iterator); with `payload`, that JSON
    body is sent every time instead (e.g. a persisted query's hash without the document)."""
    body = json.dumps({"query": query, **({"variables": next(variables)} if variables else {})}).encode()
    if payload is not None:
        body = json.dumps(payload).encode()
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


class ServerProcesses:
    """The child server processes of one run, each `python -m <module> <arguments> --port <port>` from the
    repository root, stopped together when the `with` block ends."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.processes: list[subprocess.Popen] = []

    def start(self, arguments: list[str], timeout: float = 60) -> str:
        """Start one server and wait until its /readiness answers 200; returns its GraphQL URL."""
        # Imported here: the CPU benchmarks (bbs, credentials, ballots) need no server harness.
        from tests.support.servers import free_port

        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", self.module, *arguments, "--port", str(port)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{arguments} exited with {process.returncode}")
            try:
                if httpx.get(url + "/readiness", timeout=1).status_code == 200:
                    return url + "/graphql"
            except httpx.TransportError:
                time.sleep(0.1)
        process.kill()
        raise RuntimeError(f"{arguments} did not start")

    def __enter__(self) -> ServerProcesses:
        return self

    def __exit__(self, *_exc: object) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(timeout=10)
