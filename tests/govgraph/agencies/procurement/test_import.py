"""Imports through the procurement write path on a real SQLite file, without a server: every ocds-merge
fixture imported as a package (1.1 with `version`, 1.0 without) compiles to the fixture's compiled and
versioned release; and the real `govgraph procurement import` / `compile` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from govgraph import db
from govgraph.agencies.procurement.operations import compile_process, import_package_file
from govgraph.federation.errors import BadUserInput
from tests.govgraph.agencies.procurement.standards import FIXTURES, MERGE_CASES, SAMPLE
from tests.support.credentials import govgraph
from tests.support.mutations import ledger_sizes

PUBLISHER = {
    "uri": "https://example.com/p",
    "publisher": {"name": "P"},
    "publishedDate": "2020-01-01T00:00:00Z",
}


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'govgraph.db'}")
    yield engine
    await engine.dispose()


@pytest.mark.parametrize(("version", "case"), MERGE_CASES)
async def test_each_merge_fixture_imported_as_a_package_compiles_as_expected(
    engine, tmp_path: Path, version: str, case: str
) -> None:
    releases = json.loads((FIXTURES / version / f"{case}.json").read_text())
    package = {**PUBLISHER, **({"version": "1.1"} if version == "1.1" else {}), "releases": releases}
    result = await import_package_file(engine, tmp_path / "keys", json.dumps(package).encode(), "tester")
    assert (result["ocdsVersion"], result["releases"]) == (version, len(releases))
    [ocid] = result["ocids"]
    expected = FIXTURES / version / f"{case}-compiled.json"
    assert await compile_process(engine, ocid, versioned=False) == json.loads(expected.read_text())
    versioned = FIXTURES / version / f"{case}-versioned.json"
    assert await compile_process(engine, ocid, versioned=True) == json.loads(versioned.read_text())
    assert ledger_sizes(tmp_path / "govgraph.db") == {"procurement": 1 + len(releases)}


async def test_a_file_that_is_no_package_is_refused_and_appends_nothing(engine, tmp_path: Path) -> None:
    with pytest.raises(BadUserInput, match=r"^OCDS package is not valid JSON"):
        await import_package_file(engine, tmp_path / "keys", b'{"releases": [', "tester")
    with pytest.raises(BadUserInput, match=r"^An OCDS package must be a JSON object\.$"):
        await import_package_file(engine, tmp_path / "keys", b"[]", "tester")
    assert not (tmp_path / "govgraph.db").exists() or ledger_sizes(tmp_path / "govgraph.db") == {}


def test_the_import_and_compile_commands(data_dir: Path) -> None:
    combined = SAMPLE / "ocds-213czf-000-00001.json"
    imported = json.loads(govgraph(data_dir, "procurement", "import", str(combined), "--json"))
    assert imported == {
        "package": "pkg-0",
        "kind": "release",
        "ocdsVersion": "1.1",
        "releases": 6,
        "records": 0,
        "ocids": ["ocds-213czf-000-00001"],
        "ledgerIndexes": [0, 6],
        "schema_errors": [],
    }
    record = json.loads((SAMPLE / "record" / "ocds-213czf-000-00001-withversions.json").read_text())
    record = record["records"][0]
    compiled = govgraph(data_dir, "procurement", "compile", "ocds-213czf-000-00001", "--json")
    assert json.loads(compiled) == record["compiledRelease"]
    versioned = govgraph(data_dir, "procurement", "compile", "ocds-213czf-000-00001", "--versioned")
    assert json.loads(versioned) == record["versionedRelease"]
    # Schema errors are reported, the import still happens.
    broken = json.loads((SAMPLE / "ocds-213czf-000-00001-01-planning.json").read_text())
    broken["releases"][0]["tag"] = ["plan"]
    (data_dir / "broken.json").write_text(json.dumps(broken))
    text = govgraph(data_dir, "procurement", "import", str(data_dir / "broken.json"))
    assert text.splitlines() == [
        "imported pkg-7: release package, OCDS 1.1, 1 releases, 0 records, ocids: ocds-213czf-000-00001",
        "schema errors: 1",
        "  /releases/0/tag/0: 'plan' is not one of ['planning', 'planningUpdate', 'tender', "
        "'tenderAmendment', 'tenderUpdate', 'tenderCancellation', 'award', 'awardUpdate', "
        "'awardCancellation', 'contract', 'contractUpdate', 'contractAmendment', 'implementation', "
        "'implementationUpdate', 'contractTermination', 'compiled']",
    ]
    assert ledger_sizes(data_dir / "govgraph.db") == {"procurement": 9}


def test_the_commands_refuse_bad_input_with_one_line_and_exit_1(data_dir: Path) -> None:
    (data_dir / "list.json").write_text("[1, 2]")
    environment = {"GOVGRAPH_DATA": str(data_dir), "PATH": "/usr/bin:/bin"}
    for arguments, message in [
        (["import", str(data_dir / "list.json")], "An OCDS package must be a JSON object."),
        (["import", str(data_dir / "missing.json")], f"cannot read {data_dir / 'missing.json'}: "),
        (["compile", "ocds-none"], "No contracting process ocds-none."),
    ]:
        done = subprocess.run(
            [sys.executable, "-m", "govgraph", "procurement", *arguments],
            env={**environment, "PYTHONPATH": str(Path(__file__).resolve().parents[4])},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith(f"govgraph procurement: {message}"), done.stderr
        assert done.stdout == ""
