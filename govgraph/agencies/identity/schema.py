"""The identity bureau's GraphQL types: thin resolvers over IdentityService, entities through DataLoaders,
the enrolment mutation (clerk:identity), and the bureau's credential, revocation and electoral-roll
mutations (their own modules)."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from govgraph.agencies.identity.credentials import CredentialOfferMutation
from govgraph.agencies.identity.models import AgencyRow, CitizenRow, CredentialSchemaRow
from govgraph.agencies.identity.revocation import RevocationMutation
from govgraph.agencies.identity.roll_schema import RollMutation, RollQuery
from govgraph.agencies.identity.service import AGENCY, CLERK, Enrolment, IdentityService
from govgraph.agencies.ids import check_id
from govgraph.agencies.ledger_links import LedgerEntry, ledger_entry
from govgraph.agencies.writes import Actor, writes_for
from govgraph.auth.permissions import requires_role
from govgraph.federation.connections import Connection, page, window


def _service(info: Info) -> IdentityService:
    return IdentityService(info.context.sessions, writes_for(info.context, AGENCY))


def _agency_loader(info: Info):
    return info.context.loaders.get("identity.agency", _service(info).agencies_by_ids)


def _citizen_loader(info: Info):
    return info.context.loaders.get("identity.citizen", _service(info).citizens_by_ids)


@strawberry.type(description="A government agency known to the identity bureau.")
class Agency:
    id: strawberry.ID
    name: str

    @strawberry.field(description="The credential schemas this agency issues.")
    async def credential_schemas(self, info: Info) -> list[CredentialSchema]:
        loader = info.context.loaders.get(
            "identity.schemas_by_issuer", _service(info).credential_schemas_by_issuer
        )
        rows = await loader.load(self.id)
        return [CredentialSchema.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: AgencyRow) -> Agency:
        return cls(id=strawberry.ID(row.id), name=row.name)


@strawberry.type(
    description="A credential schema: which attributes a credential of this kind signs, in order."
)
class CredentialSchema:
    id: strawberry.ID
    name: str
    version: int
    attributes: list[str]
    issuer_id: strawberry.Private[str]

    @strawberry.field
    async def issuer(self, info: Info) -> Agency:
        return Agency.from_row(await _agency_loader(info).load(self.issuer_id))

    @classmethod
    def from_row(cls, row: CredentialSchemaRow) -> CredentialSchema:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            version=row.version,
            attributes=list(row.attributes),
            issuer_id=row.issuer_id,
        )


@strawberry.federation.type(keys=["id"], description="A citizen, known by an opaque id only.")
class Citizen:
    id: strawberry.ID
    enrolled_by_id: strawberry.Private[str]
    ledger_index: strawberry.Private[int | None]

    @strawberry.field(description="The agency that enrolled this citizen.")
    async def enrolled_by(self, info: Info) -> Agency:
        return Agency.from_row(await _agency_loader(info).load(self.enrolled_by_id))

    @strawberry.field(
        description="The identity ledger's entry recording the enrolment (a keyed hash of the citizen id, "
        "nothing else about them)."
    )
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Citizen | None:
        row = await _citizen_loader(info).load(check_id(id))
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: CitizenRow) -> Citizen:
        return cls(id=strawberry.ID(row.id), enrolled_by_id=row.enrolled_by, ledger_index=row.ledger_index)


@strawberry.type
class Query(RollQuery):
    @strawberry.field
    async def agencies(self, info: Info) -> list[Agency]:
        return [Agency.from_row(row) for row in await _service(info).agencies()]

    @strawberry.field
    async def agency(self, info: Info, id: strawberry.ID) -> Agency | None:
        row = await _agency_loader(info).load(check_id(id))
        return Agency.from_row(row) if row else None

    @strawberry.field
    async def citizen(self, info: Info, id: strawberry.ID) -> Citizen | None:
        return await Citizen.resolve_reference(info, id)

    @strawberry.field(description="Citizens, a page at a time (Relay cursor connection).")
    async def citizens(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Citizen]:
        offset, limit = window(first, after)
        rows, total = await _service(info).citizens_page(offset, limit)
        return page([Citizen.from_row(row) for row in rows], offset, limit, total)

    @strawberry.field
    async def credential_schemas(self, info: Info) -> list[CredentialSchema]:
        return [CredentialSchema.from_row(row) for row in await _service(info).credential_schemas()]


@strawberry.input(description="A citizen's base record, kept in the identity bureau's private tables.")
class EnrolCitizenInput:
    given_name: str
    family_name: str
    birth_date: datetime.date
    residence: str = strawberry.field(description="The district the citizen lives in.")
    citizenship: str = strawberry.field(description="An ISO 3166-1 alpha-2 country code, e.g. NL.")
    household_income: int = strawberry.field(description="Yearly household income, in whole units.")


@strawberry.type
class Mutation(CredentialOfferMutation, RevocationMutation, RollMutation):
    @strawberry.mutation(
        description="Enrol a citizen in the base registry that credentials are issued from (clerk:identity). "
        "The record stays in the bureau's private tables; the identity ledger gets a keyed hash of the new "
        "citizen id. A retry with the same `idempotencyKey` and input returns the first citizen.",
        extensions=[requires_role(CLERK)],
    )
    async def enrol_citizen(
        self, info: Info, input: EnrolCitizenInput, idempotency_key: str | None = None
    ) -> Citizen:
        enrolment = Enrolment(
            input.given_name,
            input.family_name,
            input.birth_date,
            input.residence,
            input.citizenship,
            input.household_income,
        )
        actor = Actor.acting(info.context.principal, CLERK)
        return Citizen.from_row(await _service(info).enrol(actor, enrolment, idempotency_key))


TYPES: list[type] = [Citizen]
