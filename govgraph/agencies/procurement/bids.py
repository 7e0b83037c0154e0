"""Sealed bids on the procurement ledger: a tender's evaluation committee forms a threshold key with the key
ceremony of zk.trustees (commit, reveal, complaints), bidders seal their bids to it (zk.sealed_bid) before
the deadline, and after it t members' proved shares open every bid. What each step writes, refuses and
appends; the protocol is described in docs/procurement.md."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.procurement import ocds
from govgraph.agencies.procurement.models import BidRow, BidShareRow, CommitteeMemberRow, SealedTenderRow
from govgraph.agencies.procurement.packages import dumps
from govgraph.agencies.procurement.releases import insert_published, opened_bids_release
from govgraph.agencies.writes import AgencyWrites, Change, Event, Rows
from govgraph.federation.errors import BadUserInput, Conflict, Forbidden, InvalidProof, NotFound
from zk.errors import InvalidParameters, MalformedInput
from zk.errors import InvalidProof as BidDoesNotOpen
from zk.group import Group
from zk.json_input import load_json
from zk.sealed_bid import BidShare, SealedBid, combine_bid_shares, open_with_shared_point, verify_bid_share
from zk.trustees import (
    Ceremony,
    CoefficientReveal,
    Complaint,
    joint_public_key,
    qualified_trustees,
    verification_key,
    verify_reveal,
)
from zk.wire import element_to_hex

TENDER_OPENED = "govgraph.procurement.SealedTenderOpened/v1"
COMMITTED = "govgraph.procurement.CommitteeCommitted/v1"
REVEALED = "govgraph.procurement.CommitteeRevealed/v1"
CHECKED = "govgraph.procurement.CommitteeChecked/v1"
KEY_FORMED = "govgraph.procurement.TenderKeyFormed/v1"
BID_SEALED = "govgraph.procurement.BidSealed/v1"
SHARES_POSTED = "govgraph.procurement.BidSharesPosted/v1"
BIDS_OPENED = "govgraph.procurement.BidsOpened/v1"
MAX_MEMBERS = 15
MAX_BIDS = 200
_tenders = SealedTenderRow.__table__  # type: ignore[attr-defined]
_members = CommitteeMemberRow.__table__  # type: ignore[attr-defined]
_bids = BidRow.__table__  # type: ignore[attr-defined]
_shares = BidShareRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class SealedTender:
    """A checked request to open a sealed-bid tender."""

    ocid: str
    tender: str
    deadline: float
    deadline_text: str
    threshold: int
    committee: tuple[str, ...]  # the members' actors, in member order (1..n)

    @classmethod
    def checked(
        cls, ocid: str, tender: str, deadline: str, threshold: int, committee: Sequence[str], now: float
    ) -> SealedTender:
        for name, value in (("ocid", ocid), ("tender", tender)):
            if not 0 < len(value) <= 256 or not value.isprintable():
                raise BadUserInput(f"`{name}` must be 1..256 printable characters.")
        moment = parse_time(deadline)
        if moment <= now:
            raise BadUserInput("`deadline` must lie in the future.")
        members = tuple(committee)
        if not 1 <= len(members) <= MAX_MEMBERS or len(set(members)) != len(members):
            raise BadUserInput(f"`committee` must name 1..{MAX_MEMBERS} distinct members.")
        if any(not 0 < len(member) <= 256 or not member.isprintable() for member in members):
            raise BadUserInput("A committee member is an actor such as bearer:<subject>.")
        if not 1 <= threshold <= len(members):
            raise BadUserInput(f"`threshold` must lie in 1..{len(members)} (the committee's size).")
        return cls(ocid, tender, moment, deadline, threshold, members)

    def context(self) -> bytes:
        """What the ceremony and every decryption share are bound to (public: recomputable from the entry)."""
        document = {
            "deadline": self.deadline_text,
            "members": len(self.committee),
            "ocid": self.ocid,
            "tender": self.tender,
            "threshold": self.threshold,
        }
        return hashlib.sha256(ocds.canonical(document)).digest()


def parse_time(text: str) -> float:
    """An RFC 3339 time with its offset (e.g. 2026-12-06T03:00:00Z) as seconds since the epoch."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise BadUserInput(
            "`deadline` must be an RFC 3339 time with an offset, e.g. 2026-12-06T03:00:00Z."
        ) from None
    if moment.tzinfo is None:
        raise BadUserInput("`deadline` must be an RFC 3339 time with an offset, e.g. 2026-12-06T03:00:00Z.")
    return moment.timestamp()


def ceremony_of(group: Group, tender: SealedTenderRow) -> Ceremony:
    return Ceremony(group, tender.members, tender.threshold, bytes.fromhex(tender.context))


async def tender_row(connection: AsyncConnection, tender: str) -> SealedTenderRow:
    row = (await connection.execute(select(_tenders).where(_tenders.c.id == tender))).first()
    if row is None:
        raise NotFound(f"No sealed-bid tender {tender}.")
    return SealedTenderRow(**row._mapping)


async def member_rows(connection: AsyncConnection, tender: str) -> list[CommitteeMemberRow]:
    rows = await connection.execute(
        select(_members).where(_members.c.tender_id == tender).order_by(_members.c.member)
    )
    return [CommitteeMemberRow(**row._mapping) for row in rows]


def member_index(tender: SealedTenderRow, actor: str) -> int:
    """The caller's place on the committee (1..n); FORBIDDEN for anyone else."""
    committee = json.loads(tender.committee)
    if actor not in committee:
        raise Forbidden(f"Only a member of the evaluation committee of {tender.id} may do this.")
    return committee.index(actor) + 1


def open_tender_rows(writes: AgencyWrites, request: SealedTender) -> Rows:
    async def rows(connection: AsyncConnection, index: int) -> Change:
        known = await connection.execute(select(_tenders.c.id).where(_tenders.c.id == request.tender))
        if known.first() is not None:
            raise Conflict(f"Tender {request.tender} is open already.")
        context = request.context().hex()
        await connection.execute(
            insert(_tenders).values(
                id=request.tender,
                ocid=request.ocid,
                deadline=request.deadline,
                deadline_text=request.deadline_text,
                members=len(request.committee),
                threshold=request.threshold,
                committee=dumps(list(request.committee)),
                context=context,
                ledger_index=index,
            )
        )
        fields = {
            "ocid": request.ocid,
            "tender": request.tender,
            "deadline": request.deadline_text,
            "threshold": request.threshold,
            "committee": [writes.keyed_hash("actor", member) for member in request.committee],
            "context": context,
        }
        return Change({"tender": request.tender}, [Event(TENDER_OPENED, fields)])

    return rows


def commit_rows(tender_id: str, actor: str, commitment_hash: str, box_key: str) -> Rows:
    """Round 1: a member's commitment hash and X25519 box key, once."""
    if len(commitment_hash) != 64 or any(c not in "0123456789abcdef" for c in commitment_hash):
        raise BadUserInput("`commitmentHash` must be 64 lower-case hex digits (SHA-256).")
    if len(box_key) != 64 or any(c not in "0123456789abcdef" for c in box_key):
        raise BadUserInput("`boxKey` must be 64 lower-case hex digits (an X25519 public key).")

    async def rows(connection: AsyncConnection, index: int) -> Change:
        tender = await tender_row(connection, tender_id)
        member = member_index(tender, actor)
        mine = [row for row in await member_rows(connection, tender_id) if row.member == member]
        if mine:
            raise Conflict(f"Member {member} of {tender_id} has committed already.")
        await connection.execute(
            insert(_members).values(
                tender_id=tender_id, member=member, commitment_hash=commitment_hash, box_key=box_key
            )
        )
        fields = {"tender": tender_id, "member": member, "commitmentHash": commitment_hash, "boxKey": box_key}
        return Change({"tender": tender_id, "member": member}, [Event(COMMITTED, fields)])

    return rows


def reveal_rows(group: Group, tender_id: str, actor: str, reveal: Any, sealed_shares: Any) -> Rows:
    """Round 2, once every member has committed: the member's coefficient commitments with their proof
    (checked against its round-1 hash) and its shares sealed to the others' box keys."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        tender = await tender_row(connection, tender_id)
        member = member_index(tender, actor)
        members = {row.member: row for row in await member_rows(connection, tender_id)}
        if len(members) < tender.members:
            raise Conflict(f"Reveals wait until every member of {tender_id} has committed.")
        if members[member].reveal is not None:
            raise Conflict(f"Member {member} of {tender_id} has revealed already.")
        ceremony = ceremony_of(group, tender)
        try:
            parsed = CoefficientReveal.from_json(ceremony, reveal)
            shares = _sealed_shares(sealed_shares, member, tender.members)
        except MalformedInput as error:
            raise BadUserInput(str(error)) from None
        if parsed.trustee != member:
            raise BadUserInput(f"The reveal is member {parsed.trustee}'s; you are member {member}.")
        if parsed.commitment_hash(group) != members[member].commitment_hash:
            raise InvalidProof("The reveal does not match the member's commitment hash.")
        if not verify_reveal(ceremony, parsed, members[member].commitment_hash):
            raise InvalidProof("The reveal's proof of knowledge does not verify.")
        document = parsed.to_json(group)
        await connection.execute(
            update(_members)
            .where(_members.c.tender_id == tender_id, _members.c.member == member)
            .values(reveal=dumps(document), sealed_shares=dumps(shares))
        )
        fields = {"tender": tender_id, "member": member, "reveal": document, "sealedShares": shares}
        return Change({"tender": tender_id, "member": member}, [Event(REVEALED, fields)])

    return rows


def _sealed_shares(value: Any, dealer: int, n: int) -> list[dict[str, Any]]:
    """One sealed share to each other member: [{dealer, recipient, sealed (hex)}], recipients in order."""
    if not isinstance(value, list) or len(value) != n - 1:
        raise MalformedInput(f"sealedShares must list one sealed share for each of the {n - 1} other members")
    shares = []
    for k, item in enumerate(value):
        if not isinstance(item, dict) or sorted(item) != ["dealer", "recipient", "sealed"]:
            raise MalformedInput(f"sealedShares[{k}] must hold dealer, recipient and sealed")
        recipient = item["recipient"]
        sealed = item["sealed"]
        if (
            item["dealer"] != dealer
            or type(recipient) is not int
            or not 1 <= recipient <= n
            or recipient == dealer
        ):
            raise MalformedInput(f"sealedShares[{k}] must go from member {dealer} to another member")
        if not isinstance(sealed, str) or not 0 < len(sealed) <= 1024 or len(sealed) % 2:
            raise MalformedInput(f"sealedShares[{k}].sealed must be hex")
        try:
            bytes.fromhex(sealed)
        except ValueError:
            raise MalformedInput(f"sealedShares[{k}].sealed must be hex") from None
        shares.append({"dealer": dealer, "recipient": recipient, "sealed": sealed})
    if sorted(share["recipient"] for share in shares) != [j for j in range(1, n + 1) if j != dealer]:
        raise MalformedInput("sealedShares must go to every other member once")
    return shares


def check_rows(group: Group, tender_id: str, actor: str, accused: Sequence[int]) -> Rows:
    """Round 3: a member's complaints (the dealers whose share it could not open or check; none confirms).
    With every member's word in, the key forms: QUAL excludes a dealer with a complaint (there is no answer
    round), and needs at least t members."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        tender = await tender_row(connection, tender_id)
        member = member_index(tender, actor)
        members = {row.member: row for row in await member_rows(connection, tender_id)}
        if len(members) < tender.members or any(row.reveal is None for row in members.values()):
            raise Conflict(f"Complaints wait until every member of {tender_id} has revealed.")
        if members[member].complaints is not None:
            raise Conflict(f"Member {member} of {tender_id} has checked its shares already.")
        if any(type(j) is not int or not 1 <= j <= tender.members or j == member for j in accused):
            raise BadUserInput(f"`accused` must list other members, 1..{tender.members}.")
        chosen = sorted(set(accused))
        await connection.execute(
            update(_members)
            .where(_members.c.tender_id == tender_id, _members.c.member == member)
            .values(complaints=dumps(chosen))
        )
        events = [Event(CHECKED, {"tender": tender_id, "member": member, "accused": chosen})]
        members[member].complaints = dumps(chosen)
        if all(row.complaints is not None for row in members.values()):
            events.append(await _form_key(connection, group, tender, members))
        return Change({"tender": tender_id, "member": member}, events)

    return rows


async def _form_key(
    connection: AsyncConnection, group: Group, tender: SealedTenderRow, members: dict[int, CommitteeMemberRow]
) -> Event:
    ceremony = ceremony_of(group, tender)
    reveals = {
        j: CoefficientReveal.from_json(ceremony, json.loads(row.reveal or "null"))
        for j, row in members.items()
    }
    hashes = {j: row.commitment_hash for j, row in members.items()}
    complaints = [
        Complaint(j, accused) for j, row in members.items() for accused in json.loads(row.complaints or "[]")
    ]
    qualified = qualified_trustees(ceremony, reveals, hashes, complaints, [])
    if len(qualified) < tender.threshold:
        raise Conflict(
            f"Only {len(qualified)} members qualify, the threshold is {tender.threshold}: the committee must "
            "start again under a new tender id."
        )
    key = element_to_hex(group, joint_public_key(ceremony, reveals, qualified))
    keys = {
        str(j): element_to_hex(group, verification_key(ceremony, reveals, qualified, j)) for j in qualified
    }
    await connection.execute(
        update(_tenders).where(_tenders.c.id == tender.id).values(public_key=key, qualified=dumps(qualified))
    )
    fields = {"tender": tender.id, "qualified": qualified, "publicKey": key, "verificationKeys": keys}
    return Event(KEY_FORMED, fields)


def seal_rows(
    writes: AgencyWrites,
    group: Group,
    clock: Callable[[], float],
    tender_id: str,
    bidder: str,
    sealed: SealedBid,
) -> Rows:
    """A bid sealed before the deadline (checked at the moment the transaction runs, serialized with every
    other write of the office): BidSealed with the ciphertext's hash and the bidder as a keyed hash (who bid
    stays hidden until the opening names them). A bidder's earlier bid is replaced.
    CONFLICT at or after the deadline, or before the committee's key is formed."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        tender = await tender_row(connection, tender_id)
        now = clock()
        if now >= tender.deadline:
            raise Conflict(f"The deadline of {tender_id} has passed: no bid is added or changed after it.")
        if tender.public_key is None:
            raise Conflict(f"The committee of {tender_id} has not formed its key yet.")
        current = (
            await connection.execute(
                select(_bids.c.id).where(_bids.c.tender_id == tender_id, _bids.c.current)
            )
        ).all()
        if len(current) >= MAX_BIDS:
            raise Conflict(f"{tender_id} holds {MAX_BIDS} bids, the most one tender takes.")
        replaced = (
            await connection.execute(
                update(_bids)
                .where(_bids.c.tender_id == tender_id, _bids.c.bidder == bidder, _bids.c.current)
                .values(current=False)
                .returning(_bids.c.id)
            )
        ).first()
        bid_id = f"bid-{index}"
        digest = sealed.digest(group)
        await connection.execute(
            insert(_bids).values(
                id=bid_id,
                tender_id=tender_id,
                bidder=bidder,
                ciphertext=dumps(sealed.to_json(group)),
                digest=digest,
                submitted_at=now,
                ledger_index=index,
            )
        )
        fields = {
            "tender": tender_id,
            "bid": bid_id,
            "bidder": writes.keyed_hash("bidder", bidder),
            "ciphertextHash": digest,
            "replaces": replaced.id if replaced else None,
        }
        return Change({"bid": bid_id}, [Event(BID_SEALED, fields)])

    return rows


def shares_rows(group: Group, clock: Callable[[], float], tender_id: str, actor: str, shares: Any) -> Rows:
    """A qualified member's proved shares of every current bid, after the deadline: BidSharesPosted. The
    t-th member's shares open the bids in the same transaction (BidsOpened). A share whose proof fails is
    INVALID_PROOF and nothing is recorded."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        tender = await tender_row(connection, tender_id)
        member = member_index(tender, actor)
        if clock() < tender.deadline:
            raise Conflict(f"The bids of {tender_id} open only after its deadline, {tender.deadline_text}.")
        if tender.qualified is None:
            raise Conflict(f"The committee of {tender_id} has not formed its key yet.")
        qualified = json.loads(tender.qualified)
        if member not in qualified:
            raise Conflict(f"Member {member} is not among the qualified members of {tender_id}.")
        members = {row.member: row for row in await member_rows(connection, tender_id)}
        if members[member].shares_posted:
            raise Conflict(f"Member {member} has posted its shares of {tender_id} already.")
        bids = [
            BidRow(**row._mapping)
            for row in await connection.execute(
                select(_bids).where(_bids.c.tender_id == tender_id, _bids.c.current).order_by(_bids.c.id)
            )
        ]
        parsed = _parse_shares(group, shares, member, tender.members, [bid.id for bid in bids])
        ceremony = ceremony_of(group, tender)
        reveals = {
            j: CoefficientReveal.from_json(ceremony, json.loads(members[j].reveal or "null"))
            for j in qualified
        }
        key = verification_key(ceremony, reveals, qualified, member)
        context = bytes.fromhex(tender.context)
        for bid in bids:
            sealed = SealedBid.from_json(group, json.loads(bid.ciphertext))
            if not verify_bid_share(group, context, tender_id, sealed, parsed[bid.id], key):
                raise InvalidProof(f"Member {member}'s share of {bid.id} does not verify: refused.")
        documents = {bid_id: share.to_json(group) for bid_id, share in parsed.items()}
        if bids:
            await connection.execute(
                insert(_shares),
                [
                    {
                        "tender_id": tender_id,
                        "member": member,
                        "bid_id": bid_id,
                        "share": dumps(document),
                        "ledger_index": index,
                    }
                    for bid_id, document in documents.items()
                ],
            )
        await connection.execute(
            update(_members)
            .where(_members.c.tender_id == tender_id, _members.c.member == member)
            .values(shares_posted=True)
        )
        events = [Event(SHARES_POSTED, {"tender": tender_id, "member": member, "shares": documents})]
        posted = sum(1 for row in members.values() if row.shares_posted) + 1
        if posted >= tender.threshold and not tender.opened:
            opened, details = await _open_bids(connection, group, tender, bids)
            events.append(opened)
            moment = utc_text(clock())
            release = opened_bids_release(tender.ocid, tender_id, moment, details)
            events.append(await insert_published(connection, index + len(events), release))
        return Change({"tender": tender_id, "member": member, "opened": len(events) > 1}, events)

    return rows


def utc_text(seconds: float) -> str:
    """RFC 3339 UTC to the second, as OCDS dates are written."""
    return datetime.datetime.fromtimestamp(int(seconds), datetime.UTC).isoformat().replace("+00:00", "Z")


def _bid_detail(bid: BidRow, status: str, value: Any) -> dict[str, Any]:
    """A bid as the OCDS bid extension writes it: `pending` (opened, not yet evaluated) or `disqualified`
    (it did not open), its tenderer, and its value when the opened bid states an amount and a currency."""
    detail: dict[str, Any] = {
        "id": bid.id,
        "date": utc_text(bid.submitted_at),
        "status": "pending" if status == "opened" else "disqualified",
        "tenderers": [{"name": bid.bidder.partition(":")[2]}],
    }
    if isinstance(value, dict):
        amount, currency = value.get("amount"), value.get("currency")
        if isinstance(amount, (int, float)) and not isinstance(amount, bool) and isinstance(currency, str):
            detail["value"] = {"amount": amount, "currency": currency}
    return detail


def _parse_shares(group: Group, value: Any, member: int, n: int, bid_ids: list[str]) -> dict[str, BidShare]:
    if not isinstance(value, dict) or sorted(value) != sorted(bid_ids):
        raise BadUserInput(
            f"`shares` must hold one share for each current bid: {', '.join(bid_ids) or 'none'}."
        )
    parsed = {}
    for bid_id in bid_ids:
        try:
            share = BidShare.from_json(group, value[bid_id], n, f"shares.{bid_id}")
        except MalformedInput as error:
            raise BadUserInput(str(error)) from None
        if share.member != member:
            raise BadUserInput(f"shares.{bid_id} is member {share.member}'s; you are member {member}.")
        parsed[bid_id] = share
    return parsed


async def _open_bids(
    connection: AsyncConnection, group: Group, tender: SealedTenderRow, bids: list[BidRow]
) -> tuple[Event, list[dict[str, Any]]]:
    """Combine the posted shares of each bid (the first t members by index) and open it."""
    rows = await connection.execute(select(_shares).where(_shares.c.tender_id == tender.id))
    by_bid: dict[str, list[BidShare]] = {}
    for row in rows:
        share = BidShare.from_json(group, json.loads(row.share), tender.members)
        by_bid.setdefault(row.bid_id, []).append(share)
    opened, details = [], []
    for bid in bids:
        value = None
        sealed = SealedBid.from_json(group, json.loads(bid.ciphertext))
        shares = sorted(by_bid.get(bid.id, []), key=lambda share: share.member)
        try:
            shared = combine_bid_shares(group, shares, tender.threshold)
            plaintext = open_with_shared_point(group, sealed, tender.id, bid.bidder, shared)
            value = load_json(plaintext, what="bid")
            status, text = "opened", json.dumps(value, ensure_ascii=False)
        except (InvalidParameters, MalformedInput, UnicodeDecodeError, BidDoesNotOpen):
            status, text = "unreadable", None
        await connection.execute(
            update(_bids).where(_bids.c.id == bid.id).values(status=status, plaintext=text)
        )
        details.append(_bid_detail(bid, status, value))
        opened.append(
            {
                "bid": bid.id,
                "bidder": bid.bidder,
                "status": status,
                "bidHash": hashlib.sha256(text.encode()).hexdigest() if text is not None else None,
            }
        )
    posted = sorted({share.member for shares in by_bid.values() for share in shares})
    members = posted[: tender.threshold]  # combine_bid_shares uses the first t by index
    await connection.execute(update(_tenders).where(_tenders.c.id == tender.id).values(opened=True))
    return Event(BIDS_OPENED, {"tender": tender.id, "members": members, "bids": opened}), details
