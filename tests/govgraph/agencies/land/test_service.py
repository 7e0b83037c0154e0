"""The land registry's service on a real SQLite file: current titles, ownership, batching, bounds."""

from __future__ import annotations

import pytest

from govgraph.agencies.identity.service import DEMO_CITIZENS
from govgraph.agencies.land.models import ParcelRow, RestrictionRow, TitleRow
from govgraph.agencies.land.service import DEMO_LATER_PARCELS, DEMO_PARCELS, DEMO_SALE, LandService
from govgraph.federation.errors import BadUserInput


async def test_parcels_owned_by_counts_only_current_titles(sessions) -> None:
    owned = await LandService(sessions).parcels_owned_by(
        ["cit_5b0e2f7c1a9d4e83", "cit_91c4d6ab02f3e715", "cit_e27a8f5d3c6b1049", "cit_nobody"]
    )
    # cit_91c4… sold parcel-0003 (title-0003 no longer current) and keeps parcel-0004.
    assert [[p.id for p in group] for group in owned] == [
        ["parcel-0001", "parcel-0002"],
        ["parcel-0004"],
        ["parcel-0003"],
        [],
    ]


async def test_titles_by_parcel_are_oldest_first(sessions) -> None:
    groups = await LandService(sessions).titles_by_parcel(["parcel-0003", "parcel-0004"])
    assert [[(t.id, t.current) for t in group] for group in groups] == [
        [("title-0003", False), ("title-0004", True)],
        [("title-0005", True)],
    ]


async def test_current_titles_by_parcel(sessions) -> None:
    titles = await LandService(sessions).current_titles_by_parcel(["parcel-0003", "parcel-9999"])
    assert [(t.id, t.owner_id) if t else None for t in titles] == [
        ("title-0004", "cit_e27a8f5d3c6b1049"),
        None,
    ]


async def test_parcel_list_is_bounded(sessions) -> None:
    assert [p.id for p in await LandService(sessions).parcels(2)] == ["parcel-0001", "parcel-0002"]
    with pytest.raises(BadUserInput, match=r"`first` must lie in 0\.\.100, got 101\."):
        await LandService(sessions).parcels(101)


def test_demo_owners_are_identity_demo_citizens() -> None:
    owners = {r.owner_id for r in DEMO_PARCELS + DEMO_LATER_PARCELS} | {
        DEMO_SALE.seller_id,
        DEMO_SALE.buyer_id,
    }
    assert owners <= set(DEMO_CITIZENS)


def test_land_rows_hold_public_records_and_opaque_owner_ids_only() -> None:
    # The spatial unit (boundary, its area, the JSON-FG place and CRS) is a public record too.
    assert set(ParcelRow.model_fields) == {
        "id",
        "area_m2",
        "locality",
        "ledger_index",
        "geometry",
        "calculated_area_m2",
        "place",
        "coord_ref_sys",
    }
    assert set(TitleRow.model_fields) == {
        "id",
        "parcel_id",
        "owner_id",
        "registered_on",
        "current",
        "ledger_index",
        "share_numerator",
        "share_denominator",
    }
    # A lease's tenant is held by opaque citizen id, like an owner; lenders and cautioners are public.
    assert set(RestrictionRow.model_fields) == {
        "id",
        "kind",
        "parcel_id",
        "holder",
        "amount",
        "currency",
        "reason",
        "starts_on",
        "ends_on",
        "active",
        "ledger_index",
        "ended_ledger_index",
    }
