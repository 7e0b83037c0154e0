"""A whole simulated election, record and independent verifier (the election itself: tests/zk/elections.py).

The full election is the issue's: 5 trustees, threshold 3, 3 contests, 1,000 counted ballots from 1,000
enrolled voters, 10 spoiled ballots, 2 trustees absent at the tally and one submitting a wrong decryption
share.
"""

from __future__ import annotations

import pytest

from tests.zk.elections import Election, corrupt_share, run_election
from zk.ballot import EncryptedBallot
from zk.curve import Backend
from zk.record import closing_hash
from zk.record_report import CHECKS
from zk.record_verifier import verify_record
from zk.tally import aggregate_ballots, compute_decryption_share, tally
from zk.trustees import verification_key


@pytest.fixture(scope="module")
def full_election(arkworks: Backend) -> Election:
    # Trustee 5 deals a wrong share to trustee 1 in the ceremony (and answers the complaint in public);
    # trustees 2 and 4 are absent at the tally.
    return run_election(arkworks, voters=1000, spoiled=10, absent=(2, 4), bad_dealing=(5, 1))


def test_full_election_results_equal_the_plaintext_count_and_every_check_passes(
    full_election: Election,
) -> None:
    progress: list[tuple[str, int, int]] = []
    report = verify_record(
        full_election.record, lambda step, done, total: progress.append((step, done, total))
    )
    assert [c.number for c in report.checks] == [spec.number for spec in CHECKS]
    assert report.failed() == []
    assert [c.status for c in report.checks] == ["pass"] * len(CHECKS)
    expected = {
        c.id: dict(zip(c.options, full_election.plaintexts[c.id], strict=True))
        for c in full_election.manifest.contests
    }
    assert report.results == expected
    assert full_election.record["results"] == expected
    assert sum(expected["mayor"].values()) == 1000
    assert sum(expected["bridge"].values()) == 1000
    assert full_election.record["tally"]["trustees"] == [1, 3, 5]
    assert full_election.record["ceremony"]["complaints"] == [{"accuser": 1, "accused": 5}]
    assert full_election.record["ceremony"]["qualified"] == [1, 2, 3, 4, 5]
    assert [c.checked for c in report.checks] == [1, 5, 5, 1, 1000, 1000, 1000, 1000, 1000, 10, 10, 3, 10]
    assert report.check("V3").note == "5 of 5 trustees qualified, 1 complaint(s)"
    assert progress[progress.index(("V5-V8 ballots", 0, 1000)) + 1 :][:4] == [
        ("V5-V8 ballots", done, 1000) for done in (256, 512, 768, 1000)
    ]


def test_a_wrong_decryption_share_is_named_and_skipped_and_the_results_stay_correct(
    full_election: Election,
) -> None:
    e = full_election
    context, group = e.context, e.group
    counted = [EncryptedBallot.from_json(context, b["ballot"]) for b in e.record["ballots"]]
    aggregate = aggregate_ballots(context, counted)
    keys = {
        j: verification_key(tr.ceremony, e.ceremony.reveals, e.ceremony.qualified, j)
        for j, tr in e.trustees.items()
    }
    closing = closing_hash(e.record["closing"])
    shares = [
        compute_decryption_share(
            context, j, e.trustees[j].secret_share, keys[j], counted, aggregate, closing=closing
        )
        for j in (1, 3, 4, 5)
    ]
    shares[0] = corrupt_share(group, shares[0])
    result = tally(context, aggregate, shares, keys, 3, len(counted), closing=closing)
    assert result.invalid_trustees == [1]
    assert result.used_trustees == [3, 4, 5]
    assert result.counts == {cid: tuple(v) for cid, v in e.plaintexts.items()}
