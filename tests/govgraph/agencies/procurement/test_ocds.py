"""OCDS merging and validation against the standard's own data: the ocds-merge fixtures (1.1 and 1.0) and the
fictional sample process's record rebuilt exactly; every sample package valid; schema errors as JSON Pointer
and message; the version of a package without `version` is 1.0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govgraph.agencies.procurement import ocds
from govgraph.agencies.procurement.packages import read_package
from govgraph.federation.errors import BadUserInput
from tests.govgraph.agencies.procurement.standards import FIXTURES, MERGE_CASES, RELEASE_FILES, SAMPLE


def read(path: Path):
    return json.loads(path.read_text())


def test_the_standard_data_is_where_the_tests_read_it() -> None:
    assert len(MERGE_CASES) == 18  # 17 OCDS 1.1 cases and the 1.0 suppliers case
    assert len(RELEASE_FILES) == 6


@pytest.mark.parametrize(("version", "case"), MERGE_CASES)
def test_the_merge_fixtures_are_reproduced(version: str, case: str) -> None:
    releases = read(FIXTURES / version / f"{case}.json")
    assert ocds.compiled_release(releases, version) == read(FIXTURES / version / f"{case}-compiled.json")
    assert ocds.versioned_release(releases, version) == read(FIXTURES / version / f"{case}-versioned.json")


def test_ocds_1_0_merges_suppliers_as_a_whole_list_and_1_1_by_id() -> None:
    releases = read(FIXTURES / "1.0" / "suppliers.json")
    by_1_0 = ocds.compiled_release(releases, ocds.V1_0)["awards"][0]["suppliers"]
    by_1_1 = ocds.compiled_release(releases, ocds.V1_1)["awards"][0]["suppliers"]
    assert by_1_0 == read(FIXTURES / "1.0" / "suppliers-compiled.json")["awards"][0]["suppliers"]
    assert by_1_0 != by_1_1


def test_the_sample_process_compiles_to_the_published_record() -> None:
    releases = [release for path in RELEASE_FILES for release in read(path)["releases"]]
    record = read(SAMPLE / "record" / "ocds-213czf-000-00001-withversions.json")["records"][0]
    assert ocds.compiled_release(releases, ocds.V1_1) == record["compiledRelease"]
    assert ocds.versioned_release(releases, ocds.V1_1) == record["versionedRelease"]


@pytest.mark.parametrize(
    "path", [*SAMPLE.glob("*.json"), *(SAMPLE / "record").glob("*.json")], ids=lambda path: path.name
)
def test_every_sample_package_is_valid_ocds_1_1(path: Path) -> None:
    package = read_package(read(path))
    assert (package.version, package.errors) == ("1.1", [])


def test_schema_errors_are_a_json_pointer_and_a_message() -> None:
    package = read(SAMPLE / "ocds-213czf-000-00001-02-tender.json")
    package["releases"][0]["tender"]["tenderPeriod"]["startDate"] = "yesterday"
    del package["releases"][0]["date"]
    errors = [error.to_json() for error in read_package(package).errors]
    assert errors == [
        {"path": "/releases/0", "message": "'date' is a required property"},
        {"path": "/releases/0/tender/tenderPeriod/startDate", "message": "'yesterday' is not a 'date-time'"},
    ]


def test_a_package_without_version_is_ocds_1_0_and_an_unknown_version_is_refused() -> None:
    releases = read(FIXTURES / "1.0" / "suppliers.json")
    package = {"uri": "u", "publisher": {"name": "p"}, "publishedDate": "2014-01-01T00:00:00Z"}
    assert read_package({**package, "releases": releases}).version == "1.0"
    assert read_package({**package, "version": "1.1", "releases": releases}).version == "1.1"
    with pytest.raises(BadUserInput, match=r'^`version` must be 1.0 or 1.1 \(absent for 1.0\), not "1.2".$'):
        read_package({**package, "version": "1.2", "releases": releases})


def test_the_release_hash_is_sha256_of_rfc8785() -> None:
    release = {"ocid": "o", "id": "1", "tag": ["planning"], "date": "2020-01-01T00:00:00Z", "value": 1.50}
    canonical = b'{"date":"2020-01-01T00:00:00Z","id":"1","ocid":"o","tag":["planning"],"value":1.5}'
    assert ocds.canonical(release) == canonical
    import hashlib

    assert ocds.release_hash(release) == hashlib.sha256(canonical).hexdigest()
