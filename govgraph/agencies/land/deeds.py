"""The land registry's writes: what registering parcels and transferring a title put in the database and on
the land ledger (ParcelRegistered, TitleTransferred: public records, with owners as keyed hashes)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.ids import check_id
from govgraph.agencies.land.models import ParcelRow, TitleRow
from govgraph.agencies.writes import AgencyWrites, Change, Event, Rows
from govgraph.federation.errors import BadUserInput, Conflict, NotFound

PARCEL_REGISTERED = "govgraph.land.ParcelRegistered/v1"
TITLE_TRANSFERRED = "govgraph.land.TitleTransferred/v1"
MAX_AREA_M2 = 1e10
MAX_LOCALITY_LENGTH = 100
EARLIEST_DEED = datetime.date(1800, 1, 1)
_parcels = ParcelRow.__table__  # type: ignore[attr-defined]
_titles = TitleRow.__table__  # type: ignore[attr-defined]


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
    """A parcel to register (a public record) with its first title; `registered_on` defaults to today."""

    parcel_id: str
    area: float  # square metres
    locality: str
    owner_id: str
    registered_on: datetime.date | None = None

    def checked(self, today: datetime.date) -> Registration:
        check_id(self.parcel_id)
        check_id(self.owner_id)
        if not (math.isfinite(self.area) and 0 < self.area <= MAX_AREA_M2):
            raise BadUserInput(f"`area` must be above 0 and at most {MAX_AREA_M2:.0f} square metres.")
        locality = self.locality.strip()
        if not 0 < len(locality) <= MAX_LOCALITY_LENGTH or not locality.isprintable():
            raise BadUserInput(f"`locality` must be 1..{MAX_LOCALITY_LENGTH} printable characters.")
        return replace(self, locality=locality, registered_on=_date(self.registered_on, today))

    def arguments(self) -> dict[str, Any]:
        return {
            "id": self.parcel_id,
            "area": self.area,
            "locality": self.locality,
            "owner": self.owner_id,
            "registeredOn": self.registered_on.isoformat() if self.registered_on else None,
        }


@dataclass(frozen=True, slots=True)
class Transfer:
    """A sale of a parcel by the holder of its current title; `registered_on` defaults to today."""

    parcel_id: str
    seller_id: str
    buyer_id: str
    registered_on: datetime.date | None = None

    def checked(self, today: datetime.date) -> Transfer:
        for value in (self.parcel_id, self.seller_id, self.buyer_id):
            check_id(value)
        if self.seller_id == self.buyer_id:
            raise BadUserInput("The buyer must be someone other than the seller.")
        return replace(self, registered_on=_date(self.registered_on, today))

    def arguments(self) -> dict[str, Any]:
        return {
            "parcel": self.parcel_id,
            "seller": self.seller_id,
            "buyer": self.buyer_id,
            "registeredOn": self.registered_on.isoformat() if self.registered_on else None,
        }


@dataclass(frozen=True, slots=True)
class ParcelRecord:
    """A parcel as just registered: ParcelRow's fields without the ORM object (cheap by the hundred)."""

    id: str
    area_m2: float
    locality: str
    ledger_index: int | None


@dataclass(frozen=True, slots=True)
class TitleRecord:
    """A title as just registered: TitleRow's fields without the ORM object."""

    id: str
    parcel_id: str
    owner_id: str
    registered_on: datetime.date
    current: bool
    ledger_index: int | None


def register_rows(writes: AgencyWrites, registrations: Sequence[Registration]) -> Rows:
    """The rows of checked registrations: parcels and their first titles, each linked to its entry. A parcel
    registered already makes the insert fail (IntegrityError): the caller says which one."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        parcels = [
            ParcelRecord(r.parcel_id, r.area, r.locality, index + offset)
            for offset, r in enumerate(registrations)
        ]
        titles = [
            TitleRecord(title_id(index + offset), r.parcel_id, r.owner_id, _dated(r), True, index + offset)
            for offset, r in enumerate(registrations)
        ]
        await connection.execute(
            insert(_parcels),
            [
                {"id": p.id, "area_m2": p.area_m2, "locality": p.locality, "ledger_index": p.ledger_index}
                for p in parcels
            ],
        )
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
                },
            )
            for r, title in zip(registrations, titles, strict=True)
        ]
        return Change({"parcels": [parcel.id for parcel in parcels]}, events, rows=parcels)

    return rows


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
    }


def transfer_rows(writes: AgencyWrites, transfer: Transfer) -> Rows:
    """The rows of a checked transfer: the seller's title closed, only if it is still current and theirs
    (that condition, in the update itself, is what lets one of concurrent sales through), and the buyer's
    registered, linked to its entry."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        parcel = transfer.parcel_id
        closed = (
            await connection.execute(
                update(_titles)
                .where(
                    _titles.c.parcel_id == parcel, _titles.c.current, _titles.c.owner_id == transfer.seller_id
                )
                .values(current=False)
                .returning(_titles.c.id, _titles.c.registered_on)
            )
        ).first()
        if closed is None:
            raise await _refusal(connection, transfer)
        registered_on = _dated(transfer)
        if registered_on < closed.registered_on:  # the savepoint's rollback reopens the title
            raise BadUserInput(
                f"`registeredOn` must not precede the current title's date, {closed.registered_on}."
            )
        title = TitleRecord(title_id(index), parcel, transfer.buyer_id, registered_on, True, index)
        await connection.execute(insert(_titles).values(**_title_values(title)))
        fields = {
            "parcel": parcel,
            "title": title.id,
            "previousTitle": closed.id,
            "seller": writes.keyed_hash("citizen", transfer.seller_id),
            "buyer": writes.keyed_hash("citizen", transfer.buyer_id),
            "registeredOn": registered_on.isoformat(),
        }
        return Change({"title": title.id}, [Event(TITLE_TRANSFERRED, fields)], rows=title)

    return rows


async def _refusal(connection: AsyncConnection, transfer: Transfer) -> Exception:
    """Why the seller's title could not be closed: no such parcel, or the seller does not hold it."""
    known = await connection.execute(select(_parcels.c.id).where(_parcels.c.id == transfer.parcel_id))
    if known.first() is None:
        return NotFound(f"No parcel {transfer.parcel_id}.")
    return Conflict(f"Parcel {transfer.parcel_id} is not held by {transfer.seller_id}.")
