"""The identity bureau's tables. A citizen row holds an opaque id and who enrolled it: no personal data,
which stays with the citizen as credentials."""

from __future__ import annotations

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


class CredentialSchemaRow(IdentityTable, table=True):
    __tablename__ = "identity_credential_schema"

    id: str = Field(primary_key=True)
    name: str
    version: int
    issuer_id: str = Field(foreign_key="identity_agency.id", index=True)
    # Attribute names in signing order (the BBS message index of each attribute).
    attributes: list[str] = Field(sa_column=Column(JSON, nullable=False))
