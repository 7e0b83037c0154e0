"""The land registry's GraphQL types: Parcel and Title entities, and `Citizen.parcels` contributed to the
identity bureau's Citizen. Resolvers are thin; every look-up goes through a per-request DataLoader."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from govgraph.agencies.ids import check_id
from govgraph.agencies.land.models import ParcelRow, TitleRow
from govgraph.agencies.land.service import LandService
from govgraph.federation.connections import Connection, page, window

DEFAULT_PARCELS = 50


def _service(info: Info) -> LandService:
    return LandService(info.context.sessions)


def _loader(info: Info, name: str):
    service = _service(info)
    return info.context.loaders.get(f"land.{name}", getattr(service, name))


@strawberry.federation.type(
    keys=["id"], description="A citizen (owned by the identity bureau); land adds parcels."
)
class Citizen:
    id: strawberry.ID

    @strawberry.field(description="Parcels this citizen holds under a current title.")
    async def parcels(self, info: Info) -> list[Parcel]:
        rows = await _loader(info, "parcels_owned_by").load(self.id)
        return [Parcel.from_row(row) for row in rows]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Citizen:  # noqa: A002
        # Land keeps no citizen table: any id is a citizen who may hold no parcels.
        return cls(id=strawberry.ID(check_id(id)))


@strawberry.federation.type(keys=["id"], description="A land parcel: a public record.")
class Parcel:
    id: strawberry.ID
    area: float = strawberry.field(description="Area in square metres.")
    locality: str

    @strawberry.field(description="The owner under the current title, if any.")
    async def owner(self, info: Info) -> Citizen | None:
        title = await _loader(info, "current_titles_by_parcel").load(self.id)
        return Citizen(id=strawberry.ID(title.owner_id)) if title else None

    @strawberry.field(description="Every title registered on this parcel, oldest first.")
    async def titles(self, info: Info) -> list[Title]:
        return [Title.from_row(row) for row in await _loader(info, "titles_by_parcel").load(self.id)]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Parcel | None:  # noqa: A002
        row = await _loader(info, "parcels_by_ids").load(check_id(id))
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ParcelRow) -> Parcel:
        return cls(id=strawberry.ID(row.id), area=row.area_m2, locality=row.locality)


@strawberry.federation.type(keys=["id"], description="A title: who holds a parcel, registered on a date.")
class Title:
    id: strawberry.ID
    registered_on: datetime.date
    current: bool
    parcel_id: strawberry.Private[str]
    owner_id: strawberry.Private[str]

    @strawberry.field
    def owner(self) -> Citizen:
        return Citizen(id=strawberry.ID(self.owner_id))

    @strawberry.field
    async def parcel(self, info: Info) -> Parcel:
        return Parcel.from_row(await _loader(info, "parcels_by_ids").load(self.parcel_id))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Title | None:  # noqa: A002
        row = await _loader(info, "titles_by_ids").load(check_id(id))
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: TitleRow) -> Title:
        return cls(
            id=strawberry.ID(row.id),
            registered_on=row.registered_on,
            current=row.current,
            parcel_id=row.parcel_id,
            owner_id=row.owner_id,
        )


@strawberry.type
class Query:
    @strawberry.field
    async def parcel(self, info: Info, id: strawberry.ID) -> Parcel | None:  # noqa: A002
        return await Parcel.resolve_reference(info, id)

    @strawberry.field(description="Parcels by id, at most 100.")
    async def parcels(self, info: Info, first: int = DEFAULT_PARCELS) -> list[Parcel]:
        return [Parcel.from_row(row) for row in await _service(info).parcels(first)]

    @strawberry.field(description="Titles, a page at a time (Relay cursor connection).")
    async def titles(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Title]:
        offset, limit = window(first, after)
        rows, total = await _service(info).titles_page(offset, limit)
        return page([Title.from_row(row) for row in rows], offset, limit, total)


TYPES: list[type] = [Citizen, Title]
