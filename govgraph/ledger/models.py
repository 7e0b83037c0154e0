"""SQLModel tables of the ledger: logs, sequenced entries, tlog-tiles hash tiles, signed checkpoints,
witness cosignatures on them, and a witness's per-log state."""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class LedgerLog(SQLModel, table=True):
    __tablename__ = "ledger_logs"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)  # short name used in URLs: /ledgers/<name>/...
    origin: str = Field(unique=True)  # checkpoint origin line, also the log key's name
    vkey: str  # the log's note verifier key
    next_index: int = 0  # entries acknowledged so far: the sequencer's next index
    integrated_size: int = 0  # entries hashed into tiles and covered by the latest signed checkpoint


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entries"
    __table_args__ = {"sqlite_with_rowid": False}

    log_id: int = Field(foreign_key="ledger_logs.id", primary_key=True)
    idx: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LedgerTile(SQLModel, table=True):
    """One c2sp.org/tlog-tiles hash tile: up to 256 concatenated 32-byte hashes of the nodes at tree level
    8*level; a partial tile is rewritten as it grows (its prefix never changes)."""

    __tablename__ = "ledger_tiles"
    __table_args__ = {"sqlite_with_rowid": False}

    log_id: int = Field(foreign_key="ledger_logs.id", primary_key=True)
    level: int = Field(primary_key=True)
    idx: int = Field(primary_key=True)
    hashes: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LedgerCheckpoint(SQLModel, table=True):
    """Every checkpoint the log signed, in signing order (id); sizes strictly increase."""

    __tablename__ = "ledger_checkpoints"
    __table_args__ = (UniqueConstraint("log_id", "size"),)

    id: int | None = Field(default=None, primary_key=True)
    log_id: int = Field(foreign_key="ledger_logs.id", index=True)
    size: int
    root_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the log-signed checkpoint note
    signed_at: float


class LedgerCosignature(SQLModel, table=True):
    __tablename__ = "ledger_cosignatures"
    __table_args__ = (UniqueConstraint("checkpoint_id", "witness"),)

    id: int | None = Field(default=None, primary_key=True)
    checkpoint_id: int = Field(foreign_key="ledger_checkpoints.id", index=True)
    witness: str  # cosigner key name
    line: str  # the cosignature line exactly as the witness returned it


class WitnessState(SQLModel, table=True):
    """A witness's latest cosigned checkpoint per log origin (c2sp.org/tlog-witness)."""

    __tablename__ = "ledger_witness_state"
    __table_args__ = {"sqlite_with_rowid": False}

    witness: str = Field(primary_key=True)
    origin: str = Field(primary_key=True)
    size: int
    root_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    checkpoint: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


LEDGER_TABLES = [
    model.__table__
    for model in (  # type: ignore[attr-defined]
        LedgerLog,
        LedgerEntry,
        LedgerTile,
        LedgerCheckpoint,
        LedgerCosignature,
        WitnessState,
    )
]


async def create_ledger_tables(engine) -> None:
    """Create the ledger's tables (and only those) if missing."""
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: SQLModel.metadata.create_all(sync, tables=LEDGER_TABLES))
