"""The sealed-bid service: each step of the committee's key ceremony, bid submission and opening through
the procurement write path (bids.py holds the rows and rules), and the tender's public state for members,
bidders and auditors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.procurement import bids, ocds
from govgraph.agencies.procurement.models import BidRow, BidShareRow, CommitteeMemberRow, SealedTenderRow
from govgraph.agencies.writes import Actor, AgencyWrites, Rows, Written
from govgraph.federation.errors import BadUserInput, NotFound
from zk.errors import MalformedInput
from zk.group import Group, g1_group
from zk.sealed_bid import SealedBid


class SealedBidService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writes: AgencyWrites | None = None,
        *,
        group: Group | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sessions = sessions
        self.writes = writes
        self.group = group or g1_group()
        self.clock = clock

    async def _write(
        self, actor: Actor, operation: str, arguments: dict[str, Any], rows: Rows, key: str | None = None
    ) -> Written:
        if key is not None:
            ocds.canonical(arguments)  # the key's record hashes the input: refuse what RFC 8785 cannot write
        return await self._require().write(actor, operation, arguments, rows, key)

    def _require(self) -> AgencyWrites:
        if self.writes is None:
            raise RuntimeError("no write path for procurement: the app starts one per agency with a ledger")
        return self.writes

    async def open_tender(
        self,
        actor: Actor,
        ocid: str,
        tender: str,
        deadline: str,
        threshold: int,
        committee: Sequence[str],
        key: str | None = None,
    ) -> SealedTenderRow:
        request = bids.SealedTender.checked(ocid, tender, deadline, threshold, committee, self.clock())
        arguments = {
            "ocid": ocid,
            "tender": tender,
            "deadline": deadline,
            "threshold": threshold,
            "committee": list(committee),
        }
        rows = bids.open_tender_rows(self._require(), request)
        await self._write(actor, "openSealedTender", arguments, rows, key)
        return await self.tender(tender)

    async def commit(
        self, actor: Actor, tender: str, commitment_hash: str, box_key: str, key: str | None = None
    ) -> SealedTenderRow:
        rows = bids.commit_rows(tender, actor.identity, commitment_hash, box_key)
        arguments = {"tender": tender, "commitmentHash": commitment_hash, "boxKey": box_key}
        await self._write(actor, "commitToTenderKey", arguments, rows, key)
        return await self.tender(tender)

    async def reveal(
        self, actor: Actor, tender: str, reveal: Any, sealed_shares: Any, key: str | None = None
    ) -> SealedTenderRow:
        rows = bids.reveal_rows(self.group, tender, actor.identity, reveal, sealed_shares)
        arguments = {"tender": tender, "reveal": reveal, "sealedShares": sealed_shares}
        await self._write(actor, "revealTenderKeyShares", arguments, rows, key)
        return await self.tender(tender)

    async def check(
        self, actor: Actor, tender: str, accused: Sequence[int], key: str | None = None
    ) -> SealedTenderRow:
        rows = bids.check_rows(self.group, tender, actor.identity, accused)
        arguments = {"tender": tender, "accused": list(accused)}
        await self._write(actor, "checkTenderKeyShares", arguments, rows, key)
        return await self.tender(tender)

    async def submit_bid(
        self, actor: Actor, company: str, tender: str, bid: Any, key: str | None = None
    ) -> BidRow:
        """Seal `company`'s bid (its role, service:<company>: the bid's associated data names it)."""
        try:
            sealed = SealedBid.from_json(self.group, bid)
        except MalformedInput as error:
            raise BadUserInput(str(error)) from None
        rows = bids.seal_rows(self._require(), self.group, self.clock, tender, company, sealed)
        written = await self._write(actor, "submitSealedBid", {"tender": tender, "bid": bid}, rows, key)
        return await self.bid(written.result["bid"])

    async def post_shares(
        self, actor: Actor, tender: str, shares: Any, key: str | None = None
    ) -> SealedTenderRow:
        rows = bids.shares_rows(self.group, self.clock, tender, actor.identity, shares)
        await self._write(actor, "postBidShares", {"tender": tender, "shares": shares}, rows, key)
        return await self.tender(tender)

    async def tender(self, tender: str) -> SealedTenderRow:
        async with self.sessions() as session:
            row = await session.get(SealedTenderRow, tender)
        if row is None:
            raise NotFound(f"No sealed-bid tender {tender}.")
        return row

    async def find_tender(self, tender: str) -> SealedTenderRow | None:
        async with self.sessions() as session:
            return await session.get(SealedTenderRow, tender)

    async def bid(self, bid_id: str) -> BidRow:
        async with self.sessions() as session:
            row = await session.get(BidRow, bid_id)
        if row is None:
            raise NotFound(f"No bid {bid_id}.")
        return row

    async def members(self, tender: str) -> list[CommitteeMemberRow]:
        async with self.sessions() as session:
            query = select(CommitteeMemberRow).where(CommitteeMemberRow.tender_id == tender)
            return list((await session.exec(query.order_by(col(CommitteeMemberRow.member)))).all())

    async def bids(self, tender: str) -> list[BidRow]:
        async with self.sessions() as session:
            query = select(BidRow).where(BidRow.tender_id == tender).order_by(col(BidRow.ledger_index))
            return list((await session.exec(query)).all())

    async def shares(self, tender: str) -> list[BidShareRow]:
        async with self.sessions() as session:
            query = select(BidShareRow).where(BidShareRow.tender_id == tender)
            rows = await session.exec(query.order_by(col(BidShareRow.member), col(BidShareRow.bid_id)))
            return list(rows.all())


def opened_value(row: BidRow) -> Any:
    """An opened bid's JSON value (None while sealed or when it did not open)."""
    return json.loads(row.plaintext) if row.plaintext is not None else None
