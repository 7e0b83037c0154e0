"""The procurement office over real HTTP (`govgraph serve`, the public /graphql and /procurement/ocds/...):
the demo process as valid OCDS packages, an official's release on the ledger with a hash anyone recomputes,
every sample package imported and given back as it came, and refusals that append nothing."""

from __future__ import annotations

import copy
import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ocdsmerge
import pytest
import rfc8785
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from govgraph.agencies.procurement.flags import red_flags
from tests.conftest import STANDARDS_DIR
from tests.govgraph.agencies.procurement.office import Office, only_error

SCHEMAS = STANDARDS_DIR / "procurement" / "ocds-1.1.5" / "schema"
SAMPLE = STANDARDS_DIR / "procurement" / "ocds-sample-data" / "fictional-example-1.1"
SAMPLES = sorted([*SAMPLE.glob("*.json"), *(SAMPLE / "record").glob("*.json")])
DEMO = "ocds-gvgr01-0001"
PUBLISH = """mutation ($release: JSON!, $key: String) {
  publishRelease(release: $release, idempotencyKey: $key) {
    ocid releaseId tag releaseHash ocdsVersion importedIn ledgerEntry { ledger index } } }"""
IMPORT = """mutation ($package: JSON!, $key: String) {
  importOcdsPackage(package: $package, idempotencyKey: $key) {
    id kind ocdsVersion releases records ocids schemaErrors { path message } } }"""
PROCESS = """query ($ocid: ID!) { contractingProcess(ocid: $ocid) {
  ocid ocdsVersion releases { releaseId } compiledRelease versionedRelease } }"""
RELEASE = {
    "ocid": "ocds-gvgr01-0100",
    "id": "ocds-gvgr01-0100-01-tender",
    "date": "2026-03-01T09:00:00Z",
    "tag": ["tender"],
    "initiationType": "tender",
    "tender": {"id": "t-100", "title": "Street lighting", "value": {"amount": 5000.5, "currency": "EUR"}},
}


def validator(name: str) -> Draft4Validator:
    """The 1.1.5 schema from the standards folder (not the office's vendored copy), refs resolved locally."""
    documents = [json.loads(path.read_text()) for path in SCHEMAS.glob("*-schema.json")]
    registry = Registry().with_resources(
        (document["id"], Resource.from_contents(document, default_specification=DRAFT4))
        for document in documents
        if document["id"].startswith("https://standard.open-contracting.org")
    )
    schema = json.loads((SCHEMAS / f"{name}-schema.json").read_text())
    return Draft4Validator(schema, registry=registry, format_checker=FormatChecker())


def test_the_demo_process_is_served_as_valid_release_and_record_packages(office: Office) -> None:
    releases = office.get(f"/procurement/ocds/releases/{DEMO}")
    records = office.get(f"/procurement/ocds/records/{DEMO}")
    assert (releases.status_code, records.status_code) == (200, 200)
    assert list(validator("release-package").iter_errors(releases.json())) == []
    assert list(validator("record-package").iter_errors(records.json())) == []
    record = records.json()["records"][0]
    assert [release["tag"] for release in record["releases"]] == [
        ["planning"],
        ["tender"],
        ["award"],
        ["contract"],
        ["implementation"],
    ]
    assert record["compiledRelease"]["tag"] == ["compiled"]
    assert record["compiledRelease"]["awards"][0]["suppliers"] == [
        {"id": "GG-CO-77", "name": "Riverside Paving Ltd"}
    ]
    assert office.get(f"/procurement/ocds/compiled/{DEMO}").json() == record["compiledRelease"]
    assert office.get(f"/procurement/ocds/versioned/{DEMO}").json() == record["versionedRelease"]
    body = office.post(PROCESS, {"ocid": DEMO})["data"]["contractingProcess"]
    assert body["compiledRelease"] == record["compiledRelease"]
    assert body["versionedRelease"] == record["versionedRelease"]
    assert office.get("/procurement/ocds/processes").json()["ocids"][0] == DEMO


def test_an_unknown_process_is_404_and_null(office: Office) -> None:
    response = office.get("/procurement/ocds/records/ocds-none")
    assert (response.status_code, response.json()) == (
        404,
        {"error": "No contracting process ocds-none.", "code": "NOT_FOUND"},
    )
    assert office.post(PROCESS, {"ocid": "ocds-none"}) == {"data": {"contractingProcess": None}}


def test_an_officials_release_is_one_entry_whose_hash_anyone_recomputes(office: Office) -> None:
    before = office.sizes()
    body = office.post(PUBLISH, {"release": RELEASE, "key": "publish-100"}, office.official)
    published = body["data"]["publishRelease"]
    index = int(published["ledgerEntry"]["index"])
    assert published == {
        "ocid": RELEASE["ocid"],
        "releaseId": RELEASE["id"],
        "tag": ["tender"],
        "releaseHash": hashlib.sha256(rfc8785.dumps(RELEASE)).hexdigest(),
        "ocdsVersion": "1.1",
        "importedIn": None,
        "ledgerEntry": {"ledger": "procurement", "index": str(index)},
    }
    assert office.sizes() == {**before, "procurement": before["procurement"] + 1}
    [entry] = office.entries(index)
    served = office.get(f"/procurement/ocds/releases/{RELEASE['ocid']}").json()["releases"]
    assert served == [RELEASE]
    assert entry["type"] == "govgraph.procurement.ReleasePublished/v1"
    assert entry["actor"]["role"] == "official:procurement"
    assert (entry["ocid"], entry["releaseId"], entry["tag"]) == (RELEASE["ocid"], RELEASE["id"], ["tender"])
    assert entry["releaseHash"] == hashlib.sha256(rfc8785.dumps(served[0])).hexdigest()
    # A retry with the same key returns the same release and appends nothing.
    again = office.post(PUBLISH, {"release": RELEASE, "key": "publish-100"}, office.official)
    assert again["data"]["publishRelease"] == published
    assert office.sizes()["procurement"] == before["procurement"] + 1


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_every_sample_package_is_imported_and_exported_as_it_came(office: Office, path: Path) -> None:
    package = json.loads(path.read_text())
    before = office.sizes()["procurement"]
    body = office.post(IMPORT, {"package": package}, office.official)
    imported = body["data"]["importOcdsPackage"]
    kind = "record" if "records" in package else "release"
    releases = len(package.get("releases", []))
    records = len(package.get("records", []))
    assert imported == {
        "id": f"pkg-{before}",
        "kind": kind,
        "ocdsVersion": "1.1",
        "releases": releases,
        "records": records,
        "ocids": ["ocds-213czf-000-00001"],
        "schemaErrors": [],
    }
    assert office.sizes()["procurement"] == before + 1 + releases + records
    exported = office.get(f"/procurement/ocds/imports/pkg-{before}")
    assert exported.status_code == 200
    assert exported.json() == package
    query = "query ($id: ID!) { ocdsImport(id: $id) { kind items package } }"
    assert office.post(query, {"id": f"pkg-{before}"})["data"]["ocdsImport"] == {
        "kind": kind,
        "items": records or releases,
        "package": package,
    }


def test_an_import_with_schema_errors_is_kept_whole_and_reports_them(office: Office) -> None:
    package = json.loads((SAMPLE / "ocds-213czf-000-00001-04-award.json").read_text())
    broken = copy.deepcopy(package)
    broken["releases"][0]["ocid"] = "ocds-broken-1"
    broken["releases"][0]["awards"][0]["status"] = 7
    broken["releases"][0]["x-publisher-field"] = {"kept": [1, 2.5, None]}
    del broken["publisher"]
    body = office.post(IMPORT, {"package": broken}, office.official)["data"]["importOcdsPackage"]
    assert body["schemaErrors"] == [
        {"path": "", "message": "'publisher' is a required property"},
        {"path": "/releases/0/awards/0/status", "message": "7 is not of type 'string', 'null'"},
        {
            "path": "/releases/0/awards/0/status",
            "message": "7 is not one of ['pending', 'active', 'cancelled', 'unsuccessful', None]",
        },
    ]
    assert office.get(f"/procurement/ocds/imports/{body['id']}").json() == broken
    compiled = office.get("/procurement/ocds/compiled/ocds-broken-1").json()
    assert compiled["x-publisher-field"] == {"kept": [1, 2.5, None]}


def test_an_ocds_1_0_package_is_merged_by_the_1_0_rules(office: Office) -> None:
    releases = json.loads((STANDARDS_DIR / "procurement/ocds-merge-fixtures/1.0/suppliers.json").read_text())
    expected = STANDARDS_DIR / "procurement/ocds-merge-fixtures/1.0/suppliers-compiled.json"
    package = {
        "uri": "https://example.com/1.0",
        "publisher": {"name": "A"},
        "publishedDate": "2014-01-02T00:00:00Z",
    }
    body = office.post(IMPORT, {"package": {**package, "releases": releases}}, office.official)
    assert body["data"]["importOcdsPackage"]["ocdsVersion"] == "1.0"
    process = office.post(PROCESS, {"ocid": "ocds-213czf-A"})["data"]["contractingProcess"]
    assert process["ocdsVersion"] == "1.0"
    assert process["compiledRelease"] == json.loads(expected.read_text())
    assert process["versionedRelease"] == json.loads(
        Path(str(expected).replace("compiled", "versioned")).read_text()
    )


@pytest.mark.parametrize(
    ("query", "variables", "code", "message"),
    [
        (PUBLISH, {"release": [1]}, "BAD_USER_INPUT", "A release must be a JSON object."),
        (
            PUBLISH,
            {"release": {**RELEASE, "id": "x-1", "tag": ["bidding"]}},
            "BAD_USER_INPUT",
            "The release breaks the OCDS 1.1.5 release schema: /tag/0: 'bidding' is not one of ['planning', "
            "'planningUpdate', 'tender', 'tenderAmendment', 'tenderUpdate', 'tenderCancellation', 'award', "
            "'awardUpdate', 'awardCancellation', 'contract', 'contractUpdate', 'contractAmendment', "
            "'implementation', 'implementationUpdate', 'contractTermination', 'compiled'].",
        ),
        (
            PUBLISH,
            {"release": {key: value for key, value in RELEASE.items() if key not in ("date", "ocid")}},
            "BAD_USER_INPUT",
            "The release breaks the OCDS 1.1.5 release schema: /: 'date' is a required property; /: 'ocid' "
            "is a required property.",
        ),
        (
            PUBLISH,
            {"release": {**RELEASE, "id": "x-2", "ocid": "bad\nocid"}},
            "BAD_USER_INPUT",
            "`ocid` must be 1..256 printable characters.",
        ),
        (
            PUBLISH,
            {"release": {**RELEASE, "id": "x-3", "tender": {"id": "t", "value": {"amount": 2**60}}}},
            "BAD_USER_INPUT",
            "The document cannot be put in canonical JSON (RFC 8785): 1152921504606846976 exceeds safe "
            "integer domain for JSON floats.",
        ),
        (
            PUBLISH,
            {"release": {**RELEASE, "ocid": "ocds-gvgr01-0001", "id": "ocds-gvgr01-0001-02-tender"}},
            "CONFLICT",
            "Release ocds-gvgr01-0001-02-tender of ocds-gvgr01-0001 is recorded already.",
        ),
        (
            PUBLISH,
            {"release": RELEASE, "key": "two words"},
            "BAD_USER_INPUT",
            "An idempotency key is 1..128 printable ASCII characters without spaces.",
        ),
        (
            IMPORT,
            {"package": {"releases": [{"ocid": "o", "n": 2**60}]}},
            "BAD_USER_INPUT",
            "The document cannot be put in canonical JSON (RFC 8785): 1152921504606846976 exceeds safe "
            "integer domain for JSON floats.",
        ),
        (
            IMPORT,
            {"package": {"releases": [{"ocid": "o", "n": 2**60}]}, "key": "import-big"},
            "BAD_USER_INPUT",
            "The document cannot be put in canonical JSON (RFC 8785): 1152921504606846976 exceeds safe "
            "integer domain for JSON floats.",
        ),
        (IMPORT, {"package": "text"}, "BAD_USER_INPUT", "An OCDS package must be a JSON object."),
        (
            IMPORT,
            {"package": {"releases": [], "records": []}},
            "BAD_USER_INPUT",
            "An OCDS package has either a `releases` list or a `records` list.",
        ),
        (
            IMPORT,
            {"package": {"version": 1.1, "releases": []}},
            "BAD_USER_INPUT",
            "`version` must be 1.0 or 1.1 (absent for 1.0), not 1.1.",
        ),
    ],
)
def test_bad_input_is_a_typed_error_and_appends_nothing(
    office: Office, query: str, variables: dict, code: str, message: str
) -> None:
    before = office.sizes()
    assert only_error(office.post(query, variables, office.official)) == (code, message)
    assert office.sizes() == before


@pytest.mark.parametrize("query", [PUBLISH, IMPORT])
def test_only_a_procurement_official_may_publish_or_import(office: Office, query: str) -> None:
    variables = {"release": RELEASE, "package": {"releases": [RELEASE]}}
    variables = {name: value for name, value in variables.items() if f"${name}" in query}
    before = office.sizes()
    assert only_error(office.post(query, variables)) == (
        "UNAUTHENTICATED",
        "authentication required: send a bearer token or an API key",
    )
    stranger = office.token("clerk-carl", "clerk:procurement", "official:land")
    assert only_error(office.post(query, variables, stranger)) == (
        "FORBIDDEN",
        "this operation requires the role official:procurement",
    )
    assert office.sizes() == before


def flagged_process() -> list[dict]:
    ocid = "ocds-gvgr01-0400"
    money = lambda amount: {"amount": amount, "currency": "EUR"}  # noqa: E731
    base = {"ocid": ocid, "initiationType": "tender"}
    bids = [
        {"id": "b1", "status": "valid", "value": money(90000), "tenderers": [{"id": "A", "name": "A Ltd"}]},
        {"id": "b2", "status": "valid", "value": money(99000), "tenderers": [{"id": "B", "name": "B Ltd"}]},
    ]
    return [
        {
            **base,
            "id": f"{ocid}-tender",
            "date": "2026-04-01T09:00:00Z",
            "tag": ["tender"],
            "tender": {
                "id": "t-400",
                "tenderPeriod": {"startDate": "2026-04-01T09:00:00Z", "endDate": "2026-04-06T09:00:00Z"},
            },
        },
        {
            **base,
            "id": f"{ocid}-award",
            "date": "2026-04-10T09:00:00Z",
            "tag": ["award"],
            "bids": {"details": bids},
            "awards": [{"id": "a1", "status": "active", "value": money(99000), "suppliers": [{"id": "B"}]}],
        },
        {
            **base,
            "id": f"{ocid}-amendment",
            "date": "2026-06-10T09:00:00Z",
            "tag": ["contractAmendment"],
            "contracts": [
                {
                    "id": "c1",
                    "awardID": "a1",
                    "value": money(130000),
                    "amendments": [{"id": "m1", "date": "2026-06-10T09:00:00Z", "rationale": "more lanes"}],
                }
            ],
        },
    ]


def test_red_flags_are_recomputed_by_anyone_from_the_ledger(office: Office) -> None:
    indexes = []
    for release in flagged_process():
        body = office.post(PUBLISH, {"release": release}, office.official)
        indexes.append(int(body["data"]["publishRelease"]["ledgerEntry"]["index"]))
    query = "query ($o: ID!) { contractingProcess(ocid: $o) { redFlags { code name evidence } } }"
    served = office.post(query, {"o": "ocds-gvgr01-0400"})["data"]["contractingProcess"]["redFlags"]
    assert [flag["code"] for flag in served] == ["SHORT_TENDER_PERIOD", "AWARD_NOT_LOWEST", "LARGE_AMENDMENT"]
    # The auditor: the releases as served, each checked against the hash its signed ledger entry holds (read
    # through the public ledger subgraph), merged with ocdsmerge, flagged with the published definitions.
    releases = office.get("/procurement/ocds/releases/ocds-gvgr01-0400").json()["releases"]
    entry = 'query ($i: UInt64!) { ledger(name: "procurement") { entry(index: $i) { data } } }'
    deadline = time.monotonic() + 20
    for index, release in zip(indexes, releases, strict=True):
        while (found := office.post(entry, {"i": str(index)})["data"]["ledger"]["entry"]) is None:
            assert time.monotonic() < deadline, "entry not signed"
            time.sleep(0.05)
        data = json.loads(found["data"])
        assert data["releaseHash"] == hashlib.sha256(rfc8785.dumps(release)).hexdigest()
    schema = json.loads((SCHEMAS / "release-schema.json").read_text())
    compiled = ocdsmerge.Merger(schema=schema).create_compiled_release(releases)
    recomputed = [
        {"code": flag.code, "name": flag.name, "evidence": flag.evidence} for flag in red_flags(compiled)
    ]
    assert recomputed == served
    demo = office.post(query, {"o": DEMO})["data"]["contractingProcess"]["redFlags"]
    assert [flag["code"] for flag in demo] == ["SINGLE_BID", "SHORT_TENDER_PERIOD"]


def test_twenty_concurrent_publications_of_one_release_record_it_once(office: Office) -> None:
    release = {**RELEASE, "ocid": "ocds-gvgr01-0600", "id": "ocds-gvgr01-0600-01-tender"}
    before = office.sizes()["procurement"]
    with ThreadPoolExecutor(max_workers=20) as pool:
        bodies = list(
            pool.map(lambda _: office.post(PUBLISH, {"release": release}, office.official), range(20))
        )
    published = [body["data"]["publishRelease"] for body in bodies if body.get("data")]
    refused = [only_error(body) for body in bodies if not body.get("data")]
    assert len(published) == 1
    assert (
        refused == [("CONFLICT", f"Release {release['id']} of {release['ocid']} is recorded already.")] * 19
    )
    assert office.sizes()["procurement"] == before + 1
    served = office.get("/procurement/ocds/releases/ocds-gvgr01-0600").json()["releases"]
    assert served == [release]
