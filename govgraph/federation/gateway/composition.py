"""Composition: merge Federation v2 subgraph SDLs into one Supergraph, refusing at start-up, by name, what
cannot be composed: conflicting field types, non-shareable fields resolved twice, unsupported features."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    FieldDefinitionNode,
    GraphQLError,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationType,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    build_ast_schema,
    parse,
    print_ast,
)
from graphql.language import DirectiveDefinitionNode

from govgraph.federation.gateway.api_schema import api_sdl as print_api_sdl
from govgraph.federation.gateway.directives import (
    ParsedSubgraph,
    directive_argument,
    federation_directives,
    link_names,
)
from govgraph.federation.gateway.supergraph import (
    CompositeType,
    CompositionError,
    Field,
    FieldSite,
    SubgraphSource,
    Supergraph,
    field_set,
)

FEDERATION_TYPES = frozenset(
    {
        "_Any",
        "_Entity",
        "_Service",
        "FieldSet",
        "link__Import",
        "link__Purpose",
        "federation__FieldSet",
        "federation__Scope",
        "federation__Policy",
        "federation__ContextFieldValue",
        "_FieldSet",
        "link__FieldSet",
    }
)
ROOT_DEFAULTS = {
    OperationType.QUERY: "Query",
    OperationType.MUTATION: "Mutation",
    OperationType.SUBSCRIPTION: "Subscription",
}


def _nullable(type_node: TypeNode) -> TypeNode:
    return type_node.type if isinstance(type_node, NonNullTypeNode) else type_node


class _Composer:
    def __init__(self, sources: list[SubgraphSource]) -> None:
        self.parsed = []
        for source in sources:
            try:
                document = parse(source.sdl, no_location=True)
            except GraphQLError as exc:
                raise CompositionError(f'subgraph "{source.name}": its SDL does not parse: {exc}') from None
            self.parsed.append(ParsedSubgraph(source.name, document, link_names(source.name, document)))
        self.types: dict[str, CompositeType] = {}
        self.others: dict[str, list] = {}  # name -> definitions of enums, scalars, unions, inputs
        self.directive_definitions: dict[str, DirectiveDefinitionNode] = {}
        self.roots: dict[str, str] = {}
        self.shareable: dict[tuple[str, str, str], bool] = {}  # (type, field, subgraph)
        self.overrides: list[tuple[str, str, str, str]] = []  # (type, field, into subgraph, from subgraph)
        self.inaccessible_types: set[str] = set()
        self.descriptions: dict[str, StringValueNode] = {}

    def compose(self) -> Supergraph:
        for parsed in self.parsed:
            self._read_subgraph(parsed)
        self._apply_overrides()
        self._check_sharing()
        return self._build()

    def _read_subgraph(self, parsed: ParsedSubgraph) -> None:
        roots = dict(ROOT_DEFAULTS)
        composed = set()
        for definition in parsed.document.definitions:
            if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
                for operation in definition.operation_types or ():
                    roots[operation.operation] = operation.type.name.value
                for name, directive in federation_directives(parsed, definition):
                    if name == "composeDirective":
                        composed.add(directive_argument(directive, "name").lstrip("@"))
        rename = {local: ROOT_DEFAULTS[operation] for operation, local in roots.items()}
        for definition in parsed.document.definitions:
            if isinstance(definition, DirectiveDefinitionNode) and definition.name.value in composed:
                self.directive_definitions.setdefault(definition.name.value, definition)
        for definition in parsed.document.definitions:
            name = getattr(getattr(definition, "name", None), "value", None)
            if name is None or name in FEDERATION_TYPES or isinstance(definition, DirectiveDefinitionNode):
                continue
            name = rename.get(name, name)
            if isinstance(
                definition,
                (
                    ObjectTypeDefinitionNode,
                    ObjectTypeExtensionNode,
                    InterfaceTypeDefinitionNode,
                    InterfaceTypeExtensionNode,
                ),
            ):
                self._read_composite(parsed, name, definition)
            else:
                if any(n == "inaccessible" for n, _ in federation_directives(parsed, definition)):
                    self.inaccessible_types.add(name)
                self.others.setdefault(name, []).append((parsed, definition))
            if getattr(definition, "description", None) is not None:
                self.descriptions.setdefault(name, definition.description)
        for operation, local in roots.items():
            if any(
                getattr(getattr(d, "name", None), "value", None) == local for d in parsed.document.definitions
            ):
                self.roots[operation.value] = ROOT_DEFAULTS[operation]

    def _read_composite(self, parsed: ParsedSubgraph, name: str, definition) -> None:
        directives = federation_directives(parsed, definition)
        interface_object = any(n == "interfaceObject" for n, _ in directives)
        kind = (
            "interface"
            if isinstance(definition, (InterfaceTypeDefinitionNode, InterfaceTypeExtensionNode))
            or interface_object
            else "object"
        )
        composite = self.types.setdefault(name, CompositeType(name, kind))
        if kind != composite.kind and not interface_object:
            raise CompositionError(
                f'type "{name}" is an {composite.kind} in subgraph "{composite.subgraphs[0]}" '
                f'but an {kind} in subgraph "{parsed.name}"'
            )
        if interface_object:
            composite.interface_object_in.add(parsed.name)
        if parsed.name not in composite.subgraphs:
            composite.subgraphs.append(parsed.name)
        for interface in definition.interfaces or ():
            if interface.name.value not in composite.implements:
                composite.implements.append(interface.name.value)
        type_shareable = any(n == "shareable" for n, _ in directives)
        if any(n == "inaccessible" for n, _ in directives):
            self.inaccessible_types.add(name)
        keys = composite.keys.setdefault(parsed.name, [])
        key_fields: set[str] = set()
        for directive_name, directive in directives:
            if directive_name == "key":
                selection = field_set(directive_argument(directive, "fields"))
                key_fields |= {s.name.value for s in selection.selections}
                if directive_argument(directive, "resolvable") is not False:
                    keys.append(selection)
        for definition_field in definition.fields or ():
            if name == "Query" and definition_field.name.value in ("_entities", "_service"):
                continue
            self._read_field(parsed, composite, definition_field, type_shareable, key_fields)

    def _read_field(
        self,
        parsed: ParsedSubgraph,
        composite: CompositeType,
        node: FieldDefinitionNode,
        type_shareable: bool,
        key_fields: set[str],
    ) -> None:
        name = node.name.value
        merged = composite.fields.get(name)
        if merged is None:
            merged = composite.fields[name] = Field(name, node.type, node)
        elif print_ast(_nullable(merged.type)) != print_ast(_nullable(node.type)):
            first = next(iter(merged.sites or merged.external), "?")
            raise CompositionError(
                f'field "{composite.name}.{name}" has type "{print_ast(merged.type)}" in subgraph "{first}" '
                f'but "{print_ast(node.type)}" in subgraph "{parsed.name}"'
            )
        elif isinstance(merged.type, NonNullTypeNode) and not isinstance(node.type, NonNullTypeNode):
            merged.type = node.type  # the supergraph promises only what every subgraph can keep
        if merged.definition.description is None and node.description is not None:
            merged.definition = node
        directives = dict(federation_directives(parsed, node))
        if "inaccessible" in directives:
            merged.inaccessible = True
        if "override" in directives:
            if directive_argument(directives["override"], "label") is not None:
                raise CompositionError(
                    f'subgraph "{parsed.name}" uses progressive @override (label) on '
                    f'"{composite.name}.{name}": not supported by the embedded gateway'
                )
            self.overrides.append(
                (composite.name, name, parsed.name, directive_argument(directives["override"], "from"))
            )
        if "external" in directives and name not in key_fields:
            merged.external.add(parsed.name)
            return
        requires = directives.get("requires")
        provides = directives.get("provides")
        merged.sites[parsed.name] = FieldSite(
            requires=field_set(directive_argument(requires, "fields")) if requires else None,
            provides=field_set(directive_argument(provides, "fields")) if provides else None,
        )
        self.shareable[(composite.name, name, parsed.name)] = (
            type_shareable or "shareable" in directives or name in key_fields
        )

    def _apply_overrides(self) -> None:
        for type_name, field_name, _into, source in self.overrides:
            sites = self.types[type_name].fields[field_name].sites
            sites.pop(source, None)
            self.shareable.pop((type_name, field_name, source), None)

    def _check_sharing(self) -> None:
        for composite in self.types.values():
            for merged in composite.fields.values():
                if len(merged.sites) < 2 or composite.kind == "interface" and not composite.keys:
                    continue
                private = [
                    s for s in merged.sites if not self.shareable.get((composite.name, merged.name, s))
                ]
                if private:
                    names = " and ".join(f'"{s}"' for s in merged.sites)
                    where = f"{composite.name}.{merged.name}"
                    raise CompositionError(
                        f'Non-shareable field "{where}" is resolved from subgraphs {names}: '
                        f'mark it @shareable in subgraph "{private[0]}"'
                    )
            for merged in composite.fields.values():
                if not merged.sites and merged.external:
                    raise CompositionError(
                        f'field "{composite.name}.{merged.name}" is @external in subgraph '
                        f'"{min(merged.external)}" but no subgraph resolves it'
                    )

    def _build(self) -> Supergraph:
        # Object types implementing an entity interface gain the fields @interfaceObject subgraphs add to it.
        for composite in self.types.values():
            if composite.kind != "object":
                continue
            for interface_name in composite.implements:
                interface = self.types.get(interface_name)
                if interface is None or not interface.interface_object_in:
                    continue
                for merged in interface.fields.values():
                    existing = composite.fields.get(merged.name)
                    extra = {
                        s: site for s, site in merged.sites.items() if s in interface.interface_object_in
                    }
                    if existing is None:
                        composite.fields[merged.name] = Field(
                            merged.name,
                            merged.type,
                            merged.definition,
                            dict(extra),
                            set(),
                            merged.inaccessible,
                        )
                    else:
                        existing.sites.update(extra)
        api_sdl = print_api_sdl(
            self.parsed,
            self.types.values(),
            self.others,
            directives=self.directive_definitions.values(),
            roots=self.roots,
            hidden=self.inaccessible_types,
            descriptions=self.descriptions,
        )
        api_schema = build_ast_schema(parse(api_sdl), assume_valid_sdl=False)
        possible: dict[str, list[str]] = {}
        for type_name, named in api_schema.type_map.items():
            if type_name.startswith("__"):
                continue
            if hasattr(named, "types"):  # union
                possible[type_name] = [t.name for t in named.types]
            elif named.__class__.__name__ == "GraphQLInterfaceType":
                possible[type_name] = [t.name for t in api_schema.get_possible_types(named)]
        # Inaccessible implementations still need routing (they can come back from subgraphs).
        for composite in self.types.values():
            for interface in composite.implements:
                if composite.kind == "object" and composite.name not in possible.setdefault(interface, []):
                    possible[interface].append(composite.name)
        for name, definitions in self.others.items():
            for _, definition in definitions:
                if isinstance(definition, (UnionTypeDefinitionNode, UnionTypeExtensionNode)):
                    members = possible.setdefault(name, [])
                    members += [t.name.value for t in definition.types or () if t.name.value not in members]
        return Supergraph(
            [p.name for p in self.parsed], self.types, possible, self.roots, api_schema, api_sdl
        )


def compose(sources: Iterable[SubgraphSource]) -> Supergraph:
    """Compose the subgraphs (in the given order, which decides ties) or raise a CompositionError."""
    sources = list(sources)
    if not sources:
        raise CompositionError("no subgraphs to compose")
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise CompositionError(f"subgraph names must be unique, got {names}")
    return _Composer(sources).compose()


def compose_sdls(sdls: Mapping[str, str]) -> Supergraph:
    return compose(SubgraphSource(name, sdl) for name, sdl in sdls.items())


__all__ = ["compose", "compose_sdls"]
