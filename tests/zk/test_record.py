"""zk.record and its verifier: canonical form, the revoting rule, a verifier that never crashes on input."""

from __future__ import annotations

import copy
import json

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zk.elections import MANIFEST, Election, mutated, run_election
from zk import record_verifier
from zk.ballot import Manifest
from zk.record import CastBallot, canonical_bytes, counted_ballots
from zk.record_report import CHECKS
from zk.record_verifier import verify_record

# Fields whose every change must make the record fail verification. Not: the sealed shares and box keys
# (history no verifier can open), credentials_issued (only an upper bound) and the tally's trustee list
# (another threshold subset of valid shares is as good). Floats and booleans where integers belong must fail.
VERIFIED = (
    "manifest",
    "manifest_hash",
    "joint_key",
    "ballots",
    "spoiled",
    "aggregate",
    "decryption_shares",
    "results",
    "closing",
    "format",
    "group",
)


@pytest.fixture(scope="module")
def election(arkworks) -> Election:
    # Trustee 3 is absent, so every published share is used and a change to any of them must fail.
    return run_election(arkworks, voters=2, spoiled=1, absent=(3,), seed=b"record", n=3, t=2)


def test_the_record_is_canonical_json_and_verifies(election: Election) -> None:
    record = election.record
    assert canonical_bytes(record) == rfc8785.dumps(json.loads(json.dumps(record)))
    assert canonical_bytes(record).startswith(b'{"aggregate":')
    assert verify_record(record).failed() == []


def test_checks_are_numbered_v1_to_v13_each_with_a_sentence() -> None:
    assert [c.number for c in CHECKS] == [f"V{i}" for i in range(1, 14)]
    assert all(c.sentence.endswith(".") and len(c.sentence) > 30 for c in CHECKS)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("first-wins", ["a1", "b1", "x"]), ("last-wins", ["b1", "x", "a2"]), ("none", ["a1", "b1", "x"])],
)
def test_one_ballot_per_pseudonym_is_kept_by_the_revoting_rule(rule: str, expected: list[str]) -> None:
    def item(code: str, pseudonym: str | None) -> CastBallot:
        return CastBallot(None, code, {"pseudonym": pseudonym, "proof": ""} if pseudonym else None)

    cast = [item("a1", "aa"), item("b1", "bb"), item("x", None), item("a2", "aa")]
    assert [c.tracking_code for c in counted_ballots(cast, rule)] == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_record_never_crashes_the_verifier_and_verified_fields_fail(
    election: Election, data: st.DataObject
) -> None:
    path, record = mutated(election.record, data)
    report = verify_record(record)
    assert len(report.checks) == 13
    if path[0] in VERIFIED:
        assert not report.ok, path


def test_a_record_that_is_not_an_object_fails_every_check_without_crashing() -> None:
    for hostile in (None, [], "record", 7, {"format": "govgraph/election-record/v2"}):
        report = verify_record(hostile)
        assert report.failed() == [f"V{i}" for i in range(1, 14)]
        assert report.check("V1").failures == [
            "unknown record format or group "
            "(expected govgraph/election-record/v2 on BLS12-381-G1-uncompressed)"
        ]
        assert report.check("V13").failures == [
            "cannot check: an earlier check could not read the data this check needs"
        ]


def test_an_election_without_a_roll_skips_only_eligibility_and_a_record_dropping_its_roll_fails_v8(
    arkworks, election: Election
) -> None:
    no_roll = Manifest(**{**vars(MANIFEST), "electoral_roll": None})
    open_election = run_election(arkworks, voters=2, seed=b"no roll", n=3, t=2, manifest=no_roll)
    report = verify_record(open_election.record)
    assert [c.status for c in report.checks] == ["pass"] * 7 + ["skip", "skip"] + ["pass"] * 4
    assert report.ok
    dropped = copy.deepcopy(election.record)
    dropped["eligibility"] = None
    assert verify_record(dropped).check("V8").failures == [
        "the manifest names the electoral roll city-roll, but the record has no eligibility proofs"
    ]


def test_a_record_made_on_one_backend_verifies_on_the_other(arkworks, pyecc) -> None:
    no_roll = Manifest(**{**vars(MANIFEST), "electoral_roll": None})
    for maker, checker in ((arkworks, pyecc), (pyecc, arkworks)):
        made = run_election(
            maker, voters=1, spoiled=1, seed=b"cross " + maker.name.encode(), n=3, t=2, manifest=no_roll
        )
        report = verify_record(made.record, backend=checker)
        assert [c.status for c in report.checks] == ["pass"] * 7 + ["skip", "skip"] + ["pass"] * 4
        tampered = copy.deepcopy(made.record)
        tampered["results"]["bridge"]["yes"] = 1 - tampered["results"]["bridge"]["yes"]
        assert verify_record(tampered, backend=checker).failed() == ["V13"]


def test_checking_ballots_in_chunks_and_worker_processes_gives_the_same_report(
    election: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = copy.deepcopy(election.record)
    record["results"]["mayor"]["ada"] += 1
    record["ballots"][1]["eligibility"] = copy.deepcopy(record["ballots"][0]["eligibility"])
    whole = verify_record(record).to_json()
    monkeypatch.setattr(record_verifier, "BATCH_CHUNK", 1)
    assert verify_record(record).to_json() == whole
    assert verify_record(record, workers=2).to_json() == whole
    assert [c["number"] for c in whole["checks"] if c["status"] == "fail"] == ["V8", "V9", "V13"]
