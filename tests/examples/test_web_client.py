"""The typed client in examples/web-client: generated from the committed supergraph it type-checks, its two
trusted-documents manifests are current, and a schema change that breaks it fails the build.

Each test runs GraphQL Code Generator and `tsc --noEmit` from the example's pinned packages in a copy of
the example (nothing in the tree is rewritten). Without Node or those packages (`npm ci` in
examples/web-client) the tests skip with the reason; under CI=true, where .ci/run installs them, they fail."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "web-client"
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
MANIFESTS = ("persisted-documents.json", "persisted-query-manifest.json")


@pytest.fixture
def client_copy(tmp_path: Path) -> Path:
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
    copy = tmp_path / "web-client"
    copy.mkdir()
    for name in ("package.json", "codegen.ts", "tsconfig.json"):
        shutil.copy(EXAMPLE / name, copy / name)
    shutil.copytree(EXAMPLE / "scripts", copy / "scripts")
    shutil.copytree(EXAMPLE / "src", copy / "src", ignore=shutil.ignore_patterns("gql"))
    (copy / "node_modules").symlink_to(EXAMPLE / "node_modules")
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
    client_copy: Path,
) -> None:
    generated = _codegen(client_copy, SUPERGRAPH)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    manifests = _run(client_copy, SUPERGRAPH, "scripts/manifests.mjs")
    assert manifests.stdout == "wrote 4 operations to manifests/\n", manifests.stderr
    checked = _tsc(client_copy)
    assert (checked.returncode, checked.stdout) == (0, "")
    for name in MANIFESTS:
        assert (client_copy / "manifests" / name).read_text() == (EXAMPLE / "manifests" / name).read_text(), (
            f"examples/web-client/manifests/{name} is stale: run `npm run codegen` there and commit it"
        )


def _changed_schema(tmp_path: Path, old: str, new: str) -> Path:
    text = SUPERGRAPH.read_text()
    assert text.count(old) == 1
    schema = tmp_path / "changed.graphql"
    schema.write_text(text.replace(old, new))
    return schema


def test_a_field_turned_nullable_is_a_compile_error_where_the_client_relies_on_it(
    client_copy: Path, tmp_path: Path
) -> None:
    # Election.turnout: Int! -> Int (a breaking change for clients: `schema check` says FIELD_CHANGED_KIND).
    schema = _changed_schema(tmp_path, "  turnout: Int!\n", "  turnout: Int\n")
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
    schema = _changed_schema(tmp_path, removed, "")
    generated = _codegen(client_copy, schema)
    assert generated.returncode == 1
    assert 'Cannot query field "rootHash" on type "Checkpoint".' in generated.stdout + generated.stderr
