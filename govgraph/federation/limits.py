"""Operation limits checked at validation time: depth, aliases and a static cost, each a QUERY_TOO_COMPLEX.

Strawberry ships depth and alias limiters but no cost limit, and its rules report errors without a code;
one rule here walks each operation once and measures all three. The rule class is built once per schema,
so the validation cache (keyed by the rule tuple) keeps hitting."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)

from govgraph.federation.errors import QueryTooComplex


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    # Static cost: every field costs 1, times the assumed size of each enclosing list.
    max_cost: int = 10_000
    assumed_list_size: int = 10
    max_tokens: int = 5_000
    max_body_bytes: int = 1_000_000
    max_subscriptions_per_connection: int = 10


DEFAULT_LIMITS = Limits()  # frozen: one instance serves every schema and view built without limits of its own


@dataclass(slots=True)
class _Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


def limits_rule(limits: Limits) -> type[ValidationRule]:
    """A validation rule class enforcing `limits` on every operation of a document."""

    class OperationLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
            context: ValidationContext = self.context
            root = context.schema.get_root_type(node.operation)
            fragments = {
                d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            measure = _Measure()
            _walk(node.selection_set, root, fragments, 1, 1, frozenset(), measure, limits, context)
            name = node.name.value if node.name else "anonymous"
            if measure.depth > limits.max_depth:
                self.report_error(
                    QueryTooComplex(
                        f"Operation '{name}' has depth {measure.depth}; the limit is {limits.max_depth}."
                    )
                )
            if measure.aliases > limits.max_aliases:
                self.report_error(
                    QueryTooComplex(
                        f"Operation '{name}' uses {measure.aliases} aliases; "
                        f"the limit is {limits.max_aliases}."
                    )
                )
            if measure.cost > limits.max_cost:
                self.report_error(
                    QueryTooComplex(
                        f"Operation '{name}' has cost {measure.cost}; the limit is {limits.max_cost}."
                    )
                )

    return OperationLimits


def _walk(
    selection_set: SelectionSetNode | None,
    parent,
    fragments,
    depth: int,
    multiplier: int,
    visiting: frozenset[str],
    measure: _Measure,
    limits: Limits,
    context: ValidationContext,
) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if selection.alias is not None:
                measure.aliases += 1
            if name.startswith("__"):
                continue  # introspection is answered from the schema, not by resolvers: no depth, no cost
            measure.depth = max(measure.depth, depth)
            measure.cost += multiplier
            field_type = None
            if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
                definition = parent.fields.get(name)
                field_type = definition.type if definition else None
            # A Connection's size is its `first`; its `edges` list adds no factor of its own.
            in_connection = getattr(parent, "name", "").endswith("Connection")
            child_multiplier = (
                multiplier if in_connection else multiplier * _list_size(field_type, selection, limits)
            )
            _walk(
                selection.selection_set,
                get_named_type(field_type),
                fragments,
                depth + 1,
                child_multiplier,
                visiting,
                measure,
                limits,
                context,
            )
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = context.schema.get_type(condition.name.value) if condition else parent
            _walk(
                selection.selection_set,
                target,
                fragments,
                depth,
                multiplier,
                visiting,
                measure,
                limits,
                context,
            )
        elif isinstance(selection, FragmentSpreadNode):
            fragment_name = selection.name.value
            fragment = fragments.get(fragment_name)
            if fragment is None or fragment_name in visiting:
                continue  # unknown or cyclic spreads are reported by the standard rules
            target = context.schema.get_type(fragment.type_condition.name.value)
            _walk(
                fragment.selection_set,
                target,
                fragments,
                depth,
                multiplier,
                visiting | {fragment_name},
                measure,
                limits,
                context,
            )


def _list_size(field_type, node: FieldNode, limits: Limits) -> int:
    while isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    if not isinstance(field_type, GraphQLList):
        named = get_named_type(field_type)
        # A Relay connection is a list in disguise: its `edges` is the list, sized by `first`.
        if named is None or not named.name.endswith("Connection"):
            return 1
    for argument in node.arguments or ():
        if argument.name.value in ("first", "last"):
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            # A variable's value is unknown at validation time (and validation is cached per document).
    return limits.assumed_list_size
