"""`govgraph schema check`: the tree has no unannounced breaking change against its baseline, a breaking
change in an agency's schema is caught, an allowlisted one passes, each kind of change gets its criticality.

The baseline of the tree test is schema/supergraph.graphql as committed at GOVGRAPH_SCHEMA_BASE (default
`HEAD^`: the commit before, or main before a merge), since the working tree's copy is regenerated with every
schema change and so always matches the code (tests/govgraph/federation/test_contracts.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import build_schema
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from govgraph.agencies.registry import standard_agencies
from govgraph.cli import app
from govgraph.federation.contracts import subgraph_sdl
from govgraph.federation.schema_changes import (
    AllowedChange,
    Criticality,
    SchemaChange,
    SchemaInputError,
    api_schema_of_subgraphs,
    api_schema_of_supergraph,
    check,
    file_at_revision,
    load_allowlist,
    report_table,
    schema_changes,
)
from zk.errors import MalformedInput

ROOT = Path(__file__).resolve().parents[3]
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
B, D, S = Criticality.BREAKING, Criticality.DANGEROUS, Criticality.SAFE


def _sdls() -> dict[str, str]:
    return {agency.name: subgraph_sdl(agency) for agency in standard_agencies()}


def _committed():
    return api_schema_of_supergraph(SUPERGRAPH.read_text())


def test_the_tree_has_no_unannounced_breaking_change() -> None:
    base = os.environ.get("GOVGRAPH_SCHEMA_BASE", "HEAD^")
    try:
        baseline = file_at_revision(SUPERGRAPH, base)
    except SchemaInputError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true needs the git history to check schema changes: {exc}")
        pytest.skip(f"no baseline to compare with: {exc}")
    allowlist = load_allowlist((ROOT / "schema" / "allowed-changes.json").read_bytes())
    result = check(api_schema_of_supergraph(baseline), api_schema_of_subgraphs(_sdls()), allowlist)
    assert result.unannounced == [], report_table(result)


def test_committed_supergraph_and_the_code_have_the_same_api_schema() -> None:
    # Guards the stripping of federation machinery: any difference here would be a false report.
    assert schema_changes(_committed(), api_schema_of_subgraphs(_sdls())) == []


def test_a_field_removed_from_an_agency_schema_is_breaking() -> None:
    sdls = _sdls()
    assert "  locality: String!\n" in sdls["land"]
    sdls["land"] = sdls["land"].replace("  locality: String!\n", "", 1)
    result = check(_committed(), api_schema_of_subgraphs(sdls))
    assert result.changes == [SchemaChange(B, "FIELD_REMOVED", "Field Parcel.locality was removed.")]
    assert not result.passed
    assert result.unannounced == result.changes


def test_an_allowlisted_breaking_change_passes_and_stale_entries_are_reported() -> None:
    sdls = _sdls()
    sdls["land"] = sdls["land"].replace("  locality: String!\n", "", 1)
    allowlist = [
        AllowedChange("Field Parcel.locality was removed.", "replaced by spatialUnit; announced 2026-11-01"),
        AllowedChange("Field Query.gone was removed.", "an old entry"),
    ]
    result = check(_committed(), api_schema_of_subgraphs(sdls), allowlist)
    assert result.passed
    assert result.allowed == {
        "Field Parcel.locality was removed.": "replaced by spatialUnit; announced 2026-11-01"
    }
    assert result.unused == [allowlist[1]]
    table = report_table(result)
    assert (
        "BREAKING     FIELD_REMOVED  Field Parcel.locality was removed.  [allowed: replaced by spatialUnit"
        in table
    )
    assert "note: allowlist entry matches no change (remove it): Field Query.gone was removed." in table


OLD = """
enum Kind { A B }
union Result = Ok | Err
type Ok { ok: Boolean }
type Err { message: String }
input Filter { name: String }
type Query {
  item(id: ID!): String
  items(filter: Filter, first: Int = 10): [String!]
  kind: Kind
  result: Result
  nickname: String
  old: String @deprecated(reason: "use nickname")
}
"""

CASES = [
    (
        "enum Kind { A B }",
        "enum Kind { A }",
        [(B, "VALUE_REMOVED_FROM_ENUM", "Enum value Kind.B was removed.")],
    ),
    (
        "enum Kind { A B }",
        "enum Kind { A B C }",
        [(D, "VALUE_ADDED_TO_ENUM", "Enum value Kind.C was added.")],
    ),
    (
        "union Result = Ok | Err",
        "union Result = Ok",
        [(B, "TYPE_REMOVED_FROM_UNION", "Err was removed from union type Result.")],
    ),
    (
        "union Result = Ok | Err",
        "union Result = Ok | Err | Extra\ntype Extra { x: Int }",
        [
            (D, "TYPE_ADDED_TO_UNION", "Extra was added to union type Result."),
            (S, "TYPE_ADDED", "Extra was added."),
        ],
    ),
    (
        "type Query {",
        "type Extra { x: Int }\nunion Result2 = Ok | Extra\ntype Query {",
        [(S, "TYPE_ADDED", "Extra was added."), (S, "TYPE_ADDED", "Result2 was added.")],
    ),
    (
        "  nickname: String\n",
        "  nickname: String\n  age: Int\n",
        [(S, "FIELD_ADDED", "Field Query.age was added.")],
    ),
    (
        "  nickname: String\n",
        "  nickname: Int\n",
        [(B, "FIELD_CHANGED_KIND", "Field Query.nickname changed type from String to Int.")],
    ),
    (
        "  nickname: String\n",
        "  nickname: String!\n",
        [(S, "FIELD_CHANGED_KIND_SAFE", "Field Query.nickname changed type from String to String!.")],
    ),
    (
        "item(id: ID!)",
        "item(id: ID!, as: String!)",
        [(B, "REQUIRED_ARG_ADDED", "A required argument Query.item(as:) was added.")],
    ),
    (
        "item(id: ID!)",
        "item(id: ID!, as: String)",
        [(D, "OPTIONAL_ARG_ADDED", "An optional argument Query.item(as:) was added.")],
    ),
    (
        "item(id: ID!)",
        "item(id: ID)",
        [(S, "ARG_CHANGED_KIND_SAFE", "Argument Query.item(id:) has changed type from ID! to ID.")],
    ),
    (
        "first: Int = 10",
        "first: Int = 20",
        [(D, "ARG_DEFAULT_VALUE_CHANGE", "Query.items(first:) has changed defaultValue from 10 to 20.")],
    ),
    (
        "input Filter { name: String }",
        "input Filter { name: String, tag: String! }",
        [(B, "REQUIRED_INPUT_FIELD_ADDED", "A required field Filter.tag was added.")],
    ),
    (
        "  nickname: String\n",
        '  nickname: String @deprecated(reason: "use name")\n',
        [(S, "DEPRECATION_ADDED", "Query.nickname was deprecated: use name")],
    ),
    (
        '  old: String @deprecated(reason: "use nickname")\n',
        "  old: String\n",
        [(D, "DEPRECATION_REMOVED", "Query.old is no longer deprecated.")],
    ),
]


@pytest.mark.parametrize(("before", "after", "expected"), CASES, ids=[c[2][0][1] for c in CASES])
def test_each_kind_of_change_gets_its_criticality(before: str, after: str, expected: list) -> None:
    assert before in OLD
    new = build_schema(OLD.replace(before, after, 1))
    found = [(c.criticality, c.kind, c.change) for c in schema_changes(build_schema(OLD), new)]
    assert found == expected


def test_changes_are_ordered_breaking_then_dangerous_then_safe() -> None:
    new = OLD.replace("enum Kind { A B }", "enum Kind { A C }").replace(
        "  nickname: String\n", "  age: Int\n"
    )
    found = [c.criticality for c in schema_changes(build_schema(OLD), build_schema(new))]
    assert found == [B, B, D, S]


def test_federation_machinery_and_inaccessible_elements_are_not_the_api() -> None:
    supergraph = SUPERGRAPH.read_text()
    marked = supergraph.replace(
        '  """\n  Notarizations of a document hash',
        "  secretCount: Int! @join__field(graph: COURTS) @inaccessible\n"
        '  """\n  Notarizations of a document hash',
        1,
    ).replace(
        "directive @link(",
        "directive @inaccessible on FIELD_DEFINITION | OBJECT\n\ndirective @link(",
        1,
    )
    api = api_schema_of_supergraph(marked)
    assert "secretCount" not in api.query_type.fields
    assert not [name for name in api.type_map if name.startswith(("join__", "link__"))]
    assert {d.name for d in api.directives} == {"include", "skip", "deprecated", "specifiedBy", "oneOf"}
    assert schema_changes(_committed(), api) == []


def test_a_baseline_that_is_not_a_schema_is_refused_with_the_reason() -> None:
    with pytest.raises(SchemaInputError, match=r"^supergraph is not a GraphQL schema: Syntax Error"):
        api_schema_of_supergraph("type Query {")
    with pytest.raises(SchemaInputError, match=r"^cannot read supergraph\.graphql at no-such-rev: fatal"):
        file_at_revision(SUPERGRAPH, "no-such-rev")
    with pytest.raises(SchemaInputError, match=r"^not a git revision: '--output=x'$"):
        file_at_revision(SUPERGRAPH, "--output=x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"[]", 'allowlist must be an object with exactly one member, "changes"'),
        (b'{"changes": {}}', 'allowlist: "changes" must be an array'),
        (b'{"changes": [{"change": "x"}]}', 'allowlist: changes[0] must have exactly "change" and "reason"'),
        (b'{"changes": [{"change": "x", "reason": " "}]}', "allowlist: changes[0].reason must say why"),
        (b'{"changes": [{"change": 1, "reason": "r"}]}', "allowlist: changes[0].change must be a non-empty"),
        (b'{"changes": [], "changes": []}', "allowlist: duplicate JSON key 'changes'"),
    ],
)
def test_a_malformed_allowlist_is_refused_with_the_reason(text: bytes, message: str) -> None:
    with pytest.raises(MalformedInput) as raised:
        load_allowlist(text)
    assert str(raised.value).startswith(message)


KEYS = st.sampled_from(["changes", "change", "reason", "x"])


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
            max_leaves=12,
        ).map(lambda value: json.dumps(value).encode()),
    )
)
def test_any_allowlist_text_is_read_or_refused_with_a_typed_error(text: bytes) -> None:
    try:
        entries = load_allowlist(text)
    except MalformedInput:
        return
    assert all(isinstance(e, AllowedChange) and e.change.strip() and e.reason.strip() for e in entries)


def _invoke(*args: str) -> tuple[int, str, str]:
    """The command in this process (the first run of each scenario goes through `python -m govgraph`)."""
    result = CliRunner().invoke(app, ["schema", "check", *args])
    return result.exit_code, result.stdout, result.stderr


def _run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govgraph", "schema", "check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_the_command_fails_on_an_unannounced_breaking_change_and_passes_once_announced(
    tmp_path: Path,
) -> None:
    # A baseline that still has a field the code no longer serves: the code removed it.
    shutil.copy(SUPERGRAPH, tmp_path / "supergraph.graphql")
    baseline = tmp_path / "supergraph.graphql"
    baseline.write_text(
        baseline.read_text().replace(
            '  """\n  Notarizations of a document hash',
            "  legacyNotarizations(sha256: Base64!): [NotarizationRecord!]! @join__field(graph: COURTS)\n"
            '  """\n  Notarizations of a document hash',
            1,
        )
    )
    failed = _run_check("--dir", str(tmp_path))
    assert failed.returncode == 1, failed.stderr
    assert failed.stdout.splitlines() == [
        "CRITICALITY  KIND           CHANGE",
        "BREAKING     FIELD_REMOVED  Field Query.legacyNotarizations was removed.",
        "",
        "1 breaking, 0 dangerous, 0 safe (0 allowed)",
        "1 breaking change(s) not in the allowlist: announce them there with a reason, or keep the old "
        "schema working",
    ]

    entry = {
        "change": "Field Query.legacyNotarizations was removed.",
        "reason": "superseded by notarizations in v2",
    }
    (tmp_path / "allowed-changes.json").write_text(json.dumps({"changes": [entry]}))
    code, stdout, stderr = _invoke("--dir", str(tmp_path), "--json")
    assert code == 0, stderr
    assert json.loads(stdout) == {
        "passed": True,
        "changes": [
            {
                "criticality": "breaking",
                "kind": "FIELD_REMOVED",
                "change": "Field Query.legacyNotarizations was removed.",
                "allowed": True,
                "reason": "superseded by notarizations in v2",
            }
        ],
        "unannounced": [],
        "unused_allowlist_entries": [],
    }

    (tmp_path / "allowed-changes.json").write_text('{"changes": [{"change": "x"}]}')
    code, _, stderr = _invoke("--dir", str(tmp_path))
    assert code == 2
    assert stderr.strip() == (
        f'govgraph: {tmp_path / "allowed-changes.json"}: changes[0] must have exactly "change" and "reason"'
    )


def test_the_command_refuses_what_it_cannot_compare_with_the_reason(tmp_path: Path) -> None:
    schema_dir = str(ROOT / "schema")
    both = _invoke("--dir", schema_dir, "--base", "HEAD", "--against", str(SUPERGRAPH))
    assert both == (2, "", "govgraph: give --base or --against, not both\n")
    code, _, stderr = _invoke("--dir", schema_dir, "--base", "no-such-revision")
    assert code == 2
    assert stderr.startswith("govgraph: cannot read supergraph.graphql at no-such-revision: fatal: ")
    (tmp_path / "broken.graphql").write_text("type Query {")
    code, _, stderr = _invoke("--against", str(tmp_path / "broken.graphql"))
    assert code == 2
    assert stderr.startswith(
        f"govgraph: {tmp_path / 'broken.graphql'} is not a GraphQL schema: Syntax Error: Expected Name"
    )
