"""A tender's evaluation committee and its bidders as clients of the public /graphql: each member runs its
side of the key ceremony with zk.trustees and posts each round's message, bidders seal with zk.sealed_bid,
members post proved shares. The office never sees a member's secret."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field

from tests.govgraph.agencies.procurement.office import OFFICIAL, Office
from zk.group import Group, g1_group
from zk.sealed_bid import SealedBid, bid_share, seal
from zk.trustees import Ceremony, CoefficientReveal, SealedShare, Trustee, verification_key
from zk.wire import element_from_hex

OPEN = """mutation ($input: OpenSealedTenderInput!) { openSealedTender(input: $input) { id context } }"""
COMMIT = """mutation ($t: ID!, $h: String!, $k: String!) {
  commitToTenderKey(tender: $t, commitmentHash: $h, boxKey: $k) { id } }"""
REVEAL = """mutation ($t: ID!, $r: JSON!, $s: JSON!) {
  revealTenderKeyShares(tender: $t, reveal: $r, sealedShares: $s) { id } }"""
CHECK = """mutation ($t: ID!, $a: [Int!]!) {
  checkTenderKeyShares(tender: $t, accused: $a) { id publicKey qualified } }"""
BID = """mutation ($t: ID!, $b: JSON!) {
  submitSealedBid(tender: $t, bid: $b) {
    id bidder ciphertextHash submittedAt status ledgerEntry { index } } }"""
SHARES = """mutation ($t: ID!, $s: JSON!) { postBidShares(tender: $t, shares: $s) { opened } }"""
TENDER = """query ($t: ID!) { sealedTender(id: $t) {
  id ocid deadline threshold members context publicKey qualified opened
  committee { member commitmentHash boxKey reveal sealedShares accused sharesPosted }
  bids { id bidder ciphertext ciphertextHash current status value ledgerEntry { index } }
  shares { member bid share } } }"""


def rfc3339(seconds: float) -> str:
    """A deadline as the office takes it: RFC 3339 UTC to the millisecond."""
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Committee:
    office: Office
    tender: str
    group: Group
    ceremony: Ceremony
    members: dict[int, Trustee]
    tokens: dict[int, str]
    public_key: object = None
    keys: dict[int, object] = field(default_factory=dict)

    def state(self) -> dict:
        return self.office.post(TENDER, {"t": self.tender})["data"]["sealedTender"]

    def share_document(self, member: int, secret_offset: int = 0) -> dict:
        """Member `member`'s shares of every current bid (a wrong secret with `secret_offset`)."""
        state = self.state()
        secret = self.members[member].secret_share + secret_offset
        documents = {}
        for bid in state["bids"]:
            if bid["current"]:
                sealed = SealedBid.from_json(self.group, bid["ciphertext"])
                share = bid_share(
                    self.group, self.ceremony.context, self.tender, sealed, member, secret, self.keys[member]
                )
                documents[bid["id"]] = share.to_json(self.group)
        return documents

    def post_shares(self, member: int, shares: dict | None = None) -> dict:
        documents = self.share_document(member) if shares is None else shares
        return self.office.post(SHARES, {"t": self.tender, "s": documents}, self.tokens[member])


def form_committee(office: Office, ocid: str, tender: str, deadline: str, n: int, t: int) -> Committee:
    """Open the tender and run the whole ceremony through /graphql; the key and QUAL come back from it."""
    group = g1_group()
    tokens = {j: office.token(f"{tender}-member-{j}", OFFICIAL) for j in range(1, n + 1)}
    committee = [f"bearer:{tender}-member-{j}" for j in range(1, n + 1)]
    variables = {
        "input": {
            "ocid": ocid,
            "tender": tender,
            "deadline": deadline,
            "threshold": t,
            "committee": committee,
        }
    }
    opened = office.post(OPEN, variables, office.official)
    assert "errors" not in opened, opened
    ceremony = Ceremony(group, n, t, bytes.fromhex(opened["data"]["openSealedTender"]["context"]))
    members = {j: Trustee(ceremony, j) for j in range(1, n + 1)}
    for j, member in members.items():
        body = office.post(
            COMMIT, {"t": tender, "h": member.commitment_hash(), "k": member.box_public_key.hex()}, tokens[j]
        )
        assert "errors" not in body, body
    state = office.post(TENDER, {"t": tender})["data"]["sealedTender"]
    box_keys = {row["member"]: bytes.fromhex(row["boxKey"]) for row in state["committee"]}
    for j, member in members.items():
        sealed = [share.to_json() for share in member.deal(box_keys)]
        body = office.post(REVEAL, {"t": tender, "r": member.reveal.to_json(group), "s": sealed}, tokens[j])
        assert "errors" not in body, body
    state = office.post(TENDER, {"t": tender})["data"]["sealedTender"]
    reveals = {
        row["member"]: CoefficientReveal.from_json(ceremony, row["reveal"]) for row in state["committee"]
    }
    hashes = {row["member"]: row["commitmentHash"] for row in state["committee"]}
    sealed_shares = [
        SealedShare(item["dealer"], item["recipient"], bytes.fromhex(item["sealed"]))
        for row in state["committee"]
        for item in row["sealedShares"]
    ]
    for j, member in members.items():
        accused = [complaint.accused for complaint in member.receive(reveals, hashes, sealed_shares)]
        body = office.post(CHECK, {"t": tender, "a": accused}, tokens[j])
        assert "errors" not in body, body
    formed = body["data"]["checkTenderKeyShares"]
    for j in formed["qualified"]:
        members[j].finalize(formed["qualified"], [])
    keys = {j: verification_key(ceremony, reveals, formed["qualified"], j) for j in formed["qualified"]}
    key = element_from_hex(group, formed["publicKey"], "publicKey")
    return Committee(office, tender, group, ceremony, members, tokens, key, keys)


def sealed_bid(committee: Committee, bidder: str, value: dict) -> dict:
    """A bid sealed by `bidder` (its service role) to the committee's key, as JSON for submitSealedBid."""
    plaintext = json.dumps(value).encode()
    return seal(committee.group, committee.public_key, committee.tender, bidder, plaintext).to_json(
        committee.group
    )
