"""The sealed-bid GraphQL types and mutations: a tender's committee ceremony (commit, reveal, check), bids
sealed by companies (`service:<company>`), members' decryption shares, and the tender's public state (every
message the ledger holds, so anyone can recompute the key and the opening)."""

from __future__ import annotations

import json

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from govgraph.agencies.ledger_links import LedgerEntry, ledger_entry
from govgraph.agencies.procurement.bids_service import SealedBidService, opened_value
from govgraph.agencies.procurement.models import BidRow, SealedTenderRow
from govgraph.agencies.procurement.service import AGENCY, OFFICIAL
from govgraph.agencies.writes import Actor, writes_for
from govgraph.auth.permissions import requires_role, requires_role_kind
from govgraph.federation.errors import Forbidden

BIDDER = "service:*"  # the role a bid's entry names: any company's


def _service(info: Info) -> SealedBidService:
    return SealedBidService(info.context.sessions, writes_for(info.context, AGENCY))


@strawberry.type(description="A committee member's key-ceremony messages (public).")
class CommitteeMember:
    member: int
    commitment_hash: str
    box_key: str
    reveal: JSON | None
    sealed_shares: JSON | None
    accused: list[int] | None = strawberry.field(description="Its complaints; [] confirms its shares.")
    shares_posted: bool


@strawberry.type(
    description="A sealed bid: the ciphertext and its hash; who bid and the bid itself once the bids open."
)
class SealedBid:
    id: strawberry.ID
    bidder: str | None = strawberry.field(description="The bidder's role (service:<company>), once opened.")
    ciphertext: JSON
    ciphertext_hash: str
    submitted_at: float = strawberry.field(description="Seconds since the epoch, when the office took it.")
    current: bool = strawberry.field(description="False once its bidder replaced it before the deadline.")
    status: str = strawberry.field(description="sealed, opened or unreadable.")
    value: JSON | None = strawberry.field(description="The opened bid (null while sealed).")
    ledger_index: strawberry.Private[int]

    @strawberry.field
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @classmethod
    def from_row(cls, row: BidRow, *, named: bool) -> SealedBid:
        """`named`: show the bidder (the bids are open, or the bidder is asking about its own bid)."""
        return cls(
            id=strawberry.ID(row.id),
            bidder=row.bidder if named else None,
            ciphertext=json.loads(row.ciphertext),
            ciphertext_hash=row.digest,
            submitted_at=row.submitted_at,
            current=row.current,
            status=row.status,
            value=opened_value(row),
            ledger_index=row.ledger_index,
        )


@strawberry.type(description="A member's proved decryption share of one bid.")
class BidShare:
    member: int
    bid: strawberry.ID
    share: JSON


@strawberry.type(description="A tender whose bids are sealed to its committee's threshold key.")
class SealedTender:
    id: strawberry.ID
    ocid: str
    deadline: str
    threshold: int
    members: int
    context: str = strawberry.field(description="Hex: what the ceremony and every share are bound to.")
    public_key: str | None = strawberry.field(description="The committee's key (hex G1), once formed.")
    qualified: list[int] | None
    opened: bool

    @strawberry.field(description="The members' ceremony messages, by member index.")
    async def committee(self, info: Info) -> list[CommitteeMember]:
        rows = await _service(info).members(str(self.id))
        return [
            CommitteeMember(
                member=row.member,
                commitment_hash=row.commitment_hash,
                box_key=row.box_key,
                reveal=json.loads(row.reveal) if row.reveal else None,
                sealed_shares=json.loads(row.sealed_shares) if row.sealed_shares else None,
                accused=json.loads(row.complaints) if row.complaints is not None else None,
                shares_posted=row.shares_posted,
            )
            for row in rows
        ]

    @strawberry.field(description="Every bid submitted, in ledger order (replaced ones too).")
    async def bids(self, info: Info) -> list[SealedBid]:
        rows = await _service(info).bids(str(self.id))
        return [SealedBid.from_row(row, named=self.opened) for row in rows]

    @strawberry.field(description="The decryption shares posted after the deadline.")
    async def shares(self, info: Info) -> list[BidShare]:
        rows = await _service(info).shares(str(self.id))
        return [
            BidShare(member=row.member, bid=strawberry.ID(row.bid_id), share=json.loads(row.share))
            for row in rows
        ]

    @classmethod
    def from_row(cls, row: SealedTenderRow) -> SealedTender:
        return cls(
            id=strawberry.ID(row.id),
            ocid=row.ocid,
            deadline=row.deadline_text,
            threshold=row.threshold,
            members=row.members,
            context=row.context,
            public_key=row.public_key,
            qualified=json.loads(row.qualified) if row.qualified else None,
            opened=row.opened,
        )


@strawberry.input(description="A tender to receive sealed bids.")
class OpenSealedTenderInput:
    ocid: str
    tender: strawberry.ID = strawberry.field(description="The OCDS tender id.")
    deadline: str = strawberry.field(description="RFC 3339 with an offset: no bid is taken at or after it.")
    threshold: int = strawberry.field(description="t: how many members open the bids together.")
    committee: list[str] = strawberry.field(description="The members' actors (`bearer:<subject>`), in order.")


def _official(info: Info) -> Actor:
    return Actor.acting(info.context.principal, OFFICIAL)


def _bidder(info: Info) -> tuple[Actor, str]:
    """Who bids: the entry's actor acts as `service:*` (its keyed hash is the only trace of who it is until
    the opening) and the company is the credential's one service role."""
    principal = info.context.principal
    companies = sorted(role for role in principal.roles if role.startswith("service:"))
    if len(companies) != 1 or principal.actor is None:
        raise Forbidden("A bid is made with a credential holding exactly one service:<company> role.")
    return Actor(BIDDER, principal.actor), companies[0]


@strawberry.type
class Query:
    @strawberry.field(description="A sealed-bid tender by its tender id.")
    async def sealed_tender(self, info: Info, id: strawberry.ID) -> SealedTender | None:
        row = await _service(info).find_tender(str(id))
        return SealedTender.from_row(row) if row else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Open a tender to sealed bids (official:procurement): its committee, threshold and "
        "deadline.",
        extensions=[requires_role(OFFICIAL)],
    )
    async def open_sealed_tender(
        self, info: Info, input: OpenSealedTenderInput, idempotency_key: str | None = None
    ) -> SealedTender:
        row = await _service(info).open_tender(
            _official(info),
            input.ocid,
            str(input.tender),
            input.deadline,
            input.threshold,
            input.committee,
            idempotency_key,
        )
        return SealedTender.from_row(row)

    @strawberry.mutation(
        description="Key ceremony, round 1 (a committee member, official:procurement): the member's "
        "commitment hash and X25519 box key.",
        extensions=[requires_role(OFFICIAL)],
    )
    async def commit_to_tender_key(
        self,
        info: Info,
        tender: strawberry.ID,
        commitment_hash: str,
        box_key: str,
        idempotency_key: str | None = None,
    ) -> SealedTender:
        service = _service(info)
        row = await service.commit(_official(info), str(tender), commitment_hash, box_key, idempotency_key)
        return SealedTender.from_row(row)

    @strawberry.mutation(
        description="Key ceremony, round 2 (a member): coefficient commitments with proof, and shares sealed "
        "to the other members; once every member has committed.",
        extensions=[requires_role(OFFICIAL)],
    )
    async def reveal_tender_key_shares(
        self,
        info: Info,
        tender: strawberry.ID,
        reveal: JSON,
        sealed_shares: JSON,
        idempotency_key: str | None = None,
    ) -> SealedTender:
        service = _service(info)
        row = await service.reveal(_official(info), str(tender), reveal, sealed_shares, idempotency_key)
        return SealedTender.from_row(row)

    @strawberry.mutation(
        description="Key ceremony, round 3 (a member): the dealers whose shares failed its check ([] "
        "confirms). The last member's word forms the key.",
        extensions=[requires_role(OFFICIAL)],
    )
    async def check_tender_key_shares(
        self, info: Info, tender: strawberry.ID, accused: list[int], idempotency_key: str | None = None
    ) -> SealedTender:
        row = await _service(info).check(_official(info), str(tender), accused, idempotency_key)
        return SealedTender.from_row(row)

    @strawberry.mutation(
        description="Submit (or, before the deadline, replace) a sealed bid (service:<company>). CONFLICT at "
        "or after the deadline.",
        extensions=[requires_role_kind("service")],
    )
    async def submit_sealed_bid(
        self, info: Info, tender: strawberry.ID, bid: JSON, idempotency_key: str | None = None
    ) -> SealedBid:
        actor, company = _bidder(info)
        row = await _service(info).submit_bid(actor, company, str(tender), bid, idempotency_key)
        return SealedBid.from_row(row, named=True)

    @strawberry.mutation(
        description="Post a qualified member's proved decryption shares of every current bid, after the "
        "deadline (official:procurement). INVALID_PROOF refuses a share that does not verify; the t-th "
        "member's shares open the bids.",
        extensions=[requires_role(OFFICIAL)],
    )
    async def post_bid_shares(
        self, info: Info, tender: strawberry.ID, shares: JSON, idempotency_key: str | None = None
    ) -> SealedTender:
        row = await _service(info).post_shares(_official(info), str(tender), shares, idempotency_key)
        return SealedTender.from_row(row)
