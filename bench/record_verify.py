"""The auditor's verification of a published election, old path against new, on a real `govgraph serve`:

- whole (the old path): `GET /elections/<id>/record.json` read whole, parsed,
  `zk.record_verifier.verify_record` on it, then compared whole with the elections ledger;
- streamed (the new path, `govgraph election verify --url`): `govgraph.voting.online.verify_online`, the
  record's header and its ballots page by page into `zk.record_stream.StreamingVerifier` and the ledger
  comparison, in one process (`--workers 1`);
- workers: the same with the ballots' proofs checked in one worker process a core (the command's default).

Each runs in its own process, which reports its wall time, its CPU time (`time.process_time`, plus its
workers') and its peak RSS (its own, not its workers'): VmHWM from /proc/self/status, since
`resource.getrusage(RUSAGE_SELF).ru_maxrss` (also reported) keeps across exec the peak of the bench process
it was forked from. The election (voters enrolled and ballots cast through the API, closed, decrypted,
published) is set up before any is timed.

    python -m bench.record_verify --quick                 # 300 ballots
    python -m bench.record_verify --ballots 2000 10000    # one election per size
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.elections_api import cast_all, make_ballots
from bench.harness import Column, arguments, report, table_lines
from govgraph.voting import trustee
from govgraph.voting.api import Api, election
from govgraph.voting.audit import ledger_ballots
from govgraph.voting.simulate import simulate
from tests.support.credentials import issue_token
from tests.support.servers import running_server
from zk.curve import get_backend


def measure(path: str, url: str, election_id: str) -> dict:
    """One verification in this process: its verdicts, wall and CPU seconds (with its worker processes') and
    peak RSS (this process's)."""
    started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    if path == "whole":
        import httpx

        from govgraph.voting.audit import compare_with_record
        from zk.json_input import load_json
        from zk.record_verifier import verify_record

        content = httpx.get(f"{url}/elections/{election_id}/record.json", timeout=600).content
        record = load_json(content, what="the record", strict=True)
        del content
        verdict = verify_record(record, backend=get_backend("arkworks"))
        with Api(url) as api:
            found, findings = ledger_ballots(api, election_id)
        if findings.ok:
            compare_with_record(record, found, findings)
    else:
        from govgraph.voting.online import WORKERS, verify_online

        workers = 1 if path == "streamed" else WORKERS
        verdict, findings = verify_online(url, election_id, backend=get_backend("arkworks"), workers=workers)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu + _children_cpu() - children,
        "peak_rss_mb": _high_water_mb(),
        # getrusage's ru_maxrss survives exec: a child of the (large) bench process reports at least its size
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "record_ok": verdict.ok,
        "ledger_ok": findings.ok,
    }


def _children_cpu() -> float:
    """CPU seconds of this process's ended children (the verification workers, once their pool is shut)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _high_water_mb() -> float:
    """This process image's peak RSS (VmHWM, Linux), which exec resets."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def published_election(api: Api, url: str, token: str, folder: Path, count: int) -> str:
    folder.mkdir()
    opened = simulate(
        api,
        voters=1,
        n=1,
        t=1,
        absent=0,
        seed=count,
        leave_open=True,
        trustee_dir=folder,
        roll=f"bench-roll-{count}",
    )
    board = election(api, opened.election)
    asyncio.run(cast_all(url, opened.election, make_ballots(url, token, board, count)))
    api.graphql("mutation($e: ID!) { closeVoting(electionId: $e) { state } }", e=opened.election)
    trustee.decrypt(api, trustee.TrusteeState.load(folder / "trustee-1.json"))
    api.graphql("mutation($e: ID!) { publishResult(electionId: $e) { state } }", e=opened.election)
    for _ in range(300):  # until a signed checkpoint covers every ballot
        found, findings = ledger_ballots(api, opened.election)
        if findings.ok and len(found) >= count + 1:
            break
        time.sleep(0.2)
    return opened.election


def run(sizes: list[int]) -> dict:
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-record-") as folder,
        running_server(Path(folder), "warning") as server,
    ):
        token = issue_token(
            Path(folder), "bench", "official:elections", "clerk:identity", "trustee", ttl=7200
        )
        for count in sizes:
            with Api(server.url, token) as api:
                election_id = published_election(api, server.url, token, Path(folder) / str(count), count)
            row = {"ballots": count + 1}  # and the simulation's own voter
            for path in ("whole", "streamed", "workers"):
                done = subprocess.run(
                    [sys.executable, "-m", "bench.record_verify", "--measure", path, server.url, election_id],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row[path] = json.loads(done.stdout)
            results.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)  # each size as it is done
    return {"sizes": results}


def table(result: dict) -> str:
    columns = (
        Column("path", 34, align="<"),
        Column("ballots", 8),
        Column("wall s", 8, ".1f"),
        Column("CPU s", 8, ".1f"),
        Column("peak RSS MB", 12, ".0f"),
        Column("RSS vs whole", 13, ".2f", suffix="x"),
        Column("verified", 9, align=">"),
    )
    rows = []
    for size in result["sizes"]:
        for path, label in (
            ("whole", "whole record.json + verify_record"),
            ("streamed", "streamed (verify --url --workers 1)"),
            ("workers", "streamed, one worker a core"),
        ):
            run = size[path]
            rows.append(
                (
                    label,
                    size["ballots"],
                    run["seconds"],
                    run["cpu_seconds"],
                    run["peak_rss_mb"],
                    run["peak_rss_mb"] / size["whole"]["peak_rss_mb"],
                    "yes" if run["record_ok"] and run["ledger_ok"] else "NO",
                )
            )
    return "\n".join(table_lines(columns, rows, rule=True))


def main() -> None:
    parser = arguments(__doc__, "300 ballots")
    parser.add_argument("--ballots", type=int, nargs="+", default=[2000], metavar="N")
    parser.add_argument("--measure", nargs=3, metavar=("PATH", "URL", "ELECTION"), help=argparse_hidden())
    options = parser.parse_args()
    if options.measure:
        path, url, election_id = options.measure
        print(json.dumps(measure(path, url, election_id)))
        return
    report(run([300] if options.quick else options.ballots), options.json, table)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
