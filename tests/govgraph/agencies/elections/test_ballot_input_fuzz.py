"""Hypothesis fuzz of the ballot decoder at the API boundary (castBallot's and spoilBallot's documents): any
JSON value, and any mutation of a valid ballot, is decoded or refused with BAD_USER_INPUT, never anything
else; a valid ballot decodes to its own canonical form and tracking code."""

from __future__ import annotations

import copy
import functools
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.agencies.elections.ballot_input import decode_cast, decode_spoil
from govgraph.federation.errors import BadUserInput
from govgraph.voting.simulate import CONTESTS
from govgraph.voting.voter import encrypt
from zk.ballot import ElectionContext, ElectoralRoll, Manifest, election_group, encrypt_ballot
from zk.curve import get_backend
from zk.eligibility import RollAuthority, enrol_voter, suite_for

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@functools.cache
def context() -> ElectionContext:
    group = election_group(get_backend("arkworks"))
    manifest = Manifest.from_json(
        {
            "election_id": "fuzz",
            "title": "Fuzz",
            "contests": CONTESTS,
            "trustees": [{"id": "t", "name": "T"}],
            "threshold": 1,
            "revoting": "none",
            "electoral_roll": None,
        }
    )
    return ElectionContext(group, manifest, group.mul(group.generator(), 12345))


@functools.cache
def valid() -> tuple[dict, dict]:
    ballot, secrets = encrypt_ballot(context(), {"mayor": [0, 0, 1], "council": [1, 0, 0, 1]})
    group = context().group
    return {"ballot": ballot.to_json(group), "eligibility": None}, secrets.to_json(group)


@functools.cache
def roll_context() -> tuple[ElectionContext, dict]:
    """An election with an electoral roll, and one voter's valid ballot with its eligibility proof."""
    group = context().group
    authority = RollAuthority(suite_for(group.backend), "fuzz-roll", b"k" * 32)
    manifest = replace(context().manifest, electoral_roll=ElectoralRoll("fuzz-roll", authority.public_key))
    election = ElectionContext(group, manifest, context().joint_key)
    credential = enrol_voter(authority, 7, 11)
    document, _, _ = encrypt(election, credential, {"mayor": [1, 0, 0], "council": [0, 0, 0, 0]})
    return election, document


def decodes_or_refuses(decode, document: object) -> None:
    try:
        decode(context(), document)
    except BadUserInput as exc:
        assert str(exc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), JSON)
def test_any_mutated_field_of_a_ballot_with_eligibility_is_decoded_or_refused(
    data: st.DataObject, replacement: object
) -> None:
    election, document = roll_context()
    mutated = copy.deepcopy(document)
    path = data.draw(st.sampled_from(_paths(mutated)[1:]))
    target = mutated
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = replacement
    try:
        decode_cast(election, mutated)
    except BadUserInput as exc:
        assert str(exc)


def test_a_valid_ballot_with_eligibility_decodes_with_its_pseudonym() -> None:
    election, document = roll_context()
    decoded = decode_cast(election, document)
    assert decoded.pseudonym == document["eligibility"]["pseudonym"] == document["ballot"]["binding"]
    with pytest.raises(
        BadUserInput, match="^This election has no electoral roll: `eligibility` must be null.$"
    ):
        decode_cast(context(), {**document, "ballot": valid()[0]["ballot"]})


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_any_json_value_is_decoded_or_refused(document: object) -> None:
    decodes_or_refuses(decode_cast, document)
    decodes_or_refuses(decode_spoil, document)
    decodes_or_refuses(decode_cast, {"ballot": document, "eligibility": None})


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [prefix] + [p for k, v in value.items() for p in _paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [prefix] + [p for i, v in enumerate(value) for p in _paths(v, (*prefix, i))]
    return [prefix]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), JSON)
def test_any_mutated_field_of_a_valid_ballot_is_decoded_or_refused(
    data: st.DataObject, replacement: object
) -> None:
    document, opening = valid()
    mutated = copy.deepcopy(document)
    path = data.draw(st.sampled_from(_paths(mutated)[1:]))
    target = mutated
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = replacement
    decodes_or_refuses(decode_cast, mutated)
    decodes_or_refuses(decode_spoil, {"ballot": mutated["ballot"], "opening": opening})


def test_a_valid_ballot_decodes_to_its_canonical_form() -> None:
    document, opening = valid()
    decoded = decode_cast(context(), document)
    assert decoded.document == document["ballot"]
    assert decoded.tracking_code == decoded.ballot.tracking_code(context().group)
    assert decoded.pseudonym is None
    spoiled = decode_spoil(context(), {"ballot": document["ballot"], "opening": opening})
    assert spoiled.opening is not None and spoiled.opening.selections["mayor"] == (0, 0, 1)
