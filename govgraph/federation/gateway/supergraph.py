"""The supergraph model: which subgraphs resolve each field (and under which @requires/@provides), which
keys each subgraph resolves an entity by, and the API schema clients see. Built by `composition.compose`."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    FieldDefinitionNode,
    GraphQLSchema,
    ListTypeNode,
    NonNullTypeNode,
    SelectionSetNode,
    TypeNode,
    parse,
)


class CompositionError(Exception):
    """The subgraphs cannot be composed (or use an unsupported feature); the message names them."""


@dataclass(frozen=True)
class SubgraphSource:
    """One subgraph: its name (as in errors and `serviceName`) and its SDL (`_service { sdl }`)."""

    name: str
    sdl: str


@dataclass
class FieldSite:
    """How one subgraph resolves one field."""

    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None


@dataclass
class Field:
    name: str
    type: TypeNode
    definition: FieldDefinitionNode
    sites: dict[str, FieldSite] = field(default_factory=dict)  # subgraph -> how it resolves the field
    # Subgraphs that declare it @external without a key: resolvable there only under a matching @provides.
    external: set[str] = field(default_factory=set)
    inaccessible: bool = False


@dataclass
class CompositeType:
    """An object or interface type as the supergraph sees it."""

    name: str
    kind: str  # "object" | "interface"
    fields: dict[str, Field] = field(default_factory=dict)
    subgraphs: list[str] = field(default_factory=list)
    keys: dict[str, list[SelectionSetNode]] = field(default_factory=dict)  # resolvable keys per subgraph
    interface_object_in: set[str] = field(default_factory=set)
    implements: list[str] = field(default_factory=list)


@dataclass
class Supergraph:
    """The composed graph: the planner's model (`types`) and the schema clients see (`api_schema`)."""

    subgraphs: list[str]
    types: dict[str, CompositeType]
    possible_types: dict[str, list[str]]  # abstract type -> object types, in API schema order
    roots: dict[str, str]  # "query"/"mutation" -> type name
    api_schema: GraphQLSchema
    api_sdl: str

    def is_abstract(self, name: str) -> bool:
        return name in self.possible_types

    def entity_interface(self, type_name: str, subgraph: str) -> str | None:
        """The @interfaceObject through which `subgraph` knows the object type `type_name`, if any."""
        for interface in self.types[type_name].implements:
            if subgraph in self.types[interface].interface_object_in:
                return interface
        return None


def field_set(text: str) -> SelectionSetNode:
    """A FieldSet string (`id`, `sku variation { id }`) as a selection set."""
    return parse(f"{{ {text} }}", no_location=True).definitions[0].selection_set


def named_type(type_node: TypeNode) -> str:
    """The name of the type under a field's list and non-null wrappers (`[Item!]!` -> `Item`)."""
    while isinstance(type_node, (NonNullTypeNode, ListTypeNode)):
        type_node = type_node.type
    return type_node.name.value


def list_depth(type_node: TypeNode) -> int:
    """How many lists wrap a field's type (`[[Item]!]` -> 2)."""
    depth = 0
    while isinstance(type_node, (NonNullTypeNode, ListTypeNode)):
        depth += isinstance(type_node, ListTypeNode)
        type_node = type_node.type
    return depth


__all__ = [
    "CompositeType",
    "CompositionError",
    "Field",
    "FieldSite",
    "SubgraphSource",
    "Supergraph",
    "field_set",
    "list_depth",
    "named_type",
]
