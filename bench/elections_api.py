"""castBallot through /graphql over HTTP: a real `govgraph serve` (SQLite, the elections ledger sequenced and
cosigned in-process) taking anonymous ballots, each with its 0/1 and limit proofs and its eligibility proof,
verified as micro-batches and appended one entry each; compared in the same run with the library path (the
same verification in-process, no HTTP, no database: what bench/ballots.py measures for validity proofs, plus
the eligibility proofs).

    python -m bench.elections_api --quick              # short run (a few hundred ballots)
    python -m bench.elections_api                      # 10^4 ballots at c=32
    python -m bench.elections_api --end-to-end 100000  # also: close, tally, publish, verify with the ledger

Targets (2 cores): >= 500 ballots/s sustained at c=32 with p95 acceptance latency < 300 ms; 10^5 ballots
through the API end to end (cast, close, tally, publish, verify the record with the ledger) <= 10 minutes.
The ballots are made before the clock starts (each voter enrolled through the API by the identity bureau's
clerk, its ballot encrypted and proven on this side, in --setup-workers processes). With --end-to-end the
run prints each step's seconds after casting (close, decrypt, publish, the signed checkpoint, the streamed
verification with the ledger) with the server's resident memory and its peak during the step."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.harness import Column, Connection, arguments, report, table_lines
from govgraph.agencies.elections.ballot_input import decode_cast
from govgraph.agencies.elections.verification import verify_batch
from govgraph.voting import trustee, voter
from govgraph.voting.api import Api, election
from govgraph.voting.simulate import simulate
from tests.support.credentials import issue_token
from tests.support.servers import running_server
from zk.ballot import ElectionContext, Manifest, election_group
from zk.curve import get_backend
from zk.wire import element_from_hex

CLOSE = "mutation($e: ID!) { closeVoting(electionId: $e) { state } }"
PUBLISH = "mutation($e: ID!) { publishResult(electionId: $e) { state } }"
CAST = "mutation($e: ID!, $b: JSON!) { castBallot(electionId: $e, ballot: $b) { trackingCode } }"
CONCURRENCY = 32
WARMUP = 192
TARGET_RATE = 500.0
TARGET_P95_MS = 300.0
SELECTIONS = {"mayor": [0, 1, 0], "council": [1, 0, 0, 1]}
SETUP_WORKERS = 3  # processes making the ballots before the clock: 2 cores, and each waits on HTTP at times


SETUP_BLOCK = 50  # voters a setup task enrols and whose ballots it makes
_contexts: dict[tuple[str, str], ElectionContext] = {}


def _ballot_block(
    url: str, token: str, manifest: dict, joint_key: str, prefix: str, first: int, count: int
) -> list[dict]:
    """In a setup worker: voters first .. first + count - 1, each enrolled through the API by the clerk (its
    own roll credential, blind-issued by the identity bureau), then its ballot encrypted and proven."""
    key = (json.dumps(manifest, sort_keys=True), joint_key)
    if key not in _contexts:
        group = election_group(get_backend("arkworks"))
        _contexts[key] = ElectionContext(
            group, Manifest.from_json(manifest), element_from_hex(group, joint_key, "key")
        )
    context = _contexts[key]
    roll = context.manifest.electoral_roll
    assert roll is not None
    with Api(url, token) as api:
        return [
            voter.encrypt(context, voter.enrol(api, context.group, roll.id, f"{prefix}-{k}"), SELECTIONS)[0]
            for k in range(first, first + count)
        ]


def make_ballots(
    url: str, token: str, board: dict, count: int, workers: int = SETUP_WORKERS, prefix: str = "bench-voter"
) -> list[dict]:
    """`count` castBallot documents of distinct voters, made by `workers` processes in blocks of SETUP_BLOCK
    (while one waits for the service to sign a credential, another encrypts)."""
    blocks = [(first, min(SETUP_BLOCK, count - first)) for first in range(0, count, SETUP_BLOCK)]
    arguments = (url, token, board["manifest"], board["jointKey"], prefix)
    if workers <= 1:
        return [d for first, size in blocks for d in _ballot_block(*arguments, first, size)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_ballot_block, *arguments, first, size) for first, size in blocks]
        return [d for future in futures for d in future.result()]


async def cast_all(url: str, election_id: str, documents: list[dict]) -> dict:
    # Encoded before the clock starts: the load generator's own work is not the service's.
    bodies = iter(
        [json.dumps({"query": CAST, "variables": {"e": election_id, "b": d}}).encode() for d in documents]
    )
    latencies: list[float] = []
    refused: list[str] = []
    connections = [Connection(f"{url}/graphql", b"") for _ in range(CONCURRENCY)]

    async def worker(connection: Connection) -> None:
        for body in bodies:
            sent = time.perf_counter()
            answer = json.loads(await connection.post(body))
            latencies.append(time.perf_counter() - sent)
            if "errors" in answer:
                refused.append(answer["errors"][0]["message"])

    started, cpu = time.perf_counter(), time.process_time()
    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if refused:
        raise RuntimeError(f"{len(refused)} ballots refused, e.g. {refused[0]}")
    latencies.sort()
    return {
        "ballots": len(latencies),
        "ballots_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1000,
        "client_cpu_ms": cpu * 1000 / len(latencies),  # the load generator's, on the same 2 cores
    }


def tree_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) used so far by process `pid` ("server") and by its live descendants
    ("workers": the verification pool), read from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu(process: int) -> float:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    def children(process: int) -> list[int]:
        found = []
        for task in Path(f"/proc/{process}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
        return found

    workers, todo = 0.0, children(pid)
    while todo:
        child = todo.pop()
        try:
            workers += cpu(child)
            todo += children(child)
        except FileNotFoundError:  # it ended meanwhile
            pass
    return {"server": cpu(pid), "workers": workers}


def idle_cores(pid: int, seconds: float = 2.0) -> float:
    """The CPU the server tree uses doing nothing (its ledgers' sequencers polling, ...), in cores."""
    before = tree_cpu_seconds(pid)
    time.sleep(seconds)
    after = tree_cpu_seconds(pid)
    return (after["server"] + after["workers"] - before["server"] - before["workers"]) / seconds


def cpu_per_ballot(before: dict[str, float], after: dict[str, float], ballots: int) -> dict[str, float]:
    """Milliseconds of CPU per ballot, in the server process, in its workers, and both."""
    server = (after["server"] - before["server"]) * 1000 / ballots
    workers = (after["workers"] - before["workers"]) * 1000 / ballots
    return {"server_ms": server, "workers_ms": workers, "total_ms": server + workers}


def library_path(context: ElectionContext, documents: list[dict], batch: int = 64) -> dict:
    """The same decoding and micro-batch verification castBallot runs, in this process, one core."""
    started, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(documents), batch):
        items = [decode_cast(context, d) for d in documents[first : first + batch]]
        assert verify_batch(context, items) == [None] * len(items)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "ballots": len(documents),
        "ballots_per_s": len(documents) / elapsed,
        "cpu_ms_per_ballot": cpu * 1000 / len(documents),
    }


def server_memory_mb(pid: int, reset: bool = False) -> dict[str, float]:
    """The server process's resident memory now and its peak since the last reset (VmRSS, VmHWM, from
    /proc); `reset` then starts a new peak (writing 5 to clear_refs, Linux)."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    memory = {name: int(fields[key].split()[0]) / 1024 for name, key in (("rss", "VmRSS"), ("peak", "VmHWM"))}
    if reset:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    return memory


def end_to_end(api: Api, url: str, election_id: str, folder: Path, started: float, pid: int) -> dict:
    from govgraph.voting.online import verify_online  # the record streamed: `govgraph election verify --url`

    steps: dict[str, dict[str, float]] = {}
    cast = time.perf_counter()
    server_memory_mb(pid, reset=True)

    def step(name: str, action: Callable[[], object]) -> None:
        began = time.perf_counter()
        action()
        steps[name] = {"seconds": time.perf_counter() - began, **server_memory_mb(pid, reset=True)}

    step("close", lambda: api.graphql(CLOSE, e=election_id))
    step("decrypt", lambda: trustee.decrypt(api, trustee.TrusteeState.load(folder / "trustee-1.json")))
    step("publish", lambda: api.graphql(PUBLISH, e=election_id))
    published = time.perf_counter()
    for _ in range(600):  # until a signed checkpoint covers the whole ledger (the sequencer signs in ~100 ms)
        ledger = api.graphql('{ ledger(name: "elections") { size checkpoint { size } } }')["ledger"]
        if int(ledger["checkpoint"]["size"]) >= int(ledger["size"]):
            break
        time.sleep(0.1)
    steps["checkpoint"] = {"seconds": time.perf_counter() - published, **server_memory_mb(pid, reset=True)}
    began = time.perf_counter()
    verdict, findings = verify_online(url, election_id, backend=get_backend("arkworks"))
    steps["verify"] = {"seconds": time.perf_counter() - began, **server_memory_mb(pid)}
    return {
        "seconds": time.perf_counter() - started,
        "cast_seconds": cast - started,
        "tally_seconds": published - cast,
        "verify_seconds": time.perf_counter() - published,
        "steps": steps,
        "bench_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "record_ok": verdict.ok,
        "ledger_ok": findings.ok,
        "failures": verdict.failed() + [line for line in findings.lines if line.startswith("FAIL")],
    }


def run(count: int, e2e: int | None, setup_workers: int = SETUP_WORKERS) -> dict:
    with (
        tempfile.TemporaryDirectory(prefix="bench-elections-") as folder,
        running_server(Path(folder), "warning") as server,
    ):
        token = issue_token(
            Path(folder), "bench", "official:elections", "clerk:identity", "trustee", ttl=7200
        )
        with Api(server.url, token) as api:
            opened = simulate(
                api,
                voters=1,
                n=1,
                t=1,
                absent=0,
                seed=1,
                leave_open=True,
                trustee_dir=Path(folder),
                roll="bench-roll",  # the clerk registers its voters: quicker to set up 10^4
            )
            board = election(api, opened.election)
            group = election_group(get_backend("arkworks"))
            context = ElectionContext(
                group,
                Manifest.from_json(board["manifest"]),
                element_from_hex(group, board["jointKey"], "key"),
            )
            made = time.perf_counter()
            documents = make_ballots(server.url, token, board, WARMUP + (e2e or count), setup_workers)
            setup = {
                "ballots": len(documents),
                "seconds": time.perf_counter() - made,
                "workers": setup_workers,
            }
            setup["ms_per_ballot"] = setup["seconds"] * 1000 / len(documents)
            library = library_path(context, documents[: min(len(documents), 512)])
            # Warm-up, untimed: the server starts its verification workers at the first ballots.
            asyncio.run(cast_all(server.url, opened.election, documents[:WARMUP]))
            idle = idle_cores(server.process.pid)
            started, before = time.perf_counter(), tree_cpu_seconds(server.process.pid)
            http = asyncio.run(cast_all(server.url, opened.election, documents[WARMUP:]))
            http["cpu"] = cpu_per_ballot(before, tree_cpu_seconds(server.process.pid), http["ballots"])
            http["cpu"]["idle_cores"] = idle
            # What the idle background (sequencers polling, witnesses) cost during the run, taken out.
            seconds = http["ballots"] / http["ballots_per_s"]
            http["cpu"]["net_of_idle_ms"] = http["cpu"]["total_ms"] - idle * seconds * 1000 / http["ballots"]
            result = {"http": http, "library": library, "setup": setup}
            if e2e:
                result["end_to_end"] = end_to_end(
                    api, server.url, opened.election, Path(folder), started, server.process.pid
                )
    return result


def table(result: dict) -> str:
    columns = (
        Column("path", 35, align="<"),
        Column("ballots", 8),
        Column("ballots/s", 10, ".0f"),
        Column("p50 ms", 8, ".1f"),
        Column("p95 ms", 8, ".1f"),
        Column("CPU ms/ballot", 14, ".2f"),
        Column("vs library", 11, ".2f", suffix="x"),
    )
    http, library = result["http"], result["library"]
    ratio = http["ballots_per_s"] / library["ballots_per_s"]
    rows = [
        (
            "castBallot over HTTP, c=32",
            http["ballots"],
            http["ballots_per_s"],
            http["p50_ms"],
            http["p95_ms"],
            http["cpu"]["total_ms"],
            ratio,
        ),
        (
            "library path (decode + micro-batch)",
            library["ballots"],
            library["ballots_per_s"],
            None,
            None,
            library["cpu_ms_per_ballot"],
            1.0,
        ),
    ]
    lines = table_lines(columns, rows, rule=True)
    setup = result["setup"]
    lines.append(
        f"setup (untimed): {setup['ballots']} voters enrolled through the API and their ballots made in "
        f"{setup['seconds']:.0f} s by {setup['workers']} processes, {setup['ms_per_ballot']:.1f} ms a ballot"
    )
    cpu = http["cpu"]
    lines.append(
        f"CPU per ballot over HTTP: {cpu['server_ms']:.2f} ms in the server process + "
        f"{cpu['workers_ms']:.2f} ms in its verification workers; idle, the server uses "
        f"{cpu['idle_cores']:.2f} cores: {cpu['net_of_idle_ms']:.2f} ms a ballot without it; the load "
        f"generator (this process, on the same cores) {http['client_cpu_ms']:.2f} ms a ballot"
    )
    rate_met = "met" if http["ballots_per_s"] >= TARGET_RATE else "NOT met"
    p95_met = "met" if http["p95_ms"] < TARGET_P95_MS else "NOT met"
    lines.append(
        f"targets: >= {TARGET_RATE:.0f} ballots/s ({rate_met}), p95 < {TARGET_P95_MS:.0f} ms ({p95_met})"
    )
    if "end_to_end" in result:
        e2e = result["end_to_end"]
        verdicts = f"record verified: {e2e['record_ok']}, ledger: {e2e['ledger_ok']}"
        lines.append(
            f"end to end: {e2e['seconds']:.0f} s: casting {e2e['cast_seconds']:.0f} s, close + tally + "
            f"publish {e2e['tally_seconds']:.0f} s, verifying {e2e['verify_seconds']:.0f} s ({verdicts})"
        )
        lines += [
            f"  {name:<10} {figures['seconds']:7.1f} s   server RSS {figures['rss']:6.0f} MB, "
            f"peak {figures['peak']:6.0f} MB"
            for name, figures in e2e["steps"].items()
        ]
        lines.append(
            f"  this process's peak RSS (the ballots made, the verifier): {e2e['bench_peak_rss_mb']:.0f} MB"
        )
        lines += [f"  {failure}" for failure in e2e["failures"]]
    return "\n".join(lines)


def main() -> None:
    parser = arguments(__doc__, "a few hundred ballots")
    parser.add_argument("--end-to-end", type=int, metavar="N", help="cast N ballots, then tally and verify")
    parser.add_argument(
        "--setup-workers",
        type=int,
        default=SETUP_WORKERS,
        metavar="N",
        help=f"processes making the ballots before the clock (default {SETUP_WORKERS})",
    )
    options = parser.parse_args()
    count = 300 if options.quick else 10_000
    report(run(count, options.end_to_end, options.setup_workers), options.json, table)


if __name__ == "__main__":
    main()
