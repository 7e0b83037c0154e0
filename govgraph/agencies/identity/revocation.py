"""The identity bureau revokes credentials: the clerk's `revokeCredentials` mutation removes the citizen's
unrevoked credentials of a revocable schema from the issuer's accumulator in one batch and withdraws their
offers not yet issued, and the identity ledger gets the new epoch (its number, accumulator value and public
update data) with the reason code. The entry names no citizen and no handle: the update data lets every
holder refresh, and tells nobody whose credential it removed."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.types import Info

from govgraph.agencies.identity.service import AGENCY, CLERK, IdentityService
from govgraph.agencies.ids import check_id
from govgraph.agencies.ledger_links import LedgerEntry, ledger_entry
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event, writes_for
from govgraph.auth.permissions import requires_role
from govgraph.credentials.revocation import RevocationRegistry
from govgraph.credentials.service import services_from
from govgraph.federation.errors import BadUserInput, NotFound
from zk.wire import b64url

REVOCATION_EPOCH = "govgraph.identity.RevocationEpoch/v1"
# Why a credential is revoked: a code, never free text (the ledger is public)
REVOCATION_REASONS = (
    "lost_device",
    "deceased",
    "court_order",
    "fraud",
    "holder_request",
    "superseded",
    "data_error",
)


@strawberry.type(
    description="A revocation: the batch that removed the citizen's credentials from the accumulator (a new "
    "epoch, published on the identity ledger) and the offers it withdrew before their credential was issued."
)
class CredentialRevocation:
    schema: str
    epoch: int = strawberry.field(
        description="The epoch presentations must now prove membership as of: the batch's new epoch, or "
        "the current one when the revocation found no issued credential and only withdrew offers."
    )
    revoked: int = strawberry.field(description="How many of the citizen's credentials the batch revoked.")
    withdrawn_offers: int = strawberry.field(
        description="How many of the citizen's offers of the schema it withdrew, unissued: a credential "
        "offered before a revocation is never issued after it."
    )
    ledger_index: strawberry.Private[int | None]

    @strawberry.field(
        description="The identity ledger's RevocationEpoch entry (no citizen, no handle); null when no "
        "credential was revoked (withdrawing offers appends no entry)."
    )
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)


async def revoke_credentials(
    writes: AgencyWrites,
    registry: RevocationRegistry,
    actor: Actor,
    citizen_id: str,
    configuration: str,
    reason: str,
    idempotency_key: str | None = None,
) -> CredentialRevocation:
    """One revocation through the bureau's write path, the log's transaction that issuances take too: the
    epoch row, the handles marked, the citizen's unissued offers withdrawn and the ledger entry together.
    NotFound when the citizen holds neither an unrevoked credential of the schema nor a pending offer."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        done = await registry.revoke(connection, configuration, citizen_id, index)
        if done is None:
            raise NotFound(
                f"Citizen {citizen_id} holds no unrevoked credential of {configuration} and no pending offer."
            )
        result = {"epoch": done.accumulator.epoch, "revoked": done.revoked, "withdrawn": done.withdrawn}
        if done.update is None:  # offers withdrawn only: the accumulator and the ledger are unchanged
            return Change({**result, "index": None}, [])
        event = Event(
            REVOCATION_EPOCH,
            {
                "schema": configuration,
                "epoch": done.accumulator.epoch,
                "accumulator": b64url(done.accumulator.value),
                "update": done.update.to_json(),
                "reason": reason,
            },
        )
        return Change({**result, "index": index}, [event])

    arguments = {"citizenId": citizen_id, "schema": configuration, "reason": reason}
    written = await writes.write(actor, "revokeCredentials", arguments, rows, idempotency_key)
    result = written.result
    return CredentialRevocation(
        schema=configuration,
        epoch=result["epoch"],
        revoked=result["revoked"],
        withdrawn_offers=result.get("withdrawn", 0),  # a batch recorded before offers were withdrawn
        ledger_index=result["index"],
    )


@strawberry.type
class RevocationMutation:
    @strawberry.mutation(
        description="Revoke the citizen's credentials of a revocable `schema` (clerk:identity), e.g. "
        "govgraph.identity.revocable-citizen/v1, for `reason`: one of lost_device, deceased, court_order, "
        "fraud, holder_request, superseded, data_error. One batch: the identity ledger gets the new epoch "
        "and its public update data with the reason code, never the citizen. The citizen's offers of the "
        "schema not yet issued are withdrawn with it: every credential issued or offered before the "
        "revocation is revoked or never issued; a new offer afterwards gives a fresh, valid credential. "
        "A retry with the same `idempotencyKey` and input returns the first batch.",
        extensions=[requires_role(CLERK)],
    )
    async def revoke_credentials(
        self,
        info: Info,
        citizen_id: strawberry.ID,
        schema: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> CredentialRevocation:
        actor = Actor.acting(info.context.principal, CLERK)
        services = services_from(info.context)
        registry = services.revocation
        if schema not in services.issuer.configurations:
            known = ", ".join(sorted(services.issuer.configurations))
            raise BadUserInput(f"`schema` must be one of: {known}.")
        if registry is None or not registry.revocable(schema):
            raise BadUserInput(f"`schema` {schema} is not revocable.")
        if reason not in REVOCATION_REASONS:
            raise BadUserInput(f"`reason` must be one of: {', '.join(REVOCATION_REASONS)}.")
        writes = writes_for(info.context, AGENCY)
        assert writes is not None  # the credential services run beside the bureau's write path only
        row = (await IdentityService(info.context.sessions).citizens_by_ids([check_id(citizen_id)]))[0]
        if row is None:
            raise NotFound(f"No citizen {citizen_id}.")
        return await revoke_credentials(writes, registry, actor, row.id, schema, reason, idempotency_key)
