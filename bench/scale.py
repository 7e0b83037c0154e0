"""Scale-out: single-record mutations/s (`registerParcel`, one parcel and one ledger entry each) at 32
clients through Hive Gateway over 1 and over 2 `govgraph subgraph land` processes on PostgreSQL, beside the
same mutation through `make run`'s single `govgraph serve` process on SQLite.

    GOVGRAPH_TEST_DATABASE_URL=postgresql+asyncpg://... python -m bench.scale --quick [--json]

The PostgreSQL server is the one GOVGRAPH_TEST_DATABASE_URL names (e.g. `scripts/pg-test-cluster start DIR`);
each configuration gets a new database migrated by `govgraph db upgrade`. The land processes share one port
(GOVGRAPH_REUSE_PORT: SO_REUSEPORT, the kernel spreads Hive Gateway's connections between them), so no
balancer stands between Hive Gateway and them. Target (2 cores, the database on the same
machine): 2 processes >= 1.6x one. Each configuration is measured twice and the better round kept; the CPU
each process used while measuring (share of one core, and milliseconds per mutation) says where the two cores
went, and samples of pg_stat_activity (every 20 ms) how many of the database's backends waited for a lock
(another process's group commit holding the log's row) or sat idle in a transaction (waiting for their
process) on average."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.harness import Column, Connection, arguments, load_seconds, report, table_lines
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import EMBEDDED_TOKEN_AUDIENCE, EMBEDDED_TOKEN_ISSUER

REGISTER = "mutation ($input: RegisterParcelInput!) { registerParcel(input: $input) { id } }"
CONCURRENCY = 32
TARGET_RATIO = 1.6
ROUNDS = 2  # measurements per configuration; the best is kept
SECRET = "bench-scale-subgraph-secret"
OWNER = "cit_5b0e2f7c1a9d4e83"


def wait_all_serving(url: str, in_a_row: int = 16, timeout: float = 60.0) -> None:
    """Until `in_a_row` fresh connections in a row are each answered within half a second: the kernel sends a
    new connection to any process on the port, and one still starting would leave it waiting."""
    import httpx

    deadline, answered = time.monotonic() + timeout, 0
    while answered < in_a_row:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not every process behind {url} answers")
        try:
            httpx.get(url + "/healthz", timeout=0.5)  # a new connection each time
            answered += 1
        except httpx.TransportError:
            answered = 0


def best_of(rounds: int, measure) -> dict:
    """The best of `rounds` measurements (`measure(n)` returns a coroutine): on a shared machine, the round
    least disturbed by other work."""
    return max((asyncio.run(measure(n)) for n in range(rounds)), key=lambda result: result["per_second"])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def cpu_shares(pids: dict[str, int], backends: list[int] = ()):
    """Each process's share of one core while the block runs, and the PostgreSQL server processes serving
    `backends` (their pids, on this machine) together; the rest of the 2 cores went to other work."""
    shares: dict[str, float] = {}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    database_before = sum(cpu_seconds(pid) for pid in backends)
    started = time.perf_counter()
    yield shares
    elapsed = time.perf_counter() - started
    shares.update({name: (cpu_seconds(pid) - before[name]) / elapsed for name, pid in pids.items()})
    if backends:
        shares["PostgreSQL"] = (sum(cpu_seconds(pid) for pid in backends) - database_before) / elapsed


class LockSampler:
    """Samples pg_stat_activity every `every` seconds from a thread of its own while the block runs: how many
    of the database's backends waited for a lock (the log's row: another process's group commit holds it)
    and how many sat idle in a transaction (waiting for their govgraph process), on average."""

    def __init__(self, postgres, database_url: str, every: float = 0.02) -> None:
        self.dsn = postgres._admin_dsn()
        self.database = database_url.rpartition("/")[2]
        self.every = every
        self.samples: list[tuple[int, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._sample()), daemon=True)

    async def _sample(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.dsn)
        try:
            while not self._stop.is_set():
                row = await connection.fetchrow(
                    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting,"
                    " count(*) FILTER (WHERE state = 'idle in transaction') AS idle,"
                    " count(*) FILTER (WHERE state = 'active') AS active"
                    " FROM pg_stat_activity WHERE datname = $1",
                    self.database,
                )
                self.samples.append((row["waiting"], row["idle"], row["active"]))
                await asyncio.sleep(self.every)
        finally:
            await connection.close()

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict:
        count = max(len(self.samples), 1)
        return {
            "waiting_for_lock": sum(sample[0] for sample in self.samples) / count,
            "idle_in_transaction": sum(sample[1] for sample in self.samples) / count,
            "active": sum(sample[2] for sample in self.samples) / count,
            "samples": len(self.samples),
        }


def database_backends(postgres, database_url: str) -> list[int]:
    """The pids of the PostgreSQL processes connected to the benchmark's database (the land processes')."""
    name = database_url.rpartition("/")[2]

    async def query() -> list[int]:
        import asyncpg

        connection = await asyncpg.connect(postgres._admin_dsn())
        try:
            rows = await connection.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", name)
        finally:
            await connection.close()
        return [row["pid"] for row in rows]

    return asyncio.run(query())


def token(data_dir: Path) -> str:
    issuer = EmbeddedIssuer.load_or_create(
        data_dir / "auth" / "issuer.jwk", issuer=EMBEDDED_TOKEN_ISSUER, audience=EMBEDDED_TOKEN_AUDIENCE
    )
    return issuer.issue("bench-clerk", ["clerk:land"], ttl=3600)


async def closed_loop(url: str, bearer: str, duration: float, warmup: float, prefix: str) -> dict:
    """CONCURRENCY keep-alive clients, each sending its next registerParcel when the last is answered."""
    numbers = itertools.count()
    headers = {"Authorization": f"Bearer {bearer}"}
    connections = [Connection(url, b"", headers) for _ in range(CONCURRENCY)]
    started = time.perf_counter() + warmup
    until = started + duration
    done = sent_in_all = 0

    async def client(connection: Connection) -> None:
        nonlocal done, sent_in_all
        while (sent := time.perf_counter()) < until:
            parcel = {
                "id": f"{prefix}-{next(numbers)}",
                "area": 250.0,
                "locality": "Eastgate",
                "owner": OWNER,
            }
            body = await connection.post(
                json.dumps({"query": REGISTER, "variables": {"input": parcel}}).encode()
            )
            if b'"errors"' in body:
                raise RuntimeError(f"mutation refused: {body[:300]!r}")
            done += sent >= started
            sent_in_all += 1

    try:
        await asyncio.gather(*(client(connection) for connection in connections))
    finally:
        for connection in connections:
            connection.close()
    return {"mutations": done, "per_second": done / duration, "sent": sent_in_all}


def through_hive(server_url: str, processes: int, quick: bool, root: Path) -> dict:
    """registerParcel through Hive Gateway over `processes` land subgraphs on a new PostgreSQL database."""
    from govgraph.federation.node_composer import compose_supergraph
    from tests.support.databases import PostgresServer
    from tests.support.servers import HiveGateway, free_port, running_server

    postgres = PostgresServer(server_url)
    database = postgres.create_database(migrated=False)
    data_dir = root / f"pg-{processes}"
    data_dir.mkdir()
    env = {
        "GOVGRAPH_DATABASE_URL": database,
        "GOVGRAPH_DATA": str(data_dir),
        "GOVGRAPH_ENV": "production",
        "GOVGRAPH_SUBGRAPH_SECRET": SECRET,
        "GOVGRAPH_VERIFY_WORKERS": "0",
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "govgraph", "db", "upgrade"],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        with contextlib.ExitStack() as stack:
            port, pids = free_port(), {}
            for number in range(processes):
                logs = data_dir / f"land-{number}"
                logs.mkdir()
                server = stack.enter_context(
                    running_server(
                        logs,
                        "warning",
                        env={**env, "GOVGRAPH_REUSE_PORT": "true"},
                        command=("subgraph", "land", "--port", "{port}"),
                        health_path="/readyz",
                        port=port,
                    )
                )
                # /readyz may have been answered by the process started before, while this one's socket
                # already takes a share of the connections: wait until every new connection is answered.
                wait_all_serving(server.url)
                pids[f"land {number + 1}"] = server.process.pid
            os.environ["GOVGRAPH_SUBGRAPH_SECRET"] = SECRET
            stack.callback(os.environ.pop, "GOVGRAPH_SUBGRAPH_SECRET", None)
            supergraph = data_dir / "supergraph.graphql"
            compose_supergraph({"land": f"http://127.0.0.1:{port}/graphql"}, supergraph)
            hive = HiveGateway.start(supergraph, data_dir / "hive.log")
            stack.callback(hive.stop)
            pids |= {
                "Hive Gateway": hive.process.pid,
                "load generator": os.getpid(),
            }
            duration, warmup = load_seconds(quick)
            bearer = token(data_dir)
            # Warm the pools first, so the connections measured are the ones the load uses.
            best_of(1, lambda n: closed_loop(hive.url, bearer, 0.5, 0.0, f"warm{processes}-{n}"))
            backends = database_backends(postgres, database)
            rounds = []
            for number in range(ROUNDS):  # the best round kept, with its CPU and lock figures
                with cpu_shares(pids, backends) as shares, LockSampler(postgres, database) as locks:
                    started = time.perf_counter()
                    result = asyncio.run(
                        closed_loop(hive.url, bearer, duration, warmup, f"pg{processes}-{number}")
                    )
                    elapsed = time.perf_counter() - started
                # CPU milliseconds per mutation sent (warm-up included: the CPU was measured over it too)
                per_mutation = {
                    name: 1000 * share * elapsed / result["sent"] for name, share in shares.items()
                }
                rounds.append(
                    {**result, "cpu": shares, "cpu_ms_per_mutation": per_mutation, **locks.summary()}
                )
            return max(rounds, key=lambda measured: measured["per_second"])
    finally:
        postgres.drop_database(database)


def single_process_sqlite(quick: bool, root: Path) -> dict:
    """registerParcel through `govgraph serve`'s own /graphql on SQLite, as `make run` starts it."""
    from tests.support.servers import running_server

    data_dir = root / "sqlite"
    data_dir.mkdir()
    with running_server(data_dir, "warning") as server:
        duration, warmup = load_seconds(quick)
        bearer = token(data_dir)
        return best_of(
            ROUNDS, lambda n: closed_loop(server.url + "/graphql", bearer, duration, warmup, f"sqlite-{n}")
        )


def run(quick: bool) -> dict:
    server_url = os.environ.get("GOVGRAPH_TEST_DATABASE_URL", "")
    if not server_url:
        raise SystemExit("set GOVGRAPH_TEST_DATABASE_URL to a PostgreSQL server (scripts/pg-test-cluster)")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        one = through_hive(server_url, 1, quick, root)
        two = through_hive(server_url, 2, quick, root)
        sqlite = single_process_sqlite(quick, root)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "concurrency": CONCURRENCY,
        "postgresql_1_process": one,
        "postgresql_2_processes": two,
        "sqlite_single_process": sqlite,
        "ratio_2_over_1": two["per_second"] / one["per_second"],
        "target_ratio": TARGET_RATIO,
    }


COLUMNS = [
    Column("configuration", 44, align="<"),
    Column("mutations/s", 12, ".0f"),
    Column("vs 1 process", 13, ".2f", suffix="x"),
]


def table(result: dict) -> str:
    one = result["postgresql_1_process"]["per_second"]
    rows = [
        ("Hive Gateway, 1 land process, PostgreSQL", one, 1.0),
        (
            "Hive Gateway, 2 land processes, PostgreSQL",
            result["postgresql_2_processes"]["per_second"],
            result["ratio_2_over_1"],
        ),
        (
            "govgraph serve (make run), SQLite",
            result["sqlite_single_process"]["per_second"],
            result["sqlite_single_process"]["per_second"] / one,
        ),
    ]
    lines = [f"registerParcel at c={result['concurrency']} on {result['machine']}", ""]
    lines += table_lines(COLUMNS, rows, rule=True)
    verdict = "met" if result["ratio_2_over_1"] >= TARGET_RATIO else "NOT met"
    lines += [
        "",
        f"2 processes / 1 process: {result['ratio_2_over_1']:.2f}x (target >= {TARGET_RATIO}x: {verdict})",
    ]
    for key, title in (("postgresql_1_process", "1 process"), ("postgresql_2_processes", "2 processes")):
        measured = result[key]
        shares = ", ".join(f"{name} {share:.0%}" for name, share in measured["cpu"].items())
        lines.append(f"CPU while measuring {title} (share of one core): {shares}")
        costs = ", ".join(f"{name} {ms:.2f}" for name, ms in measured["cpu_ms_per_mutation"].items())
        lines.append(f"  CPU ms per mutation: {costs}")
        lines.append(
            f"  PostgreSQL backends on average: {measured['waiting_for_lock']:.2f} waiting for a lock, "
            f"{measured['idle_in_transaction']:.2f} idle in transaction, {measured['active']:.2f} active"
        )
    return "\n".join(lines)


def main() -> None:
    options = arguments(__doc__).parse_args()
    report(run(options.quick), options.json, table)


if __name__ == "__main__":
    main()
