"""The land registry's rules: parcels and titles by id and by owner (batched), pages, and the demo data."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.land.models import ParcelRow, TitleRow
from govgraph.federation.dataloaders import by_key, grouped_by_key
from govgraph.federation.errors import BadUserInput

MAX_PARCELS = 100


class LandService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def parcels_by_ids(self, ids: Sequence[str]) -> list[ParcelRow | None]:
        async with self.sessions() as session:
            rows = (await session.exec(select(ParcelRow).where(col(ParcelRow.id).in_(ids)))).all()
        return by_key(rows, ids, key=lambda row: row.id)

    async def parcels(self, first: int) -> list[ParcelRow]:
        if not 0 <= first <= MAX_PARCELS:
            raise BadUserInput(f"`first` must lie in 0..{MAX_PARCELS}, got {first}.")
        async with self.sessions() as session:
            return list((await session.exec(select(ParcelRow).order_by(ParcelRow.id).limit(first))).all())

    async def current_titles_by_parcel(self, parcel_ids: Sequence[str]) -> list[TitleRow | None]:
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(TitleRow).where(
                        col(TitleRow.parcel_id).in_(parcel_ids), col(TitleRow.current).is_(True)
                    )
                )
            ).all()
        return by_key(rows, parcel_ids, key=lambda row: row.parcel_id)

    async def titles_by_parcel(self, parcel_ids: Sequence[str]) -> list[list[TitleRow]]:
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(TitleRow)
                    .where(col(TitleRow.parcel_id).in_(parcel_ids))
                    .order_by(TitleRow.registered_on, TitleRow.id)
                )
            ).all()
        return grouped_by_key(rows, parcel_ids, key=lambda row: row.parcel_id)

    async def titles_by_ids(self, ids: Sequence[str]) -> list[TitleRow | None]:
        async with self.sessions() as session:
            rows = (await session.exec(select(TitleRow).where(col(TitleRow.id).in_(ids)))).all()
        return by_key(rows, ids, key=lambda row: row.id)

    async def parcels_owned_by(self, owner_ids: Sequence[str]) -> list[list[ParcelRow]]:
        """Each owner's parcels under a current title, by parcel id."""
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(TitleRow.owner_id, ParcelRow)
                    .join(ParcelRow, col(ParcelRow.id) == TitleRow.parcel_id)
                    .where(col(TitleRow.owner_id).in_(owner_ids), col(TitleRow.current).is_(True))
                    .order_by(ParcelRow.id)
                )
            ).all()
        grouped = grouped_by_key(rows, owner_ids, key=lambda row: row[0])
        return [[parcel for _owner, parcel in group] for group in grouped]

    async def titles_page(self, offset: int, limit: int) -> tuple[list[TitleRow], int]:
        async with self.sessions() as session:
            rows = (
                await session.exec(select(TitleRow).order_by(TitleRow.id).offset(offset).limit(limit))
            ).all()
            total = (await session.exec(select(func.count()).select_from(TitleRow))).one()
        return list(rows), total


# Demo data for `make run`. Owners are the identity bureau's demo citizens (opaque ids).
DEMO_PARCELS = (
    ParcelRow(id="parcel-0001", area_m2=512.5, locality="Northfield"),
    ParcelRow(id="parcel-0002", area_m2=1200.0, locality="Northfield"),
    ParcelRow(id="parcel-0003", area_m2=87.25, locality="Riverside"),
    ParcelRow(id="parcel-0004", area_m2=30000.0, locality="Hillcrest"),
)
DEMO_TITLES = (
    TitleRow(
        id="title-0001",
        parcel_id="parcel-0001",
        owner_id="cit_5b0e2f7c1a9d4e83",
        registered_on=datetime.date(2019, 3, 14),
    ),
    TitleRow(
        id="title-0002",
        parcel_id="parcel-0002",
        owner_id="cit_5b0e2f7c1a9d4e83",
        registered_on=datetime.date(2021, 7, 1),
    ),
    TitleRow(
        id="title-0003",
        parcel_id="parcel-0003",
        owner_id="cit_91c4d6ab02f3e715",
        registered_on=datetime.date(2015, 11, 30),
        current=False,
    ),
    TitleRow(
        id="title-0004",
        parcel_id="parcel-0003",
        owner_id="cit_e27a8f5d3c6b1049",
        registered_on=datetime.date(2023, 2, 9),
    ),
    TitleRow(
        id="title-0005",
        parcel_id="parcel-0004",
        owner_id="cit_91c4d6ab02f3e715",
        registered_on=datetime.date(2020, 5, 20),
    ),
)


async def seed(session: AsyncSession) -> None:
    """Insert the demo rows that are missing; running it again changes nothing."""
    for rows in (DEMO_PARCELS, DEMO_TITLES):
        for row in rows:
            if await session.get(type(row), row.id) is None:
                session.add(type(row).model_validate(row.model_dump()))
        await session.flush()
    await session.commit()
