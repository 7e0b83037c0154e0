"""The API schema's SDL: the composed types as clients see them, without the federation machinery and
without anything @inaccessible; enums, scalars, unions and inputs merged across subgraphs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    DirectiveNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    StringValueNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    print_ast,
)
from graphql.language import DirectiveDefinitionNode

from govgraph.federation.gateway.directives import ParsedSubgraph, federation_directives, uses
from govgraph.federation.gateway.supergraph import CompositeType, CompositionError, Field, named_type

TAG_DEFINITION = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
    "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA"
)


def api_sdl(
    parsed: list[ParsedSubgraph],
    types: Iterable[CompositeType],
    others: Mapping[str, list[tuple[ParsedSubgraph, object]]],
    *,
    directives: Iterable[DirectiveDefinitionNode],
    roots: Mapping[str, str],
    hidden: set[str],
    descriptions: Mapping[str, StringValueNode],
) -> str:
    """The schema clients see. `others`: the definitions of enums, scalars, unions and inputs by name, each
    with the subgraph it came from; `directives`: those @composeDirective keeps; `hidden`: the @inaccessible
    types."""
    lines: list[str] = []
    if any(uses(subgraph, "tag") for subgraph in parsed):
        # Hive Gateway keeps the @tag definition in its API schema; so do we, for identical introspection.
        lines.append(TAG_DEFINITION)
    for directive in directives:
        lines.append(print_ast(directive))
    if roots:
        lines.append("schema { " + " ".join(f"{op}: {name}" for op, name in roots.items()) + " }")
    for composite in types:
        if composite.name in hidden:
            continue
        fields = [
            _print_field(f, parsed)
            for f in composite.fields.values()
            if not f.inaccessible and named_type(f.type) not in hidden
        ]
        if not fields:
            continue
        implements = [i for i in composite.implements if i not in hidden]
        head = ("type" if composite.kind == "object" else "interface") + f" {composite.name}"
        if implements:
            head += " implements " + " & ".join(implements)
        lines.append(_description(composite.name, descriptions) + head + " {\n" + "\n".join(fields) + "\n}")
    for name, definitions in others.items():
        if name in hidden:
            continue
        lines.append(_description(name, descriptions) + _print_other(name, definitions, hidden))
    return "\n\n".join(lines) + "\n"


def _description(name: str, descriptions: Mapping[str, StringValueNode]) -> str:
    description = descriptions.get(name)
    return print_ast(description) + "\n" if description is not None else ""


def _print_field(merged: Field, parsed: list[ParsedSubgraph]) -> str:
    node = merged.definition
    arguments = [
        a
        for a in node.arguments or ()
        if not any(_federation_name(d, parsed) == "inaccessible" for d in a.directives or ())
    ]
    node = FieldDefinitionNode(
        name=node.name,
        type=merged.type,
        description=node.description,
        arguments=tuple(
            a.__class__(
                name=a.name,
                type=a.type,
                default_value=a.default_value,
                description=a.description,
                directives=tuple(d for d in a.directives or () if d.name.value == "deprecated"),
            )
            for a in arguments
        ),
        directives=tuple(d for d in node.directives or () if d.name.value == "deprecated"),
    )
    return "  " + print_ast(node).replace("\n", "\n  ")


def _federation_name(directive: DirectiveNode, parsed: list[ParsedSubgraph]) -> str | None:
    for subgraph in parsed:
        if directive.name.value in subgraph.names:
            return subgraph.names[directive.name.value]
    return None


def _print_other(name: str, definitions: list, hidden: set[str]) -> str:
    _, first = definitions[0]
    if isinstance(first, ScalarTypeDefinitionNode):
        specified = [d for d in first.directives or () if d.name.value == "specifiedBy"]
        return print_ast(ScalarTypeDefinitionNode(name=first.name, directives=tuple(specified)))
    if isinstance(first, (EnumTypeDefinitionNode, EnumTypeExtensionNode)):
        values: dict[str, object] = {}
        for subgraph, definition in definitions:
            for value in definition.values or ():
                inaccessible = any(n == "inaccessible" for n, _ in federation_directives(subgraph, value))
                if inaccessible:
                    values[value.name.value] = None
                elif value.name.value not in values:
                    values[value.name.value] = value
        kept = tuple(
            v.__class__(
                name=v.name,
                description=v.description,
                directives=tuple(d for d in v.directives or () if d.name.value == "deprecated"),
            )
            for v in values.values()
            if v is not None
        )
        return print_ast(EnumTypeDefinitionNode(name=first.name, values=kept))
    if isinstance(first, (UnionTypeDefinitionNode, UnionTypeExtensionNode)):
        members: list[str] = []
        for _, definition in definitions:
            members += [t.name.value for t in definition.types or () if t.name.value not in members]
        members = [m for m in members if m not in hidden]
        return f"union {name} = " + " | ".join(members)
    if isinstance(first, (InputObjectTypeDefinitionNode, InputObjectTypeExtensionNode)):
        # Inputs compose by intersection: a field only some subgraphs accept cannot be sent to all.
        common = None
        for _, definition in definitions:
            names = [f.name.value for f in definition.fields or ()]
            common = names if common is None else [n for n in common if n in names]
        by_name = {f.name.value: f for f in first.fields or ()}
        kept = tuple(
            by_name[n].__class__(
                name=by_name[n].name,
                type=by_name[n].type,
                default_value=by_name[n].default_value,
                description=by_name[n].description,
                directives=(),
            )
            for n in common or ()
        )
        return print_ast(InputObjectTypeDefinitionNode(name=first.name, fields=kept))
    raise CompositionError(f'type "{name}" in subgraph "{definitions[0][0].name}": unsupported kind')


__all__ = ["TAG_DEFINITION", "api_sdl"]
