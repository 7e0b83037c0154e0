"""The land registry's tables, in ISO 19152 (LADM) terms: a parcel is a basic administrative unit (LA_BAUnit)
with its spatial unit (LA_SpatialUnit: a GeoJSON MultiPolygon, and a JSON-FG `place` kept as given); a title
is an ownership right (LA_Right) holding an exact share of it; a restriction row is a mortgage, a caution
or a lease (LA_Mortgage, LA_Restriction, LA_Right of type lease). Parties are the identity bureau's
citizens, linked by their opaque id (never a name), or organisations named publicly (a lender). Each row
names the land ledger's entry that recorded it."""

from __future__ import annotations

import datetime

from sqlalchemy import Index, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class LandTable(SQLModel, registry=registry()):
    """Base of the land tables: their own metadata, so the app creates exactly the agencies it mounts."""


class ParcelRow(LandTable, table=True):
    __tablename__ = "land_parcel"

    id: str = Field(primary_key=True)
    area_m2: float  # the official area: as declared, else the calculated one
    locality: str
    ledger_index: int | None = Field(default=None, index=True)  # the ParcelRegistered entry
    # The spatial unit (None for a parcel registered without a survey): RFC 7946 MultiPolygon in WGS 84,
    # right-hand rule, as canonical JSON; its geodesic area; and the JSON-FG `place`/`coordRefSys`, as given.
    geometry: str | None = None
    calculated_area_m2: float | None = None
    place: str | None = None
    coord_ref_sys: str | None = None


class TitleRow(LandTable, table=True):
    __tablename__ = "land_title"
    # At most one current title per owner of a parcel: a co-owner's share grows in place of a second title.
    __table_args__ = (
        Index(
            "land_one_current_title_per_owner",
            "parcel_id",
            "owner_id",
            unique=True,
            sqlite_where=text("current"),
            postgresql_where=text("current"),
        ),
    )

    # title-<n>: n, the deed number, is one more than the index of the ledger entry that registered it; a
    # share transfer also registers the seller's remaining share as title-<n>-rest.
    id: str = Field(primary_key=True)
    parcel_id: str = Field(foreign_key="land_parcel.id", index=True)
    owner_id: str = Field(index=True)
    registered_on: datetime.date
    # The parcel's current titles; earlier ones stay as history.
    current: bool = Field(default=True, index=True)
    ledger_index: int | None = None  # the entry that registered it: ParcelRegistered or TitleTransferred
    # The owner's share of the parcel, an exact fraction in lowest terms (1/1: sole owner).
    share_numerator: int = 1
    share_denominator: int = 1


class RestrictionRow(LandTable, table=True):
    """A mortgage, caution or lease on a parcel, active until discharged, lifted or ended."""

    __tablename__ = "land_restriction"

    # <kind>-<n>: n is one more than the index of the entry that registered it
    id: str = Field(primary_key=True)
    kind: str  # mortgage | caution | lease
    parcel_id: str = Field(foreign_key="land_parcel.id", index=True)
    # mortgage: the lender (an organisation, public); caution: who lodged it (a court, a claimant's
    # solicitor: public); lease: the tenant, a citizen's opaque id (a keyed hash on the ledger).
    holder: str
    # mortgage: the principal in minor units of `currency`; none for the others
    amount: int | None = None
    currency: str | None = None
    reason: str | None = None  # caution: the grounds lodged, a public statement
    starts_on: datetime.date
    ends_on: datetime.date | None = None  # lease: its term
    active: bool = Field(default=True, index=True)
    ledger_index: int | None = None  # the entry that registered it
    ended_ledger_index: int | None = None  # the entry that discharged, lifted or ended it
