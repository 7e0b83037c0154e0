"""Federation v2 directives as each subgraph spells them (imported, renamed through @link, or prefixed), and
the features the embedded gateway supports: a subgraph using anything else is refused by name."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    ListValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    Visitor,
    visit,
)

from govgraph.federation.gateway.supergraph import CompositionError

FEDERATION_SPEC = "https://specs.apollo.dev/federation/"
SUPPORTED = frozenset(
    {
        "key",
        "shareable",
        "external",
        "requires",
        "provides",
        "override",
        "inaccessible",
        "tag",
        "interfaceObject",
        "extends",
        "composeDirective",
        "link",
    }
)
# Federation features the gateway cannot honour: a subgraph using one is refused rather than answered wrongly.
UNSUPPORTED = frozenset(
    {"context", "fromContext", "authenticated", "requiresScopes", "policy", "cost", "listSize"}
)


@dataclass
class ParsedSubgraph:
    name: str
    document: DocumentNode
    names: dict[str, str]  # local directive name -> federation name


def link_names(name: str, document: DocumentNode) -> dict[str, str]:
    """Federation directive names as this subgraph spells them (imported, renamed, or `federation__...`)."""
    for definition in document.definitions:
        if not isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "link":
                continue
            arguments = {a.name.value: a.value for a in directive.arguments}
            url = arguments.get("url")
            if not isinstance(url, StringValueNode) or not url.value.startswith(FEDERATION_SPEC):
                continue
            prefix = "federation"
            if isinstance(arguments.get("as"), StringValueNode):
                prefix = arguments["as"].value
            names = {f"{prefix}__{feature}": feature for feature in SUPPORTED | UNSUPPORTED}
            imports = arguments.get("import")
            for item in imports.values if isinstance(imports, ListValueNode) else ():
                if isinstance(item, StringValueNode):
                    names[item.value.lstrip("@")] = item.value.lstrip("@")
                else:  # {name: "@key", as: "@primaryKey"}
                    spec = {f.name.value: f.value.value for f in item.fields}
                    names[spec.get("as", spec["name"]).lstrip("@")] = spec["name"].lstrip("@")
            return names
    raise CompositionError(
        f'subgraph "{name}" does not @link the Federation v2 spec: Federation 1 subgraphs '
        "are not supported by the embedded gateway"
    )


def federation_directives(parsed: ParsedSubgraph, node) -> list[tuple[str, DirectiveNode]]:
    """The node's federation directives by federation name (others are dropped), refusing unsupported ones."""
    found = []
    for directive in node.directives or ():
        name = parsed.names.get(directive.name.value)
        if name in UNSUPPORTED:
            where = getattr(getattr(node, "name", None), "value", "schema")
            raise CompositionError(
                f'subgraph "{parsed.name}" uses @{name} on {where}: not supported by the '
                "embedded gateway (use Hive Gateway for it)"
            )
        if name is not None:
            found.append((name, directive))
    return found


def uses(parsed: ParsedSubgraph, feature: str) -> bool:
    """Whether the subgraph applies the federation directive `feature` anywhere."""
    local = {name for name, federation_name in parsed.names.items() if federation_name == feature}
    found: list[DirectiveNode] = []

    class _Find(Visitor):
        def enter_directive(self, node: DirectiveNode, *_args) -> None:
            if node.name.value in local:
                found.append(node)

    visit(parsed.document, _Find())
    return bool(found)


def directive_argument(directive: DirectiveNode, name: str):
    """A directive argument's value: a string or boolean as Python's, anything else as its AST node."""
    for item in directive.arguments:
        if item.name.value == name:
            value = item.value
            if isinstance(value, (StringValueNode, BooleanValueNode)):
                return value.value
            return value
    return None


__all__ = [
    "FEDERATION_SPEC",
    "SUPPORTED",
    "UNSUPPORTED",
    "ParsedSubgraph",
    "directive_argument",
    "federation_directives",
    "link_names",
    "uses",
]
