"""What an election record binds (issue 23 section 5): the roll authority's key and the trustees through the
manifest hash, keys the auditor pins, and the counted and spoiled ballots through the closing statement."""

from __future__ import annotations

import copy

import pytest

from tests.zk.elections import Election, roll_authority, run_election
from zk.ballot import Manifest
from zk.record import closing_statement
from zk.record_keys import PinnedKeys
from zk.record_verifier import verify_record


@pytest.fixture(scope="module")
def election(arkworks) -> Election:
    return run_election(arkworks, voters=2, spoiled=1, absent=(3,), seed=b"binding", n=3, t=2)


def _rehashed(record: dict, change) -> dict:
    """The record with its manifest changed by `change` and manifest_hash recomputed, as a forger would."""
    record = copy.deepcopy(record)
    change(record["manifest"])
    record["manifest_hash"] = Manifest.from_json(record["manifest"]).hash().hex()
    return record


def test_a_self_appointed_roll_authority_verifies_only_until_the_real_roll_key_is_pinned(
    arkworks, election: Election
) -> None:
    """The whole election ran under a roll authority of the organiser's choosing: every proof holds."""
    report = verify_record(election.record)
    assert report.ok
    assert report.keys[0].to_json() == {
        "role": "roll authority",
        "holder": "city-roll",
        "key": election.authority.public_key.hex(),
        "source": "record",
        "matches": None,
    }
    real = roll_authority(arkworks, b"the real electoral roll")
    pinned = verify_record(election.record, pinned=PinnedKeys(roll=real.public_key))
    assert pinned.failed() == ["V8"]
    assert pinned.check("V8").failures == [
        "the manifest names a roll authority key for city-roll that is not the pinned one: the eligibility "
        "proofs are made under a key you do not expect"
    ]
    assert pinned.keys[0].pinned and pinned.keys[0].matches is False
    assert verify_record(election.record, pinned=PinnedKeys(roll=election.authority.public_key)).ok


def test_the_manifest_hash_binds_the_roll_key_and_the_trustees(arkworks, election: Election) -> None:
    real_key = roll_authority(arkworks, b"the real electoral roll").public_key.hex()

    def swap_roll_key(manifest: dict) -> None:
        manifest["electoral_roll"]["issuer_public_key"] = real_key

    unhashed = copy.deepcopy(election.record)
    swap_roll_key(unhashed["manifest"])
    assert verify_record(unhashed).check("V1").failures == [
        "manifest_hash differs from the hash of the published manifest"
    ]
    # With the hash recomputed, the ceremony's proofs, the ballots' and the shares' no longer hold.
    for change in (swap_roll_key, lambda m: m["trustees"][0].update(name="Mallory")):
        report = verify_record(_rehashed(election.record, change))
        assert report.check("V1").status == "pass"
        assert report.check("V2").failures == [
            f"trustee {i}: qualified, but its commitments are invalid" for i in (1, 2, 3)
        ]


def test_a_ceremony_that_does_not_have_the_manifest_s_trustees_fails_v2(election: Election) -> None:
    record = _rehashed(
        election.record, lambda m: m["trustees"].append({"id": "trustee-4", "name": "Trustee 4"})
    )
    assert "the ceremony has n=3, t=2, but the manifest names 4 trustees with threshold 2" in (
        verify_record(record).check("V2").failures
    )


def test_pinned_trustee_keys_are_compared_with_the_ceremony_and_reported(
    arkworks, election: Election
) -> None:
    first = election.ceremony.reveals[1].coefficients[0]
    second = election.ceremony.reveals[2].coefficients[0]
    uncompressed, compressed = election.group.encode(first), arkworks.g1_compress(first)
    for key in (uncompressed, compressed):
        report = verify_record(election.record, pinned=PinnedKeys(trustees={"trustee-1": key}))
        assert report.ok
        assert [(k.holder, k.pinned, k.matches) for k in report.keys[1:]] == [
            ("1 trustee-1", True, True),
            ("2 trustee-2", False, None),
            ("3 trustee-3", False, None),
        ]
    wrong = verify_record(
        election.record,
        pinned=PinnedKeys(trustees={"trustee-2": uncompressed, "nobody": election.group.encode(second)}),
    )
    assert wrong.failed() == ["V2"]
    assert wrong.check("V2").failures == [
        "trustee 2 trustee-2: its key in the ceremony (its first coefficient commitment) is not the key "
        "pinned for it",
        "a key is pinned for trustee 'nobody', whom the manifest does not name",
    ]


def test_a_spoiled_ballot_removed_from_the_record_is_caught(election: Election) -> None:
    record = copy.deepcopy(election.record)
    record["spoiled"] = []
    report = verify_record(record)
    assert report.failed() == ["V10"]
    assert report.check("V10").failures == [
        "the record lists 0 spoiled ballots, the closing statement commits to 1"
    ]
    # Rewriting the closing statement too: the trustees' shares were made for the original one.
    record["closing"] = closing_statement([b["tracking_code"] for b in record["ballots"]], [])
    report = verify_record(record)
    assert report.failed() == ["V12", "V13"]
    assert report.check("V12").failures == [
        "trustee 1's share is used for the results but its proof fails",
        "trustee 2's share is used for the results but its proof fails",
    ]


def test_a_spoiled_ballot_swapped_for_another_is_caught_by_v10(election: Election) -> None:
    record = copy.deepcopy(election.record)
    record["spoiled"][0]["tracking_code"] = record["ballots"][0]["tracking_code"]
    code = record["ballots"][0]["tracking_code"]
    assert verify_record(record).check("V10").failures == [
        "the spoiled ballots listed are not those the closing statement commits to (the hash of their "
        "tracking codes differs)",
        f"spoiled {code}: tracking code is not the hash of the ballot",
    ]
