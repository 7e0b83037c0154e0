"""`govgraph election verify RECORD.json [--json]`: a plain-language verdict, a JSON report, exit codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govgraph.cli import app
from tests.zk.elections import Election, run_election
from zk.curve import get_backend


@pytest.fixture(scope="module")
def election() -> Election:
    return run_election(get_backend("arkworks"), voters=4, spoiled=1, absent=(3,), seed=b"cli")


def write(tmp_path: Path, record: dict) -> Path:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    return path


def test_a_valid_record_is_reported_verified_with_its_results(election: Election, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["election", "verify", str(write(tmp_path, election.record))])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0] == 'Election "city-2026": VERIFIED. Every check passed; the published results are correct.'
    )
    assert sum(line.startswith(("  V", " V1")) and " PASS " in line for line in lines) == 13
    mayor = election.record["results"]["mayor"]
    assert "  mayor: " + ", ".join(f"{o} {c}" for o, c in mayor.items()) in lines


def test_the_json_report_lists_every_numbered_check(election: Election, tmp_path: Path) -> None:
    path = str(write(tmp_path, election.record))
    result = CliRunner().invoke(app, ["election", "verify", "--json", "--workers", "2", path])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [c["number"] for c in report["checks"]] == [f"V{i}" for i in range(1, 14)]
    assert report["checks"][4]["checked"] == 4
    assert report["results"] == election.record["results"]


def test_a_tampered_record_is_not_verified_and_the_failing_check_is_named(
    election: Election, tmp_path: Path
) -> None:
    record = copy.deepcopy(election.record)
    record["results"]["bridge"]["yes"] = 0 if record["results"]["bridge"]["yes"] else 1  # a plausible lie
    result = CliRunner().invoke(app, ["election", "verify", str(write(tmp_path, record))])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        'Election "city-2026": NOT VERIFIED. 1 check(s) failed: V13. Do not rely on the published results.'
    )
    count = record["results"]["bridge"]["yes"]
    assert (
        f"           failing: bridge/yes: the published count {count} is not what the totals decrypt to"
        in result.stdout.splitlines()
    )


def test_an_unreadable_file_exits_2_and_garbage_json_fails_every_check(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["election", "verify", str(tmp_path / "none.json")])
    assert missing.exit_code == 2
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    nested = CliRunner().invoke(app, ["election", "verify", str(deep)])
    assert nested.exit_code == 2
    assert nested.stderr == f"govgraph: cannot read {deep}: the record is nested deeper than 128 levels\n"
    garbage = CliRunner().invoke(app, ["election", "verify", "--json", str(write(tmp_path, [1, 2, 3]))])
    assert garbage.exit_code == 1
    report = json.loads(garbage.stdout)
    assert report["ok"] is False
    assert report["checks"][0]["failures"] == [
        "unknown record format or group (expected govgraph/election-record/v2 on BLS12-381-G1-uncompressed)"
    ]


FAKE_VERDICT = 'Election "city-2026": VERIFIED. Every check passed'


def test_a_hostile_tracking_code_is_printed_escaped_and_the_real_verdict_comes_last(
    election: Election, tmp_path: Path
) -> None:
    record = copy.deepcopy(election.record)
    record["ballots"][0]["tracking_code"] = "\x1b[2J\x1b[H" + FAKE_VERDICT + "\x1b[8m"
    result = CliRunner().invoke(app, ["election", "verify", str(write(tmp_path, record))])
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert (
        '           failing: ballot \'\\x1b[2J\\x1b[HElection "city-2026": VERIFIED. Every check passed'
        "\\x1b[8...': tracking code is not the hash of the ballot"
    ) in lines
    verdict = (
        'Election "city-2026": NOT VERIFIED. 2 check(s) failed: V5, V11. '
        "Do not rely on the published results."
    )
    assert lines[0] == lines[-1] == verdict


def test_a_lone_surrogate_in_a_record_is_refused_with_exit_2_not_a_traceback(
    election: Election, tmp_path: Path
) -> None:
    path = write(tmp_path, election.record)
    code = election.record["ballots"][0]["tracking_code"]
    path.write_text(path.read_text().replace(code, "\\ud800", 1))
    result = CliRunner().invoke(app, ["election", "verify", str(path)])
    assert result.exit_code == 2
    assert (
        result.stderr == f"govgraph: cannot read {path}: the record holds a string that is not Unicode text\n"
    )
    assert result.stdout == ""


def test_a_record_with_two_results_keys_is_refused_with_exit_2(election: Election, tmp_path: Path) -> None:
    """Another reader keeping the first "results" would show other results than this one keeps."""
    path = tmp_path / "record.json"
    text = json.dumps(election.record)
    lie = json.dumps({c: {o: 0 for o in counts} for c, counts in election.record["results"].items()})
    path.write_text(text[:-1] + f', "results": {lie}}}')
    result = CliRunner().invoke(app, ["election", "verify", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"govgraph: cannot read {path}: duplicate JSON key 'results'\n"


def test_pinned_keys_are_reported_and_a_mismatch_fails_its_check(election: Election, tmp_path: Path) -> None:
    path = str(write(tmp_path, election.record))
    roll = election.manifest.electoral_roll.issuer_public_key.hex()
    first = election.record["ceremony"]["reveals"][0]["coefficients"][0]
    pinned = CliRunner().invoke(
        app, ["election", "verify", path, "--roll-key", roll, "--trustee-key", f"trustee-1={first}"]
    )
    assert pinned.exit_code == 0, pinned.stdout
    lines = pinned.stdout.splitlines()
    assert f"  roll authority city-roll: pinned, and the record's key matches ({roll})" in lines
    assert f"  trustee 1 trustee-1: pinned, and the record's key matches ({first})" in lines
    second = election.record["ceremony"]["reveals"][1]["coefficients"][0]
    assert f"  trustee 2 trustee-2: taken from the record, not pinned ({second})" in lines

    impostor = CliRunner().invoke(
        app, ["election", "verify", path, "--roll-key", "ab" * 96, "--trustee-key", f"trustee-2={first}"]
    )
    assert impostor.exit_code == 1
    lines = impostor.stdout.splitlines()
    assert lines[-1] == (
        'Election "city-2026": NOT VERIFIED. 2 check(s) failed: V2, V8. Do not rely on the published results.'
    )
    assert (
        "           failing: trustee 2 trustee-2: its key in the ceremony (its first coefficient commitment) "
        "is not the key pinned for it"
    ) in lines
    assert (
        "           failing: the manifest names a roll authority key for city-roll that is not the pinned "
        "one: the eligibility proofs are made under a key you do not expect"
    ) in lines
    assert f"  roll authority city-roll: pinned, and the record's key DOES NOT MATCH ({roll})" in lines

    report = json.loads(
        CliRunner().invoke(app, ["election", "verify", "--json", path, "--roll-key", roll]).stdout
    )
    assert report["keys"][0] == {
        "role": "roll authority",
        "holder": "city-roll",
        "key": roll,
        "source": "pinned",
        "matches": True,
    }
    assert [k["source"] for k in report["keys"][1:]] == ["record"] * 5

    bad = CliRunner().invoke(app, ["election", "verify", path, "--trustee-key", "trustee-1"])
    assert bad.exit_code == 2
    assert bad.stderr == "govgraph: --trustee-key must be ID=HEX (the trustee's id in the manifest)\n"
    not_hex = CliRunner().invoke(app, ["election", "verify", path, "--roll-key", "\x1b[2Jzz"])
    assert not_hex.exit_code == 2
    assert not_hex.stderr == "govgraph: --roll-key must be hex, got '\\x1b[2Jzz'\n"
