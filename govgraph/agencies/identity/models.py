"""The identity bureau's tables. A citizen row holds an opaque id, who enrolled it and the ledger entry that
recorded it; the base registry's personal data (names, birth date, residence, income) sits apart in the
bureau's private table, never served and never on the ledger."""

from __future__ import annotations

import datetime

from sqlalchemy import JSON, Column
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class IdentityTable(SQLModel, registry=registry()):
    """Base of the identity tables: their own metadata, so the app creates exactly the agencies it mounts."""


class AgencyRow(IdentityTable, table=True):
    __tablename__ = "identity_agency"

    id: str = Field(primary_key=True)
    name: str


class CitizenRow(IdentityTable, table=True):
    __tablename__ = "identity_citizen"

    id: str = Field(primary_key=True)
    enrolled_by: str = Field(foreign_key="identity_agency.id", index=True)
    ledger_index: int | None = None  # the identity ledger's entry that recorded the enrolment


class CitizenRecordRow(IdentityTable, table=True):
    """The base registry credentials are issued from: private to the bureau."""

    __tablename__ = "identity_citizen_record"

    citizen_id: str = Field(foreign_key="identity_citizen.id", primary_key=True)
    given_name: str
    family_name: str
    birth_date: datetime.date
    residence: str  # a district
    citizenship: str  # ISO 3166-1 alpha-2
    household_income: int


class CredentialSchemaRow(IdentityTable, table=True):
    __tablename__ = "identity_credential_schema"

    id: str = Field(primary_key=True)
    name: str
    version: int
    issuer_id: str = Field(foreign_key="identity_agency.id", index=True)
    # Attribute names in signing order (the BBS message index of each attribute).
    attributes: list[str] = Field(sa_column=Column(JSON, nullable=False))
