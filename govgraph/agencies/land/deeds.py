"""The land registry's writes: what registering parcels and transferring a title put in the database and on
the land ledger (ParcelRegistered, TitleTransferred: public records, with owners as keyed hashes)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, insert, select, update
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


def title_id(number: int) -> str:
    return f"title-{number:04d}"


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


async def _last_number(connection: AsyncConnection) -> int:
    return (await connection.execute(select(func.max(_titles.c.number)))).scalar_one() or 0


def register_rows(writes: AgencyWrites, registrations: Sequence[Registration]) -> Rows:
    """The rows of checked registrations: parcels and their first titles, each linked to its entry."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        ids = [registration.parcel_id for registration in registrations]
        taken = (await connection.execute(select(_parcels.c.id).where(_parcels.c.id.in_(ids)))).first()
        if taken is not None:
            raise Conflict(f"Parcel {taken.id} is registered already.")
        number = await _last_number(connection)
        events = []
        parcels, titles = [], []
        for offset, registration in enumerate(registrations):
            title = title_id(number + 1 + offset)
            parcels.append(
                {
                    "id": registration.parcel_id,
                    "area_m2": registration.area,
                    "locality": registration.locality,
                    "ledger_index": index + offset,
                }
            )
            titles.append(
                {
                    "id": title,
                    "number": number + 1 + offset,
                    "parcel_id": registration.parcel_id,
                    "owner_id": registration.owner_id,
                    "registered_on": registration.registered_on,
                    "current": True,
                    "ledger_index": index + offset,
                }
            )
            fields = {
                "parcel": registration.parcel_id,
                "area": registration.area,
                "locality": registration.locality,
                "title": title,
                "owner": writes.keyed_hash("citizen", registration.owner_id),
                "registeredOn": registration.registered_on.isoformat(),  # type: ignore[union-attr]
            }
            events.append(Event(PARCEL_REGISTERED, fields))
        await connection.execute(insert(_parcels), parcels)
        await connection.execute(insert(_titles), titles)
        return Change({"parcels": ids}, events)

    return rows


def transfer_rows(writes: AgencyWrites, transfer: Transfer) -> Rows:
    """The rows of a checked transfer: the seller's title closed (only if still current and theirs) and
    the buyer's registered, linked to its entry."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        parcel = transfer.parcel_id
        current = (
            await connection.execute(
                select(_titles.c.id, _titles.c.owner_id, _titles.c.registered_on).where(
                    _titles.c.parcel_id == parcel, _titles.c.current
                )
            )
        ).first()
        if current is None:
            known = await connection.execute(select(_parcels.c.id).where(_parcels.c.id == parcel))
            if known.first() is None:
                raise NotFound(f"No parcel {parcel}.")
            raise Conflict(f"Parcel {parcel} has no current title.")
        if current.owner_id != transfer.seller_id:
            raise Conflict(f"Parcel {parcel} is not held by {transfer.seller_id}.")
        registered_on: datetime.date = transfer.registered_on  # type: ignore[assignment]
        if registered_on < current.registered_on:
            raise BadUserInput(
                f"`registeredOn` must not precede the current title's date, {current.registered_on}."
            )
        # Closed only if it is still current and the seller's: the condition, not the read above, decides.
        closed = await connection.execute(
            update(_titles)
            .where(_titles.c.id == current.id, _titles.c.current, _titles.c.owner_id == transfer.seller_id)
            .values(current=False)
        )
        if closed.rowcount != 1:
            raise Conflict(f"Parcel {parcel} is not held by {transfer.seller_id}.")
        number = await _last_number(connection) + 1
        title = title_id(number)
        await connection.execute(
            insert(_titles).values(
                id=title,
                number=number,
                parcel_id=parcel,
                owner_id=transfer.buyer_id,
                registered_on=registered_on,
                current=True,
                ledger_index=index,
            )
        )
        fields = {
            "parcel": parcel,
            "title": title,
            "previousTitle": current.id,
            "seller": writes.keyed_hash("citizen", transfer.seller_id),
            "buyer": writes.keyed_hash("citizen", transfer.buyer_id),
            "registeredOn": registered_on.isoformat(),
        }
        return Change({"title": title}, [Event(TITLE_TRANSFERRED, fields)])

    return rows
