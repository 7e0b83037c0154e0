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
        "unknown record format or group (expected govgraph/election-record/v1 on BLS12-381-G1-uncompressed)"
    ]
