"""The identity bureau's rules: look-ups by id (batched for entity resolution), pages, and the demo data."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.identity.models import AgencyRow, CitizenRow, CredentialSchemaRow
from govgraph.agencies.ids import check_id
from govgraph.federation.dataloaders import by_key, grouped_by_key


class IdentityService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

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
DEMO_CITIZENS = (
    CitizenRow(id="cit_5b0e2f7c1a9d4e83", enrolled_by="identity-bureau"),
    CitizenRow(id="cit_91c4d6ab02f3e715", enrolled_by="identity-bureau"),
    CitizenRow(id="cit_e27a8f5d3c6b1049", enrolled_by="identity-bureau"),
)
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


async def seed(session: AsyncSession) -> None:
    """Insert the demo rows that are missing; running it again changes nothing."""
    for rows in (DEMO_AGENCIES, DEMO_CITIZENS, DEMO_CREDENTIAL_SCHEMAS):
        for row in rows:
            if await session.get(type(row), row.id) is None:
                session.add(type(row).model_validate(row.model_dump()))
        await session.flush()
    await session.commit()
