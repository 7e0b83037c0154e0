"""Hostile requests against the real `govgraph serve`: for each scenario, the time to its answer (a refusal
for the hostile ones) beside an ordinary query to the same endpoint in the same run, and the worst wait of a
/healthz client meanwhile (issue 23: a hostile request must not stop the service).

    python -m bench.hostile            # full run
    python -m bench.hostile --quick    # short run
    python -m bench.hostile --json     # the same figures as one JSON object

Every request is distinct (a GraphQL body ends with a numbered comment), so no cache answers for the server:
the times are those of a first encounter. To add a line, add a Scenario to SCENARIOS: a name, an endpoint and
the body of the n-th request to POST (or `chunked=True`: an endless chunked upload, stopped at the answer).
A second table times the JSON loader alone (zk.json_input.load_json) on 1 MB inputs: worst case, ordinary."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import Column, arguments, cpu_median_ms, report, table_lines
from tests.support.hostile_documents import (
    ORDINARY,
    aliases,
    fragment_bomb,
    introspection_aliases,
    long_number,
    repeated_fields,
    unused_fragments,
)
from tests.support.hostile_http import HOSTILE_JSON_1MB, HOSTILE_JSON_60KB, HealthProbe, chunked_upload
from tests.support.servers import running_server
from zk.errors import MalformedInput
from zk.json_input import load_json

GATEWAY = "/graphql"
SUBGRAPH = "/subgraphs/land/graphql"


def graphql(query: str) -> Callable[[int], bytes]:
    """The n-th POST body asking `query`: numbered by a comment, so the server's document caches miss."""
    return lambda n: json.dumps({"query": f"{query}\n# {n}"}).encode()


def raw(body: bytes) -> Callable[[int], bytes]:
    """The same body for every request: bodies refused before GraphQL reach no cache."""
    return lambda _n: body


EMPTY_LISTS_1MB = b"[" + b"[]," * 333_332 + b"[]]"  # the loader's slowest 1 MB: 333,333 objects to build


def ordinary_megabyte(n: int) -> bytes:
    """An ordinary query with ~1 MB of ordinary variables (unused by it): 14,300 small objects."""
    items = [{"id": f"parcel-{i:06d}", "area": i * 1.5, "tags": ["a", "b"], "n": n} for i in range(14_300)]
    return json.dumps({"query": f"{ORDINARY}\n# {n}", "variables": {"items": items}}).encode()


def huge_variable() -> bytes:
    query = json.dumps("query ($n: Int!) { parcels(first: $n) { id } }")
    return ('{"query": ' + query + ', "variables": {"n": ' + "9" * 5000 + "}}").encode()


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    body: Callable[[int], bytes]  # the n-th request's body, built when it is sent: some are large
    content_type: str = "application/json"
    chunked: bool = False  # instead: an endless chunked body (hostile_http.chunked_upload), up to 300 MB


# The ordinary query each endpoint is compared against (a scenario on another path has no ratio).
REFERENCES = {GATEWAY: Scenario("ordinary query", GATEWAY, graphql(ORDINARY))}
REFERENCES[SUBGRAPH] = Scenario("ordinary query", SUBGRAPH, graphql(ORDINARY))

SCENARIOS: list[Scenario] = [
    # Document-level attacks (section 6): each the worst case of its kind, refused before any expansion.
    Scenario("fragment bomb n=22 (900 B)", GATEWAY, graphql(fragment_bomb(22))),
    Scenario("fragment bomb n=25", SUBGRAPH, graphql(fragment_bomb(25))),
    Scenario("50,000 aliases (0.9 MB)", GATEWAY, graphql(aliases(50_000))),
    Scenario("1,000 introspection aliases", GATEWAY, graphql(introspection_aliases(1000))),
    Scenario("20,000 unused fragments", GATEWAY, graphql(unused_fragments(20_000))),
    Scenario("parcels{id} x 3,000", GATEWAY, graphql(repeated_fields(3000))),
    Scenario("parcels{id} x 1,000 (15 KB)", SUBGRAPH, graphql(repeated_fields(1000))),
    Scenario("parcels{id} x 300 (merge check)", SUBGRAPH, graphql(repeated_fields(300))),
    Scenario("first: <5,000 digits>", GATEWAY, graphql(long_number())),
    # HTTP-level attacks (sections 1 and 6): bodies refused before any GraphQL, without blocking the loop.
    Scenario("escaped-quote string (60 KB)", GATEWAY, raw(HOSTILE_JSON_60KB)),
    Scenario("escaped-quote string (60 KB)", SUBGRAPH, raw(HOSTILE_JSON_60KB)),
    Scenario("escaped-quote string (1 MB)", GATEWAY, raw(HOSTILE_JSON_1MB)),
    Scenario("escaped-quote string (1 MB)", SUBGRAPH, raw(HOSTILE_JSON_1MB)),
    Scenario("[] x 333,333 (1 MB)", GATEWAY, raw(EMPTY_LISTS_1MB)),
    Scenario("[] x 333,333 (1 MB)", SUBGRAPH, raw(EMPTY_LISTS_1MB)),
    Scenario("ordinary query + 1 MB variables", GATEWAY, ordinary_megabyte),
    Scenario("ordinary query + 1 MB variables", SUBGRAPH, ordinary_megabyte),
    Scenario("$n = <5,000 digits> (variable)", GATEWAY, raw(huge_variable())),
    Scenario("$n = <5,000 digits> (variable)", SUBGRAPH, raw(huge_variable())),
    Scenario("UTF-16 body", GATEWAY, raw(json.dumps({"query": ORDINARY}).encode("utf-16"))),
    Scenario("endless chunked body", GATEWAY, raw(b""), chunked=True),
    Scenario("endless chunked body", SUBGRAPH, raw(b""), chunked=True),
]


def measure(client: httpx.Client, url: str, scenario: Scenario, repeats: int) -> dict:
    """Median and worst time to the answer over `repeats` POSTs, the answer (status, first error code, size),
    and the worst /healthz wait while they ran."""
    headers = {"content-type": scenario.content_type}
    times = []
    with HealthProbe(url, interval=0.02) as probe:
        for n in range(repeats):
            body = scenario.body(n)
            started = time.perf_counter()
            if scenario.chunked:
                answer, sent = chunked_upload(url, scenario.path, content_type=scenario.content_type)
                body = b"\0" * sent  # what went out before the answer came
                response = httpx.Response(
                    answer.status if answer else 0, content=answer.body if answer else b""
                )
            else:
                response = client.post(url + scenario.path, content=body, headers=headers)
            times.append(time.perf_counter() - started)
        time.sleep(0.05)
    try:
        errors = response.json().get("errors") or [{}]
        code = errors[0].get("extensions", {}).get("code", "-")
    except ValueError:
        code = "-"
    return {
        "scenario": scenario.name,
        "path": scenario.path,
        "request_bytes": len(body),
        "status": response.status_code,
        "code": code,
        "response_bytes": len(response.content),
        "median_ms": statistics.median(times) * 1e3,
        "max_ms": max(times) * 1e3,
        "healthz_worst_ms": probe.worst * 1e3 if probe.latencies else None,
    }


def run(repeats: int) -> list[dict]:
    with (
        tempfile.TemporaryDirectory(prefix="govgraph-bench-hostile-") as tmp,
        running_server(Path(tmp), log_level="warning") as server,
        httpx.Client(timeout=120) as client,
    ):
        references = {path: measure(client, server.url, s, repeats) for path, s in REFERENCES.items()}
        rows = [*references.values()]
        for scenario in SCENARIOS:
            row = measure(client, server.url, scenario, repeats)
            reference = references.get(scenario.path)
            row["x_ordinary"] = row["median_ms"] / reference["median_ms"] if reference else None
            rows.append(row)
    for reference in references.values():
        reference["x_ordinary"] = 1.0
    return rows


COLUMNS = (
    Column("scenario", 32, align="<"),
    Column("endpoint", 23, align="<"),
    Column("sent", 9, ","),
    Column("answer", 22, align="<"),
    Column("median ms", 9, ".1f"),
    Column("max ms", 8, ".1f"),
    Column("x ordinary", 10, ".1f"),
    Column("healthz ms", 10, ".1f"),
)


def table(result: dict) -> str:
    return "\n".join(
        table_lines(
            COLUMNS,
            (
                (
                    r["scenario"],
                    r["path"],
                    r["request_bytes"],
                    f"{r['status']} {r['code']}",
                    r["median_ms"],
                    r["max_ms"],
                    r["x_ordinary"],
                    r["healthz_worst_ms"],
                )
                for r in result["rows"]
            ),
            rule=True,
        )
    )


# The loader alone on 1 MB inputs: the worst cases of its depth pre-scan (an unterminated string of escaped
# quotes; half a million brackets), beside ordinary JSON of the same size.
LOADER_INPUTS = {
    "ordinary JSON (1 MB)": lambda: ordinary_megabyte(0),
    "escaped-quote string (1 MB)": lambda: HOSTILE_JSON_1MB,
    "[] x 333,333 (1 MB)": lambda: EMPTY_LISTS_1MB,
    "[ x 1,000,000 (refused, too deep)": lambda: b"[" * 1_000_000,
}


def loader_rows(repeats: int) -> list[dict]:
    rows = []
    for name, make in LOADER_INPUTS.items():
        data = make()

        def decode(data: bytes = data) -> None:
            try:
                load_json(data, what="body")
            except MalformedInput:
                pass

        rows.append({"input": name, "bytes": len(data), "cpu_ms": cpu_median_ms(decode, repeats)})
    ordinary = rows[0]["cpu_ms"]
    for row in rows:
        row["x_ordinary"] = row["cpu_ms"] / ordinary
    return rows


LOADER_COLUMNS = (
    Column("load_json input", 34, align="<"),
    Column("bytes", 9, ","),
    Column("cpu ms", 8, ".2f"),
    Column("x ordinary", 10, ".2f"),
)


def tables(result: dict) -> str:
    loader = table_lines(
        LOADER_COLUMNS,
        ((r["input"], r["bytes"], r["cpu_ms"], r["x_ordinary"]) for r in result["loader"]),
        rule=True,
    )
    return table(result) + "\n\n" + "\n".join(loader)


def main() -> None:
    args = arguments(__doc__, quick_help="3 requests per scenario instead of 10").parse_args()
    repeats = 3 if args.quick else 10
    rows = run(repeats)
    result = {
        "benchmark": "hostile",
        "repeats": repeats,
        "cpus": os.cpu_count(),
        "rows": rows,
        "loader": loader_rows(repeats),
    }
    report(result, args.json, tables)


if __name__ == "__main__":
    main()
