"""The election commission's tables. An election's public state (manifest, joint key, closing statement,
result) and its key ceremony's public messages, the cast and spoiled ballots as published, and the electoral
rolls' public rules. Who holds a roll credential is the identity bureau's record (identity_roll_member)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class ElectionsTable(SQLModel, registry=registry()):
    """Base of the elections tables: their own metadata, so the app creates exactly the agencies it mounts."""


class ElectionRow(ElectionsTable, table=True):
    __tablename__ = "elections_election"

    id: str = Field(primary_key=True)  # the manifest's election_id
    state: str  # DRAFT, KEY_CEREMONY, OPEN, CLOSED, TALLYING, PUBLISHED
    revoting: str  # SINGLE or LAST_COUNTS
    manifest: dict = Field(sa_column=Column(JSON, nullable=False))  # zk.ballot.Manifest.to_json()
    joint_key: str | None = None  # hex, once voting opens
    qualified: list | None = Field(default=None, sa_column=Column(JSON))  # QUAL, once voting opens
    closing: dict | None = Field(default=None, sa_column=Column(JSON))  # the closing statement
    aggregate: dict | None = Field(default=None, sa_column=Column(JSON))  # zk.tally.aggregate_to_json
    result: dict | None = Field(default=None, sa_column=Column(JSON))  # contest -> option -> count
    used_trustees: list | None = Field(default=None, sa_column=Column(JSON))
    credentials_issued: int | None = None  # the roll's size when voting closed
    ledger_index: int | None = None  # the ElectionCreated entry


class TrusteeRow(ElectionsTable, table=True):
    """A trustee of an election: its manifest id and index, who may act as it, and its public messages."""

    __tablename__ = "elections_trustee"
    __table_args__ = (UniqueConstraint("election_id", "trustee_index"),)

    election_id: str = Field(primary_key=True, foreign_key="elections_election.id")
    trustee_id: str = Field(primary_key=True)
    trustee_index: int
    name: str
    subject: str | None = None  # the token subject that may act as it (None: any trustee, bound on join)
    actor: str | None = None  # keyed hash of the principal that joined
    box_key: str | None = None  # X25519, hex
    commitment_hash: str | None = None
    reveal: dict | None = Field(default=None, sa_column=Column(JSON))
    sealed_shares: list | None = Field(default=None, sa_column=Column(JSON))
    complaints: list | None = Field(default=None, sa_column=Column(JSON))  # None until it checked its shares
    answers: list | None = Field(default=None, sa_column=Column(JSON))
    decryption_share: dict | None = Field(default=None, sa_column=Column(JSON))


class BallotRow(ElectionsTable, table=True):
    """A ballot as cast (or spoiled), exactly as published. `current` marks the ballot that counts for its
    pseudonym: one per pseudonym and election, which the database enforces (a partial unique index)."""

    __tablename__ = "elections_ballot"
    __table_args__ = (
        Index(
            "elections_one_current_ballot",
            "election_id",
            "pseudonym",
            unique=True,
            sqlite_where=text("current"),
            postgresql_where=text("current"),
        ),
        # An election's ballots in ledger order: the pages of closeVoting's sum, of the record and of the
        # board read `election_id = ? AND ledger_index > ? ORDER BY ledger_index LIMIT n` from it.
        Index("elections_ballot_in_ledger_order", "election_id", "ledger_index"),
    )

    election_id: str = Field(primary_key=True, foreign_key="elections_election.id")
    tracking_code: str = Field(primary_key=True)
    ledger_index: int = Field(index=True)
    pseudonym: str | None = None  # hex; None when the manifest names no roll (and for spoiled ballots)
    current: bool = True  # counts (False: replaced under LAST_COUNTS, or spoiled)
    spoiled: bool = False
    ballot: dict = Field(sa_column=Column(JSON, nullable=False))  # EncryptedBallot.to_json()
    eligibility: dict | None = Field(default=None, sa_column=Column(JSON))
    opening: dict | None = Field(default=None, sa_column=Column(JSON))  # BallotSecrets, spoiled only


class ElectoralRollRow(ElectionsTable, table=True):
    """A roll whose voters register by presenting a citizen credential: who may be on it (its public rule)."""

    __tablename__ = "elections_roll"

    id: str = Field(primary_key=True)
    district: str  # the residence the presentation must disclose
    citizenship: str  # the citizenship it must disclose
    election_day: str  # ISO date: age >= 18 on that day is proved, never disclosed
    ledger_index: int | None = None  # the RollDefined entry
