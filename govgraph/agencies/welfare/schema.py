"""The welfare office's GraphQL: Programme, Claim and Payment entities; `createProgramme` (official:welfare),
the public claim flow `openClaim` / `submitClaim` (no account: the wallet answers the programme's
presentation request), payment runs (`recordPayments`: official:welfare or service:*), and `enrolments`, the
Integrated Beneficiary Registry's "enrolled elsewhere?" question asked by an exclusion group's pseudonym."""

from __future__ import annotations

import datetime
import json
from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.scalars import JSON
from strawberry.types import Info

from govgraph.agencies.ids import check_id
from govgraph.agencies.ledger_links import LedgerEntry, ledger_entry
from govgraph.agencies.welfare.claims import Invitation
from govgraph.agencies.welfare.models import ClaimRow, PaymentRow, ProgrammeRow
from govgraph.agencies.welfare.rules import ProgrammeDefinition, claim_context, exclusion_context
from govgraph.agencies.welfare.service import (
    AGENCY,
    MAX_PAYMENTS,
    OFFICIAL,
    PaymentOrder,
    WelfareService,
)
from govgraph.agencies.writes import Actor, writes_for
from govgraph.auth.permissions import requires_role
from govgraph.credentials.service import services_from
from govgraph.federation.errors import Forbidden, Unauthenticated
from govgraph.federation.principal import Principal

DEFAULT_PROGRAMMES = 50
SERVICE = "service"


def _service(info: Info, *, verifier: bool = False) -> WelfareService:
    return WelfareService(
        info.context.sessions,
        writes_for(info.context, AGENCY),
        services_from(info.context).verifier if verifier else None,
    )


def _loader(info: Info, name: str):
    return info.context.loaders.get(f"welfare.{name}", getattr(_service(info), name))


class OfficialOrService(BasePermission):
    """official:welfare, or any service:* client (a payment system running payment runs)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        _payer(info)
        return True


def _payer(info: Info) -> Actor:
    principal = getattr(info.context, "principal", None)
    if not isinstance(principal, Principal) or not principal.authenticated or principal.actor is None:
        raise Unauthenticated("authentication required: send a bearer token or an API key")
    if OFFICIAL in principal.roles:
        return Actor(OFFICIAL, principal.actor)
    services = sorted(role for role in principal.roles if role.startswith(SERVICE + ":"))
    if not services:
        raise Forbidden(f"this operation requires the role {OFFICIAL} or {SERVICE}:*")
    return Actor(services[0], principal.actor)


def official_or_service() -> PermissionExtension:
    return PermissionExtension([OfficialOrService()], use_directives=False)


@strawberry.federation.type(
    keys=["id"],
    description="A benefit programme: a public record, its eligibility rule included (on the welfare "
    "ledger).",
)
class Programme:
    id: strawberry.ID
    title: str
    description: str
    eligibility: JSON = strawberry.field(
        description="The rule as a DCQL query (govgraph_bbs, with predicates): what every claimant's "
        "presentation proves or discloses; nothing else is learnt."
    )
    amount: int = strawberry.field(description="The benefit, in minor units of `currency` (cents for EUR).")
    currency: str
    period: str
    starts_on: datetime.date
    ends_on: datetime.date
    exclusion_group: str | None = strawberry.field(
        description="Programmes of one exclusion group pay a person at most once per period."
    )
    ledger_index: strawberry.Private[int | None]

    @strawberry.field(description="The pseudonym context of its claims: welfare/<programme>/<period>.")
    def claim_context(self) -> str:
        return claim_context(self.id, self.period)

    @strawberry.field(description="welfare/exclusion/<group>/<period>, when the programme has a group.")
    def exclusion_context(self) -> str | None:
        return None if self.exclusion_group is None else exclusion_context(self.exclusion_group, self.period)

    @strawberry.field(description="How many claims have been accepted.")
    async def claim_count(self, info: Info) -> int:
        return await _loader(info, "claim_counts").load(self.id)

    @strawberry.field(description="The welfare ledger's ProgrammeCreated entry.")
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Programme | None:
        row = await _loader(info, "programmes_by_ids").load(check_id(id))
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ProgrammeRow) -> Programme:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            description=row.description,
            eligibility=json.loads(row.eligibility),
            amount=row.amount,
            currency=row.currency,
            period=row.period,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            exclusion_group=row.exclusion_group,
            ledger_index=row.ledger_index,
        )


@strawberry.federation.type(keys=["id"], description="An accepted claim: a pseudonym, never an identity.")
class Claim:
    id: strawberry.ID
    pseudonym: str = strawberry.field(description="The claimant's pseudonym in the programme's context.")
    claimed_on: datetime.date
    programme_id: strawberry.Private[str]
    ledger_index: strawberry.Private[int | None]

    @strawberry.field
    async def programme(self, info: Info) -> Programme:
        return Programme.from_row(await _loader(info, "programmes_by_ids").load(self.programme_id))

    @strawberry.field(description="Payments made on this claim.")
    async def payments(self, info: Info) -> list[Payment]:
        return [Payment.from_row(row) for row in await _loader(info, "payments_by_claims").load(self.id)]

    @strawberry.field(description="The welfare ledger's ClaimAccepted entry.")
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Claim | None:
        row = await _loader(info, "claims_by_ids").load(check_id(id))
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ClaimRow) -> Claim:
        return cls(
            id=strawberry.ID(row.id),
            pseudonym=row.pseudonym,
            claimed_on=row.claimed_on,
            programme_id=row.programme_id,
            ledger_index=row.ledger_index,
        )


@strawberry.federation.type(
    keys=["reference"], description="A payment on a claim; its reference is what the claimant shows."
)
class Payment:
    reference: strawberry.ID
    amount: int = strawberry.field(description="Minor units of `currency`.")
    currency: str
    paid_on: datetime.date
    claim_id: strawberry.Private[str]
    ledger_index: strawberry.Private[int | None]

    @strawberry.field
    async def claim(self, info: Info) -> Claim:
        return Claim.from_row(await _loader(info, "claims_by_ids").load(self.claim_id))

    @strawberry.field(description="The welfare ledger's PaymentRecorded entry.")
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @classmethod
    async def resolve_reference(cls, info: Info, reference: strawberry.ID) -> Payment | None:
        row = await _loader(info, "payments_by_references").load(check_id(reference))
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: PaymentRow) -> Payment:
        return cls(
            reference=strawberry.ID(row.reference),
            amount=row.amount,
            currency=row.currency,
            paid_on=row.paid_on,
            claim_id=row.claim_id,
            ledger_index=row.ledger_index,
        )


@strawberry.type(description="An opened claim: answer its request(s) with the wallet, then submitClaim.")
class ClaimInvitation:
    id: strawberry.ID
    programme_id: strawberry.Private[str]
    request_uri: str = strawberry.field(
        description="openid4vp://...: the programme's rule and its pseudonym (`govgraph wallet present`)."
    )
    exclusion_request_uri: str | None = strawberry.field(
        description="A second request, for the exclusion group's pseudonym, when the programme has a group."
    )
    expires_at: datetime.datetime

    @strawberry.field
    async def programme(self, info: Info) -> Programme:
        return Programme.from_row(await _loader(info, "programmes_by_ids").load(self.programme_id))

    @classmethod
    def of(cls, invitation: Invitation) -> ClaimInvitation:
        other = invitation.exclusion_request
        return cls(
            id=strawberry.ID(invitation.id),
            programme_id=invitation.programme_id,
            request_uri=invitation.request.request_uri,
            exclusion_request_uri=None if other is None else other.request_uri,
            expires_at=datetime.datetime.fromtimestamp(invitation.request.expires_at, datetime.UTC),
        )


@strawberry.type
class Query:
    @strawberry.field
    async def programme(self, info: Info, id: strawberry.ID) -> Programme | None:
        return await Programme.resolve_reference(info, id)

    @strawberry.field(description="Programmes by id, at most 100.")
    async def programmes(self, info: Info, first: int = DEFAULT_PROGRAMMES) -> list[Programme]:
        return [Programme.from_row(row) for row in await _service(info).programmes(first)]

    @strawberry.field(description="A claim by its id (what submitClaim returned to the claimant).")
    async def claim(self, info: Info, id: strawberry.ID) -> Claim | None:
        return await Claim.resolve_reference(info, id)

    @strawberry.field(description="A payment by its reference.")
    async def payment(self, info: Info, reference: strawberry.ID) -> Payment | None:
        return await Payment.resolve_reference(info, reference)

    @strawberry.field(
        description="Is this beneficiary enrolled elsewhere? (the SPDCI Integrated Beneficiary Registry's "
        "'enrolled' search) The programmes of an exclusion group the holder of `pseudonym` (in context "
        "welfare/exclusion/<group>/<period>) is enrolled in; never a search by name or id. "
        "official:welfare or service:*.",
        extensions=[official_or_service()],
    )
    async def enrolments(
        self, info: Info, exclusion_group: str, period: str, pseudonym: str
    ) -> list[Programme]:
        rows = await _service(info).enrolments(exclusion_group, period, pseudonym)
        return [Programme.from_row(row) for row in rows]


@strawberry.input(description="A benefit programme.")
class CreateProgrammeInput:
    id: strawberry.ID = strawberry.field(description="1-48 lower-case letters, digits and inner hyphens.")
    title: str
    description: str
    eligibility: JSON = strawberry.field(
        description="A DCQL query of one govgraph_bbs credential, claims with predicates or values; no "
        "pseudonym (the office asks for welfare/<programme>/<period>)."
    )
    amount: int = strawberry.field(description="The benefit in minor units of `currency`.")
    currency: str
    period: str
    starts_on: datetime.date
    ends_on: datetime.date
    exclusion_group: str | None = None

    def definition(self) -> ProgrammeDefinition:
        return ProgrammeDefinition(
            str(self.id),
            self.title,
            self.description,
            self.eligibility,
            self.amount,
            self.currency,
            self.period,
            self.starts_on,
            self.ends_on,
            self.exclusion_group,
        )


@strawberry.input(description="One payment of a payment run.")
class RecordPaymentInput:
    claim: strawberry.ID
    paid_on: datetime.date
    amount: int | None = strawberry.field(default=None, description="Default: the programme's benefit.")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a benefit programme (official:welfare); its rule, amount and period go on the "
        "welfare ledger. CONFLICT if the id exists.",
        extensions=[requires_role(OFFICIAL)],
    )
    async def create_programme(
        self, info: Info, input: CreateProgrammeInput, idempotency_key: str | None = None
    ) -> Programme:
        actor = Actor.acting(info.context.principal, OFFICIAL)
        row = await _service(info, verifier=True).create_programme(actor, input.definition(), idempotency_key)
        return Programme.from_row(row)

    @strawberry.mutation(
        description="Public: open a claim on a programme, no account needed. Answer the returned request(s) "
        "with the wallet, then call submitClaim. Appends nothing. Idempotency keys of anonymous callers "
        "share one scope: use random ones."
    )
    async def open_claim(
        self, info: Info, programme: strawberry.ID, idempotency_key: str | None = None
    ) -> ClaimInvitation:
        service = _service(info, verifier=True)
        return ClaimInvitation.of(await service.open_claim(check_id(programme), idempotency_key))

    @strawberry.mutation(
        description="Public: claim with an invitation. Either the wallet answered its request(s) by "
        "direct_post first, or `presentation` (and `exclusionPresentation`, for a programme in an exclusion "
        "group) carry the answers: the vp_token a wallet would post (a JSON object, the query id -> [the "
        "presentation]), verified here and recorded with the claim. One claim per pseudonym per programme "
        "and period, and per exclusion group and period: CONFLICT otherwise; INVALID_PROOF (with "
        "`extensions.cause`, e.g. revoked) if a presentation is rejected."
    )
    async def submit_claim(
        self,
        info: Info,
        invitation: strawberry.ID,
        idempotency_key: str | None = None,
        presentation: str | None = None,
        exclusion_presentation: str | None = None,
    ) -> Claim:
        service = _service(info, verifier=True)
        row = await service.submit_claim(
            check_id(invitation), idempotency_key, vp_tokens=(presentation, exclusion_presentation)
        )
        return Claim.from_row(row)

    @strawberry.mutation(
        description=f"A payment run of 1..{MAX_PAYMENTS} payments, all or none (official:welfare or "
        "service:*): one per claim, each with a reference and a ledger entry. CONFLICT for a claim paid "
        "before.",
        extensions=[official_or_service()],
    )
    async def record_payments(
        self, info: Info, input: list[RecordPaymentInput], idempotency_key: str | None = None
    ) -> list[Payment]:
        orders = [PaymentOrder(check_id(item.claim), item.paid_on, item.amount) for item in input]
        rows = await _service(info).record_payments(_payer(info), orders, idempotency_key)
        return [Payment.from_row(row) for row in rows]


TYPES: list[type] = [Claim, Payment]
