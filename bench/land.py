"""The land registry: title transfers through /graphql, and overlap checks against a large registry.

    python -m bench.land            # full run
    python -m bench.land --quick    # short run
    python -m bench.land --json     # the same figures as one JSON object

Transfers: 32 keep-alive clients (a real `govgraph serve`, SQLite, bearer token), each selling its own
parcel back and forth between two citizens (`transferTitle`: the seller's title closed, the buyer's
registered, one ledger entry), side by side with `registerParcel` (one insert, one entry) at the same
concurrency as the reference: transfers/s and the ratio.

Overlaps: 10^5 parcels registered in a grid of ~30 m squares; a new parcel's overlap check through the
spatial index (shapely STRtree plus the short list of parcels since its last rebuild) beside the linear
scan reference (every registered surface tested), both answering the same ids on every probe (half land on
registered parcels, half in gaps). Then the same check as registration runs it, inside the write path's
transaction on a real SQLite file holding 10^5 parcels (the index caught up from the table at start), and
the whole registration (check, rows, ledger entry, durable commit).

Targets: <= 5 ms per registration at 10^5 parcels (2 cores)."""

from __future__ import annotations

import asyncio
import datetime
import itertools
import json
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

import shapely
from sqlalchemy import insert

from bench.harness import Column, Connection, arguments, load_seconds, report, table_lines
from govgraph import db
from govgraph.agencies.canonical import canonical_json
from govgraph.agencies.land.deeds import Registration
from govgraph.agencies.land.geometry import spatial_unit
from govgraph.agencies.land.models import ParcelRow
from govgraph.agencies.land.service import LandService
from govgraph.agencies.land.spatial_index import ParcelIndex, index_for, linear_overlaps
from govgraph.agencies.registry import LAND, ledger_names, prepare_storage
from govgraph.agencies.writes import Actor, WritePaths
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import Settings
from govgraph.ledger.sequencing import SequencedLogs
from tests.support.servers import running_server

CONCURRENCY = 32
PARCELS = 100_000
SIDE = 0.0004  # degrees: ~30 m squares at 52 N
ORIGIN = (5.0, 52.0)
TARGET_REGISTRATION_MS = 5.0
TRANSFER = "mutation ($input: TransferTitleInput!) { transferTitle(input: $input) { id } }"
REGISTER = "mutation ($input: RegisterParcelInput!) { registerParcel(input: $input) { id } }"
CLERK = Actor("clerk:land", "bench:registrar")


def cell(number: int, columns: int) -> tuple[float, float]:
    """The south-west corner of grid cell `number` (cells SIDE apart, leaving SIDE/4 gaps between them)."""
    row, column = divmod(number, columns)
    return ORIGIN[0] + column * SIDE * 1.25, ORIGIN[1] + row * SIDE * 1.25


def square(lon: float, lat: float, side: float = SIDE) -> shapely.Polygon:
    return shapely.box(lon, lat, lon + side, lat + side)


def probes(count: int, columns: int, rows: int) -> list[shapely.Polygon]:
    """Half straddle a registered parcel's corner, half sit in the gaps between parcels."""
    cells = random.Random(7).sample(range(columns * rows), count)
    found = []
    for number, chosen in enumerate(cells):
        lon, lat = cell(chosen, columns)
        if number % 2:
            found.append(square(lon + SIDE * 1.05, lat + SIDE * 1.05, SIDE / 8))  # in a gap
        else:
            found.append(square(lon + SIDE * 0.9, lat + SIDE * 0.9, SIDE / 4))  # over a corner
    return found


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def overlap_figures(quick: bool) -> dict:
    columns = int(PARCELS**0.5)
    ids = [f"grid-{n}" for n in range(PARCELS)]
    surfaces = [square(*cell(n, columns)) for n in range(PARCELS)]
    started = time.perf_counter()
    index = ParcelIndex()
    index.add(zip(ids, surfaces, strict=True))
    built = time.perf_counter() - started
    indexed, linear = [], []
    for probe in probes(10 if quick else 100, columns, PARCELS // columns):
        started = time.perf_counter()
        found = index.overlaps(probe)
        indexed.append(time.perf_counter() - started)
        started = time.perf_counter()
        expected = linear_overlaps(probe, ids, surfaces)
        linear.append(time.perf_counter() - started)
        assert found == expected, (found, expected)
    return {
        "parcels": PARCELS,
        "build_s": built,
        "indexed_ms": median_ms(indexed),
        "linear_ms": median_ms(linear),
    }


async def registration_figures(quick: bool, directory: Path) -> dict:
    """Registrations through the service on a SQLite file holding PARCELS surveyed parcels."""
    engine = db.create_engine(f"sqlite+aiosqlite:///{directory / 'land.db'}")
    sessions = db.session_factory(engine)
    await prepare_storage(engine, [LAND])
    logs = SequencedLogs(engine, directory / "keys", ledger_names([LAND]), interval=0.05)
    await logs.start()
    try:
        writes = WritePaths(logs.logs, directory / "keys")["land"]
        columns = int(PARCELS**0.5)
        # The registry's rows written directly (the check reads rows, not entries): 10^5 ledger entries
        # would only lengthen the set-up.
        rows = []
        for number in range(PARCELS):
            lon, lat = cell(number, columns)
            ring = [[lon, lat], [lon + SIDE, lat], [lon + SIDE, lat + SIDE], [lon, lat + SIDE], [lon, lat]]
            geometry = canonical_json({"type": "MultiPolygon", "coordinates": [[ring]]}).decode()
            rows.append(
                {"id": f"grid-{number}", "area_m2": 1.0, "locality": "Grid", "ledger_index": -2 - number}
                | {"geometry": geometry}
            )
        async with engine.begin() as connection:
            for start in range(0, PARCELS, 5000):
                await connection.execute(insert(ParcelRow.__table__), rows[start : start + 5000])  # type: ignore[attr-defined]
        index = index_for(writes)
        index.synced = -(2 + PARCELS) - 1  # the rows above carry indexes below 0, before any real entry
        started = time.perf_counter()
        await index.catch_up(engine)
        caught_up = time.perf_counter() - started
        assert len(index) == PARCELS
        registered = len(index)
        service = LandService(sessions, writes)
        checks, registrations = [], []
        count = 20 if quick else 200
        for number, probe in enumerate(probes(count * 2, columns, PARCELS // columns)[1::2][:count]):
            async with engine.connect() as connection:
                started = time.perf_counter()
                assert await index.overlaps_in(connection, probe) == []
                checks.append(time.perf_counter() - started)
            lon, lat, east, north = probe.bounds
            ring = [[lon, lat], [east, lat], [east, north], [lon, north], [lon, lat]]
            unit = spatial_unit({"type": "Polygon", "coordinates": [ring]})
            started = time.perf_counter()
            await service.register_parcels(
                CLERK,
                [Registration(f"new-{number}", None, "Grid", "cit_bench", datetime.date(2026, 1, 1), unit)],
            )
            registrations.append(time.perf_counter() - started)
        return {
            "parcels": registered,
            "catch_up_s": caught_up,
            "check_ms": median_ms(checks),
            "registration_ms": median_ms(registrations),
            "registration_p95_ms": sorted(registrations)[int(len(registrations) * 0.95) - 1] * 1e3,
        }
    finally:
        await logs.stop()
        await engine.dispose()


async def closed_loop(url: str, token: str, bodies, duration: float, warmup: float) -> float:
    """Mutations/s from CONCURRENCY clients, client i sending next(bodies[i]) when its last is answered."""
    connections = [Connection(f"{url}/graphql", b"", {"Authorization": f"Bearer {token}"}) for _ in bodies]
    started = time.perf_counter() + warmup
    until = started + duration
    done = [0]

    async def client(connection: Connection, body) -> None:
        while (sent := time.perf_counter()) < until:
            answer = json.loads(await connection.post(next(body)))
            if "errors" in answer:
                raise RuntimeError(answer["errors"][0]["message"])
            if sent >= started:
                done[0] += 1

    try:
        await asyncio.gather(*(client(c, b) for c, b in zip(connections, bodies, strict=True)))
    finally:
        for connection in connections:
            connection.close()
    return done[0] / (time.perf_counter() - started)


def transfers(owner: int):
    """Client `owner`'s bodies: its parcel sold back and forth between its two citizens."""
    for sale in itertools.count():
        seller, buyer = (f"cit_a{owner}", f"cit_b{owner}")[:: 1 if sale % 2 == 0 else -1]
        variables = {"input": {"parcel": f"t-{owner}", "seller": seller, "buyer": buyer}}
        yield json.dumps({"query": TRANSFER, "variables": variables}).encode()


def registrations(client: int):
    for number in itertools.count():
        variables = {
            "input": {"id": f"r-{client}-{number}", "area": 250.0, "locality": "Grid", "owner": "cit_r"}
        }
        yield json.dumps({"query": REGISTER, "variables": variables}).encode()


async def http_figures(url: str, token: str, quick: bool) -> dict:
    duration, warmup = load_seconds(quick)
    connection = Connection(f"{url}/graphql", b"", {"Authorization": f"Bearer {token}"})
    for owner in range(CONCURRENCY):
        variables = {
            "input": {"id": f"t-{owner}", "area": 100.0, "locality": "Grid", "owner": f"cit_a{owner}"}
        }
        await connection.post(json.dumps({"query": REGISTER, "variables": variables}).encode())
    connection.close()
    moved = await closed_loop(url, token, [transfers(i) for i in range(CONCURRENCY)], duration, warmup)
    registered = await closed_loop(
        url, token, [registrations(i) for i in range(CONCURRENCY)], duration, warmup
    )
    return {"concurrency": CONCURRENCY, "transfers_per_s": moved, "registrations_per_s": registered}


def run(quick: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-land-") as tmp:
        data_dir = Path(tmp) / "serve"
        data_dir.mkdir()
        settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
        with running_server(data_dir, log_level="warning") as server:
            token = EmbeddedIssuer.load_or_create(
                settings.auth_issuer_key_path, issuer=settings.token_issuer, audience=settings.token_audience
            ).issue("bench-clerk", ["clerk:land"])
            http = asyncio.run(http_figures(server.url, token, quick))
        overlaps = overlap_figures(quick)
        registration = asyncio.run(registration_figures(quick, Path(tmp)))
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "quick": quick},
        "http": http,
        "overlaps": overlaps,
        "registration": registration,
        "targets": {"registration_ms_at_1e5": TARGET_REGISTRATION_MS},
    }


def table(result: dict) -> str:
    http, overlaps, registration = result["http"], result["overlaps"], result["registration"]
    lines = [f"Through /graphql at c={http['concurrency']} (closed loop, bearer token)"]
    lines += table_lines(
        (
            Column("mutation", 16, align="<"),
            Column("per s", 8, ".0f"),
            Column("vs registerParcel", 18, ".2f", suffix="x"),
        ),
        [
            ("transferTitle", http["transfers_per_s"], http["transfers_per_s"] / http["registrations_per_s"]),
            ("registerParcel", http["registrations_per_s"], 1.0),
        ],
        rule=True,
    )
    lines += [
        "",
        f"Overlap check against {overlaps['parcels']:,} parcels (median per probe; index built in "
        f"{overlaps['build_s']:.2f} s)",
    ]
    lines += table_lines(
        (
            Column("method", 23, align="<"),
            Column("ms", 10, ".3f"),
            Column("vs linear", 10, ".4f", suffix="x"),
        ),
        [
            ("spatial index", overlaps["indexed_ms"], overlaps["indexed_ms"] / overlaps["linear_ms"]),
            ("linear scan (reference)", overlaps["linear_ms"], 1.0),
        ],
        rule=True,
    )
    lines += [
        "",
        f"Registering a surveyed parcel on SQLite holding {registration['parcels']:,} parcels (index caught "
        f"up from the table in {registration['catch_up_s']:.2f} s)",
    ]
    lines += table_lines(
        (
            Column("step", 34, align="<"),
            Column("median ms", 10, ".2f"),
            Column("vs 5 ms", 8, ".2f", suffix="x"),
        ),
        [
            (
                "overlap check in the transaction",
                registration["check_ms"],
                registration["check_ms"] / TARGET_REGISTRATION_MS,
            ),
            (
                "whole registration (commit incl.)",
                registration["registration_ms"],
                registration["registration_ms"] / TARGET_REGISTRATION_MS,
            ),
        ],
        rule=True,
    )
    machine = result["machine"]
    lines += [
        "",
        f"python {machine['python']}, {machine['cpus']} CPUs{', quick run' if machine['quick'] else ''}",
    ]
    return "\n".join(lines)


def main() -> None:
    options = arguments(__doc__).parse_args()
    report(run(options.quick), options.json, table)


if __name__ == "__main__":
    main()
