"""Benchmark of presentation verification through the verifier's HTTP endpoint: a real `govgraph serve`,
one citizen's credential received over OID4VCI, and many OID4VP requests (1 disclosed claim, 2 predicates,
a pseudonym) answered in advance, then posted to the response endpoint (direct_post) by 8 concurrent
keep-alive clients: verifications per second and latency percentiles. Every response is a fresh
presentation for its own request (each nonce answers once), so nothing is cached.

For scale, the same presentation verified in-process by govgraph and by AnonCreds (CL signatures, the
`anoncreds` package of Hyperledger; install the `bench` extra), as CPU milliseconds and the verifications
per second one core could do.

    python -m bench.presentations            # full run
    python -m bench.presentations --quick    # short run
    python -m bench.presentations --json     # the same figures as one JSON object
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.credentials import anoncreds_case, govgraph_case
from bench.harness import Column, Connection, arguments, report, table_lines
from govgraph.wallet.issuance import receive
from govgraph.wallet.presentation import fetch
from govgraph.wallet.store import load
from govgraph.wallet.transport import Http
from tests.support.credential_flows import Service, years_ago
from tests.support.servers import running_server
from zk import credential as zkc
from zk.wire import canonical_json, parse_json

CONCURRENCY = 8
TARGET_RPS = 150.0
CONTEXT = "benefit-2026"


def dcql(today: dt.date) -> dict:
    return {
        "credentials": [
            {
                "id": "citizen",
                "format": "govgraph_bbs",
                "meta": {"schema": "govgraph.identity.citizen/v1"},
                "claims": [
                    {"path": ["residence"]},
                    {
                        "path": ["birth_date"],
                        "predicate": {"op": "<=", "value": years_ago(today, 18).isoformat()},
                    },
                    {"path": ["household_income"], "predicate": {"op": "<", "value": 30_000}},
                ],
                "pseudonym": {"context": CONTEXT},
            }
        ]
    }


class FormConnection(Connection):
    """harness.Connection posting application/x-www-form-urlencoded bodies (OID4VP direct_post)."""

    def __init__(self, url: str) -> None:
        super().__init__(url, b"")
        self.head = self.head.replace("application/json", "application/x-www-form-urlencoded")


def prepare(service: Service, wallet: Path, count: int, today: dt.date) -> tuple[str, list[bytes]]:
    """(response URI, `count` direct_post bodies), each answering its own request."""
    official = service.token("bench-official", "official:welfare")
    held = load(wallet).credentials[0]
    bodies = []
    response_uri = ""
    with Http() as http:
        for _ in range(count):
            ask = service.ask(official, dcql(today), "benchmark")
            request = fetch(wallet, ask["requestUri"], http)
            zk_ask = zkc.PresentationRequest.from_json(parse_json(request.request_json, "request"))
            vp_token = canonical_json({"citizen": [zkc.present(held, zk_ask).to_json()]}).decode()
            bodies.append(urlencode({"vp_token": vp_token, "state": request.state}).encode())
            response_uri = request.response_uri
    return response_uri, bodies


async def post_all(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[float]]:
    queue = iter(bodies)
    latencies: list[float] = []
    connections = [FormConnection(url) for _ in range(concurrency)]

    async def worker(connection: FormConnection) -> None:
        for body in queue:
            started = time.perf_counter()
            await connection.post(body)  # raises unless 200: every presentation must verify
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    return time.perf_counter() - started, latencies


def process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by process `pid` and its children (Linux /proc; 0.0 elsewhere): the server
    and its verification workers, so the cost per verification is known however busy the machine is."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0.0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def endpoint_case(quick: bool, workers: int) -> dict:
    count, warm = (160, 16) if quick else (1000, 40)
    today = dt.datetime.now(dt.UTC).date()
    with tempfile.TemporaryDirectory() as root:
        data = Path(root) / "data"
        data.mkdir()
        env = {"GOVGRAPH_VERIFY_WORKERS": str(workers), "GOVGRAPH_LOG_LEVEL": "warning"}
        with running_server(data, "warning", env=env) as server:
            service = Service(server.url, data)
            clerk = service.token("bench-clerk", "clerk:identity")
            citizen = service.enrol(clerk, years_ago(today, 30), income=21_000)
            offer = service.offer(clerk, citizen)
            wallet = Path(root) / "wallet.json"
            receive(wallet, offer["offerUri"], offer["txCode"])
            url, bodies = prepare(service, wallet, count + warm, today)
            asyncio.run(post_all(url, bodies[:warm], CONCURRENCY))  # starts the verification workers
            cpu = process_tree_cpu(server.process.pid)
            elapsed, latencies = asyncio.run(post_all(url, bodies[warm:], CONCURRENCY))
            cpu = process_tree_cpu(server.process.pid) - cpu
    return {
        "verifications": len(latencies),
        "workers": workers,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        # the server's and its workers' CPU per verification, and what that allows on idle cores
        "server_cpu_ms": round(cpu / len(latencies) * 1000, 2),
        "cpu_bound_rps": round((os.cpu_count() or 1) * len(latencies) / cpu, 1) if cpu else None,
        "load_average": round(os.getloadavg()[0], 2),
    }


def run(quick: bool) -> dict:
    repeats = 7 if quick else 31
    ours = govgraph_case(CONTEXT, repeats)
    theirs = anoncreds_case(repeats)
    endpoint = endpoint_case(quick, workers=min(2, os.cpu_count() or 1))
    result = {
        "benchmark": "presentations",
        "quick": quick,
        "concurrency": CONCURRENCY,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "endpoint": endpoint,
        "target_rps": TARGET_RPS,
        "target_met": endpoint["rps"] >= TARGET_RPS,
        "govgraph_verify_ms": round(ours["verify_ms"], 3),
    }
    if isinstance(theirs, dict):
        result["anoncreds_verify_ms"] = round(theirs["verify_ms"], 3)
        result["anoncreds_version"] = theirs["version"]
    else:
        result["anoncreds_unavailable"] = theirs
    return result


COLUMNS = (
    Column("verifier", 44, align="<"),
    Column("verif/s", 9, ".1f"),
    Column("p50 ms", 8, ".2f"),
    Column("p95 ms", 8, ".2f"),
    Column("CPU ms", 8, ".2f"),  # per verification
)


def table(result: dict) -> str:
    e = result["endpoint"]
    rows = [
        (
            f"govgraph serve, HTTP, c={result['concurrency']}, {e['workers']} workers",
            e["rps"],
            e["p50_ms"],
            e["p95_ms"],
            e["server_cpu_ms"],
        ),
        (
            "govgraph in-process (1 core)",
            1000 / result["govgraph_verify_ms"],
            None,
            None,
            result["govgraph_verify_ms"],
        ),
    ]
    if "anoncreds_verify_ms" in result:
        rows.append(
            (
                f"anoncreds {result['anoncreds_version']} in-process (1 core)",
                1000 / result["anoncreds_verify_ms"],
                None,
                None,
                result["anoncreds_verify_ms"],
            )
        )
    lines = [
        "Presentation: 1 disclosed claim + 2 predicates (age >= 18, income < 30000) + a pseudonym; govgraph "
        "also proves expires >= today",
        f"endpoint: {e['verifications']} distinct presentations posted to /presentations/response "
        "(direct_post)",
        *table_lines(COLUMNS, rows),
    ]
    if "anoncreds_unavailable" in result:
        lines.append(f"anoncreds: {result['anoncreds_unavailable']}")
    if e["cpu_bound_rps"] is not None:
        lines.append(
            f"the server used {e['server_cpu_ms']:.2f} CPU ms per verification (process and workers): "
            f"{e['cpu_bound_rps']:.0f}/s on {result['cpus']} idle cores; load average {e['load_average']}"
        )
    met = "met" if result["target_met"] else "NOT met"
    lines.append(f"target >= {TARGET_RPS:.0f} verifications/s through the endpoint -> {e['rps']:.1f}: {met}")
    return "\n".join(lines)


def main() -> None:
    args = arguments(__doc__).parse_args()
    report(run(args.quick), args.json, table)


if __name__ == "__main__":
    main()
