"""The land registry's GraphQL types: Parcel and Title entities, `Citizen.parcels` contributed to the
identity bureau's Citizen, and the clerk's mutations (register parcels with their geometry, transfer a title
whole or in shares; restrictions are in rights_schema). Resolvers are thin; every look-up goes through a
per-request DataLoader."""

from __future__ import annotations

import datetime
from fractions import Fraction

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from govgraph.agencies.ids import check_id
from govgraph.agencies.land.deeds import (
    ParcelRecord,
    Registration,
    TitleRecord,
    Transfer,
    parse_share,
    share_text,
)
from govgraph.agencies.land.geometry import GeometryError, spatial_unit
from govgraph.agencies.land.models import ParcelRow, TitleRow
from govgraph.agencies.land.rights_schema import ParcelRestriction, RestrictionMutations, SpatialUnit
from govgraph.agencies.land.service import AGENCY, CLERK, MAX_REGISTRATIONS, LandService
from govgraph.agencies.ledger_links import LedgerEntry, ledger_entry
from govgraph.agencies.writes import Actor, writes_for
from govgraph.auth.permissions import requires_role
from govgraph.federation.connections import Connection, page, window
from govgraph.federation.errors import BadUserInput
from govgraph.federation.inputs import scalar_fields_input
from govgraph.federation.scalars import UInt64

DEFAULT_PARCELS = 50


def _service(info: Info) -> LandService:
    return LandService(info.context.sessions, writes_for(info.context, AGENCY))


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
    def resolve_reference(cls, id: strawberry.ID) -> Citizen:
        # Land keeps no citizen table: any id is a citizen who may hold no parcels.
        return cls(id=strawberry.ID(check_id(id)))


@strawberry.federation.type(
    keys=["id"], description="A land parcel (LADM basic administrative unit with its spatial unit): public."
)
class Parcel:
    id: strawberry.ID
    area: float = strawberry.field(
        description="Official area in square metres: as declared, else the spatial unit's geodesic area."
    )
    locality: str
    spatial_unit: SpatialUnit | None = strawberry.field(description="Its boundary (null: not surveyed).")
    ledger_index: strawberry.Private[int | None]

    @strawberry.field(
        description="The owner under the current title; null when the parcel is held in shares (`titles`)."
    )
    async def owner(self, info: Info) -> Citizen | None:
        title = await _loader(info, "current_titles_by_parcel").load(self.id)
        return Citizen(id=strawberry.ID(title.owner_id)) if title else None

    @strawberry.field(description="Every title registered on this parcel, oldest first.")
    async def titles(self, info: Info) -> list[Title]:
        return [Title.from_row(row) for row in await _loader(info, "titles_by_parcel").load(self.id)]

    @strawberry.field(description="The land ledger's entry recording the parcel's registration.")
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @strawberry.field(
        description="Mortgages, cautions and leases on this parcel, active or ended, oldest first."
    )
    async def restrictions(self, info: Info) -> list[ParcelRestriction]:
        rows = await _loader(info, "restrictions_by_parcel").load(self.id)
        return [ParcelRestriction.from_row(row) for row in rows]

    @strawberry.field(
        description="Every land ledger entry about this parcel, oldest first (registration, transfers, "
        "restrictions registered and ended): each with its receipt from the ledger subgraph."
    )
    async def history(self, info: Info) -> list[LedgerEntry]:
        indexes = await _loader(info, "history_by_parcel").load(self.id)
        return [LedgerEntry(ledger=AGENCY, index=UInt64(index)) for index in indexes]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Parcel | None:
        row = await _loader(info, "parcels_by_ids").load(check_id(id))
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ParcelRow | ParcelRecord) -> Parcel:
        return cls(
            id=strawberry.ID(row.id),
            area=row.area_m2,
            locality=row.locality,
            spatial_unit=SpatialUnit.from_row(row),  # type: ignore[arg-type]
            ledger_index=row.ledger_index,
        )


@strawberry.federation.type(keys=["id"], description="A title: who holds a parcel, registered on a date.")
class Title:
    id: strawberry.ID
    registered_on: datetime.date
    current: bool
    share: str = strawberry.field(
        description="The owner's share of the parcel, exact: n/d (1/1: sole owner)."
    )
    parcel_id: strawberry.Private[str]
    owner_id: strawberry.Private[str]
    ledger_index: strawberry.Private[int | None]

    @strawberry.field
    def owner(self) -> Citizen:
        return Citizen(id=strawberry.ID(self.owner_id))

    @strawberry.field(
        description="The land ledger's entry that registered this title: the parcel's registration for its "
        "first title, a transfer for a later one."
    )
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @strawberry.field
    async def parcel(self, info: Info) -> Parcel:
        return Parcel.from_row(await _loader(info, "parcels_by_ids").load(self.parcel_id))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Title | None:
        row = await _loader(info, "titles_by_ids").load(check_id(id))
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: TitleRow | TitleRecord) -> Title:
        return cls(
            id=strawberry.ID(row.id),
            registered_on=row.registered_on,
            current=row.current,
            share=share_text(Fraction(row.share_numerator, row.share_denominator)),
            parcel_id=row.parcel_id,
            owner_id=row.owner_id,
            ledger_index=row.ledger_index,
        )


@strawberry.type
class Query:
    @strawberry.field
    async def parcel(self, info: Info, id: strawberry.ID) -> Parcel | None:
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


@scalar_fields_input  # registerParcels carries up to 256 of them
@strawberry.input(description="A parcel to register, with its first title.")
class RegisterParcelInput:
    id: strawberry.ID = strawberry.field(description="The parcel's cadastral reference.")
    locality: str
    owner: strawberry.ID = strawberry.field(description="The first owner: a citizen's opaque id.")
    area: float | None = strawberry.field(
        default=None, description="Official area in square metres (default: the geometry's geodesic area)."
    )
    registered_on: datetime.date | None = strawberry.field(
        default=None, description="The deed's date (default: today)."
    )
    geometry: JSON | None = strawberry.field(
        default=None,
        description="The boundary: a GeoJSON Polygon or MultiPolygon (WGS 84), or a GeoJSON/JSON-FG Feature "
        "of one; a JSON-FG `place` and `coordRefSys` are kept as given. Refused with the reasons if invalid, "
        "CONFLICT naming the registered parcels it overlaps.",
    )

    def registration(self) -> Registration:
        spatial = None
        if self.geometry is not None:
            try:
                spatial = spatial_unit(self.geometry)
            except GeometryError as exc:
                raise BadUserInput(f"`geometry` is not a valid parcel boundary: {exc}") from None
        return Registration(
            str(self.id), self.area, self.locality, str(self.owner), self.registered_on, spatial
        )


@strawberry.input(description="A sale of a parcel by the holder of its current title.")
class TransferTitleInput:
    parcel: strawberry.ID
    seller: strawberry.ID = strawberry.field(description="The current owner: a citizen's opaque id.")
    buyer: strawberry.ID = strawberry.field(description="The new owner: a citizen's opaque id.")
    registered_on: datetime.date | None = strawberry.field(
        default=None, description="The deed's date (default: today)."
    )
    share: str | None = strawberry.field(
        default=None,
        description="The share of the whole parcel sold, exact (n/d, e.g. 1/2); default: all the seller "
        "holds.",
    )


def _actor(info: Info) -> Actor:
    return Actor.acting(info.context.principal, CLERK)


@strawberry.type
class Mutation(RestrictionMutations):
    @strawberry.mutation(
        description="Register a parcel with its first title (clerk:land); CONFLICT if the parcel exists or "
        "its geometry overlaps a registered parcel (named in the message). A retry with the same "
        "`idempotencyKey` and input returns the first parcel.",
        extensions=[requires_role(CLERK)],
    )
    async def register_parcel(
        self, info: Info, input: RegisterParcelInput, idempotency_key: str | None = None
    ) -> Parcel:
        rows = await _service(info).register_parcels(
            _actor(info), [input.registration()], idempotency_key, operation="registerParcel"
        )
        return Parcel.from_row(rows[0])

    @strawberry.mutation(
        description=f"Register 1..{MAX_REGISTRATIONS} parcels at once, all or none (clerk:land): one ledger "
        "entry each, in one transaction.",
        extensions=[requires_role(CLERK)],
    )
    async def register_parcels(
        self, info: Info, input: list[RegisterParcelInput], idempotency_key: str | None = None
    ) -> list[Parcel]:
        registrations = [item.registration() for item in input]
        rows = await _service(info).register_parcels(_actor(info), registrations, idempotency_key)
        return [Parcel.from_row(row) for row in rows]

    @strawberry.mutation(
        description="Transfer a parcel from the holder of its current title to a buyer (clerk:land): the "
        "current title becomes history and the buyer's is registered (with what the seller keeps of a share "
        "sale as a new title). NOT_FOUND for an unknown parcel, CONFLICT when the seller does not hold it "
        "(of concurrent sales of one parcel, one succeeds) or while a mortgage or caution is active.",
        extensions=[requires_role(CLERK)],
    )
    async def transfer_title(
        self, info: Info, input: TransferTitleInput, idempotency_key: str | None = None
    ) -> Title:
        share = None if input.share is None else parse_share(input.share)
        transfer = Transfer(
            str(input.parcel), str(input.seller), str(input.buyer), input.registered_on, share
        )
        return Title.from_row(await _service(info).transfer_title(_actor(info), transfer, idempotency_key))


TYPES: list[type] = [Citizen, Title, ParcelRestriction]
