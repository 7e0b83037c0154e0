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


class RollMemberRow(IdentityTable, table=True):
    """One roll credential per voter per electoral roll: a keyed hash of the citizen (clerk's path) or of
    the citizen credential's pseudonym for the roll (presentation path); never served, never on a ledger.
    Their number per roll is the roll's public size."""

    __tablename__ = "identity_roll_member"

    roll_id: str = Field(primary_key=True)
    member: str = Field(primary_key=True)


class RollRegistrationRow(IdentityTable, table=True):
    """A pending registration on a roll: the presentation request the voter answers, and the commitment that
    is blind-signed once the presentation verified (fixed up front, so nobody else can have it signed)."""

    __tablename__ = "identity_roll_registration"

    presentation_id: str = Field(primary_key=True)
    roll_id: str
    commitment: str  # hex
    issued: bool = False


class RollIssuerRow(IdentityTable, table=True):
    """The bureau's issuer public key for a roll, published where the commission (in its own process, on the
    same database) reads it to check a manifest; the key derives from the bureau's secret."""

    __tablename__ = "identity_roll_issuer"

    roll_id: str = Field(primary_key=True)
    public_key: str  # hex, a compressed G2 point
