"""Restrictions and lesser rights on a parcel (LADM LA_Mortgage, LA_Restriction, LA_Right of type lease):
what registering and discharging a mortgage, placing and lifting a caution, and registering and ending a
lease put in the database and on the land ledger. A caution bars new mortgages as it bars transfers."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.ids import check_id
from govgraph.agencies.land.models import ParcelRow, RestrictionRow
from govgraph.agencies.writes import AgencyWrites, Change, Event, Rows
from govgraph.federation.errors import BadUserInput, Conflict, NotFound

MORTGAGE, CAUTION, LEASE = "mortgage", "caution", "lease"
REGISTERED = {
    MORTGAGE: "govgraph.land.MortgageRegistered/v1",
    CAUTION: "govgraph.land.CautionPlaced/v1",
    LEASE: "govgraph.land.LeaseRegistered/v1",
}
ENDED = {
    MORTGAGE: "govgraph.land.MortgageDischarged/v1",
    CAUTION: "govgraph.land.CautionLifted/v1",
    LEASE: "govgraph.land.LeaseEnded/v1",
}
MAX_TEXT = 200
MAX_AMOUNT = 10**15  # minor units
CURRENCY = re.compile(r"[A-Z]{3}")  # ISO 4217 alphabetic code
EARLIEST = datetime.date(1800, 1, 1)
_parcels = ParcelRow.__table__  # type: ignore[attr-defined]
_restrictions = RestrictionRow.__table__  # type: ignore[attr-defined]


def restriction_id(kind: str, index: int) -> str:
    """The id of the `kind` registered by land ledger entry `index` (counted from 1, like deed numbers)."""
    return f"{kind}-{index + 1:04d}"


@dataclass(frozen=True, slots=True)
class Restriction:
    """A mortgage, caution or lease to register on a parcel. `holder`: the lender (mortgage), who lodged
    the caution (both public), or the tenant's citizen id (lease); `amount`/`currency`: a mortgage's
    principal in minor units; `reason`: a caution's grounds; `ends_on`: a lease's term."""

    kind: str
    parcel_id: str
    holder: str
    starts_on: datetime.date | None = None
    amount: int | None = None
    currency: str | None = None
    reason: str | None = None
    ends_on: datetime.date | None = None

    def checked(self, today: datetime.date) -> Restriction:
        check_id(self.parcel_id)
        starts_on = today if self.starts_on is None else self.starts_on
        if not EARLIEST <= starts_on <= today:
            raise BadUserInput(f"`startsOn` must lie between {EARLIEST} and today.")
        if self.kind == LEASE:
            check_id(self.holder)
            if self.ends_on is None or self.ends_on <= starts_on:
                raise BadUserInput("A lease's `endsOn` must come after its `startsOn`.")
        else:
            _text(self.holder, "lender" if self.kind == MORTGAGE else "lodgedBy")
        if self.kind == MORTGAGE:
            if self.amount is None or not 0 < self.amount <= MAX_AMOUNT:
                raise BadUserInput(f"A mortgage's `amount` lies in 1..{MAX_AMOUNT} minor units.")
            if self.currency is None or not CURRENCY.fullmatch(self.currency):
                raise BadUserInput("`currency` is an ISO 4217 code such as EUR.")
        if self.kind == CAUTION:
            _text(self.reason, "reason")
        return Restriction(
            self.kind,
            self.parcel_id,
            self.holder.strip() if self.kind != LEASE else self.holder,
            starts_on,
            self.amount,
            self.currency,
            None if self.reason is None else self.reason.strip(),
            self.ends_on,
        )

    def arguments(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "parcel": self.parcel_id,
            "holder": self.holder,
            "startsOn": None if self.starts_on is None else self.starts_on.isoformat(),
            "amount": self.amount,
            "currency": self.currency,
            "reason": self.reason,
            "endsOn": None if self.ends_on is None else self.ends_on.isoformat(),
        }


def _text(value: str | None, name: str) -> None:
    if value is None or not 0 < len(value.strip()) <= MAX_TEXT or not value.isprintable():
        raise BadUserInput(f"`{name}` must be 1..{MAX_TEXT} printable characters.")


def register_rows(writes: AgencyWrites, restriction: Restriction) -> Rows:
    """The rows of a checked restriction, linked to its entry: NOT_FOUND for an unknown parcel; a mortgage
    on a cautioned parcel is CONFLICT."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        parcel = restriction.parcel_id
        known = await connection.execute(select(_parcels.c.id).where(_parcels.c.id == parcel))
        if known.first() is None:
            raise NotFound(f"No parcel {parcel}.")
        if restriction.kind == MORTGAGE:
            cautions = await _active(connection, parcel, CAUTION)
            if cautions:
                raise Conflict(f"Parcel {parcel} is under caution ({', '.join(cautions)}): lift it first.")
        row = {
            "id": restriction_id(restriction.kind, index),
            "kind": restriction.kind,
            "parcel_id": parcel,
            "holder": restriction.holder,
            "amount": restriction.amount,
            "currency": restriction.currency,
            "reason": restriction.reason,
            "starts_on": restriction.starts_on,
            "ends_on": restriction.ends_on,
            "active": True,
            "ledger_index": index,
        }
        await connection.execute(insert(_restrictions).values(**row))
        fields: dict[str, Any] = {
            "parcel": parcel,
            restriction.kind: row["id"],
            "startsOn": restriction.starts_on.isoformat(),  # type: ignore[union-attr]
        }
        if restriction.kind == MORTGAGE:
            fields |= {"lender": restriction.holder, "amount": restriction.amount}
            fields["currency"] = restriction.currency
        elif restriction.kind == CAUTION:
            fields |= {"lodgedBy": restriction.holder, "reason": restriction.reason}
        else:
            fields["tenant"] = writes.keyed_hash("citizen", restriction.holder)
            fields["endsOn"] = restriction.ends_on.isoformat()  # type: ignore[union-attr]
        return Change({"restriction": row["id"]}, [Event(REGISTERED[restriction.kind], fields)], rows=row)

    return rows


def end_rows(kind: str, restriction: str) -> Rows:
    """The rows that end an active `kind` (discharge a mortgage, lift a caution, end a lease): NOT_FOUND
    for none of that id, CONFLICT if it has ended already (of concurrent discharges, one succeeds)."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        ended = (
            await connection.execute(
                update(_restrictions)
                .where(
                    _restrictions.c.id == restriction, _restrictions.c.kind == kind, _restrictions.c.active
                )
                .values(active=False, ended_ledger_index=index)
                .returning(_restrictions.c.parcel_id)
            )
        ).first()
        if ended is None:
            known = await connection.execute(
                select(_restrictions.c.id).where(
                    _restrictions.c.id == restriction, _restrictions.c.kind == kind
                )
            )
            if known.first() is None:
                raise NotFound(f"No {kind} {restriction}.")
            raise Conflict(f"The {kind} {restriction} has ended already.")
        fields = {"parcel": ended.parcel_id, kind: restriction}
        return Change({"restriction": restriction}, [Event(ENDED[kind], fields)])

    return rows


async def _active(connection: AsyncConnection, parcel: str, kind: str) -> list[str]:
    found = await connection.execute(
        select(_restrictions.c.id)
        .where(_restrictions.c.parcel_id == parcel, _restrictions.c.kind == kind, _restrictions.c.active)
        .order_by(_restrictions.c.id)
    )
    return [row.id for row in found]
