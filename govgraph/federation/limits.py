"""Document limits measured before validation: definitions and the length of number literals per document;
depth, aliases, field selections and a static cost per operation. Each refusal is a QUERY_TOO_COMPLEX
naming the limit.

Each fragment is measured once and its measure combined at every spread, so the work is linear in the
document however often fragments spread one another; the counts saturate at CEILING."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TokenKind,
    get_named_type,
)
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef

from govgraph.federation.errors import QueryTooComplex

CEILING = 10**12  # counts stop here: a fragment bomb's 2**n selections stay a small number


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    # Field selections of an operation, a fragment's counted again at each spread (repeats included): what
    # planning, shaping and validation may have to expand.
    max_fields: int = 1_000
    # Static cost: every field costs 1, times the assumed size of each enclosing list.
    max_cost: int = 10_000
    assumed_list_size: int = 10
    max_definitions: int = 200
    # Characters of an Int or Float literal: UInt64's 20 digits fit; Python's int() refuses past 4,300.
    max_number_length: int = 100
    # Validation's check that fields of one response name merge compares them pairwise: the steps it may
    # take (graphql-core's complexity budget for OverlappingFieldsCanBeMerged, ~2 per pair of fields).
    max_merge_steps: int = 25_000
    max_tokens: int = 5_000
    max_body_bytes: int = 1_000_000
    max_subscriptions_per_connection: int = 10


DEFAULT_LIMITS = Limits()  # frozen: one instance serves every schema and view built without limits of its own
# A gateway's operation spans subgraph fetches, each of which the subgraph limits on its own (depth starts
# again at each `_entities`, and each hop multiplies the static cost by another assumed list size): the
# gateway's depth and cost limits are wider, to refuse only what no subgraph would answer; the limits on
# the document's size and shape (tokens, definitions, aliases, fields, merge steps) are the subgraphs'.
GATEWAY_LIMITS = Limits(max_depth=24, max_cost=1_000_000_000)


@dataclass(frozen=True, slots=True)
class Measure:
    """What a selection set weighs: its depth (1 for a leaf field) and its aliases, fields and cost."""

    depth: int = 0
    aliases: int = 0
    fields: int = 0
    cost: int = 0


NOTHING = Measure()


def check_limits(schema: GraphQLSchema, document: DocumentNode, limits: Limits) -> list[QueryTooComplex]:
    """The limits `document` exceeds, measured without expanding a fragment twice (empty: within limits).

    Unknown fragments, fields and types, and cyclic spreads, measure as nothing: validation reports them."""
    count = len(document.definitions)
    if count > limits.max_definitions:
        return [
            QueryTooComplex(f"The document has {count} definitions; the limit is {limits.max_definitions}.")
        ]
    longest = _longest_number(document)
    if longest > limits.max_number_length:
        return [
            QueryTooComplex(
                f"The document holds a number of {longest} characters; "
                f"the limit is {limits.max_number_length}."
            )
        ]
    measurer = _Measurer(schema, document, limits)
    errors: list[QueryTooComplex] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = schema.get_root_type(definition.operation)
            measure = measurer.selection_set(definition.selection_set, root)
            name = definition.name.value if definition.name else "anonymous"
            errors += _exceeded(name, measure, limits)
    return errors


def _exceeded(name: str, measure: Measure, limits: Limits) -> list[QueryTooComplex]:
    errors = []
    if measure.depth > limits.max_depth:
        errors.append(
            QueryTooComplex(f"Operation '{name}' has depth {measure.depth}; the limit is {limits.max_depth}.")
        )
    if measure.aliases > limits.max_aliases:
        errors.append(
            QueryTooComplex(
                f"Operation '{name}' uses {_figure(measure.aliases)} aliases; "
                f"the limit is {limits.max_aliases}."
            )
        )
    if measure.fields > limits.max_fields:
        errors.append(
            QueryTooComplex(
                f"Operation '{name}' selects {_figure(measure.fields)} fields; "
                f"the limit is {limits.max_fields}."
            )
        )
    if measure.cost > limits.max_cost:
        errors.append(
            QueryTooComplex(
                f"Operation '{name}' has cost {_figure(measure.cost)}; the limit is {limits.max_cost}."
            )
        )
    return errors


def _figure(count: int) -> str:
    return str(count) if count < CEILING else f"at least {CEILING}"


class _Measurer:
    """Measures selection sets, with every fragment's measure worked out once, leaves first."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, limits: Limits) -> None:
        self.schema = schema
        self.limits = limits
        self.fragments: dict[str, Measure] = {}
        definitions = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        for name in _leaves_first(definitions):
            fragment = definitions[name]
            target = schema.get_type(fragment.type_condition.name.value)
            self.fragments[name] = self.selection_set(fragment.selection_set, target)

    def selection_set(self, selection_set: SelectionSetNode, parent) -> Measure:
        # Recursive over one definition's nesting only, which the parser bounds (200 levels).
        depth = aliases = fields = cost = 0
        in_connection = getattr(parent, "name", "").endswith("Connection")
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields += 1
                aliases += selection.alias is not None
                field_type = self._field_type(parent, selection.name.value)
                child = (
                    NOTHING
                    if selection.selection_set is None
                    else self.selection_set(selection.selection_set, get_named_type(field_type))
                )
                aliases += child.aliases
                fields += child.fields
                if selection.name.value.startswith("__"):
                    continue  # introspection is answered from the schema, not by resolvers: no depth, no cost
                depth = max(depth, 1 + child.depth)
                # A Connection's size is its `first`; its `edges` list adds no factor of its own.
                size = 1 if in_connection else self._list_size(field_type, selection)
                cost += 1 + size * child.cost
            else:
                if isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    target = self.schema.get_type(condition.name.value) if condition else parent
                    inner = self.selection_set(selection.selection_set, target)
                elif isinstance(selection, FragmentSpreadNode):
                    inner = self.fragments.get(selection.name.value, NOTHING)
                else:
                    continue
                depth = max(depth, inner.depth)
                aliases += inner.aliases
                fields += inner.fields
                cost += inner.cost
            aliases, fields, cost = min(aliases, CEILING), min(fields, CEILING), min(cost, CEILING)
        return Measure(depth, aliases, fields, cost)

    def _field_type(self, parent, name: str):
        if name == "__schema":
            return SchemaMetaFieldDef.type
        if name == "__type":
            return TypeMetaFieldDef.type
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            definition = parent.fields.get(name)
            return definition.type if definition else None
        return None

    def _list_size(self, field_type, node: FieldNode) -> int:
        while isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        if not isinstance(field_type, GraphQLList):
            named = get_named_type(field_type)
            # A Relay connection is a list in disguise: its `edges` is the list, sized by `first`.
            if named is None or not named.name.endswith("Connection"):
                return 1
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last") and isinstance(argument.value, IntValueNode):
                digits = argument.value.value
                # A GraphQL Int has at most 10 digits; a longer literal is refused by validation, and int()
                # of thousands of digits would raise.
                if len(digits.lstrip("-")) <= 10:
                    return min(max(1, int(digits)), CEILING)
            # A variable's value is unknown before execution (and the verdict is cached per document).
        return self.limits.assumed_list_size


def _longest_number(document: DocumentNode) -> int:
    """The length of the document's longest Int or Float literal, from its tokens (wherever the literal is:
    arguments, lists, objects, defaults)."""
    longest = 0
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        if token.kind in (TokenKind.INT, TokenKind.FLOAT):
            longest = max(longest, len(token.value))
        token = token.next
    return longest


def _leaves_first(definitions: dict[str, FragmentDefinitionNode]) -> list[str]:
    """The fragment names in an order where each comes after the fragments it spreads (a spread closing a
    cycle is left out: validation reports cycles). Without recursion: chains can be long."""
    spreads = {name: _spreads(fragment.selection_set) for name, fragment in definitions.items()}
    order: list[str] = []
    done: set[str] = set()
    for root in definitions:
        if root in done:
            continue
        path = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread in pending:
                if spread in definitions and spread not in done and spread not in on_path:
                    path.append((spread, iter(spreads[spread])))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


def _spreads(selection_set: SelectionSetNode) -> list[str]:
    names: list[str] = []
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            elif selection.selection_set is not None:
                stack.append(selection.selection_set)
    return names
