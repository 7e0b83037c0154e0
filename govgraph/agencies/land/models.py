"""The land registry's tables. A parcel is a public record; a title links it to an owner by the citizen's
opaque id (the identity bureau's key), never by name. Each row names the land ledger's entry that recorded
it."""

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
    area_m2: float
    locality: str
    ledger_index: int | None = None  # the ParcelRegistered entry


class TitleRow(LandTable, table=True):
    __tablename__ = "land_title"
    # At most one current title per parcel, whatever the code above does: the database refuses a double sale.
    __table_args__ = (
        Index(
            "land_one_current_title",
            "parcel_id",
            unique=True,
            sqlite_where=text("current"),
            postgresql_where=text("current"),
        ),
    )

    # title-<n>: n, the deed number, is one more than the index of the ledger entry that registered it
    id: str = Field(primary_key=True)
    parcel_id: str = Field(foreign_key="land_parcel.id", index=True)
    owner_id: str = Field(index=True)
    registered_on: datetime.date
    # The parcel's current title; earlier titles stay as history.
    current: bool = Field(default=True, index=True)
    ledger_index: int | None = None  # the entry that registered it: ParcelRegistered or TitleTransferred
