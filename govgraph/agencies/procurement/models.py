"""The procurement office's tables: every OCDS release it holds (published by the office or imported from
another publisher) as the JSON document it is, with the ledger entry that recorded it; the packages imports
came in (their metadata and records, kept whole so an export gives back what came in); and the sealed-bid
state of tenders (committee key ceremony, bid ciphertexts, decryption shares, opened bids)."""

from __future__ import annotations

from sqlalchemy import Index
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class ProcurementTable(SQLModel, registry=registry()):
    """Base of the procurement tables: their own metadata, so the app creates exactly the agencies it
    mounts."""


class PackageRow(ProcurementTable, table=True):
    """An imported release or record package: its fields other than `releases`/`records`, as given."""

    __tablename__ = "procurement_package"

    id: str = Field(primary_key=True)  # pkg-<n>: n is the ledger index of its PackageImported entry
    kind: str  # "release" or "record"
    ocds_version: str  # "1.0" or "1.1"
    metadata_json: str  # the package without `releases` / `records`, as JSON text
    items: int  # how many releases or records it carried
    ledger_index: int


class ReleaseRow(ProcurementTable, table=True):
    """One OCDS release. `document` is the release as JSON text; `ocid`, `release_id`, `date` and `tags` are
    read from it for look-ups (null when the document lacks them: an import keeps what it is given)."""

    __tablename__ = "procurement_release"
    __table_args__ = (Index("procurement_release_by_ocid", "ocid", "ledger_index"),)

    ledger_index: int = Field(primary_key=True)  # its ReleaseRecorded entry
    ocid: str | None = None
    release_id: str | None = None
    date: str | None = None
    tags: str  # JSON list of the release's tags ([] when it has none)
    ocds_version: str
    release_hash: str  # sha256 of its RFC 8785 bytes, hex: what the entry holds
    document: str
    package_id: str | None = Field(default=None, index=True)  # the import it came in; None: the office's
    position: int | None = None  # its place in that package's `releases` (or in its record's)
    record_position: int | None = None  # for a record package: which record held it


class RecordRow(ProcurementTable, table=True):
    """A record of an imported record package, whole (its releases, embedded or linked, and the publisher's
    compiled and versioned releases)."""

    __tablename__ = "procurement_record"

    package_id: str = Field(primary_key=True)
    position: int = Field(primary_key=True)
    ocid: str | None = Field(default=None, index=True)
    document: str
    record_hash: str
    ledger_index: int  # its RecordImported entry
