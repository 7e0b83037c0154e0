"""Sealed bids (zk.sealed_bid): a bid sealed to a committee key from the real key ceremony opens with any t
members' proved shares and with nothing less; it is bound to its tender and bidder; a cheating member's share
fails its proof; and the ciphertext decoder refuses every malformed document with MalformedInput."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.zk.elections import MANIFEST, run_ceremony
from zk.curve import Backend
from zk.errors import InvalidParameters, InvalidProof, MalformedInput
from zk.group import g1_group, seeded_scalars
from zk.json_input import load_json
from zk.sealed_bid import (
    BidShare,
    SealedBid,
    bid_share,
    combine_bid_shares,
    open_with_shared_point,
    seal,
    verify_bid_share,
)
from zk.trustees import joint_public_key, verification_key

CONTEXT = hashlib.sha256(b"tender ocds-gvgr01-0100/t-100").digest()
BID = b'{"amount":"171250.00","currency":"EUR"}'


@pytest.fixture(scope="module")
def committee(arkworks: Backend):
    group = g1_group(arkworks)
    trustees, record = run_ceremony(group, MANIFEST, 4, 3, b"committee")
    key = joint_public_key(trustees[1].ceremony, record.reveals, record.qualified)
    keys = {j: verification_key(trustees[1].ceremony, record.reveals, record.qualified, j) for j in trustees}
    return group, trustees, key, keys


def shares_of(committee, sealed: SealedBid, members, tender: str = "t-100") -> list[BidShare]:
    group, trustees, _key, keys = committee
    rng = seeded_scalars(group, b"shares")
    return [
        bid_share(group, CONTEXT, tender, sealed, j, trustees[j].secret_share, keys[j], rng) for j in members
    ]


def test_any_three_of_four_members_open_the_bid(committee) -> None:
    group, _trustees, key, keys = committee
    sealed = seal(group, key, "t-100", "service:acme", BID)
    for members in ((1, 2, 3), (2, 3, 4), (1, 3, 4)):
        shares = shares_of(committee, sealed, members)
        assert all(verify_bid_share(group, CONTEXT, "t-100", sealed, s, keys[s.member]) for s in shares)
        shared = combine_bid_shares(group, shares, 3)
        assert open_with_shared_point(group, sealed, "t-100", "service:acme", shared) == BID


def test_two_shares_open_nothing(committee) -> None:
    group, _trustees, key, _keys = committee
    sealed = seal(group, key, "t-100", "service:acme", BID)
    shares = shares_of(committee, sealed, (1, 2))
    with pytest.raises(InvalidParameters, match=r"^2 shares, the threshold is 3$"):
        combine_bid_shares(group, shares, 3)
    with pytest.raises(InvalidParameters, match=r"^2 shares, the threshold is 3$"):
        combine_bid_shares(group, [*shares, shares[0]], 3)  # a share twice counts once


def test_a_bid_opens_only_for_its_tender_and_bidder(committee) -> None:
    group, _trustees, key, _keys = committee
    sealed = seal(group, key, "t-100", "service:acme", BID)
    shared = combine_bid_shares(group, shares_of(committee, sealed, (1, 2, 3)), 3)
    message = r"^the sealed bid does not open with this key, tender and bidder$"
    with pytest.raises(InvalidProof, match=message):
        open_with_shared_point(group, sealed, "t-101", "service:acme", shared)
    with pytest.raises(InvalidProof, match=message):
        open_with_shared_point(group, sealed, "t-100", "service:globex", shared)
    tampered = SealedBid(
        sealed.alpha, sealed.nonce, sealed.ciphertext[:-1] + bytes([sealed.ciphertext[-1] ^ 1])
    )
    with pytest.raises(InvalidProof, match=message):
        open_with_shared_point(group, tampered, "t-100", "service:acme", shared)


def test_a_cheating_members_share_fails_its_proof(committee) -> None:
    group, trustees, key, keys = committee
    sealed = seal(group, key, "t-100", "service:acme", BID)
    honest = shares_of(committee, sealed, (2,))[0]
    wrong = bid_share(group, CONTEXT, "t-100", sealed, 2, trustees[2].secret_share + 1, keys[2])
    assert verify_bid_share(group, CONTEXT, "t-100", sealed, honest, keys[2])
    assert not verify_bid_share(group, CONTEXT, "t-100", sealed, wrong, keys[2])
    moved = BidShare(2, group.add(honest.partial, group.generator()), honest.proof)
    assert not verify_bid_share(group, CONTEXT, "t-100", sealed, moved, keys[2])
    # A valid share of another tender, or claimed by another member, fails too.
    assert not verify_bid_share(group, CONTEXT, "t-101", sealed, honest, keys[2])
    assert not verify_bid_share(
        group, CONTEXT, "t-100", sealed, BidShare(3, honest.partial, honest.proof), keys[3]
    )


def test_the_ciphertext_round_trips_through_its_json(committee) -> None:
    group, _trustees, key, _keys = committee
    sealed = seal(group, key, "t-100", "service:acme", BID)
    document = sealed.to_json(group)
    assert sorted(document) == ["alpha", "ciphertext", "nonce", "v"]
    assert SealedBid.from_json(group, load_json(json.dumps(document))) == sealed
    assert len(sealed.digest(group)) == 64


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": 2}, r"^sealed bid\.v must be in \[1, 1\]$"),
        ({"nonce": "AAAA"}, r"^sealed bid\.nonce must be 24 bytes, got 3$"),
        (
            {"ciphertext": "AAAAAAAAAAAAAAAAAAAAAA"},
            r"^sealed bid\.ciphertext must be longer than its 16-byte tag$",
        ),
        ({"alpha": "00" * 48}, r"^sealed bid\.alpha: "),
        ({"extra": 1}, r"^sealed bid"),
    ],
)
def test_malformed_ciphertexts_are_refused(committee, change: dict, message: str) -> None:
    group, _trustees, key, _keys = committee
    document = {**seal(group, key, "t-100", "service:acme", BID).to_json(group), **change}
    with pytest.raises(MalformedInput, match=message):
        SealedBid.from_json(group, document)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "v": st.integers(-2, 3) | JSON_VALUES,
            "alpha": st.text(alphabet="0123456789abcdef", min_size=0, max_size=100) | JSON_VALUES,
            "nonce": st.text(max_size=40) | JSON_VALUES,
            "ciphertext": st.text(max_size=60) | JSON_VALUES,
        },
    )
    | JSON_VALUES
)
def test_the_ciphertext_decoder_refuses_garbage_with_malformed_input(arkworks: Backend, value) -> None:
    group = g1_group(arkworks)
    try:
        SealedBid.from_json(group, value)
    except MalformedInput:
        return
    raise AssertionError(f"decoded {value!r}")  # no random document is a valid ciphertext


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "member": st.integers(-2, 6) | JSON_VALUES,
            "partial": st.text(alphabet="0123456789abcdef", max_size=100) | JSON_VALUES,
            "proof": JSON_VALUES,
        },
    )
    | JSON_VALUES
)
def test_the_share_decoder_refuses_garbage_with_malformed_input(arkworks: Backend, value) -> None:
    group = g1_group(arkworks)
    try:
        BidShare.from_json(group, value, 4)
    except MalformedInput:
        return
    raise AssertionError(f"decoded {value!r}")
