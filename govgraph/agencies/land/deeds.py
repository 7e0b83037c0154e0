"""The land registry's writes: what registering parcels and transferring a title (whole or a share) put in
the database and on the land ledger (ParcelRegistered, TitleTransferred: public records, with owners as keyed
hashes). A surveyed parcel overlapping a registered one is refused inside the write's transaction; a
mortgaged or cautioned parcel is not transferred."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.canonical import canonical_json
from govgraph.agencies.ids import check_id
from govgraph.agencies.land.geometry import SpatialUnit
from govgraph.agencies.land.models import ParcelRow, RestrictionRow, TitleRow
from govgraph.agencies.land.spatial_index import ParcelIndex, linear_overlaps
from govgraph.agencies.writes import AgencyWrites, Change, Event, Rows
from govgraph.federation.errors import BadUserInput, Conflict, NotFound

PARCEL_REGISTERED = "govgraph.land.ParcelRegistered/v1"
TITLE_TRANSFERRED = "govgraph.land.TitleTransferred/v1"
MAX_AREA_M2 = 1e10
MAX_LOCALITY_LENGTH = 100
MAX_SHARE_DENOMINATOR = 10**6
SHARE = re.compile(r"([0-9]{1,8})(?:/([0-9]{1,8}))?")
EARLIEST_DEED = datetime.date(1800, 1, 1)
_parcels = ParcelRow.__table__  # type: ignore[attr-defined]
_titles = TitleRow.__table__  # type: ignore[attr-defined]
_restrictions = RestrictionRow.__table__  # type: ignore[attr-defined]


def title_id(index: int) -> str:
    """The id of the title registered by land ledger entry `index`: its deed number is the entry's position,
    counted from 1."""
    return f"title-{index + 1:04d}"


def _date(value: datetime.date | None, today: datetime.date) -> datetime.date:
    value = today if value is None else value
    if not EARLIEST_DEED <= value <= today:
        raise BadUserInput(f"`registeredOn` must lie between {EARLIEST_DEED} and today.")
    return value


@dataclass(frozen=True, slots=True)
class Registration:
    """A parcel to register (a public record) with its first title; `registered_on` defaults to today. Its
    official `area` is as declared, else its spatial unit's geodesic area; one of the two is required."""

    parcel_id: str
    area: float | None  # square metres
    locality: str
    owner_id: str
    registered_on: datetime.date | None = None
    spatial: SpatialUnit | None = None

    def checked(self, today: datetime.date) -> Registration:
        check_id(self.parcel_id)
        check_id(self.owner_id)
        if self.area is None and self.spatial is None:
            raise BadUserInput("Give the parcel's `area` or its `geometry`.")
        area = self.spatial.area_m2 if self.area is None else self.area  # type: ignore[union-attr]
        if not (math.isfinite(area) and 0 < area <= MAX_AREA_M2):
            raise BadUserInput(f"`area` must be above 0 and at most {MAX_AREA_M2:.0f} square metres.")
        locality = self.locality.strip()
        if not 0 < len(locality) <= MAX_LOCALITY_LENGTH or not locality.isprintable():
            raise BadUserInput(f"`locality` must be 1..{MAX_LOCALITY_LENGTH} printable characters.")
        return replace(self, area=area, locality=locality, registered_on=_date(self.registered_on, today))

    def arguments(self) -> dict[str, Any]:
        return {
            "id": self.parcel_id,
            "area": self.area,
            "locality": self.locality,
            "owner": self.owner_id,
            "registeredOn": self.registered_on.isoformat() if self.registered_on else None,
            **({"spatialUnit": self.spatial.record()} if self.spatial else {}),
        }


@dataclass(frozen=True, slots=True)
class Transfer:
    """A sale of a parcel by a holder of a current title: of all they hold (`share` None) or of `share` of
    the whole parcel; `registered_on` defaults to today."""

    parcel_id: str
    seller_id: str
    buyer_id: str
    registered_on: datetime.date | None = None
    share: Fraction | None = None

    def checked(self, today: datetime.date) -> Transfer:
        for value in (self.parcel_id, self.seller_id, self.buyer_id):
            check_id(value)
        if self.seller_id == self.buyer_id:
            raise BadUserInput("The buyer must be someone other than the seller.")
        if self.share is not None and not 0 < self.share <= 1:
            raise BadUserInput("`share` must be a fraction above 0 and at most 1.")
        return replace(self, registered_on=_date(self.registered_on, today))

    def arguments(self) -> dict[str, Any]:
        return {
            "parcel": self.parcel_id,
            "seller": self.seller_id,
            "buyer": self.buyer_id,
            "registeredOn": self.registered_on.isoformat() if self.registered_on else None,
            "share": None if self.share is None else share_text(self.share),
        }


def parse_share(text: str) -> Fraction:
    """An exact share written `n/d` (or `n`) in ASCII digits, in lowest terms; BadUserInput otherwise."""
    written = SHARE.fullmatch(text)
    if written is None:
        raise BadUserInput("`share` is written n/d with whole numbers, e.g. 1/2.")
    numerator, denominator = int(written[1]), int(written[2] or 1)
    if not 0 < denominator <= MAX_SHARE_DENOMINATOR:
        raise BadUserInput(f"A share's denominator lies in 1..{MAX_SHARE_DENOMINATOR}.")
    return Fraction(numerator, denominator)


def share_text(share: Fraction) -> str:
    return f"{share.numerator}/{share.denominator}"


@dataclass(frozen=True, slots=True)
class ParcelRecord:
    """A parcel as just registered: ParcelRow's fields without the ORM object (cheap by the hundred)."""

    id: str
    area_m2: float
    locality: str
    ledger_index: int | None
    geometry: str | None = None
    calculated_area_m2: float | None = None
    place: str | None = None
    coord_ref_sys: str | None = None


@dataclass(frozen=True, slots=True)
class TitleRecord:
    """A title as just registered: TitleRow's fields without the ORM object."""

    id: str
    parcel_id: str
    owner_id: str
    registered_on: datetime.date
    current: bool
    ledger_index: int | None
    share_numerator: int = 1
    share_denominator: int = 1


def register_rows(
    writes: AgencyWrites, registrations: Sequence[Registration], index: ParcelIndex | None = None
) -> Rows:
    """The rows of checked registrations: parcels and their first titles, each linked to its entry. A parcel
    registered already makes the insert fail (IntegrityError): the caller says which one. A surveyed parcel
    whose surface overlaps a registered one (as this transaction sees the registry, through `index`) or an
    earlier one of `registrations` is CONFLICT naming the parcels it overlaps."""

    async def rows(connection: AsyncConnection, first: int) -> Change:
        await _refuse_overlaps(connection, registrations, index)
        parcels = [_parcel_record(r, first + offset) for offset, r in enumerate(registrations)]
        titles = [
            TitleRecord(title_id(first + offset), r.parcel_id, r.owner_id, _dated(r), True, first + offset)
            for offset, r in enumerate(registrations)
        ]
        await connection.execute(insert(_parcels), [_parcel_values(parcel) for parcel in parcels])
        await connection.execute(insert(_titles), [_title_values(title) for title in titles])
        events = [
            Event(
                PARCEL_REGISTERED,
                {
                    "parcel": r.parcel_id,
                    "area": r.area,
                    "locality": r.locality,
                    "title": title.id,
                    "owner": writes.keyed_hash("citizen", r.owner_id),
                    "registeredOn": _dated(r).isoformat(),
                    **_surveyed(r.spatial),
                },
            )
            for r, title in zip(registrations, titles, strict=True)
        ]
        return Change({"parcels": [parcel.id for parcel in parcels]}, events, rows=parcels)

    return rows


async def _refuse_overlaps(
    connection: AsyncConnection, registrations: Sequence[Registration], index: ParcelIndex | None
) -> None:
    surveyed = [r for r in registrations if r.spatial is not None]
    if not surveyed:
        return
    if index is None:
        raise RuntimeError("surveyed parcels are registered with the registry's spatial index")
    for number, registration in enumerate(surveyed):
        surface = registration.spatial.surface  # type: ignore[union-attr]
        earlier = [(r.parcel_id, r.spatial.surface) for r in surveyed[:number]]  # type: ignore[union-attr]
        found = await index.overlaps_in(connection, surface)
        found += linear_overlaps(surface, [id for id, _ in earlier], [s for _, s in earlier])
        if found:
            raise Conflict(
                f"Parcel {registration.parcel_id} overlaps registered parcel{'s' if len(found) > 1 else ''} "
                f"{', '.join(sorted(set(found)))}."
            )


def _parcel_record(registration: Registration, index: int) -> ParcelRecord:
    spatial = registration.spatial
    area = registration.area
    assert area is not None  # checked: declared or calculated
    if spatial is None:
        return ParcelRecord(registration.parcel_id, area, registration.locality, index)
    return ParcelRecord(
        registration.parcel_id,
        area,
        registration.locality,
        index,
        canonical_json(spatial.geometry).decode(),
        spatial.area_m2,
        None if spatial.place is None else canonical_json(spatial.place).decode(),
        None if spatial.coord_ref_sys is None else canonical_json(spatial.coord_ref_sys).decode(),
    )


def _surveyed(spatial: SpatialUnit | None) -> dict[str, Any]:
    """A ParcelRegistered entry's spatial unit (absent for a parcel registered without a survey)."""
    if spatial is None:
        return {}
    return {"spatialUnit": spatial.record(), "calculatedArea": round(spatial.area_m2, 3)}


def _parcel_values(parcel: ParcelRecord) -> dict[str, Any]:
    return {
        "id": parcel.id,
        "area_m2": parcel.area_m2,
        "locality": parcel.locality,
        "ledger_index": parcel.ledger_index,
        "geometry": parcel.geometry,
        "calculated_area_m2": parcel.calculated_area_m2,
        "place": parcel.place,
        "coord_ref_sys": parcel.coord_ref_sys,
    }


def _dated(checked: Registration | Transfer) -> datetime.date:
    """The deed date of a checked registration or transfer (`checked` fills in today's)."""
    assert checked.registered_on is not None
    return checked.registered_on


def _title_values(title: TitleRecord) -> dict[str, Any]:
    return {
        "id": title.id,
        "parcel_id": title.parcel_id,
        "owner_id": title.owner_id,
        "registered_on": title.registered_on,
        "current": title.current,
        "ledger_index": title.ledger_index,
        "share_numerator": title.share_numerator,
        "share_denominator": title.share_denominator,
    }


def transfer_rows(writes: AgencyWrites, transfer: Transfer) -> Rows:
    """The rows of a checked transfer: refused while a mortgage or caution is active on the parcel; else the
    seller's title closed, only if it is still current and theirs (that condition, in the update itself, is
    what lets one of concurrent sales through), the buyer's registered (holding what they held plus the
    share), and the seller's remaining share, if any, registered as a new title; all linked to its entry."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        parcel = transfer.parcel_id
        await _refuse_encumbered(connection, parcel)
        closed = await _close_title(connection, parcel, transfer.seller_id)
        if closed is None:
            raise await _refusal(connection, transfer)
        registered_on = _dated(transfer)
        if registered_on < closed.registered_on:  # the savepoint's rollback reopens the title
            raise BadUserInput(
                f"`registeredOn` must not precede the current title's date, {closed.registered_on}."
            )
        held = Fraction(closed.share_numerator, closed.share_denominator)
        share = held if transfer.share is None else transfer.share
        if share > held:
            raise Conflict(
                f"The seller holds {share_text(held)} of parcel {parcel}, less than the {share_text(share)} "
                "to transfer."
            )
        fields: dict[str, Any] = {
            "parcel": parcel,
            "title": title_id(index),
            "previousTitle": closed.id,
            "seller": writes.keyed_hash("citizen", transfer.seller_id),
            "buyer": writes.keyed_hash("citizen", transfer.buyer_id),
            "registeredOn": registered_on.isoformat(),
            "share": share_text(share),
        }
        if share < held:
            rest = _title(
                f"{title_id(index)}-rest", parcel, transfer.seller_id, registered_on, index, held - share
            )
            await connection.execute(insert(_titles).values(**_title_values(rest)))
            fields["sellerTitle"] = rest.id
        bought = share
        earlier = await _close_title(connection, parcel, transfer.buyer_id)
        if earlier is not None:
            bought += Fraction(earlier.share_numerator, earlier.share_denominator)
            fields["buyerPreviousTitle"] = earlier.id
        title = _title(title_id(index), parcel, transfer.buyer_id, registered_on, index, bought)
        await connection.execute(insert(_titles).values(**_title_values(title)))
        return Change({"title": title.id}, [Event(TITLE_TRANSFERRED, fields)], rows=title)

    return rows


def _title(
    id: str, parcel: str, owner: str, registered_on: datetime.date, index: int, share: Fraction
) -> TitleRecord:
    return TitleRecord(id, parcel, owner, registered_on, True, index, share.numerator, share.denominator)


async def _close_title(connection: AsyncConnection, parcel: str, owner: str) -> Any:
    """Close `owner`'s current title on `parcel`, returning it (None if they hold none)."""
    closing = (
        update(_titles)
        .where(_titles.c.parcel_id == parcel, _titles.c.current, _titles.c.owner_id == owner)
        .values(current=False)
        .returning(
            _titles.c.id, _titles.c.registered_on, _titles.c.share_numerator, _titles.c.share_denominator
        )
    )
    return (await connection.execute(closing)).first()


async def _refuse_encumbered(connection: AsyncConnection, parcel: str) -> None:
    """CONFLICT while an active mortgage or caution bars dealings with the parcel. Read on the write's own
    transaction: writers are serialized, so a caution placed concurrently is either seen here or placed
    after the transfer committed."""
    barring = (
        await connection.execute(
            select(_restrictions.c.id, _restrictions.c.kind)
            .where(
                _restrictions.c.parcel_id == parcel,
                _restrictions.c.active,
                _restrictions.c.kind.in_(("mortgage", "caution")),
            )
            .order_by(_restrictions.c.id)
        )
    ).all()
    if barring:
        reasons = ", ".join(
            f"{'mortgaged' if row.kind == 'mortgage' else 'under caution'} ({row.id})" for row in barring
        )
        them = "them" if len(barring) > 1 else "it"
        raise Conflict(f"Parcel {parcel} is {reasons}: discharge or lift {them} before a transfer.")


async def _refusal(connection: AsyncConnection, transfer: Transfer) -> Exception:
    """Why the seller's title could not be closed: no such parcel, or the seller does not hold it."""
    known = await connection.execute(select(_parcels.c.id).where(_parcels.c.id == transfer.parcel_id))
    if known.first() is None:
        return NotFound(f"No parcel {transfer.parcel_id}.")
    return Conflict(f"Parcel {transfer.parcel_id} is not held by {transfer.seller_id}.")
