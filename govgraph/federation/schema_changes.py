"""Schema change checks: the API schema clients see, before and after a change, each difference classified
breaking, dangerous or safe (graphql-inspector's criticalities), breaking ones held against an allowlist.

The comparison is between API schemas, not supergraphs: front-end teams never see `join__*`/`link__*` or
anything @inaccessible, so a change there cannot break them. The baseline is a composed supergraph (the
committed schema/supergraph.graphql, or that file at a git revision) with the federation machinery stripped;
the candidate is what the embedded composer makes of the subgraph SDLs now. graphql-core finds the changes
(`find_schema_changes`); deprecations, which it does not report, are added here.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from graphql import (
    BreakingChangeType,
    DangerousChangeType,
    DirectiveDefinitionNode,
    DirectiveNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    Node,
    TypeDefinitionNode,
    TypeExtensionNode,
    Visitor,
    build_ast_schema,
    find_schema_changes,
    parse,
    visit,
)
from graphql.language.visitor import REMOVE

from zk.errors import MalformedInput
from zk.json_input import load_json

# The federation machinery a composed supergraph carries (join and link specs) and @inaccessible; none of it
# is part of the API schema.
FEDERATION_PREFIXES = ("join__", "link__")
FEDERATION_DIRECTIVES = frozenset({"link", "inaccessible"})
MAX_ALLOWLIST_BYTES = 1_000_000


class Criticality(StrEnum):
    BREAKING = "breaking"
    DANGEROUS = "dangerous"
    SAFE = "safe"


class SchemaInputError(MalformedInput):
    """A schema or allowlist file cannot be read as one; the message says which and why."""


@dataclass(frozen=True)
class SchemaChange:
    """One difference between two API schemas. `change` is the sentence an allowlist entry quotes."""

    criticality: Criticality
    kind: str
    change: str


@dataclass(frozen=True)
class AllowedChange:
    """An intended breaking change: the change sentence exactly as the check prints it, and why."""

    change: str
    reason: str


@dataclass(frozen=True)
class CheckResult:
    changes: list[SchemaChange]
    allowed: dict[str, str] = field(default_factory=dict)  # change -> reason, for those allowlisted
    unused: list[AllowedChange] = field(default_factory=list)  # entries matching no change

    @property
    def unannounced(self) -> list[SchemaChange]:
        return [
            c for c in self.changes if c.criticality is Criticality.BREAKING and c.change not in self.allowed
        ]

    @property
    def passed(self) -> bool:
        return not self.unannounced


def api_schema_of_supergraph(sdl: str, *, what: str = "supergraph") -> GraphQLSchema:
    """The API schema of a composed supergraph SDL: its types without federation machinery or anything
    @inaccessible."""
    try:
        document = visit(parse(sdl), _StripFederation())
        return build_ast_schema(document)
    except (GraphQLError, TypeError) as exc:
        raise SchemaInputError(f"{what} is not a GraphQL schema: {exc}") from None


def api_schema_of_subgraphs(sdls: Mapping[str, str]) -> GraphQLSchema:
    """The API schema the embedded composer makes of subgraph SDLs (name -> `_service { sdl }`)."""
    from govgraph.federation.gateway.composition import compose_sdls

    return compose_sdls(sdls).api_schema


class _StripFederation(Visitor):
    def enter(self, node: Node, *_: Any) -> Any:
        if isinstance(node, DirectiveNode):
            return REMOVE if _is_federation(node.name.value) else None
        if isinstance(node, (DirectiveDefinitionNode, TypeDefinitionNode, TypeExtensionNode)) and (
            _is_federation(node.name.value)
        ):
            return REMOVE
        directives = getattr(node, "directives", None) or ()
        if any(d.name.value == "inaccessible" for d in directives):
            return REMOVE
        return None


def _is_federation(name: str) -> bool:
    return name in FEDERATION_DIRECTIVES or name.startswith(FEDERATION_PREFIXES)


def schema_changes(old: GraphQLSchema, new: GraphQLSchema) -> list[SchemaChange]:
    """Every change from `old` to `new`, breaking first, then dangerous, then safe; stable order within."""
    changes = [
        SchemaChange(_criticality(found.type), found.type.name, found.description)
        for found in find_schema_changes(old, new)
    ]
    changes += list(_deprecation_changes(old, new))
    order = list(Criticality)
    return sorted(changes, key=lambda c: (order.index(c.criticality), c.change))


def _criticality(kind: object) -> Criticality:
    if isinstance(kind, BreakingChangeType):
        return Criticality.BREAKING
    if isinstance(kind, DangerousChangeType):
        return Criticality.DANGEROUS
    return Criticality.SAFE


def _deprecation_changes(old: GraphQLSchema, new: GraphQLSchema) -> Iterable[SchemaChange]:
    """A deprecation added (or its reason changed) is safe: operations keep working and tools warn. One
    removed is dangerous, as in graphql-inspector: clients may already have moved off the element."""
    old_marks = dict(_deprecatable(old))
    for coordinate, reason in _deprecatable(new):
        if coordinate not in old_marks:
            continue  # a new element: reported by graphql-core as an addition
        before = old_marks[coordinate]
        if before is None and reason is not None:
            yield SchemaChange(
                Criticality.SAFE, "DEPRECATION_ADDED", f"{coordinate} was deprecated: {reason}"
            )
        elif before is not None and reason is None:
            yield SchemaChange(
                Criticality.DANGEROUS, "DEPRECATION_REMOVED", f"{coordinate} is no longer deprecated."
            )
        elif before != reason:
            yield SchemaChange(
                Criticality.SAFE,
                "DEPRECATION_REASON_CHANGED",
                f"{coordinate}'s deprecation reason changed from {before!r} to {reason!r}.",
            )


def _deprecatable(schema: GraphQLSchema) -> Iterable[tuple[str, str | None]]:
    """(coordinate, deprecation reason or None) of every field, argument, input field and enum value."""
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                yield f"{name}.{value_name}", value.deprecation_reason
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                yield f"{name}.{field_name}", input_field.deprecation_reason
        elif isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, output_field in named.fields.items():
                yield f"{name}.{field_name}", output_field.deprecation_reason
                for arg_name, arg in output_field.args.items():
                    yield f"{name}.{field_name}({arg_name}:)", arg.deprecation_reason


def load_allowlist(text: str | bytes, *, what: str = "allowlist") -> list[AllowedChange]:
    """Read `{"changes": [{"change": "...", "reason": "..."}, ...]}`; every entry needs a non-empty reason."""
    try:
        document = load_json(text, what=what, max_bytes=MAX_ALLOWLIST_BYTES, max_depth=8, strict=True)
    except MalformedInput as exc:
        message = str(exc)
        raise SchemaInputError(message if message.startswith(what) else f"{what}: {message}") from None
    if not isinstance(document, dict) or set(document) != {"changes"}:
        raise SchemaInputError(f'{what} must be an object with exactly one member, "changes"')
    entries = document["changes"]
    if not isinstance(entries, list):
        raise SchemaInputError(f'{what}: "changes" must be an array')
    allowed = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or set(entry) != {"change", "reason"}:
            raise SchemaInputError(f'{what}: changes[{index}] must have exactly "change" and "reason"')
        change, reason = entry["change"], entry["reason"]
        if not isinstance(change, str) or not change.strip():
            raise SchemaInputError(f"{what}: changes[{index}].change must be a non-empty string")
        if not isinstance(reason, str) or not reason.strip():
            raise SchemaInputError(f"{what}: changes[{index}].reason must say why the change is intended")
        allowed.append(AllowedChange(change, reason))
    return allowed


def check(old: GraphQLSchema, new: GraphQLSchema, allowlist: Iterable[AllowedChange] = ()) -> CheckResult:
    """The changes from `old` to `new`, with the allowlisted ones and the allowlist's unused entries."""
    changes = schema_changes(old, new)
    present = {c.change for c in changes}
    allowlist = list(allowlist)
    allowed = {entry.change: entry.reason for entry in allowlist if entry.change in present}
    unused = [entry for entry in allowlist if entry.change not in present]
    return CheckResult(changes, allowed, unused)


def report_json(result: CheckResult) -> dict[str, Any]:
    return {
        "passed": result.passed,
        "changes": [
            {
                "criticality": str(c.criticality),
                "kind": c.kind,
                "change": c.change,
                "allowed": c.change in result.allowed,
                "reason": result.allowed.get(c.change),
            }
            for c in result.changes
        ],
        "unannounced": [c.change for c in result.unannounced],
        "unused_allowlist_entries": [e.change for e in result.unused],
    }


def report_table(result: CheckResult) -> str:
    if not result.changes:
        lines = ["No changes to the API schema."]
    else:
        width = max(len(c.kind) for c in result.changes)
        lines = [f"{'CRITICALITY':<11}  {'KIND':<{width}}  CHANGE"]
        for c in result.changes:
            note = "  [allowed: " + result.allowed[c.change] + "]" if c.change in result.allowed else ""
            lines.append(f"{c.criticality.upper():<11}  {c.kind:<{width}}  {c.change}{note}")
        counts = {k: sum(c.criticality is k for c in result.changes) for k in Criticality}
        lines.append("")
        lines.append(", ".join(f"{counts[k]} {k}" for k in Criticality) + f" ({len(result.allowed)} allowed)")
    for entry in result.unused:
        lines.append(f"note: allowlist entry matches no change (remove it): {entry.change}")
    if result.unannounced:
        lines.append(
            f"{len(result.unannounced)} breaking change(s) not in the allowlist: announce them there with "
            "a reason, or keep the old schema working"
        )
    return "\n".join(lines)


def file_at_revision(path: Path, revision: str) -> str:
    """`path` as committed at a git revision (`main`, `HEAD^`, a commit id): the baseline CI compares with,
    since the working tree's schema/ is regenerated with every change."""
    path = path.resolve()
    if revision.startswith("-"):
        raise SchemaInputError(f"not a git revision: {revision!r}")
    try:
        completed = subprocess.run(
            ["git", "show", f"{revision}:./{path.name}"],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except FileNotFoundError:
        raise SchemaInputError("git is not on PATH") from None
    if completed.returncode != 0:
        raise SchemaInputError(f"cannot read {path.name} at {revision}: {completed.stderr.strip()}")
    return completed.stdout
