"""Sealed bids over real HTTP (`govgraph serve`, the public /graphql): the committee's key ceremony, bids
sealed before the deadline and refused after it (also when racing it), fewer than t shares opening nothing,
a cheating member's share refused with its proof failure, an absent member tolerated, and the opening
recomputed by an auditor from the ledger's entries alone."""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor

import rfc8785
from jsonschema import Draft4Validator, FormatChecker

from tests.govgraph.agencies.procurement.committee import BID, TENDER, form_committee, rfc3339, sealed_bid
from tests.govgraph.agencies.procurement.office import Office, only_error
from tests.govgraph.agencies.procurement.standards import SCHEMAS
from zk.sealed_bid import BidShare, SealedBid, combine_bid_shares, open_with_shared_point, verify_bid_share
from zk.wire import element_from_hex

OFFERS = {
    "service:acme": {"amount": 171250, "currency": "EUR"},
    "service:globex": {"amount": 168900, "currency": "EUR"},
    "service:initech": {"amount": 180000, "currency": "EUR"},
}


def wait_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()) + 0.05)


def validator_errors(release: dict):
    """The release's errors against the OCDS 1.1.5 release schema of the standards folder."""
    schema = json.loads((SCHEMAS / "release-schema.json").read_text())
    return Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(release)


def bid_token(office: Office, role: str) -> str:
    return office.token(f"{role.partition(':')[2]}-bot", role)


def test_bids_open_with_three_of_four_members_and_not_before(office: Office) -> None:
    deadline = time.time() + 6
    committee = form_committee(office, "ocds-gvgr01-0200", "t-200", rfc3339(deadline), n=4, t=3)
    assert committee.state()["qualified"] == [1, 2, 3, 4]
    for role, offer in OFFERS.items():
        body = office.post(
            BID, {"t": "t-200", "b": sealed_bid(committee, role, offer)}, bid_token(office, role)
        )
        assert body["data"]["submitSealedBid"]["status"] == "sealed", body
    # initech replaces its bid before the deadline: the later one counts.
    lower = {"amount": 165000, "currency": "EUR"}
    replaced = office.post(
        BID,
        {"t": "t-200", "b": sealed_bid(committee, "service:initech", lower)},
        bid_token(office, "service:initech"),
    )
    assert replaced["data"]["submitSealedBid"]["bidder"] == "service:initech"
    early = committee.post_shares(1)
    assert only_error(early) == (
        "CONFLICT",
        f"The bids of t-200 open only after its deadline, {rfc3339(deadline)}.",
    )

    wait_until(deadline)
    before = office.sizes()
    late = sealed_bid(committee, "service:hooli", {"amount": 1, "currency": "EUR"})
    message = "The deadline of t-200 has passed: no bid is added or changed after it."
    assert only_error(office.post(BID, {"t": "t-200", "b": late}, bid_token(office, "service:hooli"))) == (
        "CONFLICT",
        message,
    )
    change = sealed_bid(committee, "service:acme", {"amount": 1, "currency": "EUR"})
    assert only_error(office.post(BID, {"t": "t-200", "b": change}, bid_token(office, "service:acme"))) == (
        "CONFLICT",
        message,
    )
    assert office.sizes() == before

    # Member 1 posts; one share of t = 3 opens nothing.
    assert committee.post_shares(1) == {"data": {"postBidShares": {"opened": False}}}
    assert {bid["status"] for bid in committee.state()["bids"]} == {"sealed"}
    assert all(bid["value"] is None and bid["bidder"] is None for bid in committee.state()["bids"])
    # Member 2 cheats (a share under a wrong secret): refused by its proof, nothing appended.
    cheating = committee.share_document(2, secret_offset=1)
    before = office.sizes()
    code, text = only_error(committee.post_shares(2, cheating))
    assert code == "INVALID_PROOF"
    assert text.startswith("Member 2's share of bid-") and text.endswith(" does not verify: refused.")
    assert office.sizes() == before
    # Member 2's honest share: two of three, still sealed. Member 4 is absent; member 3's share opens them.
    assert committee.post_shares(2) == {"data": {"postBidShares": {"opened": False}}}
    assert committee.post_shares(3) == {"data": {"postBidShares": {"opened": True}}}
    state = committee.state()
    assert state["opened"] is True
    current = {bid["bidder"]: bid for bid in state["bids"] if bid["current"]}
    assert {bidder: bid["value"] for bidder, bid in current.items()} == {**OFFERS, "service:initech": lower}
    assert {bid["status"] for bid in current.values()} == {"opened"}
    assert [bid["value"] for bid in state["bids"] if not bid["current"]] == [None]
    # The opening is published into the process as an OCDS release with the bid extension's details.
    [release] = office.get("/procurement/ocds/releases/ocds-gvgr01-0200").json()["releases"]
    assert (release["id"], release["tag"], release["tender"]) == (
        "ocds-gvgr01-0200-bids-t-200",
        ["tenderUpdate"],
        {"id": "t-200"},
    )
    details = {detail["tenderers"][0]["name"]: detail for detail in release["bids"]["details"]}
    assert {name: (detail["status"], detail["value"]) for name, detail in details.items()} == {
        "acme": ("pending", OFFERS["service:acme"]),
        "globex": ("pending", OFFERS["service:globex"]),
        "initech": ("pending", lower),
    }
    assert list(validator_errors(release)) == []
    # A member posts once; the absent member may still post later: the bids stay opened once.
    assert only_error(committee.post_shares(1)) == (
        "CONFLICT",
        "Member 1 has posted its shares of t-200 already.",
    )
    assert committee.post_shares(4) == {"data": {"postBidShares": {"opened": True}}}
    assert [entry["type"] for entry in office.entries() if entry["type"].endswith("BidsOpened/v1")] == [
        "govgraph.procurement.BidsOpened/v1"
    ]


def test_an_auditor_recomputes_the_opening_from_the_ledger(office: Office) -> None:
    entries = [entry for entry in office.entries() if entry.get("tender") == "t-200"]
    kinds = [entry["type"].split(".")[-1] for entry in entries]
    assert kinds[:1] == ["SealedTenderOpened/v1"]
    assert kinds.count("CommitteeCommitted/v1") == kinds.count("CommitteeRevealed/v1") == 4
    assert kinds.count("TenderKeyFormed/v1") == 1 and kinds.count("BidsOpened/v1") == 1
    state = office.post(TENDER, {"t": "t-200"})["data"]["sealedTender"]
    formed = next(entry for entry in entries if entry["type"].endswith("TenderKeyFormed/v1"))
    opened = next(entry for entry in entries if entry["type"].endswith("BidsOpened/v1"))
    assert formed["publicKey"] == state["publicKey"]
    assert opened["members"] == [1, 2, 3]
    from zk.group import g1_group

    group = g1_group()
    context = bytes.fromhex(state["context"])
    sealed_entries = {entry["bid"]: entry for entry in entries if entry["type"].endswith("BidSealed/v1")}
    posted = [entry for entry in entries if entry["type"].endswith("BidSharesPosted/v1")]
    # Who bid was not on the ledger before the opening: BidSealed holds a keyed hash; BidsOpened names them.
    sealed_text = json.dumps(list(sealed_entries.values()))
    assert [name for name in ("acme", "globex", "initech") if name in sealed_text] == []
    assert {entry["actor"]["role"] for entry in sealed_entries.values()} == {"service:*"}
    assert sorted(item["bidder"] for item in opened["bids"]) == sorted(OFFERS)
    for bid in (bid for bid in state["bids"] if bid["current"]):
        # The ciphertext served is the one whose hash the ledger took before the deadline.
        assert (
            sealed_entries[bid["id"]]["ciphertextHash"]
            == hashlib.sha256(rfc8785.dumps(bid["ciphertext"])).hexdigest()
        )
        sealed = SealedBid.from_json(group, bid["ciphertext"])
        shares = [BidShare.from_json(group, entry["shares"][bid["id"]], 4) for entry in posted]
        for share in shares:
            key = element_from_hex(group, formed["verificationKeys"][str(share.member)], "key")
            assert verify_bid_share(group, context, "t-200", sealed, share, key)
        plaintext = open_with_shared_point(
            group, sealed, "t-200", bid["bidder"], combine_bid_shares(group, shares, 3)
        )
        assert json.loads(plaintext) == bid["value"]
        [listed] = [item for item in opened["bids"] if item["bid"] == bid["id"]]
        assert listed["bidHash"] == hashlib.sha256(json.dumps(bid["value"]).encode()).hexdigest()


def test_bids_racing_the_deadline_are_taken_before_it_and_refused_after(office: Office) -> None:
    deadline = time.time() + 4
    committee = form_committee(office, "ocds-gvgr01-0300", "t-300", rfc3339(deadline), n=2, t=2)
    roles = [f"service:racer{k}" for k in range(24)]
    documents = {
        role: sealed_bid(committee, role, {"amount": 1000 + k, "currency": "EUR"})
        for k, role in enumerate(roles)
    }
    tokens = {role: bid_token(office, role) for role in roles}
    start = deadline - 0.6

    def submit(k: int) -> tuple[str, dict]:
        time.sleep(max(0.0, start + 0.05 * k - time.time()))  # 24 bids across [deadline - 0.6, + 0.6]
        role = roles[k]
        return role, office.post(BID, {"t": "t-300", "b": documents[role]}, tokens[role])

    before = office.sizes()["procurement"]
    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(submit, range(24)))
    accepted = [body["data"]["submitSealedBid"] for _role, body in results if body.get("data")]
    refused = [only_error(body) for _role, body in results if not body.get("data")]
    assert accepted and refused
    assert all(bid["submittedAt"] < deadline for bid in accepted)
    assert refused == [
        ("CONFLICT", "The deadline of t-300 has passed: no bid is added or changed after it.")
    ] * len(refused)
    assert len(accepted) + len(refused) == 24
    assert office.sizes()["procurement"] == before + len(accepted)
    wait_until(deadline)
    served = committee.state()["bids"]
    assert sorted(bid["id"] for bid in served) == sorted(bid["id"] for bid in accepted)
