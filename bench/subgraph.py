"""Subgraph throughput: a single-subgraph query and the 2-hop identity+land join through Hive Gateway,
at concurrency 1 and 10, with the kit's parse/validation caches on and off (the reference, same run).

    python -m bench.subgraph            # full run
    python -m bench.subgraph --quick    # short run
    python -m bench.subgraph --json     # the same figures as one JSON object

Each subgraph runs in its own process (uvicorn, seeded SQLite), Hive Gateway (Rust planner) in another; the
load generator keeps `c` requests in flight over keep-alive connections and reports req/s, p50 and p99."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from bench.harness import (
    Column,
    ServerProcesses,
    arguments,
    load_seconds,
    measure_load,
    report,
    table_lines,
)
from govgraph.federation.node_composer import compose_supergraph
from tests.support.servers import HiveGateway

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

    from govgraph.agencies.registry import find_agency
    from govgraph.app import standalone_agency_app
    from govgraph.config import Settings
    from govgraph.federation.subgraph import standalone_app, subgraph_view

    if name in ("products", "users", "inventory"):
        from tests.govgraph.federation.compliance import inventory, products, users

        module = {"products": products, "users": users, "inventory": inventory}[name]
        app = standalone_app(subgraph_view(module.build_schema(caches=caches)))
    else:
        settings = Settings.from_env({"GOVGRAPH_DATA": data})
        app = standalone_agency_app(find_agency(name), settings, caches=caches)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def run(duration: float, warmup: float) -> list[dict]:
    rows = []
    for caches in (True, False):
        with (
            tempfile.TemporaryDirectory(prefix="govgraph-bench-") as tmp,
            ServerProcesses("bench.subgraph") as servers,
        ):
            data = Path(tmp)
            urls = {}
            for name in ("identity", "land", "products", "users", "inventory"):
                options = [] if caches else ["--no-caches"]
                urls[name] = servers.start(["--serve", name, "--data", str(data / name), *options])
            supergraph = data / "supergraph.graphql"
            compose_supergraph(urls, supergraph)
            gateway = HiveGateway.start(supergraph, data / "gateway.log")
            try:
                targets = (urls["land"], gateway.url, urls["products"], gateway.url)
                for (label, query), url in zip(SCENARIOS, targets, strict=True):
                    for concurrency in CONCURRENCY:
                        figures = asyncio.run(measure_load(url, query, concurrency, duration, warmup))
                        rows.append(
                            {"scenario": label, "caches": caches, "concurrency": concurrency, **figures}
                        )
            finally:
                gateway.stop()
    reference = {(r["scenario"], r["concurrency"]): r["rps"] for r in rows if not r["caches"]}
    for row in rows:
        row["ratio_vs_uncached"] = row["rps"] / reference[(row["scenario"], row["concurrency"])]
    return rows


COLUMNS = (
    Column("scenario", 30, align="<"),
    Column("c", 3),
    Column("caches", 7),
    Column("req/s", 9, ".1f"),
    Column("p50 ms", 8, ".2f"),
    Column("p99 ms", 8, ".2f"),
    Column("x uncached", 10, ".2f"),
)


def table(result: dict) -> str:
    order = [label for label, _query in SCENARIOS]
    rows = sorted(
        result["rows"], key=lambda r: (order.index(r["scenario"]), r["concurrency"], not r["caches"])
    )
    return "\n".join(
        table_lines(
            COLUMNS,
            (
                (
                    r["scenario"],
                    r["concurrency"],
                    "on" if r["caches"] else "off",
                    r["rps"],
                    r["p50_ms"],
                    r["p99_ms"],
                    r["ratio_vs_uncached"],
                )
                for r in rows
            ),
            rule=True,
        )
    )


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--no-caches", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, not args.no_caches, args.data)
        return
    duration, warmup = load_seconds(args.quick)
    rows = run(duration, warmup)
    result = {"benchmark": "subgraph", "duration_s": duration, "cpus": os.cpu_count(), "rows": rows}
    report(result, args.json, table)


if __name__ == "__main__":
    main()
