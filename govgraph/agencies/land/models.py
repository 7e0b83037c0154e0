"""The land registry's tables. A parcel is a public record; a title links it to an owner by the citizen's
opaque id (the identity bureau's key), never by name."""

from __future__ import annotations

import datetime

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class LandTable(SQLModel, registry=registry()):
    """Base of the land tables: their own metadata, so the app creates exactly the agencies it mounts."""


class ParcelRow(LandTable, table=True):
    __tablename__ = "land_parcel"

    id: str = Field(primary_key=True)
    area_m2: float
    locality: str


class TitleRow(LandTable, table=True):
    __tablename__ = "land_title"

    id: str = Field(primary_key=True)
    parcel_id: str = Field(foreign_key="land_parcel.id", index=True)
    owner_id: str = Field(index=True)
    registered_on: datetime.date
    # The parcel's current title; earlier titles stay as history.
    current: bool = Field(default=True, index=True)
