"""zk.ballot: manifest checks and hash, ballot encryption and proofs, tracking codes, Benaloh challenges."""

from __future__ import annotations

import copy
import hashlib

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zk.elections import MANIFEST
from tests.zk.mutations import mutations
from zk.ballot import (
    BallotSecrets,
    ElectionContext,
    EncryptedBallot,
    Manifest,
    election_group,
    encrypt_ballot,
    reencrypts_to,
    tracking_code_of,
    verify_ballot,
)
from zk.curve import Backend
from zk.elgamal import keygen
from zk.errors import InvalidParameters, MalformedInput
from zk.group import seeded_scalars

CHOICE = {"mayor": [0, 1, 0], "council": [1, 0, 0, 1, 0], "bridge": [0, 1]}


@pytest.fixture(scope="module")
def context(arkworks: Backend) -> ElectionContext:
    group = election_group(arkworks)
    _, key = keygen(group, seeded_scalars(group, b"ballot key"))
    return ElectionContext(group, MANIFEST, key)


@pytest.fixture(scope="module")
def cast(context: ElectionContext) -> tuple[EncryptedBallot, BallotSecrets]:
    return encrypt_ballot(context, CHOICE, b"voter-7", seeded_scalars(context.group, b"ballot"))


def test_the_manifest_hash_is_sha256_of_its_canonical_json_and_round_trips() -> None:
    data = MANIFEST.to_json()
    assert MANIFEST.hash() == hashlib.sha256(rfc8785.dumps(data)).digest()
    assert Manifest.from_json(copy.deepcopy(data)) == MANIFEST
    changed = copy.deepcopy(data)
    changed["contests"][0]["max_selections"] = 2
    assert Manifest.from_json(changed).hash() != MANIFEST.hash()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("revoting",), "sometimes", "revoting"),
        (("contests", 0, "min_selections"), 4, "min_selections"),
        (("contests", 0, "max_selections"), 0, "max_selections"),
        (("contests", 1, "options"), ["dia", "dia"], "duplicate option"),
        (("contests", 2, "id"), "mayor", "duplicate contest"),
        (("election_id",), "no spaces allowed", "election_id"),
    ],
)
def test_an_invalid_manifest_is_refused_with_the_field_named(
    path: tuple, value: object, message: str
) -> None:
    data = MANIFEST.to_json()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(MalformedInput, match=message):
        Manifest.from_json(data)


def test_an_honest_ballot_verifies_and_round_trips_through_json(context, cast) -> None:
    ballot, _ = cast
    assert verify_ballot(context, ballot)
    decoded = EncryptedBallot.from_json(context, ballot.to_json(context.group))
    assert decoded == ballot
    assert ballot.tracking_code(context.group) == tracking_code_of(ballot.to_json(context.group))
    assert len(ballot.tracking_code(context.group)) == 64


def test_a_ballot_bound_to_another_voter_or_election_key_does_not_verify(context, cast) -> None:
    ballot, _ = cast
    assert not verify_ballot(context, EncryptedBallot(b"voter-8", ballot.contests))
    _, other_key = keygen(context.group, seeded_scalars(context.group, b"other key"))
    assert not verify_ballot(ElectionContext(context.group, MANIFEST, other_key), ballot)


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({**CHOICE, "mayor": [1, 1, 0]}, "outside"),
        ({**CHOICE, "council": [1, 1, 1, 0, 0]}, "outside"),
        ({**CHOICE, "bridge": [2, 0]}, "0/1"),
        ({"mayor": [1, 0, 0]}, "exactly the manifest's contests"),
    ],
)
def test_an_invalid_plaintext_ballot_is_refused_before_encryption(
    context, choice: dict, message: str
) -> None:
    with pytest.raises(InvalidParameters, match=message):
        encrypt_ballot(context, choice)


def test_a_spoiled_ballot_reencrypts_from_its_opening_and_a_false_opening_fails(context, cast) -> None:
    ballot, secrets = cast
    opening = BallotSecrets.from_json(MANIFEST, context.group, secrets.to_json(context.group))
    assert opening.selections == {cid: tuple(v) for cid, v in CHOICE.items()}
    assert reencrypts_to(context, ballot, opening)
    lie = BallotSecrets({**opening.selections, "mayor": (1, 0, 0)}, opening.nonces)
    assert not reencrypts_to(context, ballot, lie)
    wrong_nonce = BallotSecrets(opening.selections, {**opening.nonces, "bridge": (1, 2)})
    assert not reencrypts_to(context, ballot, wrong_nonce)


def test_ballot_decoding_refuses_a_ballot_that_does_not_match_the_manifest(context, cast) -> None:
    ballot, _ = cast
    data = ballot.to_json(context.group)
    short = copy.deepcopy(data)
    short["contests"][1]["selections"].pop()
    with pytest.raises(MalformedInput, match="5 entries"):
        EncryptedBallot.from_json(context, short)
    swapped = copy.deepcopy(data)
    swapped["contests"][0], swapped["contests"][1] = swapped["contests"][1], swapped["contests"][0]
    with pytest.raises(MalformedInput, match="contest_id"):
        EncryptedBallot.from_json(context, swapped)
    with pytest.raises(MalformedInput, match="lower-case"):
        EncryptedBallot.from_json(context, {**data, "binding": "AB"})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_fuzzed_selection_decodes_or_raises_malformed_input(context, cast, data: st.DataObject) -> None:
    ballot, _ = cast
    original = ballot.to_json(context.group)
    selection = original["contests"][2]["selections"][0]
    valid = bytes.fromhex(selection["ciphertext"]["alpha"] + selection["proof"]["branches"][0]["response"])
    mutated = data.draw(mutations(valid))
    tampered = copy.deepcopy(original)
    target = tampered["contests"][2]["selections"][0]
    target["ciphertext"]["alpha"] = mutated[:48].hex()
    target["proof"]["branches"][0]["response"] = mutated[48:].hex()
    try:
        decoded = EncryptedBallot.from_json(context, tampered)
    except MalformedInput:
        return
    assert verify_ballot(context, decoded) == (mutated == valid)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8)
    | st.text(alphabet="0123456789abcdef", max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES)
def test_canonical_json_is_rfc8785_on_every_json_document(document: object) -> None:
    from zk.ballot import canonical_json

    assert canonical_json(document) == rfc8785.dumps(document)
