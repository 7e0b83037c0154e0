"""Benchmark of welfare claims through a real `govgraph serve`: claims per second at c=8, each claim being one
`submitClaim` request through /graphql carrying the claimant's presentation (verified in the verifier's
worker processes, then the pseudonym checked against the programme's claims and the exclusion group's
enrolments, the answer recorded and the ClaimAccepted entry appended, in one write-path transaction). The
reference, in the same run and on the same server: the bare verification of presentations of the same rule
(direct_post only, as bench/presentations.py measures it), so the ratio shows what the claim path adds.
Server CPU per claim is the server's and its workers' process time.

Claims are distinct (several citizens' credentials, each claiming several programmes: one pseudonym per
person per programme), invitations are opened and presentations made before the clock starts; the wallet's
proving is the citizen's cost, not the office's.

    python -m bench.welfare --quick          # short run (the only one to run on a shared machine)
    python -m bench.welfare --quick --json   # the same figures as one JSON object

`claims_case(quick, concurrency)` is the measurement as a function (bench/evidence.py may call it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.harness import Column, Connection, arguments, report, table_lines
from bench.presentations import FormConnection, percentile, process_tree_cpu
from govgraph.wallet.issuance import receive
from govgraph.wallet.presentation import fetch
from govgraph.wallet.store import load
from govgraph.wallet.transport import Http
from tests.support.credential_flows import ASK, Service, years_ago
from tests.support.servers import running_server
from tests.support.welfare_flows import OPEN, claim_query_for, create
from zk import credential as zkc
from zk.wire import canonical_json, parse_json

CONCURRENCY = 8
# What a claimant's client asks for: the claim's id (to show later) and its ledger entry.
SUBMIT = """mutation Submit($invitation: ID!, $presentation: String) {
  submitClaim(invitation: $invitation, presentation: $presentation) { id ledgerEntry { ledger index } } }"""
TARGET_CLAIMS = 100.0


@dataclass(frozen=True)
class Answer:
    """A prepared request: a bare verification's direct_post body, or a claim's submitClaim request."""

    form: bytes | None
    submit: bytes | None


def _answer(wallet: Path, uri: str, http: Http) -> tuple[str, str, str]:
    """(response URI, state, vp_token) of the wallet's answer to the request at `uri`."""
    request = fetch(wallet, uri, http)
    held = load(wallet).credentials[0]
    ask = zkc.PresentationRequest.from_json(parse_json(request.request_json, "request"))
    vp_token = canonical_json({request.query.id: [zkc.present(held, ask).to_json()]}).decode()
    return request.response_uri, request.state, vp_token


def prepare(
    service: Service, wallets: list[Path], programmes: list[str], official: str, today: dt.date
) -> tuple[str, list[Answer], list[Answer]]:
    """(response URI, one claim per citizen per programme, as many bare presentations of the same rule)."""
    claims, bare, response_uri = [], [], ""
    with Http() as http, httpx.Client(timeout=60) as client:
        for programme in programmes:
            for wallet in wallets:
                body = {"query": OPEN, "variables": {"programme": programme}}
                invitation = client.post(service.url + "/graphql", json=body).json()["data"]["openClaim"]
                response_uri, _, vp_token = _answer(wallet, invitation["requestUri"], http)
                variables = {"invitation": invitation["id"], "presentation": vp_token}
                claims.append(Answer(None, json.dumps({"query": SUBMIT, "variables": variables}).encode()))
        for i, wallet in enumerate(wallets * len(programmes)):
            ask = service.data(
                ASK, {"dcql": claim_query_for(today, f"bench/{i}"), "purpose": "bench"}, official
            )
            _, state, vp_token = _answer(wallet, ask["createPresentationRequest"]["requestUri"], http)
            bare.append(Answer(urlencode({"vp_token": vp_token, "state": state}).encode(), None))
    return response_uri, claims, bare


async def run_load(
    response_uri: str, graphql: str, answers: list[Answer], concurrency: int
) -> tuple[float, list]:
    """Each worker answers (direct_post) or submits a claim with its presentation; each must succeed."""
    queue = iter(answers)
    latencies: list[float] = []
    forms = [FormConnection(response_uri) for _ in range(concurrency)]
    posts = [Connection(graphql, b"") for _ in range(concurrency)]

    async def worker(form: FormConnection, post: Connection) -> None:
        for answer in queue:
            started = time.perf_counter()
            if answer.form is not None:
                await form.post(answer.form)
            if answer.submit is not None:
                reply = json.loads(await post.post(answer.submit))
                if "errors" in reply:
                    raise RuntimeError(f"a claim was refused: {reply['errors']}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(f, p) for f, p in zip(forms, posts, strict=True)))
    finally:
        for connection in (*forms, *posts):
            connection.close()
    return time.perf_counter() - started, latencies


def _figures(count: int, elapsed: float, latencies: list[float], cpu: float) -> dict:
    return {
        "count": count,
        "rps": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "server_cpu_ms": round(cpu / count * 1000, 2),
    }


def claims_case(quick: bool, concurrency: int = CONCURRENCY) -> dict:
    """Welfare claims per second (verify + pseudonym check + append) at `concurrency`, beside the bare
    verification of the same presentations on the same server."""
    citizens, programmes = (12, 8) if quick else (30, 20)
    today = dt.datetime.now(dt.UTC).date()
    with tempfile.TemporaryDirectory() as root:
        data = Path(root) / "data"
        data.mkdir()
        env = {"GOVGRAPH_VERIFY_WORKERS": str(min(2, os.cpu_count() or 1)), "GOVGRAPH_LOG_LEVEL": "warning"}
        with running_server(data, "warning", env=env) as server:
            service = Service(server.url, data)
            clerk = service.token("bench-clerk", "clerk:identity")
            official = service.token("bench-official", "official:welfare")
            names = [f"bench-{i:02d}" for i in range(programmes)]
            for name in names:
                create(service, official, name, today)
            before = len(service.ledger_entries("welfare"))  # the demo seed's programmes and the bench's
            wallets = []
            for i in range(citizens):
                offer = service.offer(
                    clerk, service.enrol(clerk, years_ago(today, 20 + i), income=20_000 + i)
                )
                wallets.append(Path(root) / f"wallet-{i}.json")
                receive(wallets[-1], offer["offerUri"], offer["txCode"])
            response_uri, claims, bare = prepare(service, wallets, names, official, today)
            graphql = server.url + "/graphql"
            warm = concurrency * 2
            asyncio.run(run_load(response_uri, graphql, bare[:warm], concurrency))  # starts the workers
            cpu = process_tree_cpu(server.process.pid)
            elapsed, latencies = asyncio.run(run_load(response_uri, graphql, bare[warm:], concurrency))
            reference = _figures(
                len(latencies), elapsed, latencies, process_tree_cpu(server.process.pid) - cpu
            )
            cpu = process_tree_cpu(server.process.pid)
            elapsed, latencies = asyncio.run(run_load(response_uri, graphql, claims, concurrency))
            measured = _figures(
                len(latencies), elapsed, latencies, process_tree_cpu(server.process.pid) - cpu
            )
            appended = len(service.ledger_entries("welfare")) - before
    if appended != len(claims):
        raise RuntimeError(f"{len(claims)} claims accepted but {appended} ledger entries appended")
    return {
        "claims": measured,
        "verification": reference,
        "ratio": round(measured["rps"] / reference["rps"], 2),
        "concurrency": concurrency,
        "citizens": citizens,
        "programmes": programmes,
        "target_rps": TARGET_CLAIMS,
        "target_met": measured["rps"] >= TARGET_CLAIMS,
        "load_average": round(os.getloadavg()[0], 2),
    }


def run(quick: bool) -> dict:
    return {
        "benchmark": "welfare",
        "quick": quick,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        **claims_case(quick),
    }


COLUMNS = (
    Column("path", 52, align="<"),
    Column("per s", 8, ".1f"),
    Column("ratio", 7, ".2f", suffix="x"),
    Column("p50 ms", 8, ".2f"),
    Column("p95 ms", 8, ".2f"),
    Column("CPU ms", 8, ".2f"),  # the server's and its workers', per claim or verification
)


def table(result: dict) -> str:
    c, v = result["claims"], result["verification"]
    rows = [
        (
            "bare verification (direct_post), reference",
            v["rps"],
            1.0,
            v["p50_ms"],
            v["p95_ms"],
            v["server_cpu_ms"],
        ),
        (
            "claim: submitClaim(presentation) (verify+check+append)",
            c["rps"],
            result["ratio"],
            c["p50_ms"],
            c["p95_ms"],
            c["server_cpu_ms"],
        ),
    ]
    met = "met" if result["target_met"] else "NOT met"
    return "\n".join(
        [
            f"Welfare claims at c={result['concurrency']}: {c['count']} distinct claims "
            f"({result['citizens']} citizens x {result['programmes']} programmes), rule: income < X, "
            "residence in a district, age between A and B, plus the programme's pseudonym",
            *table_lines(COLUMNS, rows),
            f"load average {result['load_average']} on {result['cpus']} cores",
            f"target >= {TARGET_CLAIMS:.0f} claims/s -> {c['rps']:.1f}: {met}",
        ]
    )


def main() -> None:
    args = arguments(__doc__).parse_args()
    report(run(args.quick), args.json, table)


if __name__ == "__main__":
    main()
