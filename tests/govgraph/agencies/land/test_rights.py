"""The registry's rules on a real SQLite file, without GraphQL: surveyed parcels and their overlaps, shares
as exact fractions, mortgages and cautions barring transfers until discharged or lifted, leases, a parcel's
history; every change one entry, every refusal none."""

from __future__ import annotations

import asyncio
import datetime
import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.agencies.land.deeds import Registration, Transfer, parse_share
from govgraph.agencies.land.geometry import spatial_unit
from govgraph.agencies.land.restrictions import CAUTION, LEASE, MORTGAGE, Restriction
from govgraph.agencies.land.service import LandService
from govgraph.agencies.land.spatial_index import index_for
from govgraph.agencies.writes import Actor, WritePaths
from govgraph.federation.errors import BadUserInput, Conflict, NotFound

CLERK = Actor("clerk:land", "bearer:registrar")
TODAY = datetime.date(2026, 1, 15)
ADA, BRAM, CHIARA = "cit_5b0e2f7c1a9d4e83", "cit_91c4d6ab02f3e715", "cit_e27a8f5d3c6b1049"
DEMO_ENTRIES = 5


def land(storage) -> LandService:
    return LandService(storage.sessions, storage.writes["land"])


async def size(storage) -> int:
    return (await storage.logs["land"].state())[0]


async def entries(storage, begin: int = DEMO_ENTRIES) -> list[dict]:
    log = storage.logs["land"]
    return [json.loads(data) for data in await log.entries(begin, await size(storage))]


def square(lon: float, lat: float, side: float = 0.001) -> dict:
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def surveyed(parcel: str, owner: str, lon: float, lat: float = 10.0) -> Registration:
    return Registration(parcel, None, "Eastgate", owner, None, spatial_unit(square(lon, lat)))


async def test_a_surveyed_parcel_records_its_boundary_and_geodesic_area(storage) -> None:
    [parcel] = await land(storage).register_parcels(CLERK, [surveyed("s-1", ADA, 0.0)], today=TODAY)
    assert parcel.area_m2 == parcel.calculated_area_m2 and 12_000 < parcel.area_m2 < 12_400
    [entry] = await entries(storage)
    assert entry["spatialUnit"] == {
        "geometry": {"type": "MultiPolygon", "coordinates": [square(0.0, 10.0)["coordinates"]]}
    }
    assert entry["calculatedArea"] == round(parcel.area_m2, 3) and entry["area"] == parcel.area_m2


async def test_an_overlapping_parcel_is_refused_naming_the_registered_one(storage) -> None:
    await land(storage).register_parcels(CLERK, [surveyed("s-1", ADA, 0.0)], today=TODAY)
    before = await size(storage)
    with pytest.raises(Conflict) as refused:
        await land(storage).register_parcels(CLERK, [surveyed("s-2", BRAM, 0.0005)], today=TODAY)
    assert str(refused.value) == "Parcel s-2 overlaps registered parcel s-1."
    # A neighbour sharing the edge is not an overlap; a demo parcel is found too (it was indexed at start).
    await land(storage).register_parcels(CLERK, [surveyed("s-3", BRAM, 0.001)], today=TODAY)
    with pytest.raises(Conflict, match=r"^Parcel s-4 overlaps registered parcel parcel-0001\.$"):
        await land(storage).register_parcels(
            CLERK,
            [
                Registration(
                    "s-4", None, "Northfield", BRAM, None, spatial_unit(square(4.9001, 52.3701, 0.0001))
                )
            ],
            today=TODAY,
        )
    assert await size(storage) == before + 1


async def test_two_overlapping_parcels_in_one_call_are_refused_together(storage) -> None:
    with pytest.raises(Conflict, match=r"^Parcel s-2 overlaps registered parcels? s-1\.$"):
        await land(storage).register_parcels(
            CLERK, [surveyed("s-1", ADA, 0.0), surveyed("s-2", BRAM, 0.0002)], today=TODAY
        )
    assert await entries(storage) == []


async def test_of_concurrent_overlapping_registrations_exactly_one_succeeds(storage) -> None:
    outcomes = await asyncio.gather(
        *(
            land(storage).register_parcels(CLERK, [surveyed(f"c-{i}", ADA, i * 0.0001)], today=TODAY)
            for i in range(8)
        ),
        return_exceptions=True,
    )
    registered = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(registered) == 1 and all(isinstance(o, Conflict) for o in outcomes if isinstance(o, Exception))
    assert len(await entries(storage)) == 1


async def test_a_share_sale_splits_the_title_exactly(storage) -> None:
    service = land(storage)
    half = await service.transfer_title(
        CLERK, Transfer("parcel-0001", ADA, BRAM, None, Fraction(1, 3)), today=TODAY
    )
    assert (half.owner_id, half.share_numerator, half.share_denominator) == (BRAM, 1, 3)
    more = await service.transfer_title(
        CLERK, Transfer("parcel-0001", ADA, BRAM, None, Fraction(1, 6)), today=TODAY
    )
    assert (more.owner_id, more.share_numerator, more.share_denominator) == (BRAM, 1, 2)
    assert await service.current_titles_by_parcel(["parcel-0001"]) == [None]  # no sole owner
    titles = (await service.titles_by_parcel(["parcel-0001"]))[0]
    held = {(t.owner_id, Fraction(t.share_numerator, t.share_denominator)) for t in titles if t.current}
    assert held == {(ADA, Fraction(1, 2)), (BRAM, Fraction(1, 2))}
    first, second = await entries(storage)
    assert (first["share"], first["sellerTitle"], first["title"]) == ("1/3", "title-0006-rest", "title-0006")
    assert (second["share"], second["buyerPreviousTitle"], second["sellerTitle"]) == (
        "1/6",
        "title-0006",
        "title-0007-rest",
    )
    with pytest.raises(
        Conflict, match=r"^The seller holds 1/2 of parcel parcel-0001, less than the 2/3 to transfer\.$"
    ):
        await service.transfer_title(
            CLERK, Transfer("parcel-0001", ADA, CHIARA, None, Fraction(2, 3)), today=TODAY
        )
    assert len(await entries(storage)) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1/0", "A share's denominator lies in 1..1000000."),
        ("-1/2", "`share` is written n/d with whole numbers, e.g. 1/2."),
        ("0.5", "`share` is written n/d with whole numbers, e.g. 1/2."),
        ("1/10000000", "A share's denominator lies in 1..1000000."),
        ("1/123456789", "`share` is written n/d with whole numbers, e.g. 1/2."),
        ("½", "`share` is written n/d with whole numbers, e.g. 1/2."),
        ("1/²", "`share` is written n/d with whole numbers, e.g. 1/2."),
        ("１/2", "`share` is written n/d with whole numbers, e.g. 1/2."),
    ],
)
def test_malformed_shares_are_refused(text: str, message: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        parse_share(text)
    assert str(refused.value) == message


async def test_a_mortgaged_parcel_is_not_sold_until_the_mortgage_is_discharged(storage) -> None:
    service = land(storage)
    mortgage = await service.register_restriction(
        CLERK,
        Restriction(MORTGAGE, "parcel-0001", "Bank of Northfield", None, 25_000_000, "EUR"),
        operation="registerMortgage",
        today=TODAY,
    )
    assert (mortgage.id, mortgage.active) == ("mortgage-0006", True)
    with pytest.raises(Conflict) as refused:
        await service.transfer_title(CLERK, Transfer("parcel-0001", ADA, BRAM), today=TODAY)
    assert (
        str(refused.value)
        == "Parcel parcel-0001 is mortgaged (mortgage-0006): discharge or lift it before a transfer."
    )
    discharged = await service.end_restriction(
        CLERK, MORTGAGE, "mortgage-0006", operation="dischargeMortgage"
    )
    assert (discharged.active, discharged.ended_ledger_index) == (False, 6)
    with pytest.raises(Conflict, match=r"^The mortgage mortgage-0006 has ended already\.$"):
        await service.end_restriction(CLERK, MORTGAGE, "mortgage-0006", operation="dischargeMortgage")
    sold = await service.transfer_title(CLERK, Transfer("parcel-0001", ADA, BRAM), today=TODAY)
    assert sold.id == "title-0008"
    types = [entry["type"] for entry in await entries(storage)]
    assert types == [
        "govgraph.land.MortgageRegistered/v1",
        "govgraph.land.MortgageDischarged/v1",
        "govgraph.land.TitleTransferred/v1",
    ]
    assert await service.history_by_parcel(["parcel-0001"]) == [[0, 5, 6, 7]]


async def test_a_caution_bars_sales_and_mortgages_until_lifted(storage) -> None:
    service = land(storage)
    caution = Restriction(
        CAUTION, "parcel-0002", "District Court, case 2026-114", None, reason="Disputed inheritance"
    )
    placed = await service.register_restriction(CLERK, caution, operation="placeCaution", today=TODAY)
    with pytest.raises(Conflict, match=r"under caution \(caution-0006\)"):
        await service.transfer_title(CLERK, Transfer("parcel-0002", ADA, BRAM), today=TODAY)
    with pytest.raises(
        Conflict, match=r"^Parcel parcel-0002 is under caution \(caution-0006\): lift it first\.$"
    ):
        await service.register_restriction(
            CLERK,
            Restriction(MORTGAGE, "parcel-0002", "Bank", None, 1, "EUR"),
            operation="registerMortgage",
            today=TODAY,
        )
    await service.end_restriction(CLERK, CAUTION, placed.id, operation="liftCaution")
    await service.transfer_title(CLERK, Transfer("parcel-0002", ADA, BRAM), today=TODAY)
    [placed_entry, lifted, sold] = await entries(storage)
    assert (placed_entry["lodgedBy"], placed_entry["reason"], lifted["caution"], sold["type"]) == (
        "District Court, case 2026-114",
        "Disputed inheritance",
        "caution-0006",
        "govgraph.land.TitleTransferred/v1",
    )


async def test_a_lease_records_its_tenant_as_a_keyed_hash_and_does_not_bar_a_sale(storage) -> None:
    service = land(storage)
    lease = Restriction(
        LEASE, "parcel-0004", CHIARA, datetime.date(2025, 1, 1), ends_on=datetime.date(2030, 1, 1)
    )
    await service.register_restriction(CLERK, lease, operation="registerLease", today=TODAY)
    await service.transfer_title(CLERK, Transfer("parcel-0004", BRAM, ADA), today=TODAY)
    [registered, _sold] = await entries(storage)
    assert registered["tenant"] == storage.writes["land"].keyed_hash("citizen", CHIARA)
    assert CHIARA not in json.dumps(registered)


@pytest.mark.parametrize(
    ("restriction", "error", "message"),
    [
        (Restriction(MORTGAGE, "parcel-9999", "Bank", None, 1, "EUR"), NotFound, "No parcel parcel-9999."),
        (
            Restriction(MORTGAGE, "parcel-0001", "Bank", None, 0, "EUR"),
            BadUserInput,
            "A mortgage's `amount` lies in 1..1000000000000000 minor units.",
        ),
        (
            Restriction(MORTGAGE, "parcel-0001", "Bank", None, 5, "eur"),
            BadUserInput,
            "`currency` is an ISO 4217 code such as EUR.",
        ),
        (
            Restriction(MORTGAGE, "parcel-0001", " ", None, 5, "EUR"),
            BadUserInput,
            "`lender` must be 1..200 printable characters.",
        ),
        (
            Restriction(CAUTION, "parcel-0001", "Court", None, reason=""),
            BadUserInput,
            "`reason` must be 1..200 printable characters.",
        ),
        (
            Restriction(CAUTION, "parcel-0001", "Court", datetime.date(2027, 1, 1), reason="x"),
            BadUserInput,
            "`startsOn` must lie between 1800-01-01 and today.",
        ),
        (
            Restriction(LEASE, "parcel-0001", CHIARA, None, ends_on=TODAY),
            BadUserInput,
            "A lease's `endsOn` must come after its `startsOn`.",
        ),
        (
            Restriction(LEASE, "parcel-0001", "", None, ends_on=TODAY),
            BadUserInput,
            "An id must be 1..64 characters.",
        ),
    ],
)
async def test_refused_restrictions_say_why_and_append_nothing(storage, restriction, error, message) -> None:
    with pytest.raises(error) as refused:
        await land(storage).register_restriction(CLERK, restriction, operation="probe", today=TODAY)
    assert type(refused.value) is error and str(refused.value) == message
    assert await entries(storage) == []


async def test_ending_an_unknown_restriction_is_not_found(storage) -> None:
    with pytest.raises(NotFound, match=r"^No caution mortgage-0001\.$"):
        await land(storage).end_restriction(CLERK, CAUTION, "mortgage-0001", operation="liftCaution")
    assert await entries(storage) == []


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=24)
    | st.from_regex(r"[0-9]{1,8}/[0-9]{1,8}", fullmatch=True)
    | st.sampled_from(["1/²", "１/2", "1/٣", "1 /2", "+1/2", "1/2/3"])
)
def test_the_share_decoder_gives_a_fraction_or_a_typed_refusal(text: str) -> None:
    try:
        share = parse_share(text)
    except BadUserInput as refused:
        assert str(refused) in {
            "`share` is written n/d with whole numbers, e.g. 1/2.",
            "A share's denominator lies in 1..1000000.",
        }
    else:
        numerator, _, denominator = text.partition("/")
        assert share == Fraction(int(numerator), int(denominator or 1)) and share.denominator <= 10**6


async def test_a_new_process_builds_its_index_from_the_table(storage, tmp_path) -> None:
    await land(storage).register_parcels(CLERK, [surveyed("s-1", ADA, 0.0)], today=TODAY)
    # Another process's write path over the same database: its index starts empty and reads the table.
    restarted = WritePaths(storage.logs.logs, tmp_path / "keys")["land"]
    assert len(index_for(restarted)) == 0
    with pytest.raises(Conflict, match=r"^Parcel s-2 overlaps registered parcel s-1\.$"):
        await LandService(storage.sessions, restarted).register_parcels(
            CLERK, [surveyed("s-2", BRAM, 0.0009)], today=TODAY
        )
    assert len(index_for(restarted)) == 5  # the four demo parcels and s-1
