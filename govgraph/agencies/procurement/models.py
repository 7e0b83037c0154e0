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


class SealedTenderRow(ProcurementTable, table=True):
    """A tender whose bids are sealed to its evaluation committee's threshold key until the deadline."""

    __tablename__ = "procurement_sealed_tender"

    id: str = Field(primary_key=True)  # the OCDS tender id
    ocid: str = Field(index=True)
    deadline: float  # seconds since the epoch, UTC
    deadline_text: str  # as given (RFC 3339)
    members: int  # n
    threshold: int  # t
    committee: str  # JSON list of the members' actors (`bearer:<sub>`), private to the office
    context: str  # hex: what the ceremony and every share are bound to
    public_key: str | None = None  # hex, once the key is formed
    qualified: str | None = None  # JSON list of member indexes
    opened: bool = False
    ledger_index: int


class CommitteeMemberRow(ProcurementTable, table=True):
    """One member's key-ceremony messages for a tender (all public)."""

    __tablename__ = "procurement_committee_member"

    tender_id: str = Field(primary_key=True)
    member: int = Field(primary_key=True)  # 1..n
    commitment_hash: str
    box_key: str  # hex X25519 public key
    reveal: str | None = None  # JSON
    sealed_shares: str | None = None  # JSON list
    complaints: str | None = None  # JSON list of accused members ([] confirms)
    shares_posted: bool = False


class BidRow(ProcurementTable, table=True):
    """A sealed bid: the ciphertext as submitted, its hash (on the ledger), and the bid once opened."""

    __tablename__ = "procurement_bid"

    id: str = Field(primary_key=True)  # bid-<n>: n the index of its BidSealed entry
    tender_id: str = Field(index=True)
    bidder: str  # the bidder's role, service:<company>
    ciphertext: str  # JSON
    digest: str
    submitted_at: float
    current: bool = True  # False once the bidder replaced it before the deadline
    status: str = "sealed"  # sealed, opened, unreadable
    plaintext: str | None = None  # the opened bid (UTF-8 JSON text)
    ledger_index: int


class BidShareRow(ProcurementTable, table=True):
    """A member's proved decryption share of one bid."""

    __tablename__ = "procurement_bid_share"

    tender_id: str = Field(primary_key=True)
    member: int = Field(primary_key=True)
    bid_id: str = Field(primary_key=True)
    share: str  # JSON: member, partial, proof
    ledger_index: int
