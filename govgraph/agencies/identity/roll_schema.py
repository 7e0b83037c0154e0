"""The identity bureau's roll-credential mutations: a voter asks to register on an electoral roll and, once
its presentation verified, receives the bureau's blind signature (no login); a clerk of the bureau vouches
for a citizen on a roll without a rule. The rules are in govgraph.agencies.identity.rolls."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from govgraph.agencies.elections.registration import check_roll_id
from govgraph.agencies.identity import rolls
from govgraph.agencies.ids import check_id
from govgraph.agencies.writes import Actor, AgencyWrites, writes_for
from govgraph.auth.permissions import requires_role
from govgraph.credentials.service import services_from


@strawberry.type(
    description="A roll credential's blind signature by the identity bureau, for the voter's wallet to "
    "finish issuance."
)
class RollCredential:
    roll: str
    issuer_public_key: str
    signature: str
    signer_nym_entropy: str

    @classmethod
    def of(cls, issued: rolls.Issued) -> RollCredential:
        return cls(
            roll=issued.roll,
            issuer_public_key=issued.issuer_public_key,
            signature=issued.signature,
            signer_nym_entropy=issued.signer_nym_entropy,
        )


@strawberry.type(
    description="A registration's presentation request: answer it with a wallet, then registerVoter."
)
class RollRegistration:
    presentation_id: str
    request_uri: str = strawberry.field(description="openid4vp://... for the citizen's wallet.")
    expires_at: float = strawberry.field(description="Seconds since the epoch.")


@strawberry.type(description="The identity bureau as issuer of an electoral roll's credentials.")
class RollIssuer:
    roll: str
    issuer_public_key: str = strawberry.field(
        description="The bureau's BBS issuer key for this roll (hex): the key a manifest names."
    )
    issued: int = strawberry.field(
        description="How many roll credentials the bureau has issued (who, is not public)."
    )


def _writes(info: Info) -> AgencyWrites:
    writes = writes_for(info.context, rolls.AGENCY)
    if writes is None:
        raise RuntimeError("no write path for identity: the app starts one per agency with a ledger")
    return writes


@strawberry.type
class RollQuery:
    @strawberry.field(
        description="Public: the bureau's issuer key for electoral roll `rollId` (published, so that the "
        "election commission can check a manifest naming it) and how many credentials it has issued."
    )
    async def roll_issuer(self, info: Info, roll_id: strawberry.ID) -> RollIssuer:
        writes = _writes(info)
        roll = check_roll_id(str(roll_id))
        key = await rolls.publish_key(writes, roll)
        async with writes.log.engine.connect() as connection:
            issued = await rolls.issued_count(connection, roll)
        return RollIssuer(roll=roll, issuer_public_key=key.hex(), issued=issued)


@strawberry.type
class RollMutation:
    @strawberry.mutation(
        description="Public: ask to register on an electoral roll (no login), with the commitment to your "
        "pseudonym secret: answer the presentation request with your wallet, then call registerVoter."
    )
    async def request_roll_registration(
        self, info: Info, roll_id: strawberry.ID, commitment: str, idempotency_key: str | None = None
    ) -> RollRegistration:
        verifier = services_from(info.context).verifier
        made = await rolls.request_registration(
            _writes(info), verifier, str(roll_id), commitment, idempotency_key
        )
        return RollRegistration(
            presentation_id=made["presentationId"],
            request_uri=made["requestUri"],
            expires_at=made["expiresAt"],
        )

    @strawberry.mutation(
        description="Public: the identity bureau's roll credential (blind signature over the registration's "
        "commitment), once the registration's presentation verified; once per pseudonym and roll."
    )
    async def register_voter(
        self, info: Info, presentation_id: strawberry.ID, idempotency_key: str | None = None
    ) -> RollCredential:
        verifier = services_from(info.context).verifier
        issued = await rolls.register_with_presentation(
            _writes(info), verifier, check_id(presentation_id), idempotency_key
        )
        return RollCredential.of(issued)

    @strawberry.mutation(
        description="Blind-issue a roll credential on a clerk's word that the citizen is eligible, once per "
        "citizen and roll (clerk:identity); not for a roll defined for registration by presentation.",
        extensions=[requires_role(rolls.CLERK)],
    )
    async def register_voter_by_clerk(
        self,
        info: Info,
        roll_id: strawberry.ID,
        citizen_id: strawberry.ID,
        commitment: str,
        idempotency_key: str | None = None,
    ) -> RollCredential:
        actor = Actor.acting(info.context.principal, rolls.CLERK)
        issued = await rolls.register_by_clerk(
            _writes(info), actor, str(roll_id), str(citizen_id), commitment, idempotency_key
        )
        return RollCredential.of(issued)
