"""Composition: merge Federation v2 subgraph SDLs into one supergraph model and the public API schema.

The model keeps, per field, which subgraphs can resolve it and under which conditions (@requires,
@provides), and per type, which keys each subgraph resolves it by. Only the Federation v2 features listed
in SUPPORTED are understood; a subgraph using anything else is refused here, at start-up, by name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListValueNode,
    NameNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationType,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    StringValueNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    Visitor,
    build_ast_schema,
    parse,
    print_ast,
    visit,
)
from graphql.language import DirectiveDefinitionNode

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
TAG_DEFINITION = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
    "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA"
)
ROOT_DEFAULTS = {
    OperationType.QUERY: "Query",
    OperationType.MUTATION: "Mutation",
    OperationType.SUBSCRIPTION: "Subscription",
}


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


@dataclass
class _Parsed:
    name: str
    document: DocumentNode
    names: dict[str, str]  # local directive name -> federation name


def _link_names(name: str, document: DocumentNode) -> dict[str, str]:
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


def _directives(parsed: _Parsed, node) -> list[tuple[str, DirectiveNode]]:
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


def _uses(parsed: _Parsed, feature: str) -> bool:
    """Whether the subgraph applies the federation directive `feature` anywhere."""
    local = {name for name, federation_name in parsed.names.items() if federation_name == feature}
    found: list[DirectiveNode] = []

    class _Find(Visitor):
        def enter_directive(self, node: DirectiveNode, *_args) -> None:
            if node.name.value in local:
                found.append(node)

    visit(parsed.document, _Find())
    return bool(found)


def _argument(directive: DirectiveNode, name: str):
    for argument in directive.arguments:
        if argument.name.value == name:
            value = argument.value
            if isinstance(value, (StringValueNode, BooleanValueNode)):
                return value.value
            return value
    return None


def field_set(text: str) -> SelectionSetNode:
    """A FieldSet string (`id`, `sku variation { id }`) as a selection set."""
    return parse(f"{{ {text} }}", no_location=True).definitions[0].selection_set


def _nullable(type_node: TypeNode) -> TypeNode:
    return type_node.type if isinstance(type_node, NonNullTypeNode) else type_node


def _named(type_node: TypeNode) -> str:
    while not isinstance(type_node, NameNode):
        type_node = type_node.type if not hasattr(type_node, "name") else type_node.name
    return type_node.value


class _Composer:
    def __init__(self, sources: list[SubgraphSource]) -> None:
        self.parsed = []
        for source in sources:
            try:
                document = parse(source.sdl, no_location=True)
            except GraphQLError as exc:
                raise CompositionError(f'subgraph "{source.name}": its SDL does not parse: {exc}') from None
            self.parsed.append(_Parsed(source.name, document, _link_names(source.name, document)))
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

    def _read_subgraph(self, parsed: _Parsed) -> None:
        roots = dict(ROOT_DEFAULTS)
        composed = set()
        for definition in parsed.document.definitions:
            if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
                for operation in definition.operation_types or ():
                    roots[operation.operation] = operation.type.name.value
                for name, directive in _directives(parsed, definition):
                    if name == "composeDirective":
                        composed.add(_argument(directive, "name").lstrip("@"))
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
                if any(n == "inaccessible" for n, _ in _directives(parsed, definition)):
                    self.inaccessible_types.add(name)
                self.others.setdefault(name, []).append((parsed, definition))
            if getattr(definition, "description", None) is not None:
                self.descriptions.setdefault(name, definition.description)
        for operation, local in roots.items():
            if any(
                getattr(getattr(d, "name", None), "value", None) == local for d in parsed.document.definitions
            ):
                self.roots[operation.value] = ROOT_DEFAULTS[operation]

    def _read_composite(self, parsed: _Parsed, name: str, definition) -> None:
        directives = _directives(parsed, definition)
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
                selection = field_set(_argument(directive, "fields"))
                key_fields |= {s.name.value for s in selection.selections}
                if _argument(directive, "resolvable") is not False:
                    keys.append(selection)
        for definition_field in definition.fields or ():
            if name == "Query" and definition_field.name.value in ("_entities", "_service"):
                continue
            self._read_field(parsed, composite, definition_field, type_shareable, key_fields)

    def _read_field(
        self,
        parsed: _Parsed,
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
        directives = dict(_directives(parsed, node))
        if "inaccessible" in directives:
            merged.inaccessible = True
        if "override" in directives:
            if _argument(directives["override"], "label") is not None:
                raise CompositionError(
                    f'subgraph "{parsed.name}" uses progressive @override (label) on '
                    f'"{composite.name}.{name}": not supported by the embedded gateway'
                )
            self.overrides.append(
                (composite.name, name, parsed.name, _argument(directives["override"], "from"))
            )
        if "external" in directives and name not in key_fields:
            merged.external.add(parsed.name)
            return
        requires = directives.get("requires")
        provides = directives.get("provides")
        merged.sites[parsed.name] = FieldSite(
            requires=field_set(_argument(requires, "fields")) if requires else None,
            provides=field_set(_argument(provides, "fields")) if provides else None,
        )
        self.shareable[(composite.name, name, parsed.name)] = (
            type_shareable or "shareable" in directives or name in key_fields
        )

    def _apply_overrides(self) -> None:
        for type_name, field_name, into, source in self.overrides:
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
        api_sdl = self._api_sdl()
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

    def _api_sdl(self) -> str:
        """The schema clients see: no federation machinery, nothing @inaccessible."""
        hidden = self.inaccessible_types
        lines: list[str] = []
        if any(_uses(parsed, "tag") for parsed in self.parsed):
            # Hive Gateway keeps the @tag definition in its API schema; so do we, for identical introspection.
            lines.append(TAG_DEFINITION)
        for directive in self.directive_definitions.values():
            lines.append(print_ast(directive))
        if self.roots:
            lines.append("schema { " + " ".join(f"{op}: {name}" for op, name in self.roots.items()) + " }")
        for composite in self.types.values():
            if composite.name in hidden:
                continue
            fields = [
                self._print_field(f)
                for f in composite.fields.values()
                if not f.inaccessible and _named(f.type) not in hidden
            ]
            if not fields:
                continue
            implements = [i for i in composite.implements if i not in hidden]
            head = ("type" if composite.kind == "object" else "interface") + f" {composite.name}"
            if implements:
                head += " implements " + " & ".join(implements)
            lines.append(self._description(composite.name) + head + " {\n" + "\n".join(fields) + "\n}")
        for name, definitions in self.others.items():
            if name in hidden:
                continue
            lines.append(self._description(name) + self._print_other(name, definitions))
        return "\n\n".join(lines) + "\n"

    def _description(self, name: str) -> str:
        description = self.descriptions.get(name)
        return print_ast(description) + "\n" if description is not None else ""

    def _print_field(self, merged: Field) -> str:
        node = merged.definition
        arguments = [
            a
            for a in node.arguments or ()
            if not any(self._fed_name(d) == "inaccessible" for d in a.directives or ())
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

    def _fed_name(self, directive: DirectiveNode) -> str | None:
        for parsed in self.parsed:
            if directive.name.value in parsed.names:
                return parsed.names[directive.name.value]
        return None

    def _print_other(self, name: str, definitions: list) -> str:
        _, first = definitions[0]
        if isinstance(first, ScalarTypeDefinitionNode):
            specified = [d for d in first.directives or () if d.name.value == "specifiedBy"]
            return print_ast(ScalarTypeDefinitionNode(name=first.name, directives=tuple(specified)))
        if isinstance(first, (EnumTypeDefinitionNode, EnumTypeExtensionNode)):
            values: dict[str, object] = {}
            for parsed, definition in definitions:
                for value in definition.values or ():
                    hidden = any(n == "inaccessible" for n, _ in _directives(parsed, value))
                    if hidden:
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
            members = [m for m in members if m not in self.inaccessible_types]
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


__all__ = [
    "CompositeType",
    "CompositionError",
    "Field",
    "FieldSite",
    "SubgraphSource",
    "Supergraph",
    "compose",
    "compose_sdls",
    "field_set",
]
