"""The identity bureau's rules: enrolment in the base registry (through the write path: the personal data
into the private table, only a keyed hash of the citizen id onto the ledger), look-ups by id (batched for
entity resolution), pages, and the demo data."""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, insert
from sqlalchemy import select as core_select
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.identity.models import AgencyRow, CitizenRecordRow, CitizenRow, CredentialSchemaRow
from govgraph.agencies.ids import check_id
from govgraph.agencies.writes import DEMO_SEED, Actor, AgencyWrites, Change, Event
from govgraph.federation.dataloaders import by_key, grouped_by_key
from govgraph.federation.errors import BadUserInput, Conflict

AGENCY = "identity"
CLERK = "clerk:identity"
BUREAU = "identity-bureau"  # the agency row that enrols citizens
CITIZEN_ENROLLED = "govgraph.identity.CitizenEnrolled/v1"
DISTRICTS = ("Eastgate", "Hillcrest", "Northfield", "Riverside")
MAX_NAME_LENGTH = 100
MAX_INCOME = 1_000_000_000
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
_COUNTRY = re.compile(r"[A-Z]{2}")
_citizens = CitizenRow.__table__  # type: ignore[attr-defined]
_records = CitizenRecordRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A citizen's base record as a clerk enters it."""

    given_name: str
    family_name: str
    birth_date: datetime.date
    residence: str
    citizenship: str
    household_income: int

    def checked(self, today: datetime.date) -> Enrolment:
        """The record with names trimmed; BadUserInput naming the first field that is not acceptable."""
        given, family = _name(self.given_name, "givenName"), _name(self.family_name, "familyName")
        if not EARLIEST_BIRTH <= self.birth_date <= today:
            raise BadUserInput(f"`birthDate` must lie between {EARLIEST_BIRTH} and today.")
        if self.residence not in DISTRICTS:
            raise BadUserInput(f"`residence` must be a district: {', '.join(DISTRICTS)}.")
        if not _COUNTRY.fullmatch(self.citizenship):
            raise BadUserInput("`citizenship` must be an ISO 3166-1 alpha-2 country code, e.g. NL.")
        if not 0 <= self.household_income <= MAX_INCOME:
            raise BadUserInput(f"`householdIncome` must lie in 0..{MAX_INCOME}.")
        return Enrolment(
            given, family, self.birth_date, self.residence, self.citizenship, self.household_income
        )

    def arguments(self) -> dict[str, Any]:
        return {**asdict(self), "birth_date": self.birth_date.isoformat()}


def _name(value: str, field: str) -> str:
    trimmed = value.strip()
    if not 0 < len(trimmed) <= MAX_NAME_LENGTH or not trimmed.isprintable():
        raise BadUserInput(f"`{field}` must be 1..{MAX_NAME_LENGTH} printable characters.")
    return trimmed


class IdentityService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writes: AgencyWrites | None = None
    ) -> None:
        self.sessions = sessions
        self.writes = writes

    async def enrol(
        self,
        actor: Actor,
        enrolment: Enrolment,
        idempotency_key: str | None = None,
        *,
        citizen_id: str | None = None,
        today: datetime.date | None = None,
    ) -> CitizenRow:
        """Enrol a citizen: the record into the private table, a CitizenEnrolled entry (a keyed hash of the
        new citizen id, nothing else about them) onto the identity ledger, in one transaction. `citizen_id`
        is for the demo data only; enrolments get a new random opaque id."""
        writes = _require(self.writes)
        enrolment = enrolment.checked(today or datetime.date.today())
        arguments = enrolment.arguments()
        if citizen_id is not None:
            arguments["citizen_id"] = check_id(citizen_id)
        new_id = citizen_id or f"cit_{secrets.token_hex(8)}"

        async def rows(connection: AsyncConnection, index: int) -> Change:
            if citizen_id is not None:  # a new random id is never taken; the demo's may be
                taken = await connection.execute(core_select(_citizens.c.id).where(_citizens.c.id == new_id))
                if taken.first() is not None:
                    raise Conflict(f"Citizen {new_id} is enrolled already.")
            citizen = CitizenRow(id=new_id, enrolled_by=BUREAU, ledger_index=index)
            await connection.execute(insert(_citizens).values(**citizen.model_dump()))
            await connection.execute(insert(_records).values(citizen_id=new_id, **asdict(enrolment)))
            event = Event(CITIZEN_ENROLLED, {"citizen": writes.keyed_hash("citizen", new_id)})
            return Change({"citizen": new_id}, [event], rows=citizen)

        written = await writes.write(actor, "enrolCitizen", arguments, rows, idempotency_key)
        if written.rows is not None:
            return written.rows
        row = (await self.citizens_by_ids([written.result["citizen"]]))[0]
        assert row is not None  # committed before, by the write this one replays
        return row

    async def agencies(self) -> list[AgencyRow]:
        async with self.sessions() as session:
            return list((await session.exec(select(AgencyRow).order_by(AgencyRow.id))).all())

    async def agencies_by_ids(self, ids: Sequence[str]) -> list[AgencyRow | None]:
        async with self.sessions() as session:
            rows = (await session.exec(select(AgencyRow).where(col(AgencyRow.id).in_(ids)))).all()
        return by_key(rows, ids, key=lambda row: row.id)

    async def citizens_by_ids(self, ids: Sequence[str]) -> list[CitizenRow | None]:
        for citizen_id in ids:
            check_id(citizen_id)
        async with self.sessions() as session:
            rows = (await session.exec(select(CitizenRow).where(col(CitizenRow.id).in_(ids)))).all()
        return by_key(rows, ids, key=lambda row: row.id)

    async def citizens_page(self, offset: int, limit: int) -> tuple[list[CitizenRow], int]:
        async with self.sessions() as session:
            rows = (
                await session.exec(select(CitizenRow).order_by(CitizenRow.id).offset(offset).limit(limit))
            ).all()
            total = (await session.exec(select(func.count()).select_from(CitizenRow))).one()
        return list(rows), total

    async def credential_schemas(self) -> list[CredentialSchemaRow]:
        async with self.sessions() as session:
            return list(
                (await session.exec(select(CredentialSchemaRow).order_by(CredentialSchemaRow.id))).all()
            )

    async def credential_schemas_by_issuer(
        self, issuer_ids: Sequence[str]
    ) -> list[list[CredentialSchemaRow]]:
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(CredentialSchemaRow)
                    .where(col(CredentialSchemaRow.issuer_id).in_(issuer_ids))
                    .order_by(CredentialSchemaRow.id)
                )
            ).all()
        return grouped_by_key(rows, issuer_ids, key=lambda row: row.issuer_id)


# Demo data for `make run`. Citizen ids are opaque (random, meaningless); the land registry's demo titles
# name the same ids.
DEMO_AGENCIES = (
    AgencyRow(id="identity-bureau", name="Identity Bureau"),
    AgencyRow(id="land-registry", name="Land Registry"),
    AgencyRow(id="electoral-commission", name="Electoral Commission"),
)
# The demo citizens' base records (fictional people): enrolled through the write path like any other.
DEMO_CITIZENS = {
    "cit_5b0e2f7c1a9d4e83": Enrolment(
        "Ada", "Lindqvist", datetime.date(1984, 5, 12), "Northfield", "NL", 48213
    ),
    "cit_91c4d6ab02f3e715": Enrolment("Bram", "Okafor", datetime.date(1971, 11, 3), "Hillcrest", "NL", 61877),
    "cit_e27a8f5d3c6b1049": Enrolment(
        "Chiara", "Vasquez-Mendel", datetime.date(1996, 2, 29), "Riverside", "NL", 35409
    ),
}
DEMO_CREDENTIAL_SCHEMAS = (
    CredentialSchemaRow(
        id="residency-v1",
        name="Residency",
        version=1,
        issuer_id="identity-bureau",
        attributes=["residentOf", "residentSince"],
    ),
    CredentialSchemaRow(
        id="age-v1", name="Age", version=1, issuer_id="identity-bureau", attributes=["birthYear"]
    ),
    CredentialSchemaRow(
        id="voter-v1",
        name="Voter registration",
        version=1,
        issuer_id="electoral-commission",
        attributes=["electoralRoll", "district"],
    ),
)


async def seed(sessions: async_sessionmaker[AsyncSession], writes: AgencyWrites | None) -> None:
    """Insert the demo reference rows that are missing (agencies, credential schemas) and enrol the demo
    citizens through the write path, each with its own idempotency key: running it again changes nothing
    and appends nothing."""
    async with sessions() as session:
        for rows in (DEMO_AGENCIES, DEMO_CREDENTIAL_SCHEMAS):
            for row in rows:
                if await session.get(type(row), row.id) is None:
                    session.add(type(row).model_validate(row.model_dump()))
            await session.flush()
        await session.commit()
    service = IdentityService(sessions, writes)
    if writes is not None:
        from govgraph.agencies.identity.rolls import know_bureau  # its roll keys, for the elections demo

        know_bureau(writes)
    for citizen_id, enrolment in DEMO_CITIZENS.items():
        await service.enrol(DEMO_SEED, enrolment, f"demo-seed/{citizen_id}", citizen_id=citizen_id)


def _require(writes: AgencyWrites | None) -> AgencyWrites:
    if writes is None:
        raise RuntimeError(f"no write path for {AGENCY}: the app starts one per agency with a ledger")
    return writes
