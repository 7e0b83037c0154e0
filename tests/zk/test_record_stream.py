"""zk.record_stream: a record fed as its header and its ballots in chunks gets verify_record's very report."""

from __future__ import annotations

import copy

import pytest
import rfc8785
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.zk.elections import JSON, Election, mutated, run_election
from zk import record_stream
from zk.errors import MalformedInput
from zk.record import ballot_list_hash
from zk.record_report import VerificationReport
from zk.record_stream import ListHash, StreamingVerifier
from zk.record_verifier import verify_record


@pytest.fixture(scope="module")
def election(arkworks) -> Election:
    return run_election(arkworks, voters=4, spoiled=1, absent=(3,), seed=b"stream", n=3, t=2)


def streamed_report(record: dict, size: int, workers: int = 1) -> VerificationReport:
    header = {k: v for k, v in record.items() if k != "ballots"}
    with StreamingVerifier(header, workers=workers) as verifier:
        ballots = record["ballots"]
        for start in range(0, len(ballots), size):
            verifier.add_ballots(ballots[start : start + size])
        assert verifier.ballots == len(ballots)
        return verifier.finish()


def streamed(record: dict, size: int) -> dict:
    return streamed_report(record, size).to_json()


def tampered_records(election: Election) -> dict[str, tuple[dict, list[str]]]:
    """Records tampered with, and the checks verify_record fails on each."""
    cases = {}
    repeated = copy.deepcopy(election.record)  # a voter's pseudonym on two ballots, a result changed
    repeated["ballots"][1]["eligibility"] = copy.deepcopy(repeated["ballots"][0]["eligibility"])
    repeated["results"]["mayor"]["ada"] += 1
    cases["repeated"] = (repeated, ["V8", "V9", "V13"])
    dropped = copy.deepcopy(election.record)  # a counted ballot left out: the closing statement catches it
    dropped["ballots"].pop()
    cases["dropped"] = (dropped, ["V11", "V13"])
    doubled = copy.deepcopy(election.record)  # a ballot listed twice
    doubled["ballots"].append(copy.deepcopy(doubled["ballots"][0]))
    cases["doubled"] = (doubled, ["V5", "V8", "V9", "V11"])
    forged = copy.deepcopy(election.record)  # a selection's ciphertext swapped for another's
    contest = forged["ballots"][2]["ballot"]["contests"][0]
    contest["selections"][0], contest["selections"][1] = contest["selections"][1], contest["selections"][0]
    cases["forged"] = (forged, ["V5", "V11"])
    return cases


@pytest.mark.parametrize("size", [1, 3, 100])
def test_an_honest_record_streamed_in_any_chunks_gets_the_same_passing_report(
    election: Election, size: int
) -> None:
    whole = verify_record(election.record).to_json()
    assert whole["ok"] is True
    assert streamed(election.record, size) == whole


@pytest.mark.parametrize("batch", [1, 2])
def test_tampered_records_fail_the_same_checks_with_the_same_words(
    election: Election, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_stream, "BATCH_CHUNK", batch)
    for name, (record, failing) in tampered_records(election).items():
        whole = verify_record(record).to_json()
        assert [c["number"] for c in whole["checks"] if c["status"] == "fail"] == failing, name
        assert streamed(record, 2) == whole, name


def test_chunks_checked_in_worker_processes_give_the_one_process_report(
    election: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One ballot a chunk: 4-5 chunks, up to IN_FLIGHT * 2 of them in the workers at once, taken in order.
    monkeypatch.setattr(record_stream, "BATCH_CHUNK", 1)
    hostile = {**election.record, "ballots": [election.record["ballots"][0], {"tracking_code": 7}, [], None]}
    cases = {
        "honest": (election.record, []),
        **tampered_records(election),
        "hostile entries": (hostile, ["V5", "V11"]),
    }
    for name, (record, failing) in cases.items():
        alone, parallel = streamed_report(record, 2), streamed_report(record, 2, workers=2)
        assert alone.failed() == failing, name
        assert parallel.to_json() == alone.to_json(), name
        assert parallel.plain_text() == alone.plain_text(), name


def test_a_header_that_cannot_be_read_fails_every_check_as_verify_record_does(election: Election) -> None:
    for hostile in (None, [], "record", {"format": "govgraph/election-record/v2"}):
        verifier = StreamingVerifier(hostile)
        verifier.add_ballots(copy.deepcopy(election.record["ballots"][:2]))
        report = verifier.finish()
        assert report.failed() == [f"V{i}" for i in range(1, 14)]
        assert report.to_json() == verify_record(hostile).to_json()


def test_a_finished_verification_takes_no_more_ballots(election: Election) -> None:
    verifier = StreamingVerifier(election.record)  # its `ballots` field is ignored: none were streamed
    report = verifier.finish()
    assert report.failed() == ["V11", "V13"]
    assert report.check("V11").failures[-1] == (
        "the record lists 0 counted ballots, the closing statement commits to 4"
    )
    with pytest.raises(MalformedInput, match="finished"):
        verifier.add_ballots([])
    with pytest.raises(MalformedInput, match="a chunk of ballots must be a JSON list"):
        StreamingVerifier(election.record).add_ballots({"tracking_code": "x"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_mutated_record_streamed_gets_the_same_report(election: Election, data: st.DataObject) -> None:
    _, record = mutated(election.record, data)
    assume(isinstance(record.get("ballots"), list))  # a stream of ballots is a list by construction
    assert streamed(record, data.draw(st.integers(1, 5))) == verify_record(record).to_json()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(JSON, max_size=4))
def test_hostile_ballot_entries_never_crash_and_fail_like_verify_record(
    election: Election, entries: list
) -> None:
    record = {**election.record, "ballots": entries}
    assert streamed(record, 2) == verify_record(record).to_json()


@given(values=st.lists(JSON | st.text(), max_size=6))
def test_the_list_hash_fed_item_by_item_is_the_ballot_list_hash(values: list) -> None:
    hashed = ListHash()
    for value in values:
        hashed.add(value)
    try:
        expected = ballot_list_hash(values)
    except MalformedInput as exc:
        with pytest.raises(MalformedInput, match=str(exc)):
            hashed.hexdigest()
        return
    assert hashed.hexdigest() == expected
    assert rfc8785.dumps(values)  # the canonical list the one-shot hash is taken of
