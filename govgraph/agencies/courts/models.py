"""The courts' tables: each notarization (the document's hash, never the document) by its ledger index, and
the RFC 3161 token obtained once for each signed checkpoint of the courts ledger."""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class CourtsTable(SQLModel, registry=registry()):
    """Base of the courts tables: their own metadata, so the app creates exactly the agencies it mounts."""


class NotarizationRow(CourtsTable, table=True):
    __tablename__ = "courts_notarization"

    ledger_index: int = Field(primary_key=True)  # the EvidenceNotarized entry
    sha256: str = Field(index=True)  # standard base64, as the entry holds it
    media_type: str | None = None
    case_ref: str | None = Field(default=None, index=True)


class CheckpointTimestampRow(CourtsTable, table=True):
    __tablename__ = "courts_checkpoint_timestamp"

    tree_size: int = Field(primary_key=True)  # the signed checkpoint of the courts ledger it covers
    token: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # DER TimeStampResp


class CheckpointAnchorRow(CourtsTable, table=True):
    __tablename__ = "courts_checkpoint_anchor"

    tree_size: int = Field(primary_key=True)  # the signed checkpoint whose body was anchored
    proof: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # detached .ots proof of the body
