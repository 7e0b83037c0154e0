"""The land registry's rules: registering parcels (refusing overlaps through the spatial index), transferring
titles whole or in shares, mortgages, cautions and leases, all through the write path (rows and ledger entry
in one transaction; citizens appear on the ledger as keyed hashes only); parcels, titles and restrictions by
id and by owner (batched), a parcel's history, pages, and the demo data."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.ids import check_id
from govgraph.agencies.land import restrictions
from govgraph.agencies.land.deeds import (
    ParcelRecord,
    Registration,
    TitleRecord,
    Transfer,
    register_rows,
    transfer_rows,
)
from govgraph.agencies.land.demo import DEMO_LATER_PARCELS, DEMO_PARCELS, DEMO_SALE
from govgraph.agencies.land.models import ParcelRow, RestrictionRow, TitleRow
from govgraph.agencies.land.restrictions import Restriction
from govgraph.agencies.land.spatial_index import index_for
from govgraph.agencies.writes import DEMO_SEED, Actor, AgencyWrites
from govgraph.federation.dataloaders import by_key, grouped_by_key
from govgraph.federation.errors import BadUserInput, Conflict

AGENCY = "land"
CLERK = "clerk:land"
MAX_PARCELS = 100
MAX_REGISTRATIONS = 256  # parcels one registerParcels call may carry


class LandService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writes: AgencyWrites | None = None
    ) -> None:
        self.sessions = sessions
        self.writes = writes

    async def register_parcels(
        self,
        actor: Actor,
        registrations: Sequence[Registration],
        idempotency_key: str | None = None,
        *,
        operation: str = "registerParcels",
        today: datetime.date | None = None,
    ) -> list[ParcelRow | ParcelRecord]:
        """Register parcels, each with its first title, in one transaction: all or none. One
        ParcelRegistered entry each."""
        writes = _require(self.writes)
        if not 0 < len(registrations) <= MAX_REGISTRATIONS:
            raise BadUserInput(
                f"Register 1..{MAX_REGISTRATIONS} parcels at a time, not {len(registrations)}."
            )
        checked = [registration.checked(today or datetime.date.today()) for registration in registrations]
        if len({registration.parcel_id for registration in checked}) < len(checked):
            raise BadUserInput("The same parcel id appears twice.")
        arguments = {"parcels": [registration.arguments() for registration in checked]}
        index = index_for(writes)
        if any(registration.spatial is not None for registration in checked):
            await index.catch_up(writes.log.engine)  # what it misses, the check reads in the transaction
        try:
            written = await writes.write(
                actor, operation, arguments, register_rows(writes, checked, index), idempotency_key
            )
        except IntegrityError:
            await self._refuse_registered([registration.parcel_id for registration in checked])
            raise
        if written.rows is not None:
            return list(written.rows)
        read = await self.parcels_by_ids(list(written.result["parcels"]))
        return [row for row in read if row is not None]

    async def _refuse_registered(self, ids: list[str]) -> None:
        """CONFLICT naming the first of `ids` that is registered (the insert that failed said only that one
        was)."""
        for row in await self.parcels_by_ids(ids):
            if row is not None:
                raise Conflict(f"Parcel {row.id} is registered already.")

    async def transfer_title(
        self,
        actor: Actor,
        transfer: Transfer,
        idempotency_key: str | None = None,
        *,
        today: datetime.date | None = None,
    ) -> TitleRow | TitleRecord:
        """Transfer a parcel from the holder of its current title to a buyer: the current title becomes
        history and a new one is registered, with a TitleTransferred entry, in one transaction. NOT_FOUND
        for an unknown parcel, CONFLICT when the seller does not hold it (any more): of concurrent sales of
        one parcel by its holder, exactly one succeeds."""
        writes = _require(self.writes)
        checked = transfer.checked(today or datetime.date.today())
        written = await writes.write(
            actor, "transferTitle", checked.arguments(), transfer_rows(writes, checked), idempotency_key
        )
        if written.rows is not None:
            return written.rows
        row = (await self.titles_by_ids([written.result["title"]]))[0]
        assert row is not None  # committed before, by the write this one replays
        return row

    async def register_restriction(
        self,
        actor: Actor,
        restriction: Restriction,
        idempotency_key: str | None = None,
        *,
        operation: str,
        today: datetime.date | None = None,
    ) -> RestrictionRow:
        """Register a mortgage, place a caution or register a lease: one entry."""
        writes = _require(self.writes)
        checked = restriction.checked(today or datetime.date.today())
        written = await writes.write(
            actor,
            operation,
            checked.arguments(),
            restrictions.register_rows(writes, checked),
            idempotency_key,
        )
        return await self._restriction(written.result["restriction"])

    async def end_restriction(
        self,
        actor: Actor,
        kind: str,
        restriction_id: str,
        idempotency_key: str | None = None,
        *,
        operation: str,
    ) -> RestrictionRow:
        """Discharge a mortgage, lift a caution or end a lease: one entry."""
        writes = _require(self.writes)
        check_id(restriction_id)
        arguments = {"kind": kind, "id": restriction_id}
        written = await writes.write(
            actor, operation, arguments, restrictions.end_rows(kind, restriction_id), idempotency_key
        )
        return await self._restriction(written.result["restriction"])

    async def _restriction(self, restriction_id: str) -> RestrictionRow:
        row = (await self.restrictions_by_ids([restriction_id]))[0]
        assert row is not None  # committed by the write that named it
        return row

    async def restrictions_by_ids(self, ids: Sequence[str]) -> list[RestrictionRow | None]:
        async with self.sessions() as session:
            rows = (await session.exec(select(RestrictionRow).where(col(RestrictionRow.id).in_(ids)))).all()
        return by_key(rows, ids, key=lambda row: row.id)

    async def restrictions_by_parcel(self, parcel_ids: Sequence[str]) -> list[list[RestrictionRow]]:
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(RestrictionRow)
                    .where(col(RestrictionRow.parcel_id).in_(parcel_ids))
                    .order_by(RestrictionRow.ledger_index)
                )
            ).all()
        return grouped_by_key(rows, parcel_ids, key=lambda row: row.parcel_id)

    async def history_by_parcel(self, parcel_ids: Sequence[str]) -> list[list[int]]:
        """Each parcel's ledger entries, oldest first: its registration, every transfer, and every
        restriction's registration and end."""
        found: dict[str, set[int]] = {parcel: set() for parcel in parcel_ids}
        async with self.sessions() as session:
            for parcel, index in (
                await session.exec(
                    select(ParcelRow.id, ParcelRow.ledger_index).where(col(ParcelRow.id).in_(parcel_ids))
                )
            ).all():
                found[parcel].add(index)
            for parcel, index in (
                await session.exec(
                    select(TitleRow.parcel_id, TitleRow.ledger_index).where(
                        col(TitleRow.parcel_id).in_(parcel_ids)
                    )
                )
            ).all():
                found[parcel].add(index)
            for parcel, start, end in (
                await session.exec(
                    select(
                        RestrictionRow.parcel_id,
                        RestrictionRow.ledger_index,
                        RestrictionRow.ended_ledger_index,
                    ).where(col(RestrictionRow.parcel_id).in_(parcel_ids))
                )
            ).all():
                found[parcel] |= {start, end}
        return [sorted(i for i in found[parcel] if i is not None) for parcel in parcel_ids]

    async def parcels_after(self, after: str, limit: int) -> list[ParcelRow]:
        """Parcels by id after `after`, `limit` at a time (the GeoJSON export reads the registry in pages)."""
        async with self.sessions() as session:
            query = select(ParcelRow).where(col(ParcelRow.id) > after).order_by(ParcelRow.id).limit(limit)
            return list((await session.exec(query)).all())

    async def place_crss(self) -> list[str]:
        """The CRSs (canonical JSON) of the JSON-FG places parcels were registered with, sorted."""
        async with self.sessions() as session:
            query = select(ParcelRow.coord_ref_sys).where(col(ParcelRow.place).is_not(None)).distinct()
            return sorted(crs for crs in (await session.exec(query)).all() if crs is not None)

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
        """Each parcel's sole owner's current title; None for an unknown parcel or one held in shares."""
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(TitleRow).where(
                        col(TitleRow.parcel_id).in_(parcel_ids), col(TitleRow.current).is_(True)
                    )
                )
            ).all()
        grouped = grouped_by_key(rows, parcel_ids, key=lambda row: row.parcel_id)
        return [group[0] if len(group) == 1 else None for group in grouped]

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


async def seed(sessions: async_sessionmaker[AsyncSession], writes: AgencyWrites | None) -> None:
    """Register the demo parcels and the demo sale (titles title-0001 to title-0005), each step with its own
    idempotency key: running it again changes nothing and appends nothing."""
    service = LandService(sessions, writes)
    await service.register_parcels(DEMO_SEED, DEMO_PARCELS, "demo-seed/parcels")
    await service.transfer_title(DEMO_SEED, DEMO_SALE, "demo-seed/sale")
    await service.register_parcels(DEMO_SEED, DEMO_LATER_PARCELS, "demo-seed/later-parcels")


def _require(writes: AgencyWrites | None) -> AgencyWrites:
    if writes is None:
        raise RuntimeError(f"no write path for {AGENCY}: the app starts one per agency with a ledger")
    return writes
