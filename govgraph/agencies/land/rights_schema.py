"""The land registry's GraphQL types for what a parcel carries besides its titles: its spatial unit (GeoJSON
geometry, JSON-FG place) and its restrictions (mortgages, cautions, leases), with the clerk's mutations that
register and end them. Resolvers are thin: the service holds the rules."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from govgraph.agencies.land.models import ParcelRow, RestrictionRow
from govgraph.agencies.land.restrictions import CAUTION, LEASE, MORTGAGE, Restriction
from govgraph.agencies.land.service import AGENCY, CLERK, LandService
from govgraph.agencies.ledger_links import LedgerEntry, ledger_entry
from govgraph.agencies.writes import Actor, writes_for
from govgraph.auth.permissions import requires_role
from govgraph.federation.scalars import UInt64
from zk.json_input import load_json


def service(info: Info) -> LandService:
    return LandService(info.context.sessions, writes_for(info.context, AGENCY))


def actor(info: Info) -> Actor:
    return Actor.acting(info.context.principal, CLERK)


@strawberry.type(description="A parcel's spatial unit (LADM LA_SpatialUnit).")
class SpatialUnit:
    geometry: JSON = strawberry.field(
        description="The boundary: an RFC 7946 MultiPolygon in WGS 84 longitude/latitude, right-hand rule."
    )
    calculated_area: float = strawberry.field(description="Geodesic area on the WGS 84 ellipsoid, m².")
    place: JSON | None = strawberry.field(
        description="The surveyed boundary as registered (JSON-FG `place`, in `coordRefSys`), unchanged."
    )
    coord_ref_sys: JSON | None = strawberry.field(description="The JSON-FG CRS of `place`, as registered.")

    @classmethod
    def from_row(cls, row: ParcelRow) -> SpatialUnit | None:
        if row.geometry is None or row.calculated_area_m2 is None:
            return None
        return cls(
            geometry=load_json(row.geometry),
            calculated_area=row.calculated_area_m2,
            place=None if row.place is None else load_json(row.place),
            coord_ref_sys=None if row.coord_ref_sys is None else load_json(row.coord_ref_sys),
        )


@strawberry.enum(description="LADM: LA_Mortgage, LA_Restriction (caution), LA_Right of type lease.")
class RestrictionKind(Enum):
    MORTGAGE = MORTGAGE
    CAUTION = CAUTION
    LEASE = LEASE


@strawberry.federation.type(keys=["id"], description="A mortgage, caution or lease on a parcel.")
class ParcelRestriction:
    id: strawberry.ID
    kind: RestrictionKind
    parcel_id: strawberry.ID = strawberry.field(name="parcel")
    holder: str = strawberry.field(
        description="The lender (mortgage) or who lodged the caution; a lease's tenant is a citizen's id."
    )
    amount: UInt64 | None = strawberry.field(description="A mortgage's principal in minor units.")
    currency: str | None
    reason: str | None = strawberry.field(description="A caution's grounds.")
    starts_on: datetime.date
    ends_on: datetime.date | None
    active: bool
    ledger_index: strawberry.Private[int | None]
    ended_ledger_index: strawberry.Private[int | None]

    @strawberry.field(description="The land ledger's entry that registered it.")
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @strawberry.field(description="The entry that discharged, lifted or ended it (null while active).")
    def ended_by(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ended_ledger_index)

    @classmethod
    def from_row(cls, row: RestrictionRow) -> ParcelRestriction:
        return cls(
            id=strawberry.ID(row.id),
            kind=RestrictionKind(row.kind),
            parcel_id=strawberry.ID(row.parcel_id),
            holder=row.holder,
            amount=None if row.amount is None else UInt64(row.amount),
            currency=row.currency,
            reason=row.reason,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            active=row.active,
            ledger_index=row.ledger_index,
            ended_ledger_index=row.ended_ledger_index,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> ParcelRestriction | None:
        row = (await service(info).restrictions_by_ids([str(id)]))[0]
        return cls.from_row(row) if row else None


@strawberry.input(description="A mortgage on a parcel, held by a lender (an organisation, named publicly).")
class RegisterMortgageInput:
    parcel: strawberry.ID
    lender: str
    amount: UInt64 = strawberry.field(description="The principal in minor units of `currency`.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")
    starts_on: datetime.date | None = strawberry.field(default=None, description="Default: today.")


@strawberry.input(description="A caution: a claim lodged against dealings with a parcel until lifted.")
class PlaceCautionInput:
    parcel: strawberry.ID
    lodged_by: str = strawberry.field(description="Who lodged it (a court, a claimant's solicitor): public.")
    reason: str = strawberry.field(description="The grounds: a public statement.")
    starts_on: datetime.date | None = strawberry.field(default=None, description="Default: today.")


@strawberry.input(description="A lease of a parcel to a tenant (a citizen's opaque id) for a term.")
class RegisterLeaseInput:
    parcel: strawberry.ID
    tenant: strawberry.ID
    ends_on: datetime.date
    starts_on: datetime.date | None = strawberry.field(default=None, description="Default: today.")


def _amount(value: UInt64) -> int:
    return int(value)


@strawberry.type
class RestrictionMutations:
    @strawberry.mutation(
        description="Register a mortgage on a parcel (clerk:land); NOT_FOUND for an unknown parcel, CONFLICT "
        "while a caution is active. A mortgaged parcel is not transferred until the mortgage is discharged.",
        extensions=[requires_role(CLERK)],
    )
    async def register_mortgage(
        self, info: Info, input: RegisterMortgageInput, idempotency_key: str | None = None
    ) -> ParcelRestriction:
        restriction = Restriction(
            MORTGAGE,
            str(input.parcel),
            input.lender,
            input.starts_on,
            amount=_amount(input.amount),
            currency=input.currency,
        )
        row = await service(info).register_restriction(
            actor(info), restriction, idempotency_key, operation="registerMortgage"
        )
        return ParcelRestriction.from_row(row)

    @strawberry.mutation(
        description="Discharge an active mortgage (clerk:land); NOT_FOUND for no such mortgage, CONFLICT if "
        "discharged already.",
        extensions=[requires_role(CLERK)],
    )
    async def discharge_mortgage(
        self, info: Info, id: strawberry.ID, idempotency_key: str | None = None
    ) -> ParcelRestriction:
        row = await service(info).end_restriction(
            actor(info), MORTGAGE, str(id), idempotency_key, operation="dischargeMortgage"
        )
        return ParcelRestriction.from_row(row)

    @strawberry.mutation(
        description="Place a caution on a parcel (clerk:land): no transfer or new mortgage until it is "
        "lifted. NOT_FOUND for an unknown parcel.",
        extensions=[requires_role(CLERK)],
    )
    async def place_caution(
        self, info: Info, input: PlaceCautionInput, idempotency_key: str | None = None
    ) -> ParcelRestriction:
        restriction = Restriction(
            CAUTION, str(input.parcel), input.lodged_by, input.starts_on, reason=input.reason
        )
        row = await service(info).register_restriction(
            actor(info), restriction, idempotency_key, operation="placeCaution"
        )
        return ParcelRestriction.from_row(row)

    @strawberry.mutation(
        description="Lift an active caution (clerk:land); NOT_FOUND for no such caution, CONFLICT if lifted "
        "already.",
        extensions=[requires_role(CLERK)],
    )
    async def lift_caution(
        self, info: Info, id: strawberry.ID, idempotency_key: str | None = None
    ) -> ParcelRestriction:
        row = await service(info).end_restriction(
            actor(info), CAUTION, str(id), idempotency_key, operation="liftCaution"
        )
        return ParcelRestriction.from_row(row)

    @strawberry.mutation(
        description="Register a lease of a parcel (clerk:land); the tenant is on the ledger as a keyed hash. "
        "A lease does not bar a transfer.",
        extensions=[requires_role(CLERK)],
    )
    async def register_lease(
        self, info: Info, input: RegisterLeaseInput, idempotency_key: str | None = None
    ) -> ParcelRestriction:
        restriction = Restriction(
            LEASE, str(input.parcel), str(input.tenant), input.starts_on, ends_on=input.ends_on
        )
        row = await service(info).register_restriction(
            actor(info), restriction, idempotency_key, operation="registerLease"
        )
        return ParcelRestriction.from_row(row)

    @strawberry.mutation(
        description="End an active lease before its term (clerk:land).", extensions=[requires_role(CLERK)]
    )
    async def end_lease(
        self, info: Info, id: strawberry.ID, idempotency_key: str | None = None
    ) -> ParcelRestriction:
        row = await service(info).end_restriction(
            actor(info), LEASE, str(id), idempotency_key, operation="endLease"
        )
        return ParcelRestriction.from_row(row)
