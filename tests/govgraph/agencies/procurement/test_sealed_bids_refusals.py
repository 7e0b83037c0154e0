"""Every sealed-bid mutation's bad input over real HTTP: a typed error with its exact message, and nothing
appended to any ledger."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.govgraph.agencies.procurement.committee import (
    BID,
    CHECK,
    COMMIT,
    OPEN,
    REVEAL,
    SHARES,
    Committee,
    form_committee,
    rfc3339,
    sealed_bid,
)
from tests.govgraph.agencies.procurement.office import OFFICIAL, Office, only_error
from zk.wire import element_from_hex, element_to_hex

HASH = "ab" * 32


@pytest.fixture(scope="module")
def formed(office: Office) -> Iterator[Committee]:
    """A tender with its key formed, its deadline an hour away, one bid in."""
    committee = form_committee(office, "ocds-gvgr01-0500", "t-500", rfc3339(time.time() + 3600), n=2, t=2)
    body = office.post(
        BID,
        {"t": "t-500", "b": sealed_bid(committee, "service:acme", {"amount": 5})},
        office.token("acme", "service:acme"),
    )
    assert "errors" not in body, body
    yield committee


def open_input(**change) -> dict:
    fields = {
        "ocid": "ocds-gvgr01-0501",
        "tender": "t-501",
        "deadline": rfc3339(time.time() + 3600),
        "threshold": 2,
        "committee": ["bearer:m1", "bearer:m2"],
    }
    return {"input": {**fields, **change}}


def test_opening_a_tender_refuses_bad_input(office: Office, formed: Committee) -> None:
    cases = [
        (
            open_input(deadline="tomorrow"),
            "BAD_USER_INPUT",
            "`deadline` must be an RFC 3339 time with an offset, e.g. 2026-12-06T03:00:00Z.",
        ),
        (
            open_input(deadline="2026-12-06T03:00:00"),
            "BAD_USER_INPUT",
            "`deadline` must be an RFC 3339 time with an offset, e.g. 2026-12-06T03:00:00Z.",
        ),
        (open_input(deadline="2001-01-01T00:00:00Z"), "BAD_USER_INPUT", "`deadline` must lie in the future."),
        (open_input(threshold=3), "BAD_USER_INPUT", "`threshold` must lie in 1..2 (the committee's size)."),
        (open_input(threshold=0), "BAD_USER_INPUT", "`threshold` must lie in 1..2 (the committee's size)."),
        (
            open_input(committee=["bearer:m1", "bearer:m1"]),
            "BAD_USER_INPUT",
            "`committee` must name 1..15 distinct members.",
        ),
        (open_input(committee=[]), "BAD_USER_INPUT", "`committee` must name 1..15 distinct members."),
        (open_input(tender=""), "BAD_USER_INPUT", "`tender` must be 1..256 printable characters."),
        (open_input(tender="t-500"), "CONFLICT", "Tender t-500 is open already."),
    ]
    for variables, code, message in cases:
        before = office.sizes()
        assert only_error(office.post(OPEN, variables, office.official)) == (code, message), variables
        assert office.sizes() == before


def test_the_ceremony_refuses_bad_input(office: Office, formed: Committee) -> None:
    member = formed.tokens[1]
    outsider = office.token("outsider", OFFICIAL)
    reveal = formed.members[1].reveal.to_json(formed.group)
    cases = [
        (COMMIT, {"t": "t-none", "h": HASH, "k": HASH}, member, "NOT_FOUND", "No sealed-bid tender t-none."),
        (
            COMMIT,
            {"t": "t-500", "h": "AB" * 32, "k": HASH},
            member,
            "BAD_USER_INPUT",
            "`commitmentHash` must be 64 lower-case hex digits (SHA-256).",
        ),
        (
            COMMIT,
            {"t": "t-500", "h": HASH, "k": "00"},
            member,
            "BAD_USER_INPUT",
            "`boxKey` must be 64 lower-case hex digits (an X25519 public key).",
        ),
        (
            COMMIT,
            {"t": "t-500", "h": HASH, "k": HASH},
            outsider,
            "FORBIDDEN",
            "Only a member of the evaluation committee of t-500 may do this.",
        ),
        (
            COMMIT,
            {"t": "t-500", "h": HASH, "k": HASH},
            member,
            "CONFLICT",
            "Member 1 of t-500 has committed already.",
        ),
        (
            REVEAL,
            {"t": "t-500", "r": reveal, "s": []},
            member,
            "CONFLICT",
            "Member 1 of t-500 has revealed already.",
        ),
        (
            CHECK,
            {"t": "t-500", "a": []},
            member,
            "CONFLICT",
            "Member 1 of t-500 has checked its shares already.",
        ),
    ]
    keyed = """mutation ($t: ID!, $r: JSON!, $s: JSON!, $k: String) {
      revealTenderKeyShares(tender: $t, reveal: $r, sealedShares: $s, idempotencyKey: $k) { id } }"""
    big = {"t": "t-500", "r": {"trustee": 2**60}, "s": [], "k": "reveal-big"}
    message = (
        "The document cannot be put in canonical JSON (RFC 8785): 1152921504606846976 exceeds safe integer "
        "domain for JSON floats."
    )
    cases.append((keyed, big, member, "BAD_USER_INPUT", message))
    for query, variables, token, code, message in cases:
        before = office.sizes()
        assert only_error(office.post(query, variables, token)) == (code, message), variables
        assert office.sizes() == before


def test_a_reveal_is_checked_before_it_is_recorded(office: Office) -> None:
    committee = ["bearer:r-member-1", "bearer:r-member-2"]
    variables = open_input(tender="t-502", committee=committee)
    assert "errors" not in office.post(OPEN, variables, office.official)
    tokens = [office.token(f"r-member-{j}", OFFICIAL) for j in (1, 2)]
    office.post(COMMIT, {"t": "t-502", "h": HASH, "k": HASH}, tokens[0])
    before = office.sizes()
    waiting = office.post(REVEAL, {"t": "t-502", "r": {}, "s": []}, tokens[0])
    assert only_error(waiting) == ("CONFLICT", "Reveals wait until every member of t-502 has committed.")
    early = office.post(CHECK, {"t": "t-502", "a": []}, tokens[0])
    assert only_error(early) == ("CONFLICT", "Complaints wait until every member of t-502 has revealed.")
    office.post(COMMIT, {"t": "t-502", "h": HASH, "k": HASH}, tokens[1])
    before = office.sizes()
    malformed = office.post(REVEAL, {"t": "t-502", "r": {"trustee": 1}, "s": []}, tokens[0])
    assert only_error(malformed)[0] == "BAD_USER_INPUT"
    assert only_error(malformed)[1].startswith("reveal")
    assert office.sizes() == before


def test_bids_and_shares_refuse_bad_input(office: Office, formed: Committee) -> None:
    acme = office.token("acme", "service:acme")
    good = sealed_bid(formed, "service:acme", {"amount": 4})
    two_companies = office.token("holding", "service:acme", "service:globex")
    cases = [
        (
            BID,
            {"t": "t-500", "b": {**good, "v": 2}},
            acme,
            "BAD_USER_INPUT",
            "sealed bid.v must be in [1, 1]",
        ),
        (
            BID,
            {"t": "t-500", "b": {**good, "nonce": "AAAA"}},
            acme,
            "BAD_USER_INPUT",
            "sealed bid.nonce must be 24 bytes, got 3",
        ),
        (BID, {"t": "t-500", "b": "text"}, acme, "BAD_USER_INPUT", "sealed bid must be an object"),
        (BID, {"t": "t-none", "b": good}, acme, "NOT_FOUND", "No sealed-bid tender t-none."),
        (
            BID,
            {"t": "t-500", "b": good},
            two_companies,
            "FORBIDDEN",
            "A bid is made with a credential holding exactly one service:<company> role.",
        ),
        (
            BID,
            {"t": "t-500", "b": good},
            formed.tokens[1],
            "FORBIDDEN",
            "this operation requires the role service:*",
        ),
        (
            SHARES,
            {"t": "t-500", "s": {}},
            formed.tokens[1],
            "CONFLICT",
            f"The bids of t-500 open only after its deadline, {formed.state()['deadline']}.",
        ),
        (
            SHARES,
            {"t": "t-500", "s": {}},
            acme,
            "FORBIDDEN",
            "this operation requires the role official:procurement",
        ),
    ]
    for query, variables, token, code, message in cases:
        before = office.sizes()
        assert only_error(office.post(query, variables, token)) == (code, message), variables
        assert office.sizes() == before


def test_shares_after_the_deadline_refuse_bad_input(office: Office) -> None:
    deadline = time.time() + 3
    committee = form_committee(office, "ocds-gvgr01-0503", "t-503", rfc3339(deadline), n=2, t=2)
    bid = office.post(
        BID,
        {"t": "t-503", "b": sealed_bid(committee, "service:acme", {"amount": 7})},
        office.token("acme", "service:acme"),
    )["data"]["submitSealedBid"]["id"]
    time.sleep(max(0.0, deadline - time.time()) + 0.05)
    mine = committee.share_document(1)
    others = committee.share_document(2)
    group = committee.group
    partial = element_from_hex(group, mine[bid]["partial"], "partial")
    moved = element_to_hex(group, group.add(partial, group.generator()))  # a point, not x_1 * alpha
    cases = [
        ({}, "BAD_USER_INPUT", f"`shares` must hold one share for each current bid: {bid}."),
        (
            {bid: {"member": 1}},
            "BAD_USER_INPUT",
            f"shares.{bid} fields wrong: missing ['partial', 'proof'], unexpected []",
        ),
        (others, "BAD_USER_INPUT", f"shares.{bid} is member 2's; you are member 1."),
        (
            {bid: {**mine[bid], "partial": "zz"}},
            "BAD_USER_INPUT",
            f"shares.{bid}.partial must be 96 hex digits, got 2",
        ),
        (
            {bid: {**mine[bid], "partial": moved}},
            "INVALID_PROOF",
            f"Member 1's share of {bid} does not verify: refused.",
        ),
    ]
    for shares, code, message in cases:
        before = office.sizes()
        assert only_error(committee.post_shares(1, shares)) == (code, message)
        assert office.sizes() == before
    assert committee.post_shares(1) == {"data": {"postBidShares": {"opened": False}}}
