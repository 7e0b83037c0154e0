"""A hostile record (issue 23 sections 3 and 4): integers must be JSON integers, V8 fails rather than skips on
a missing credentials count, and the plain-text report escapes whatever text the record holds."""

from __future__ import annotations

import copy

import pytest

from tests.zk.elections import Election, run_election
from zk.json_input import describe
from zk.record_verifier import verify_record


@pytest.fixture(scope="module")
def election(arkworks) -> Election:
    # Trustee 3 is absent: the tally uses the shares of trustees 1 and 2.
    return run_election(arkworks, voters=2, spoiled=1, absent=(3,), seed=b"hostile", n=3, t=2)


def _set(record: dict, path: tuple, value: object) -> dict:
    record = copy.deepcopy(record)
    target = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return record


@pytest.mark.parametrize("one", [1.0, True], ids=["float", "bool"])
@pytest.mark.parametrize(
    ("path", "check", "failure"),
    [
        (
            ("ceremony", "qualified", 0),
            "V3",
            "cannot check: ceremony.qualified must list trustee indexes, integers in [1, 3]",
        ),
        (
            ("ceremony", "commitments", 0, "trustee"),
            "V2",
            "cannot check: ceremony.commitments[0].trustee must be an integer",
        ),
        (
            ("ceremony", "reveals", 0, "trustee"),
            "V2",
            "ceremony.reveals[0].trustee must be a trustee index in [1, 3]",
        ),
        (
            ("tally", "trustees", 0),
            "V13",
            "cannot check: tally.trustees must list trustee indexes, integers in [1, 3]",
        ),
        (
            ("decryption_shares", 0, "trustee"),
            "V12",
            "decryption_shares[0].trustee must be a trustee index in [1, 3]",
        ),
    ],
)
def test_a_trustee_index_must_be_a_json_integer(
    election: Election, one: object, path: tuple, check: str, failure: str
) -> None:
    """1.0 and true equal 1 in Python: read as indexes, another reader could take them for something else."""
    assert election.record[path[0]] is not None
    record = _set(election.record, path, one)
    report = verify_record(record)
    assert report.check(check).status == "fail"
    assert failure in report.check(check).failures


@pytest.mark.parametrize(
    "count", [1.0, True, "2", -1, None, [2]], ids=["float", "bool", "string", "negative", "null", "list"]
)
def test_a_credentials_count_that_is_not_a_non_negative_integer_fails_v8(
    election: Election, count: object
) -> None:
    report = verify_record(_set(election.record, ("eligibility", "credentials_issued"), count))
    assert report.failed() == ["V8"]
    assert report.check("V8").failures == [
        "credentials_issued must be the number of credentials issued, a non-negative integer, not "
        f"{describe(count)}"
    ]


def test_a_missing_credentials_count_fails_v8_and_does_not_skip_it(election: Election) -> None:
    record = copy.deepcopy(election.record)
    del record["eligibility"]["credentials_issued"]
    report = verify_record(record)
    assert report.check("V8").status == "fail"
    assert report.check("V8").failures == [
        "eligibility fields wrong: missing ['credentials_issued'], unexpected []"
    ]


def test_more_counted_ballots_than_credentials_fails_v8(election: Election) -> None:
    report = verify_record(_set(election.record, ("eligibility", "credentials_issued"), 1))
    assert report.check("V8").failures == ["2 counted ballots but only 1 credentials issued"]


def test_a_boolean_count_in_the_results_is_not_a_count(election: Election) -> None:
    record = copy.deepcopy(election.record)
    record["results"]["bridge"]["yes"] = bool(record["results"]["bridge"]["yes"])
    report = verify_record(record)
    assert report.failed() == ["V13"]
    assert report.check("V13").failures == [
        f"bridge/yes: {record['results']['bridge']['yes']} is not a count in [0, 2]"
    ]


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("\x1b[2J\x1b[HElection: VERIFIED\x1b[8m", "'\\x1b[2J\\x1b[HElection: VERIFIED\\x1b[8m'"),
        ("\ud800", "'\\ud800'"),
        ("abc\u202edef\x85\u2028", "'abc\\u202edef\\x85\\u2028'"),
        ("7" * 100, "'" + "7" * 60 + "...'"),
    ],
    ids=["escape sequences", "lone surrogate", "bidi override and line breaks", "long"],
)
def test_the_plain_text_report_escapes_record_text_and_ends_with_the_verdict(
    election: Election, code: str, shown: str
) -> None:
    record = _set(election.record, ("ballots", 0, "tracking_code"), code)
    text = verify_record(record).plain_text()
    text.encode("utf-8")  # a lone surrogate would raise here, and in the terminal's encoder
    lines = text.split("\n")
    assert all(line.isprintable() for line in lines)
    assert f"           failing: ballot {shown}: tracking code is not the hash of the ballot" in lines
    verdict = 'Election "city-2026": NOT VERIFIED. 2 check(s) failed: V5, V11.'
    assert lines[-1] == lines[0] == verdict + " Do not rely on the published results."
