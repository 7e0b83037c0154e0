"""The election record of a published election (zk.record's format), assembled from the public documents the
commission stored when it checked them (each already in its canonical zk JSON form), with nothing decoded
again. Served three ways, none holding all the ballots in memory:

- `GET /elections/<id>/record.json`: the whole record, canonical JSON, streamed page by page from the
  database (byte-identical to `canonical_bytes` of the record);
- `GET /elections/<id>/record/header.json`: the record without its `ballots` (canonical JSON);
- `GET /elections/<id>/record/ballots?after=LEDGER_INDEX&limit=N`: the counted ballots in record order,
  `{"ballots": [...], "next": LEDGER_INDEX | null}` (`next` is the `after` of the next page).

`reference_record` builds the same record with zk.record.build_record from decoded objects, slowly, and a test
holds the two equal."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from govgraph.agencies.elections import public
from govgraph.agencies.elections import states as st
from govgraph.agencies.elections.service import ballots, counted_ballots_page, load_election, load_trustees
from govgraph.federation.errors import BadUserInput, NotFound
from zk import eligibility
from zk.ballot import BallotSecrets, EncryptedBallot, canonical_json
from zk.record import FORMAT, GROUP_NAME, CastBallot, CeremonyRecord, build_record, canonical_bytes
from zk.tally import DecryptionShare, aggregate_from_json
from zk.wire import element_from_hex

Stored = tuple[RowMapping, list[RowMapping], list[RowMapping]]
PAGE = 500  # counted ballots per database query (and the default page of /record/ballots)
MAX_PAGE = 2000  # ~17 KB a ballot: at most ~34 MB a page


async def _stored(engine: AsyncEngine, election: str) -> Stored:
    async with engine.connect() as connection:
        row = await load_election(connection, election)
        listed = await load_trustees(connection, election)
        query = select(ballots).where(ballots.c.election_id == election).order_by(ballots.c.ledger_index)
        cast = list((await connection.execute(query)).mappings().all())
    if row["state"] != st.PUBLISHED:
        raise BadUserInput(
            f"Election {election} is {row['state']}: its record exists once the result is published."
        )
    return row, listed, cast


def _counted(cast: list[RowMapping]) -> list[RowMapping]:
    return [b for b in cast if b["current"] and not b["spoiled"]]


def _spoiled(cast: list[RowMapping]) -> list[RowMapping]:
    return [b for b in cast if b["spoiled"]]


async def _published(
    engine: AsyncEngine, election: str
) -> tuple[RowMapping, list[RowMapping], list[RowMapping]]:
    """The election's row, its trustees and its spoiled ballots (few); its counted ballots are paged."""
    async with engine.connect() as connection:
        row = await load_election(connection, election)
        listed = await load_trustees(connection, election)
        query = (
            select(ballots)
            .where(ballots.c.election_id == election, ballots.c.spoiled)
            .order_by(ballots.c.ledger_index)
        )
        spoiled = list((await connection.execute(query)).mappings().all())
    if row["state"] != st.PUBLISHED:
        raise BadUserInput(
            f"Election {election} is {row['state']}: its record exists once the result is published."
        )
    return row, listed, spoiled


async def counted_page(engine: AsyncEngine, election: str, after: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` counted ballots after ledger index `after`, in record (ledger) order, as record entries
    with their `ledger_index`."""
    query = counted_ballots_page(election, after, limit).add_columns(
        ballots.c.tracking_code, ballots.c.eligibility
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [dict(b) for b in rows]


def _entry(b: RowMapping | dict) -> dict[str, Any]:
    return {"tracking_code": b["tracking_code"], "ballot": b["ballot"], "eligibility": b["eligibility"]}


async def record_header(engine: AsyncEngine, election: str) -> dict[str, Any]:
    """The record without its `ballots`."""
    row, listed, spoiled = await _published(engine, election)
    return _header(row, listed, spoiled)


async def election_record(engine: AsyncEngine, election: str) -> dict[str, Any]:
    """The whole record in memory (for small elections and tests; the routes stream it)."""
    row, listed, cast = await _stored(engine, election)
    return {**_header(row, listed, _spoiled(cast)), "ballots": [_entry(b) for b in _counted(cast)]}


def _header(row: RowMapping, listed: list[RowMapping], spoiled: list[RowMapping]) -> dict[str, Any]:
    manifest = public.manifest_of(row["manifest"])
    issued = row["credentials_issued"]
    return {
        "format": FORMAT,
        "group": GROUP_NAME,
        "manifest": manifest.to_json(),
        "manifest_hash": manifest.hash().hex(),
        "ceremony": {
            "n": len(listed),
            "t": manifest.threshold,
            "commitments": [{"trustee": t["trustee_index"], "hash": t["commitment_hash"]} for t in listed],
            "box_keys": [{"trustee": t["trustee_index"], "key": t["box_key"]} for t in listed],
            "reveals": [t["reveal"] for t in listed],
            "sealed_shares": [s for t in listed for s in t["sealed_shares"]],
            "complaints": [c for t in listed for c in t["complaints"]],
            "answers": [a for t in listed for a in t["answers"] or []],
            "qualified": list(row["qualified"]),
        },
        "joint_key": row["joint_key"],
        "eligibility": None
        if issued is None
        else {"scheme": eligibility.SCHEME, "credentials_issued": issued},
        "spoiled": [
            {"tracking_code": b["tracking_code"], "ballot": b["ballot"], "opening": b["opening"]}
            for b in spoiled
        ],
        "closing": row["closing"],
        "aggregate": row["aggregate"],
        "decryption_shares": [t["decryption_share"] for t in listed if t["decryption_share"] is not None],
        "tally": {"trustees": list(row["used_trustees"])},
        "results": {c.id: {o: row["result"][c.id][o] for o in c.options} for c in manifest.contests},
    }


async def reference_record(engine: AsyncEngine, election: str) -> dict[str, Any]:
    """The same record through zk.record.build_record, every stored document decoded first."""
    row, listed, cast = await _stored(engine, election)
    context = public.context_of(row["manifest"], row["joint_key"])
    group, manifest = context.group, context.manifest
    ceremony = public.ceremony_of(manifest)
    record = CeremonyRecord(
        ceremony.n,
        ceremony.t,
        {t["trustee_index"]: t["commitment_hash"] for t in listed},
        {t["trustee_index"]: bytes.fromhex(t["box_key"]) for t in listed},
        {t["trustee_index"]: public.reveal_of(ceremony, t["reveal"]) for t in listed},
        [public.sealed_of(s) for t in listed for s in t["sealed_shares"]],
        [c for t in listed for c in public.complaints_of(ceremony, t["complaints"])],
        [a for t in listed for a in public.answers_of(ceremony, t["answers"] or [])],
        list(row["qualified"]),
    )
    counted = [
        CastBallot(EncryptedBallot.from_json(context, b["ballot"]), b["tracking_code"], b["eligibility"])
        for b in _counted(cast)
    ]
    spoiled = [
        (
            CastBallot(EncryptedBallot.from_json(context, b["ballot"]), b["tracking_code"]),
            BallotSecrets.from_json(manifest, group, b["opening"]),
        )
        for b in _spoiled(cast)
    ]
    shares = [
        DecryptionShare.from_json(context, t["decryption_share"], ceremony.n)
        for t in listed
        if t["decryption_share"] is not None
    ]
    results = {c.id: [row["result"][c.id][option] for option in c.options] for c in manifest.contests}
    return build_record(
        group,
        manifest,
        record,
        element_from_hex(group, row["joint_key"], "joint key"),
        counted,
        spoiled,
        aggregate_from_json(context, row["aggregate"]),
        shares,
        list(row["used_trustees"]),
        results,
        credentials_issued=row["credentials_issued"],
    )


def _failure(exc: Exception) -> Response:
    if isinstance(exc, NotFound):
        return JSONResponse({"error": str(exc)}, status_code=404)
    return JSONResponse({"error": str(exc)}, status_code=409)


async def record_endpoint(request: Request) -> Response:
    """The whole record, streamed: the header's canonical JSON with the counted ballots spliced in where the
    `ballots` key sorts, page by page, so that memory holds one page, never the record."""
    engine, election = request.app.state.engine, request.path_params["id"]
    try:
        header = await record_header(engine, election)
    except (NotFound, BadUserInput) as exc:
        return _failure(exc)
    # A random stand-in marks the spot: a contest named "ballots" cannot make the split land elsewhere.
    stand_in = secrets.token_hex(16)
    before, marker, rest = canonical_bytes({**header, "ballots": [stand_in]}).partition(
        f'"ballots":["{stand_in}"]'.encode()
    )
    if not marker:  # cannot happen: the key is the record's own
        raise AssertionError("the record has no ballots key")

    async def body() -> AsyncIterator[bytes]:
        yield before + b'"ballots":['
        after, first = -1, True
        while True:
            page = await counted_page(engine, election, after, PAGE)
            if not page:
                break
            yield b"".join(
                (b"" if first and i == 0 else b",") + canonical_json(_entry(b)) for i, b in enumerate(page)
            )
            first, after = False, page[-1]["ledger_index"]
        yield b"]" + rest

    return StreamingResponse(body(), media_type="application/json")


async def header_endpoint(request: Request) -> Response:
    try:
        header = await record_header(request.app.state.engine, request.path_params["id"])
    except (NotFound, BadUserInput) as exc:
        return _failure(exc)
    return Response(canonical_bytes(header), media_type="application/json")


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 20) or not low <= int(raw) <= high:
        raise BadUserInput(f"{name} must be an integer in [{low}, {high}].")
    return int(raw)


async def ballots_endpoint(request: Request) -> Response:
    engine, election = request.app.state.engine, request.path_params["id"]
    try:
        after = _int_param(request, "after", -1, -1, 2**63 - 1)
        limit = _int_param(request, "limit", PAGE, 1, MAX_PAGE)
    except BadUserInput as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    try:
        async with engine.connect() as connection:
            state = (await load_election(connection, election))["state"]
    except NotFound as exc:
        return _failure(exc)
    if state != st.PUBLISHED:  # until then the counted ballots are not final
        return _failure(
            BadUserInput(f"Election {election} is {state}: its record exists once the result is published.")
        )
    page = await counted_page(engine, election, after, limit)
    document = {
        "ballots": [_entry(b) for b in page],
        "next": page[-1]["ledger_index"] if len(page) == limit else None,
    }
    # RFC 8785 by the C encoder (the ballots are plain strings), the same bytes as canonical_bytes
    return Response(canonical_json(document), media_type="application/json")


def election_routes() -> list[BaseRoute]:
    return [
        Route("/elections/{id}/record.json", record_endpoint, methods=["GET"]),
        Route("/elections/{id}/record/header.json", header_endpoint, methods=["GET"]),
        Route("/elections/{id}/record/ballots", ballots_endpoint, methods=["GET"]),
    ]
