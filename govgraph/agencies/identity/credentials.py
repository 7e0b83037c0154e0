"""The identity bureau as credential issuer: the citizen registry the issuer signs from (the private base
records), the issuance's ledger entry (the configuration, the key id and the count issued: no attribute
value), and the clerk's `createCredentialOffer` mutation (offers written through the bureau's write path, so
an idempotency key replays the first offer)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from govgraph.agencies.identity.models import CitizenRecordRow
from govgraph.agencies.identity.service import AGENCY, CLERK, IdentityService
from govgraph.agencies.ids import check_id
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event, writes_for
from govgraph.auth.permissions import requires_role
from govgraph.credentials.configurations import CITIZEN_V1, REVOCABLE_CITIZEN_V1
from govgraph.credentials.issuer import Claim, CreatedOffer, Issuer
from govgraph.credentials.offers import tx_code_from
from govgraph.credentials.service import services_from
from govgraph.federation.errors import BadUserInput, NotFound

CREDENTIAL_ISSUED = "govgraph.identity.CredentialIssued/v1"


class CitizenRegistry:
    """govgraph.credentials.issuer.Registry over the bureau's private records and its write path."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], writes: AgencyWrites) -> None:
        self.sessions = sessions
        self.writes = writes

    async def attributes(self, citizen_id: str, configuration: str) -> Mapping[str, Any] | None:
        if configuration not in (CITIZEN_V1, REVOCABLE_CITIZEN_V1):
            return None
        async with self.sessions() as session:
            row = await session.get(CitizenRecordRow, citizen_id)
        if row is None:
            return None
        return {
            "given_name": row.given_name,
            "family_name": row.family_name,
            "birth_date": row.birth_date,
            "residence": row.residence,
            "citizenship": row.citizenship,
            "household_income": row.household_income,
        }

    async def record_issuance(self, offered_by: str, configuration: str, key_id: str, claim: Claim) -> int:
        """A CredentialIssued entry (schema, key id, count), acting as the clerk who made the offer."""

        async def rows(connection, index: int) -> Change:
            count = await claim(connection)
            event = Event(CREDENTIAL_ISSUED, {"schema": configuration, "key": key_id, "count": count})
            return Change({"count": count}, [event])

        written = await self.writes.write(
            Actor(CLERK, offered_by), "issueCredential", {"schema": configuration, "key": key_id}, rows
        )
        return written.indexes.start


@strawberry.type(description="A credential offer for one citizen (OpenID4VCI, pre-authorized code flow).")
class CredentialOffer:
    offer_uri: str = strawberry.field(
        description="openid-credential-offer://?credential_offer_uri=...: what the citizen's wallet opens "
        "(`govgraph wallet receive`), e.g. as a QR code."
    )
    tx_code: str = strawberry.field(
        description="The one-time PIN to hand to the citizen separately; a few wrong tries lock the offer."
    )
    expires_at: datetime.datetime = strawberry.field(description="After this the offer cannot be redeemed.")


@strawberry.type
class CredentialOfferMutation:
    @strawberry.mutation(
        description="Offer the citizen a credential of `schema` (e.g. govgraph.identity.citizen/v1) signed "
        "over their base record (clerk:identity). Single-use and short-lived; the PIN is limited in "
        "attempts. A retry with the same `idempotencyKey` and input returns the first offer (its URI, PIN "
        "and deadline) and makes no other.",
        extensions=[requires_role(CLERK)],
    )
    async def create_credential_offer(
        self, info: Info, citizen_id: strawberry.ID, schema: str, idempotency_key: str | None = None
    ) -> CredentialOffer:
        actor = Actor.acting(info.context.principal, CLERK)
        services = services_from(info.context)
        if schema not in services.issuer.configurations:
            known = ", ".join(sorted(services.issuer.configurations))
            raise BadUserInput(f"`schema` must be one of: {known}.")
        writes = writes_for(info.context, AGENCY)
        assert writes is not None  # the credential services run beside the bureau's write path only
        row = (await IdentityService(info.context.sessions).citizens_by_ids([check_id(citizen_id)]))[0]
        if row is None:
            raise NotFound(f"No citizen {citizen_id}.")
        created = await offer_credential(writes, services.issuer, actor, row.id, schema, idempotency_key)
        return CredentialOffer(
            offer_uri=created.offer_uri,
            tx_code=created.tx_code,
            expires_at=datetime.datetime.fromtimestamp(created.expires_at, datetime.UTC),
        )


async def offer_credential(
    writes: AgencyWrites,
    issuer: Issuer,
    actor: Actor,
    citizen_id: str,
    configuration: str,
    idempotency_key: str | None = None,
) -> CreatedOffer:
    """A credential offer for the citizen, written through the bureau's write path (no ledger entry: the
    issuance makes one), so an idempotency key replays the first offer. Its PIN is derived from the offer
    id under the bureau's secret: a replay says it again, and no table holds it."""

    def pin(offer_id: str) -> str:
        return tx_code_from(writes.keyed_digest("tx_code", offer_id))

    async def rows(connection: AsyncConnection, _index: int) -> Change:
        created = await issuer.create_offer(
            citizen_id, configuration, actor.identity, pin=pin, connection=connection
        )
        return Change({"offer": created.offer_id}, [], rows=created)

    arguments = {"citizenId": citizen_id, "schema": configuration}
    written = await writes.write(actor, "createCredentialOffer", arguments, rows, idempotency_key)
    if written.rows is not None:
        return written.rows
    offer_id = written.result["offer"]
    offer = await issuer.offers.get(offer_id)
    assert offer is not None  # committed before, by the write this one replays
    return issuer.created_offer(offer_id, pin(offer_id), offer.expires_at)
