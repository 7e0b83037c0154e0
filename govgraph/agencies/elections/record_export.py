"""The election record of a published election (zk.record's format), served at
`GET /elections/<id>/record.json`: assembled from the public documents the commission stored when it checked
them (each already in its canonical zk JSON form), with nothing decoded again; `reference_record` builds the
same with zk.record.build_record from decoded objects, slowly, and a test holds the two equal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from govgraph.agencies.elections import public
from govgraph.agencies.elections import states as st
from govgraph.agencies.elections.service import ballots, load_election, load_trustees
from govgraph.federation.errors import BadUserInput, NotFound
from zk import eligibility
from zk.ballot import BallotSecrets, EncryptedBallot
from zk.record import FORMAT, GROUP_NAME, CastBallot, CeremonyRecord, build_record, canonical_bytes
from zk.tally import DecryptionShare, aggregate_from_json
from zk.wire import element_from_hex

Stored = tuple[RowMapping, list[RowMapping], list[RowMapping]]


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


async def election_record(engine: AsyncEngine, election: str) -> dict[str, Any]:
    row, listed, cast = await _stored(engine, election)
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
        "ballots": [
            {"tracking_code": b["tracking_code"], "ballot": b["ballot"], "eligibility": b["eligibility"]}
            for b in _counted(cast)
        ],
        "spoiled": [
            {"tracking_code": b["tracking_code"], "ballot": b["ballot"], "opening": b["opening"]}
            for b in _spoiled(cast)
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


async def record_endpoint(request: Request) -> Response:
    election = request.path_params["id"]
    try:
        document = await election_record(request.app.state.engine, election)
    except NotFound as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    except BadUserInput as exc:
        return JSONResponse({"error": str(exc)}, status_code=409)
    return Response(canonical_bytes(document), media_type="application/json")


def election_routes() -> list[BaseRoute]:
    return [Route("/elections/{id}/record.json", record_endpoint, methods=["GET"])]
