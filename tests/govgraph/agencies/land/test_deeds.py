"""The land registry's writes on a real SQLite file, without GraphQL: registrations and transfers store their
rows and one ledger entry each in one transaction; refusals are typed and append nothing; of concurrent sales
of one parcel by its owner exactly one succeeds."""

from __future__ import annotations

import asyncio
import datetime
import json

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from govgraph.agencies.land.deeds import Registration, Transfer
from govgraph.agencies.land.models import TitleRow
from govgraph.agencies.land.service import LandService
from govgraph.agencies.writes import Actor
from govgraph.federation.errors import BadUserInput, Conflict, NotFound

CLERK = Actor("clerk:land", "bearer:registrar")
TODAY = datetime.date(2026, 1, 15)
ADA, BRAM, CHIARA = "cit_5b0e2f7c1a9d4e83", "cit_91c4d6ab02f3e715", "cit_e27a8f5d3c6b1049"
DEMO_ENTRIES = 5


def land(storage) -> LandService:
    return LandService(storage.sessions, storage.writes["land"])


async def entries(storage, begin: int = DEMO_ENTRIES) -> list[dict]:
    log = storage.logs["land"]
    next_index, _ = await log.state()
    return [json.loads(data) for data in await log.entries(begin, next_index)]


async def test_registering_parcels_stores_rows_and_one_entry_each(storage) -> None:
    registrations = [
        Registration("parcel-0101", 250.0, " Eastgate ", ADA, datetime.date(2025, 12, 1)),
        Registration("parcel-0102", 99.5, "Eastgate", BRAM),
    ]
    parcels = await land(storage).register_parcels(CLERK, registrations, today=TODAY)
    assert [(p.id, p.area_m2, p.locality, p.ledger_index) for p in parcels] == [
        ("parcel-0101", 250.0, "Eastgate", 5),
        ("parcel-0102", 99.5, "Eastgate", 6),
    ]
    titles = await land(storage).titles_by_ids(["title-0006", "title-0007"])
    assert [(t.parcel_id, t.owner_id, t.registered_on, t.current, t.ledger_index) for t in titles] == [
        ("parcel-0101", ADA, datetime.date(2025, 12, 1), True, 5),
        ("parcel-0102", BRAM, TODAY, True, 6),
    ]
    first, second = await entries(storage)
    hashing = storage.writes["land"]
    assert {k: v for k, v in first.items() if k not in ("actor", "time")} == {
        "type": "govgraph.land.ParcelRegistered/v1",
        "parcel": "parcel-0101",
        "area": 250,
        "locality": "Eastgate",
        "title": "title-0006",
        "owner": hashing.keyed_hash("citizen", ADA),
        "registeredOn": "2025-12-01",
    }
    assert first["actor"] == {"role": "clerk:land", "id": hashing.keyed_hash("actor", "bearer:registrar")}
    assert (second["parcel"], second["owner"], second["registeredOn"]) == (
        "parcel-0102",
        hashing.keyed_hash("citizen", BRAM),
        "2026-01-15",
    )


async def test_a_batch_naming_a_registered_parcel_is_refused_whole(storage) -> None:
    batch = [
        Registration("parcel-0201", 10.0, "Eastgate", ADA),
        Registration("parcel-0002", 10.0, "Eastgate", ADA),
    ]
    with pytest.raises(Conflict, match=r"^Parcel parcel-0002 is registered already\.$"):
        await land(storage).register_parcels(CLERK, batch, today=TODAY)
    assert await land(storage).parcels_by_ids(["parcel-0201"]) == [None]
    assert await entries(storage) == []


@pytest.mark.parametrize(
    ("registrations", "message"),
    [
        ([], "Register 1..256 parcels at a time, not 0."),
        (
            [Registration(f"p{i}", 1.0, "Eastgate", ADA) for i in range(257)],
            "Register 1..256 parcels at a time, not 257.",
        ),
        (
            [Registration("p1", 0.0, "Eastgate", ADA)],
            "`area` must be above 0 and at most 10000000000 square metres.",
        ),
        (
            [Registration("p1", float("nan"), "Eastgate", ADA)],
            "`area` must be above 0 and at most 10000000000 square metres.",
        ),
        (
            [Registration("p1", float("inf"), "Eastgate", ADA)],
            "`area` must be above 0 and at most 10000000000 square metres.",
        ),
        ([Registration("p1", 5.0, "  ", ADA)], "`locality` must be 1..100 printable characters."),
        ([Registration("p1", 5.0, "East\ngate", ADA)], "`locality` must be 1..100 printable characters."),
        ([Registration("x" * 65, 5.0, "Eastgate", ADA)], "An id must be 1..64 characters."),
        ([Registration("p1", 5.0, "Eastgate", "")], "An id must be 1..64 characters."),
        (
            [Registration("p1", 5.0, "Eastgate", ADA, datetime.date(2026, 1, 16))],
            "`registeredOn` must lie between 1800-01-01 and today.",
        ),
        (
            [Registration("p1", 5.0, "Eastgate", ADA), Registration("p1", 6.0, "Eastgate", BRAM)],
            "The same parcel id appears twice.",
        ),
    ],
)
async def test_bad_registrations_are_bad_user_input_and_append_nothing(
    storage, registrations, message
) -> None:
    with pytest.raises(BadUserInput) as refused:
        await land(storage).register_parcels(CLERK, registrations, today=TODAY)
    assert str(refused.value) == message
    assert await entries(storage) == []


async def test_a_transfer_closes_the_sellers_title_and_registers_the_buyers(storage) -> None:
    title = await land(storage).transfer_title(CLERK, Transfer("parcel-0002", ADA, CHIARA), today=TODAY)
    assert (
        title.id,
        title.parcel_id,
        title.owner_id,
        title.registered_on,
        title.current,
        title.ledger_index,
    ) == (
        "title-0006",
        "parcel-0002",
        CHIARA,
        TODAY,
        True,
        5,
    )
    history = (await land(storage).titles_by_parcel(["parcel-0002"]))[0]
    assert [(t.id, t.owner_id, t.current) for t in history] == [
        ("title-0002", ADA, False),
        ("title-0006", CHIARA, True),
    ]
    [entry] = await entries(storage)
    hashing = storage.writes["land"]
    assert {k: v for k, v in entry.items() if k not in ("actor", "time")} == {
        "type": "govgraph.land.TitleTransferred/v1",
        "parcel": "parcel-0002",
        "title": "title-0006",
        "previousTitle": "title-0002",
        "seller": hashing.keyed_hash("citizen", ADA),
        "buyer": hashing.keyed_hash("citizen", CHIARA),
        "registeredOn": "2026-01-15",
        "share": "1/1",  # a sale records the share sold: all the seller held here
    }


@pytest.mark.parametrize(
    ("transfer", "error", "message"),
    [
        (Transfer("parcel-9999", ADA, BRAM), NotFound, "No parcel parcel-9999."),
        (
            Transfer("parcel-0001", BRAM, CHIARA),
            Conflict,
            "Parcel parcel-0001 is not held by cit_91c4d6ab02f3e715.",
        ),
        (Transfer("parcel-0001", ADA, ADA), BadUserInput, "The buyer must be someone other than the seller."),
        (
            Transfer("parcel-0001", ADA, BRAM, datetime.date(2019, 3, 13)),
            BadUserInput,
            "`registeredOn` must not precede the current title's date, 2019-03-14.",
        ),
        (
            Transfer("parcel-0001", ADA, BRAM, datetime.date(2027, 1, 1)),
            BadUserInput,
            "`registeredOn` must lie between 1800-01-01 and today.",
        ),
        (Transfer("parcel-0001", ADA, "y" * 65), BadUserInput, "An id must be 1..64 characters."),
    ],
)
async def test_refused_transfers_say_why_and_append_nothing(storage, transfer, error, message) -> None:
    with pytest.raises(error) as refused:
        await land(storage).transfer_title(CLERK, transfer, today=TODAY)
    assert type(refused.value) is error and str(refused.value) == message
    assert await entries(storage) == []
    current = await land(storage).current_titles_by_parcel(["parcel-0001"])
    assert [(t.id, t.owner_id) for t in current] == [("title-0001", ADA)]


async def test_fifty_concurrent_sales_of_one_parcel_by_its_owner_sell_it_once(storage) -> None:
    buyers = [f"cit_buyer_{i:02d}" for i in range(50)]
    outcomes = await asyncio.gather(
        *(
            land(storage).transfer_title(CLERK, Transfer("parcel-0001", ADA, buyer), today=TODAY)
            for buyer in buyers
        ),
        return_exceptions=True,
    )
    sold = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(sold) == 1 and len(refused) == 49
    assert {(type(o), str(o)) for o in refused} == {
        (Conflict, "Parcel parcel-0001 is not held by cit_5b0e2f7c1a9d4e83.")
    }
    [entry] = await entries(storage)
    assert (entry["type"], entry["parcel"], entry["title"]) == (
        "govgraph.land.TitleTransferred/v1",
        "parcel-0001",
        sold[0].id,
    )
    current = await land(storage).current_titles_by_parcel(["parcel-0001"])
    assert [(t.id, t.owner_id) for t in current] == [(sold[0].id, sold[0].owner_id)]


async def test_the_database_itself_refuses_a_second_current_title_of_one_owner(storage) -> None:
    # Co-owners each hold a current title (shares), so the database's guard is one current title per owner
    # of a parcel; a second owner is kept out by the transfer's conditional update (tested above).
    async with storage.engine.begin() as connection:
        with pytest.raises(IntegrityError):
            await connection.execute(
                insert(TitleRow.__table__).values(
                    id="title-9999",
                    parcel_id="parcel-0001",
                    owner_id=ADA,
                    registered_on=TODAY,
                    current=True,
                )
            )
