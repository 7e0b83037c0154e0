"""The differential corpus: hand-written operations (hand.py) and seeded generated ones (generated.json)."""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    EnumTypeDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    parse,
)

# The codes our subgraphs give only to their parse, validation and limit checks, all run before executing:
# an error with one of them refused the whole request and never carries a path of its own. (BAD_REQUEST is
# not one: a resolver raises it too, e.g. CredentialsUnavailable, with the field's path.)
REFUSAL_CODES = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_COMPLEX"})


def with_variable_codes(body: dict) -> dict:
    """Hive's answer with the first deliberate difference applied: Hive reports a variable that fails
    coercion without `extensions`; ours says BAD_USER_INPUT (every error we send has a code)."""
    for error in body.get("errors", ()):
        if "extensions" not in error and error["message"].startswith('Variable "$'):
            error["extensions"] = {"code": "BAD_USER_INPUT"}
    return body


def with_request_level_refusals(body: dict, roots: Mapping[str, set[str]] | None = None) -> dict:
    """Hive's answer with the second deliberate difference applied: a subgraph's refusal of a whole fetch
    (sent without a path) comes from Hive at the fetch's first root field; ours stays a request-level error,
    without a path. Such an error is told from Hive's answer by the rule: it came from a subgraph
    (`serviceName`), its code is one of REFUSAL_CODES, and its path is one root field. A subgraph's
    request-level refusal with another code (UNAUTHENTICATED for refused credentials) is not recognised,
    and the corpus sends no credentials: were one to appear, the comparison would fail, not pass.
    `roots` (see root_subgraphs), when known, tells a root fetch's refusal from an entity fetch's refused at
    a one-step path (a field of another subgraph's root field, e.g. land's part of `citizen`): both gateways
    give the latter its path, so it is kept."""
    for error in body.get("errors", ()):
        extensions = error.get("extensions") or {}
        path = error.get("path") or ()
        if (
            "serviceName" in extensions
            and extensions.get("code") in REFUSAL_CODES
            and len(path) == 1
            and (roots is None or extensions["serviceName"] in roots.get(path[0], ()))
        ):
            del error["path"]
    return body


def root_subgraphs(
    supergraph: str, query: str, operation_name: str | None = None
) -> dict[str, set[str]] | None:
    """The subgraphs that resolve each root field of the operation, by response key (alias or name), from
    the supergraph's join directives; None when the operation does not parse."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    schema = parse(supergraph)
    graphs = {
        value.name.value: _argument(directive, "name")
        for definition in schema.definitions
        if isinstance(definition, EnumTypeDefinitionNode) and definition.name.value == "join__Graph"
        for value in definition.values or ()
        for directive in value.directives or ()
        if directive.name.value == "join__graph"
    }
    owners: dict[tuple[str, str], set[str]] = {}
    for definition in schema.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            declared = {
                graphs.get(_argument(d, "graph"))
                for d in definition.directives or ()
                if d.name.value == "join__type"
            } - {None}
            for node in definition.fields or ():
                joined = {
                    graphs.get(_argument(d, "graph"))
                    for d in node.directives or ()
                    if d.name.value == "join__field"
                } - {None}
                owners.setdefault((definition.name.value, node.name.value), set()).update(joined or declared)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return None
    root = chosen[0].operation.value.capitalize()
    found: dict[str, set[str]] = {}

    def visit(selections) -> None:
        for node in selections:
            if isinstance(node, FieldNode):
                key = (node.alias or node.name).value
                found.setdefault(key, set()).update(owners.get((root, node.name.value), ()))
            elif isinstance(node, InlineFragmentNode):
                visit(node.selection_set.selections)
            elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
                visit(fragments[node.name.value].selection_set.selections)

    visit(chosen[0].selection_set.selections)
    return found


def _argument(directive, name: str) -> str | None:
    return next((a.value.value for a in directive.arguments or () if a.name.value == name), None)


def with_deliberate_differences(body: dict, roots: Mapping[str, set[str]] | None = None) -> dict:
    """Hive's answer with both deliberate differences applied; nothing else changes."""
    return with_request_level_refusals(with_variable_codes(body), roots)


def errors_by_subgraph(body: dict) -> dict:
    """The body with its errors stably grouped by the subgraph that sent them. Fetches to different subgraphs
    run in parallel and Hive lists their errors in the order the answers arrive (a race); ours lists them in
    plan order. Within one subgraph, and in every other respect, both must agree exactly."""
    if "errors" in body:
        body["errors"] = sorted(
            body["errors"], key=lambda error: str((error.get("extensions") or {}).get("serviceName", ""))
        )
    return body
