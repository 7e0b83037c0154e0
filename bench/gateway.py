"""Gateway throughput: the embedded gateway in-process, the embedded gateway over HTTP, and Hive Gateway (Rust
planner) over the same subgraphs in the same run, for the 2-hop join and a 10-entity join at c=1 and c=10.

    python -m bench.gateway            # full run
    python -m bench.gateway --quick    # short run
    python -m bench.gateway --json     # the same figures as one JSON object
    python -m bench.gateway --quick --fanout-only   # only the subscription fan-out rows

Every server is its own process: the identity and land agencies (seeded SQLite) and two in-memory bench
subgraphs (catalog, reviews) for the 10-entity join; Hive Gateway and the embedded gateway over HTTP call
those processes, while the in-process gateway runs the same schemas inside its own process (its own seeded
SQLite). Ratios are req/s against Hive Gateway's in the same scenario and concurrency.

In the first two scenarios every client sends the same query, so at c=10 both gateways share identical
subgraph fetches that are in flight (Hive Gateway's `deduplicateInflightRequests`, the embedded gateway's
SharedFetches; both on by default). The third asks each request for another page of ten items (`offset`
from one counter), so no two requests in flight send the same subgraph request: the cost of a request that
cannot be shared, for both gateways.

The persisted-query rows run a front-end-sized document (five aliased pages through one fragment) on the
in-process embedded gateway twice: sent in full, and as Apollo's APQ hash alone (registered once before);
their ratio is against the full document in the same run, with the request's bytes on the wire and the CPU
the gateway spends decoding the body and resolving its document (microseconds, measured in this process).

The subscription fan-out rows (`fanout`): 1,000 WebSocket subscribers in this process (graphql-transport-ws),
each receiving the same number of events from the catalog subgraph's `itemUpdates`, through the embedded
gateway (root fields only, then with `rating` fetched from reviews per event) against the subgraph's own
endpoint; events/s delivered to all of them, and the server's CPU per event (time.process_time)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import AsyncGenerator
from pathlib import Path

import httpx
import strawberry

from bench.harness import (
    Column,
    ServerProcesses,
    arguments,
    cpu_median_ms,
    load_seconds,
    measure_load,
    report,
    table_lines,
)
from govgraph.federation.gateway.persisted import PersistedDocuments
from govgraph.federation.node_composer import compose_supergraph
from govgraph.federation.subgraph import build_subgraph_schema
from tests.support.servers import HiveGateway
from zk.json_input import load_json

TWO_HOP = (
    "2-hop join (identity+land)",
    'query { citizen(id: "cit_5b0e2f7c1a9d4e83") { id enrolledBy { name } parcels { id area } } }',
)
TEN_ENTITIES = ("10-entity join (catalog+reviews)", "{ items(first: 10) { id name rating reviewCount } }")
DISTINCT_PAGES = (
    "10-entity join, a page per request",
    "query ($offset: Int!) { items(first: 10, offset: $offset) { id name rating reviewCount } }",
)
SCENARIOS = (TWO_HOP, TEN_ENTITIES, DISTINCT_PAGES)
PERSISTED_DOCUMENT = (
    "query CatalogPages {\n"
    + "".join(f"  page{n}: items(first: 10, offset: {10 * n}) {{\n    ...ItemCard\n  }}\n" for n in range(5))
    + "}\n\nfragment ItemCard on Item {\n  id\n  name\n  rating\n  reviewCount\n}\n"
)
PAGES = 1000  # offsets 0, 10, ... 9990, in turn: far more than the requests in flight at once
CONCURRENCY = (1, 10)
MODES = ("embedded in-process", "embedded over HTTP", "Hive Gateway")
SUBGRAPHS = ("identity", "land", "catalog", "reviews")


@strawberry.federation.type(keys=["id"])
class Item:
    """catalog's Item: ten of them answer `items`."""

    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Item:
        return cls(id=id, name=f"item {id}")


@strawberry.type
class CatalogQuery:
    @strawberry.field
    def items(self, first: int = 10, offset: int = 0) -> list[Item]:
        ids = range(offset, offset + min(first, 100))
        return [Item(id=strawberry.ID(str(n)), name=f"item {n}") for n in ids]


@strawberry.federation.type(name="Item", keys=["id"])
class ReviewedItem:
    """reviews' view of Item: each of the ten is resolved here through _entities."""

    id: strawberry.ID
    rating: float
    review_count: int

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ReviewedItem:
        return cls(id=id, rating=3 + int(id) % 3 / 2, review_count=int(id) * 7)


def bench_schemas() -> dict:
    """The catalog and reviews subgraphs: catalog lists 10 items, reviews resolves each through _entities."""
    return {
        "catalog": build_subgraph_schema(CatalogQuery, types=[Item]),
        "reviews": build_subgraph_schema(None, types=[ReviewedItem]),
    }


def serve_subgraph(name: str, port: int, data: str) -> None:
    import uvicorn

    from govgraph.agencies.registry import find_agency
    from govgraph.app import standalone_agency_app
    from govgraph.config import Settings
    from govgraph.federation.subgraph import standalone_app, subgraph_view

    if name in ("catalog", "reviews"):
        app = standalone_app(subgraph_view(bench_schemas()[name]))
    else:
        app = standalone_agency_app(find_agency(name), Settings.from_env({"GOVGRAPH_DATA": data}))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_embedded(port: int, data: str) -> None:
    """The in-process gateway: agencies (own seeded SQLite) and bench subgraphs called without HTTP."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from govgraph import db
    from govgraph.agencies.registry import find_agency, ledger_names, prepare_storage, seed_agencies
    from govgraph.agencies.writes import WritePaths
    from govgraph.config import Settings
    from govgraph.federation.context import RequestContext
    from govgraph.federation.gateway.endpoint import GatewayEndpoint, local_gateway
    from govgraph.ledger.sequencing import SequencedLogs

    settings = Settings.from_env({"GOVGRAPH_DATA": data})
    chosen = [find_agency("identity"), find_agency("land")]
    state: dict = {}
    schemas = {agency.name: agency.schema() for agency in chosen} | bench_schemas()
    endpoint = GatewayEndpoint(
        lambda: local_gateway(
            schemas,
            lambda _forwarded: RequestContext(request=None, response=None, sessions=state["sessions"]),
        ),
        persisted=PersistedDocuments(),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = db.create_engine(settings.database_url)
        state["sessions"] = db.session_factory(engine)
        await prepare_storage(engine, chosen)
        # The demo data goes in through the write path (it appends to the agencies' ledgers).
        logs = SequencedLogs(engine, settings.ledger_keys_dir, ledger_names(chosen), interval=0.05)
        await logs.start()
        try:
            await seed_agencies(state["sessions"], WritePaths(logs.logs, settings.ledger_keys_dir), chosen)
        finally:
            await logs.stop()
        await endpoint.ready()
        yield
        await engine.dispose()

    async def readiness(_request):
        return JSONResponse({"status": "ready"})

    app = Starlette(routes=[Route("/graphql", endpoint), Route("/readiness", readiness)], lifespan=lifespan)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_remote(port: int, services: str) -> None:
    import uvicorn

    from govgraph.federation.gateway.endpoint import gateway_app

    uvicorn.run(
        gateway_app(json.loads(services)), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


def run(duration: float, warmup: float) -> list[dict]:
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="govgraph-bench-gateway-") as tmp,
        ServerProcesses("bench.gateway") as servers,
    ):
        data = Path(tmp)
        urls = {name: servers.start(["--serve", name, "--data", str(data / name)]) for name in SUBGRAPHS}
        supergraph = data / "supergraph.graphql"
        compose_supergraph(urls, supergraph)
        gateway = HiveGateway.start(supergraph, data / "hive.log")
        try:
            embedded = servers.start(["--serve-embedded", "--data", str(data / "embedded")])
            remote = servers.start(["--serve-remote", json.dumps(urls)])
            targets = dict(zip(MODES, (embedded, remote, gateway.url), strict=True))
            for label, query in SCENARIOS:
                paged = "$offset" in query
                payload = {"query": query, "variables": {"offset": 990} if paged else None}
                answers = {
                    mode: httpx.post(url, json=payload, timeout=30).json() for mode, url in targets.items()
                }
                if any(answer != answers["Hive Gateway"] for answer in answers.values()):
                    raise RuntimeError(f"the gateways disagree on {label}: {answers}")
                for concurrency in CONCURRENCY:
                    for mode, url in targets.items():
                        pages = ({"offset": 10 * (n % PAGES)} for n in itertools.count()) if paged else None
                        figures = asyncio.run(measure_load(url, query, concurrency, duration, warmup, pages))
                        rows.append({"scenario": label, "mode": mode, "concurrency": concurrency, **figures})
            persisted = persisted_rows(embedded, duration, warmup)
        finally:
            gateway.stop()
    reference = {(r["scenario"], r["concurrency"]): r["rps"] for r in rows if r["mode"] == "Hive Gateway"}
    for row in rows:
        row["ratio_vs_hive"] = row["rps"] / reference[(row["scenario"], row["concurrency"])]
    return rows + persisted


def edge_cpu_us(payload: dict) -> float:
    """CPU microseconds the gateway spends on a request's body before planning: decoding it (zk.json_input)
    and resolving its document (PersistedDocuments, the hash registered), the part the wire format changes.
    Measured in this process on CPU time, so it does not depend on the machine's load."""
    documents = PersistedDocuments()
    digest = hashlib.sha256(PERSISTED_DOCUMENT.encode()).hexdigest()
    documents.resolve(
        {"query": PERSISTED_DOCUMENT, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    )
    body = json.dumps(payload).encode()
    batch = 200

    def decode_and_resolve() -> None:
        for _ in range(batch):
            documents.resolve(load_json(body, what="request body"))

    return cpu_median_ms(decode_and_resolve, 15) * 1000 / batch


def persisted_rows(url: str, duration: float, warmup: float) -> list[dict]:
    """PERSISTED_DOCUMENT on the in-process gateway, in full and as its APQ hash alone, at each c."""
    digest = hashlib.sha256(PERSISTED_DOCUMENT.encode()).hexdigest()
    by_hash = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    full = {"query": PERSISTED_DOCUMENT}
    registered = httpx.post(url, json={**full, **by_hash}, timeout=30).json()
    if "errors" in registered or httpx.post(url, json=by_hash, timeout=30).json() != registered:
        raise RuntimeError(f"APQ did not answer as the full document: {registered}")
    rows = []
    for concurrency in CONCURRENCY:
        figures = {}
        for wire, payload in (("full document", full), ("APQ hash only", by_hash)):
            figures[wire] = asyncio.run(
                measure_load(url, PERSISTED_DOCUMENT, concurrency, duration, warmup, payload=payload)
            )
            figures[wire] |= {
                "request_bytes": len(json.dumps(payload).encode()),
                "edge_cpu_us": edge_cpu_us(payload),
            }
        for wire, measured in figures.items():
            rows.append(
                {
                    "scenario": "persisted query (5 pages)",
                    "mode": f"embedded, {wire}",
                    "concurrency": concurrency,
                    **measured,
                    "ratio_vs_full_document": measured["rps"] / figures["full document"]["rps"],
                }
            )
    return rows


COLUMNS = (
    Column("scenario", 34, align="<"),
    Column("c", 3),
    Column("gateway", 20, align="<"),
    Column("req/s", 9, ".1f"),
    Column("p50 ms", 8, ".2f"),
    Column("p99 ms", 8, ".2f"),
    Column("x Hive", 7, ".2f"),
)


PERSISTED_COLUMNS = (
    Column("scenario", 34, align="<"),
    Column("c", 3),
    Column("wire", 29, align="<"),
    Column("bytes", 6),
    Column("edge CPU us", 12, ".1f"),
    Column("req/s", 9, ".1f"),
    Column("p50 ms", 8, ".2f"),
    Column("p99 ms", 8, ".2f"),
    Column("x full", 7, ".2f"),
)


def table(result: dict) -> str:
    persisted = [r for r in result["rows"] if "ratio_vs_full_document" in r]
    persisted_lines = table_lines(
        PERSISTED_COLUMNS,
        (
            (
                r["scenario"],
                r["concurrency"],
                r["mode"],
                r["request_bytes"],
                r["edge_cpu_us"],
                r["rps"],
                r["p50_ms"],
                r["p99_ms"],
                r["ratio_vs_full_document"],
            )
            for r in persisted
        ),
        rule=True,
    )
    return table_against_hive(result) + "\n\n" + "\n".join(persisted_lines)


def table_against_hive(result: dict) -> str:
    return "\n".join(
        table_lines(
            COLUMNS,
            (
                (
                    r["scenario"],
                    r["concurrency"],
                    r["mode"],
                    r["rps"],
                    r["p50_ms"],
                    r["p99_ms"],
                    r["ratio_vs_hive"],
                )
                for r in result["rows"]
                if "ratio_vs_hive" in r
            ),
            rule=True,
        )
    )


# -- subscription fan-out ---------------------------------------------------------------------------------

FANOUT_SUBSCRIBERS = 1000
FANOUT_EVENTS = {True: 20, False: 100}  # events per subscriber: --quick, full
FANOUT_SCENARIOS = (
    # (gateway, what each event selects, server mode, document)
    (
        "subgraph endpoint",
        "root fields",
        "subgraph",
        "subscription($c: Int!) { itemUpdates(count: $c) { id name } }",
    ),
    (
        "embedded gateway",
        "root fields",
        "gateway",
        "subscription($c: Int!) { itemUpdates(count: $c) { id name } }",
    ),
    (
        "embedded gateway",
        "+ entity (reviews)",
        "gateway",
        "subscription($c: Int!) { itemUpdates(count: $c) { id name rating } }",
    ),
)


@strawberry.type
class FanoutSubscription:
    @strawberry.subscription
    async def item_updates(self, count: int = 10) -> AsyncGenerator[Item, None]:
        """`count` item updates, as fast as the subscriber takes them (ten distinct items in turn)."""
        for n in range(count):
            yield Item(id=strawberry.ID(str(n % 10)), name=f"item {n}")
            await asyncio.sleep(0)


def serve_fanout(port: int, mode: str) -> None:
    """The fan-out servers: the catalog subgraph (with `itemUpdates`) alone, or the embedded gateway over it
    and reviews in-process; both with /cpu (the process's CPU seconds) for CPU per event."""
    import time

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route, WebSocketRoute

    from govgraph.federation.gateway.endpoint import GatewayEndpoint, local_gateway
    from govgraph.federation.gateway.subscriptions import StreamLimits
    from govgraph.federation.subgraph import standalone_app, subgraph_view

    catalog = build_subgraph_schema(CatalogQuery, subscription=FanoutSubscription, types=[Item])

    async def cpu(_request):
        return JSONResponse({"seconds": time.process_time()})

    async def readiness(_request):
        return JSONResponse({"status": "ready"})

    if mode == "subgraph":
        app = standalone_app(subgraph_view(catalog), routes=[Route("/cpu", cpu)])
    else:
        schemas = {"catalog": catalog, "reviews": bench_schemas()["reviews"]}
        limits = StreamLimits(max_connections=2 * FANOUT_SUBSCRIBERS)
        endpoint = GatewayEndpoint(lambda: local_gateway(schemas), stream_limits=limits)
        routes = [Route("/graphql", endpoint), WebSocketRoute("/graphql", endpoint)]
        app = Starlette(routes=[*routes, Route("/readiness", readiness), Route("/cpu", cpu)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, ws_max_queue=64)


async def fan_out(url: str, query: str, subscribers: int, events: int) -> dict:
    """`subscribers` WebSocket clients (graphql-transport-ws) connected and acknowledged first, then all
    subscribed at once: events delivered per second until the last `complete`, and the server's CPU."""
    import time

    from websockets.asyncio.client import connect

    ws_url = url.replace("http://", "ws://")
    start = asyncio.Event()
    connected = 0
    opening = asyncio.Semaphore(50)
    message = json.dumps(
        {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"c": events}}}
    )

    async def subscriber() -> int:
        nonlocal connected
        async with opening:
            ws = await connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=60, max_queue=64)
            await ws.send('{"type":"connection_init"}')
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            connected += 1
        async with ws:
            await start.wait()
            await ws.send(message)
            received = 0
            async for raw in ws:
                kind = json.loads(raw)["type"]
                if kind == "next":
                    received += 1
                elif kind == "complete":
                    return received
                else:
                    raise RuntimeError(f"unexpected message: {raw[:200]!r}")
        return received

    tasks = [asyncio.create_task(subscriber()) for _ in range(subscribers)]
    while connected < subscribers:
        await asyncio.sleep(0.05)
        if any(task.done() for task in tasks):  # a connection failed: its error, now
            for task in tasks:
                if task.done():
                    task.result()
    async with httpx.AsyncClient(base_url=url.removesuffix("/graphql"), timeout=30) as client:
        cpu_before = (await client.get("/cpu")).json()["seconds"]
        began = time.perf_counter()
        start.set()
        received = sum(await asyncio.gather(*tasks))
        seconds = time.perf_counter() - began
        cpu_after = (await client.get("/cpu")).json()["seconds"]
    if received != subscribers * events:
        raise RuntimeError(f"{received} events delivered, {subscribers * events} expected")
    return {
        "events": received,
        "events_per_s": received / seconds,
        "server_cpu_us_per_event": (cpu_after - cpu_before) / received * 1e6,
    }


def fanout(quick: bool) -> list[dict]:
    """The subscription fan-out rows: events/s delivered to FANOUT_SUBSCRIBERS WebSocket subscribers, through
    the embedded gateway (root fields only, and with an entity field fetched from another subgraph per
    event) against the same subscription on the subgraph's own endpoint (the reference)."""
    rows = []
    events = FANOUT_EVENTS[quick]
    with ServerProcesses("bench.gateway") as servers:
        urls = {mode: servers.start(["--serve-fanout", mode]) for mode in ("subgraph", "gateway")}
        for gateway, selects, mode, query in FANOUT_SCENARIOS:
            figures = asyncio.run(fan_out(urls[mode], query, FANOUT_SUBSCRIBERS, events))
            rows.append(
                {"gateway": gateway, "selects": selects, "subscribers": FANOUT_SUBSCRIBERS, **figures}
            )
    reference = rows[0]["events_per_s"]
    for row in rows:
        row["ratio_vs_subgraph"] = row["events_per_s"] / reference
    return rows


FANOUT_COLUMNS = (
    Column("subscription fan-out", 20, align="<"),
    Column("each event selects", 20, align="<"),
    Column("subs", 5),
    Column("events/s", 9, ".0f"),
    Column("CPU us/event", 12, ".1f"),
    Column("x subgraph", 10, ".2f"),
)


def fanout_table(rows: list[dict]) -> str:
    lines = table_lines(
        FANOUT_COLUMNS,
        (
            (
                r["gateway"],
                r["selects"],
                r["subscribers"],
                r["events_per_s"],
                r["server_cpu_us_per_event"],
                r["ratio_vs_subgraph"],
            )
            for r in rows
        ),
        rule=True,
    )
    return "\n".join(lines)


def both_tables(result: dict) -> list[str]:
    return ([table(result)] if result["rows"] else []) + [fanout_table(result["fanout"])]


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--serve-embedded", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-remote", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--serve-fanout", help=argparse.SUPPRESS)
    parser.add_argument("--fanout-only", action="store_true", help="Only the subscription fan-out rows.")
    args = parser.parse_args()
    if args.serve_fanout:
        return serve_fanout(args.port, args.serve_fanout)
    if args.serve:
        return serve_subgraph(args.serve, args.port, args.data)
    if args.serve_embedded:
        return serve_embedded(args.port, args.data)
    if args.serve_remote:
        return serve_remote(args.port, args.serve_remote)
    duration, warmup = load_seconds(args.quick)
    rows = [] if args.fanout_only else run(duration, warmup)
    result = {"benchmark": "gateway", "duration_s": duration, "cpus": os.cpu_count(), "rows": rows}
    result["fanout"] = fanout(args.quick)
    report(result, args.json, lambda result: "\n\n".join(both_tables(result)))


if __name__ == "__main__":
    main()
