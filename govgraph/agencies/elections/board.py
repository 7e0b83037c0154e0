"""The public board's reads: an election's state and published data, its ballots a page at a time, its
turnout, and the election record (`GET /elections/<id>/record.json`, zk.record's format) rebuilt from the
commission's tables once the result is published."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from govgraph.agencies.elections import public
from govgraph.agencies.elections import states as st
from govgraph.agencies.elections.service import ballots, elections, load_election, load_trustees
from govgraph.federation.errors import BadUserInput, NotFound
from zk.ballot import BallotSecrets, EncryptedBallot
from zk.record import CastBallot, CeremonyRecord, build_record, canonical_bytes
from zk.tally import DecryptionShare, aggregate_from_json
from zk.wire import element_from_hex

MAX_PAGE = 100


async def election_row(engine: AsyncEngine, election: str) -> RowMapping | None:
    async with engine.connect() as connection:
        try:
            return await load_election(connection, election)
        except NotFound:
            return None


async def turnout(engine: AsyncEngine, election: str) -> int:
    """Ballots that count now: one per pseudonym (spoiled and replaced ballots excluded)."""
    query = (
        select(func.count())
        .select_from(ballots)
        .where(ballots.c.election_id == election, ballots.c.current, ballots.c.spoiled.is_(False))
    )
    async with engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def ballot_page(
    engine: AsyncEngine, election: str, first: int, after: int | None
) -> tuple[list[RowMapping], bool]:
    """Up to `first` ballots (cast and spoiled) with a ledger index above `after`, in ledger order, and
    whether more follow."""
    if not 0 <= first <= MAX_PAGE:
        raise BadUserInput(f"`first` must lie in 0..{MAX_PAGE}, got {first}.")
    query = select(ballots).where(ballots.c.election_id == election)
    if after is not None:
        query = query.where(ballots.c.ledger_index > after)
    query = query.order_by(ballots.c.ledger_index).limit(first + 1)
    async with engine.connect() as connection:
        rows = list((await connection.execute(query)).mappings().all())
    return rows[:first], len(rows) > first


async def ballot_by_code(engine: AsyncEngine, election: str, code: str) -> RowMapping | None:
    if not isinstance(code, str) or len(code) != 64:
        raise BadUserInput("A tracking code is 64 hex digits.")
    query = select(ballots).where(ballots.c.election_id == election, ballots.c.tracking_code == code)
    async with engine.connect() as connection:
        return (await connection.execute(query)).mappings().first()


async def election_ids(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return [
            row.id
            for row in (await connection.execute(select(elections.c.id).order_by(elections.c.id))).all()
        ]


async def build_election_record(engine: AsyncEngine, election: str) -> dict[str, Any]:
    """The election record of a published election (zk.record.build_record), from the stored public data."""
    async with engine.connect() as connection:
        row = await load_election(connection, election)
        listed = await load_trustees(connection, election)
        cast = (
            (
                await connection.execute(
                    select(ballots).where(ballots.c.election_id == election).order_by(ballots.c.ledger_index)
                )
            )
            .mappings()
            .all()
        )
    if row["state"] != st.PUBLISHED:
        raise BadUserInput(
            f"Election {election} is {row['state']}: its record exists once the result is published."
        )
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
        for b in cast
        if b["current"] and not b["spoiled"]
    ]
    spoiled = [
        (
            CastBallot(EncryptedBallot.from_json(context, b["ballot"]), b["tracking_code"]),
            BallotSecrets.from_json(manifest, group, b["opening"]),
        )
        for b in cast
        if b["spoiled"]
    ]
    shares = [
        DecryptionShare.from_json(context, t["decryption_share"], ceremony.n)
        for t in listed
        if t["decryption_share"] is not None
    ]
    results = {c.id: [row["result"][c.id][option] for option in c.options] for c in manifest.contests}
    document = build_record(
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
    return document


def ballot_codes(rows: Sequence[RowMapping]) -> list[str]:
    return [row["tracking_code"] for row in rows]


async def record_endpoint(request: Request) -> Response:
    election = request.path_params["id"]
    engine = request.app.state.engine
    try:
        document = await build_election_record(engine, election)
    except NotFound as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    except BadUserInput as exc:
        return JSONResponse({"error": str(exc)}, status_code=409)
    return Response(canonical_bytes(document), media_type="application/json")


def election_routes() -> list[BaseRoute]:
    return [Route("/elections/{id}/record.json", record_endpoint, methods=["GET"])]
