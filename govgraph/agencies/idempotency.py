"""Idempotency records: what a mutation sent with an idempotency key answered, so a retry with the same key
and input gets the first answer and writes nothing. Written in the mutation's own transaction (with its rows
and its ledger entries), read again inside it: a record and the write it stands for never diverge."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class IdempotencyTable(SQLModel, registry=registry()):
    """Base of the idempotency table: its own metadata, created with the agencies' tables."""


class IdempotencyRow(IdempotencyTable, table=True):
    __tablename__ = "agency_idempotency_keys"

    agency: str = Field(primary_key=True)
    # Keys are the caller's own: scoped by the keyed hash of the actor, so two clerks never collide.
    actor: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    request: str  # keyed hash of the operation and its input: a key reused with other input is a conflict
    result: str  # the first answer, as JSON
    created_at: float


metadata = IdempotencyTable.metadata
_records = IdempotencyRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Recorded:
    request: str
    result: dict[str, Any]


async def recall(connection: AsyncConnection, agency: str, actor: str, key: str) -> Recorded | None:
    row = (
        await connection.execute(
            select(_records.c.request, _records.c.result).where(
                _records.c.agency == agency, _records.c.actor == actor, _records.c.key == key
            )
        )
    ).first()
    return None if row is None else Recorded(row.request, json.loads(row.result))


async def remember(
    connection: AsyncConnection, agency: str, actor: str, key: str, request: str, result: Mapping[str, Any]
) -> None:
    await connection.execute(
        insert(_records).values(
            agency=agency,
            actor=actor,
            key=key,
            request=request,
            result=json.dumps(dict(result), sort_keys=True),
            created_at=time.time(),
        )
    )


async def claim(connection: AsyncConnection, agency: str, actor: str, key: str, request: str) -> bool:
    """Record `key` for `request`, its result to follow (`settle`), as a transaction's first write: whether
    the key was free. A transaction that committed the key first makes this one wait for it (SQLite's
    write lock, PostgreSQL's unique index) and then find it taken, so a key is written once."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    claimed = await connection.execute(
        dialect.insert(_records)
        .values(agency=agency, actor=actor, key=key, request=request, result="{}", created_at=time.time())
        .on_conflict_do_nothing()
    )
    return claimed.rowcount == 1


async def settle(
    connection: AsyncConnection, agency: str, actor: str, key: str, result: Mapping[str, Any]
) -> None:
    """The first answer of a key this transaction claimed."""
    await connection.execute(
        update(_records)
        .where(_records.c.agency == agency, _records.c.actor == actor, _records.c.key == key)
        .values(result=json.dumps(dict(result), sort_keys=True))
    )
