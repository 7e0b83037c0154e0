"""API keys for machine clients (sent as `X-API-Key`): created with roles, shown once, stored only as a
SHA-256 hash, listed without secrets, revocable.

A key reads `gg_<id>_<secret>`: the prefix makes a leaked key recognisable to secret scanners, the id finds
its row, and the 256-bit random secret is what the hash protects. A plain hash suffices for a secret of that
entropy (a slow password hash defends guessable secrets; these are not guessable)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Column, DateTime
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel, select

from govgraph.auth.failures import AuthenticationFailed, Reason
from govgraph.auth.roles import check_roles
from govgraph.federation.errors import BadUserInput, Conflict, NotFound
from govgraph.federation.principal import AuthMethod, Principal

KEY_PREFIX = "gg_"
_KEY = re.compile(r"gg_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class AuthTable(SQLModel, registry=registry()):
    """Base of the auth tables: their own metadata, so the app creates them alongside the agencies'."""


class ApiKeyRow(AuthTable, table=True):
    __tablename__ = "auth_api_keys"

    id: str = Field(primary_key=True)  # the key's public id, the <id> of gg_<id>_<secret>
    name: str = Field(unique=True)  # unique for ever: revoked keys keep their names, so logs stay unambiguous
    roles: str  # JSON array of role strings, sorted
    key_hash: str  # hex SHA-256 of the whole key
    created_at: datetime.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime.datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


metadata = AuthTable.metadata


async def create_api_key_tables(engine: AsyncEngine) -> None:
    """Create the API key table if missing."""
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as listed: everything but the secret."""

    id: str
    name: str
    roles: frozenset[str]
    created_at: datetime.datetime
    revoked_at: datetime.datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def principal(self) -> Principal:
        return Principal(subject=self.name, roles=self.roles, method=AuthMethod.API_KEY)


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    record: ApiKey
    key: str = field(repr=False)  # the plaintext, returned once and stored nowhere


class ApiKeyStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def create(self, name: str, roles: Iterable[str]) -> CreatedApiKey:
        """A new key named `name` with `roles`; its plaintext is in the result and nowhere else."""
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise BadUserInput(
                "an API key name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        checked = check_roles(roles)
        if not checked:
            raise BadUserInput("an API key needs at least one role")
        key_id = secrets.token_hex(8)
        key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        row = ApiKeyRow(
            id=key_id,
            name=name,
            roles=json.dumps(sorted(checked)),
            key_hash=_hash(key),
            created_at=datetime.datetime.now(datetime.UTC),
        )
        async with self.sessions() as session:
            if await _by_name(session, name) is not None:
                raise Conflict(f"an API key named {name!r} exists already")
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                raise Conflict(f"an API key named {name!r} exists already") from None
            return CreatedApiKey(record=_record(row), key=key)

    async def verify(self, key: str) -> ApiKey:
        """The key's record if `key` is a live key; AuthenticationFailed otherwise."""
        match = _KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise AuthenticationFailed(Reason.MALFORMED, "the API key is not of the form gg_<id>_<secret>")
        async with self.sessions() as session:
            row = await session.get(ApiKeyRow, match.group(1))
        if row is None or not hmac.compare_digest(row.key_hash, _hash(key)):
            raise AuthenticationFailed(Reason.API_KEY_UNKNOWN, "the API key is not known")
        if row.revoked_at is not None:
            raise AuthenticationFailed(Reason.API_KEY_REVOKED, "the API key has been revoked")
        return _record(row)

    async def revoke(self, name_or_id: str) -> ApiKey:
        """Revoke the key with this id or name (from then on it authenticates nobody); revoking a revoked
        key changes nothing. NotFound if there is none."""
        async with self.sessions() as session:
            row = await session.get(ApiKeyRow, name_or_id) or await _by_name(session, name_or_id)
            if row is None:
                raise NotFound(f"no API key with id or name {name_or_id[:80]!r}")
            if row.revoked_at is None:
                row.revoked_at = datetime.datetime.now(datetime.UTC)
                session.add(row)
                await session.commit()
            return _record(row)

    async def list_keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first; no secrets (there are none to show)."""
        async with self.sessions() as session:
            rows = (
                await session.exec(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.name))
            ).all()
            return [_record(row) for row in rows]


async def _by_name(session, name: str) -> ApiKeyRow | None:
    return (await session.exec(select(ApiKeyRow).where(ApiKeyRow.name == name))).first()


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    # SQLite returns naive datetimes; every stored one is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=datetime.UTC)


def _record(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        roles=frozenset(json.loads(row.roles)),
        created_at=_utc(row.created_at),
        revoked_at=_utc(row.revoked_at),
    )
