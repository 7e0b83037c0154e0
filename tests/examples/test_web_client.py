"""The typed client in examples/web-client: generated from the committed supergraph it type-checks, its two
trusted-documents manifests are current, a schema change that breaks it fails the build, and the compiled app
gets what the real gateway serves.

Each test runs GraphQL Code Generator and `tsc --noEmit` from the example's pinned packages in a copy of
the example (nothing in the tree is rewritten). Without Node or those packages (`npm ci` in
examples/web-client) the tests skip with the reason; under CI=true, where .ci/run installs them, they fail."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.credentials import issue_token
from tests.support.servers import running_server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "web-client"
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
# The SHA-256 (base64) of the file scripts/demo.mjs notarizes.
MINUTES_SHA256 = base64.b64encode(hashlib.sha256(b"minutes of the hearing of 7 March\n").digest()).decode()
FACTS = """query Facts($sha256: Base64!) {
  ledger(name: "land") { origin checkpoint { size rootHash cosignatures { witness } } }
  parcel(id: "parcel-0001") { titles { current share owner { id } } ledgerEntry { index } }
  notarizations(sha256: $sha256) { index notarizedAt }
}"""
MANIFESTS = ("persisted-documents.json", "persisted-query-manifest.json")


def _copy_of_the_example(directory: Path) -> Path:
    node = shutil.which("node")
    missing = (
        "node is not on PATH"
        if node is None
        else f"{EXAMPLE / 'node_modules'} is missing: run `npm ci` in {EXAMPLE}"
        if not (EXAMPLE / "node_modules" / ".bin" / "graphql-codegen").exists()
        else None
    )
    if missing is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the web client cannot be built: {missing}")
        pytest.skip(f"web client not buildable: {missing}")
    copy = directory / "web-client"
    copy.mkdir()
    for name in ("package.json", "codegen.ts", "tsconfig.json", "tsconfig.build.json"):
        shutil.copy(EXAMPLE / name, copy / name)
    shutil.copytree(EXAMPLE / "scripts", copy / "scripts")
    shutil.copytree(EXAMPLE / "src", copy / "src", ignore=shutil.ignore_patterns("gql"))
    (copy / "node_modules").symlink_to(EXAMPLE / "node_modules")
    return copy


@pytest.fixture
def client_copy(tmp_path: Path) -> Path:
    return _copy_of_the_example(tmp_path)


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy generated from the committed supergraph, with its manifests written (shared: read-only)."""
    copy = _copy_of_the_example(tmp_path_factory.mktemp("generated"))
    generated = _codegen(copy, SUPERGRAPH)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    manifests = _run(copy, SUPERGRAPH, "scripts/manifests.mjs")
    assert manifests.stdout == "wrote 4 operations to manifests/\n", manifests.stderr
    return copy


def _run(copy: Path, schema: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("node") or "node", *command],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "GOVGRAPH_SCHEMA": str(schema), "NO_COLOR": "1", "CI": "true"},
    )


def _codegen(copy: Path, schema: Path) -> subprocess.CompletedProcess[str]:
    return _run(copy, schema, "node_modules/.bin/graphql-codegen")


def _tsc(copy: Path) -> subprocess.CompletedProcess[str]:
    return _run(copy, SUPERGRAPH, "node_modules/typescript/bin/tsc", "--noEmit", "--pretty", "false")


def test_the_client_type_checks_against_the_committed_schema_and_its_manifests_are_current(
    generated_client: Path,
) -> None:
    checked = _tsc(generated_client)
    assert (checked.returncode, checked.stdout) == (0, "")
    for name in MANIFESTS:
        assert (generated_client / "manifests" / name).read_text() == (
            EXAMPLE / "manifests" / name
        ).read_text(), (
            f"examples/web-client/manifests/{name} is stale: run `npm run codegen` there and commit it"
        )


def _changed_schema(tmp_path: Path, type_name: str, old: str, new: str) -> Path:
    """The committed supergraph with `old` replaced by `new` inside the definition of `type_name`."""
    text = SUPERGRAPH.read_text()
    start = text.index(f"\ntype {type_name} ")
    end = text.index("\n}\n", start)
    assert text[start:end].count(old) == 1
    schema = tmp_path / "changed.graphql"
    schema.write_text(text[:start] + text[start:end].replace(old, new) + text[end:])
    return schema


def test_a_field_turned_nullable_is_a_compile_error_where_the_client_relies_on_it(
    client_copy: Path, tmp_path: Path
) -> None:
    # Election.turnout: Int! -> Int (a breaking change for clients: `schema check` says FIELD_CHANGED_KIND).
    schema = _changed_schema(tmp_path, "Election", "  turnout: Int!\n", "  turnout: Int\n")
    assert _codegen(client_copy, schema).returncode == 0
    checked = _tsc(client_copy)
    main = (client_copy / "src" / "main.ts").read_text().splitlines()
    line = next(n for n, text in enumerate(main, 1) if "turnoutLabel(election.turnout" in text)
    column = main[line - 1].index("election.turnout") + 1
    assert checked.returncode == 2
    assert checked.stdout.splitlines() == [
        f"src/main.ts({line},{column}): error TS2345: Argument of type 'number | null | undefined' is not "
        "assignable to parameter of type 'number'.",
        "  Type 'undefined' is not assignable to type 'number'.",
    ]


def test_a_removed_field_fails_generation_naming_the_field(client_copy: Path, tmp_path: Path) -> None:
    removed = '  """\n  The RFC 6962 Merkle tree root of those entries.\n  """\n  rootHash: Base64!\n'
    schema = _changed_schema(tmp_path, "Checkpoint", removed, "")
    generated = _codegen(client_copy, schema)
    assert generated.returncode == 1
    assert 'Cannot query field "rootHash" on type "Checkpoint".' in generated.stdout + generated.stderr


@pytest.fixture(scope="module")
def built_client(generated_client: Path) -> Path:
    """The generated copy compiled to dist/ (what scripts/demo.mjs runs)."""
    built = _run(generated_client, SUPERGRAPH, "node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json")
    assert built.returncode == 0, built.stdout
    return generated_client


def _demo(client: Path, endpoint: str, *flags: str, token: str | None = None) -> dict:
    demo = subprocess.run(
        [shutil.which("node") or "node", "scripts/demo.mjs", endpoint, *flags],
        cwd=client,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **({"GOVGRAPH_TOKEN": token} if token else {})},
    )
    assert demo.returncode == 0, demo.stderr
    return json.loads(demo.stdout)


def test_the_compiled_app_reads_and_writes_through_the_real_gateway(
    built_client: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with running_server(data_dir) as server:
        endpoint = f"{server.url}/graphql"
        token = issue_token(data_dir, "clerk-ada", "clerk:courts")
        shown = _demo(built_client, endpoint, token=token)
        # The same facts read with plain HTTP, after the app's notarization.
        facts = httpx.post(
            endpoint,
            json={"query": FACTS, "variables": {"sha256": MINUTES_SHA256}},
            timeout=30,
        ).json()["data"]
    checkpoint = facts["ledger"]["checkpoint"]
    witnesses = ", ".join(c["witness"] for c in checkpoint["cosignatures"])
    assert shown["checkpoint"] == (
        f"{facts['ledger']['origin']}: {checkpoint['size']} entries, root {checkpoint['rootHash']}, "
        f"cosigned by {witnesses}"
    )
    holders = [f"{t['owner']['id']} ({t['share']})" for t in facts["parcel"]["titles"] if t["current"]]
    assert shown["parcel"] == [
        "parcel-0001, Northfield: 512.5 m²",
        f"held by {', '.join(holders)}",
        f"registered at land#{facts['parcel']['ledgerEntry']['index']}",
    ]
    assert shown["election"] == [
        "northfield-2027-municipal (DRAFT): 0 ballots counted; 0/3 trustees joined",
    ]
    [notarization] = facts["notarizations"]
    assert shown["notarized"].startswith(
        f"entry {notarization['index']} at {notarization['notarizedAt']}, checkpoint "
    )


def test_the_app_runs_where_only_its_trusted_documents_may(built_client: Path, tmp_path: Path) -> None:
    persisted = pytest.importorskip(
        "govgraph.federation.gateway.persisted", reason="trusted documents are not served by this tree"
    )
    # Both committed manifests hold the same four documents, each under its SHA-256.
    apollo, preset = (
        persisted.parse_manifest((EXAMPLE / "manifests" / name).read_bytes()) for name in MANIFESTS
    )
    assert apollo == preset
    assert len(apollo) == 4
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    manifest = EXAMPLE / "manifests" / "persisted-query-manifest.json"
    env = {"GOVGRAPH_TRUSTED_DOCUMENTS": str(manifest), "GOVGRAPH_TRUSTED_DOCUMENTS_ONLY": "true"}
    with running_server(data_dir, env=env) as server:
        endpoint = f"{server.url}/graphql"
        shown = _demo(built_client, endpoint, "--trusted")
        # Any HTTP client may name a trusted document by its id; nothing else runs.
        [checkpoint_id] = [op["id"] for op in _operations(manifest) if op["name"] == "LedgerCheckpoint"]
        read = httpx.post(
            endpoint, json={"documentId": checkpoint_id, "variables": {"name": "land"}}, timeout=30
        )
        other = httpx.post(endpoint, json={"query": "{ ledgers { name } }"}, timeout=30)
    ledger = read.json()["data"]["ledger"]
    checkpoint = ledger["checkpoint"]
    witnesses = ", ".join(c["witness"] for c in checkpoint["cosignatures"])
    assert shown["checkpoint"] == (
        f"{ledger['origin']}: {checkpoint['size']} entries, root {checkpoint['rootHash']}, "
        f"cosigned by {witnesses}"
    )
    assert shown["parcel"][0] == "parcel-0001, Northfield: 512.5 m²"
    assert shown["election"] == ["northfield-2027-municipal (DRAFT): 0 ballots counted; 0/3 trustees joined"]
    assert other.status_code == 403
    assert other.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_ONLY"


def _operations(manifest: Path) -> list[dict]:
    return json.loads(manifest.read_text())["operations"]
