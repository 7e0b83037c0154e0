"""Response shaping: the client's `data`, projected from the merged tree by walking the client's operation
with Hive Gateway's projection rules (see Shaper): aliases, fragments, @skip/@include, null propagation.
The steps for each selection set are worked out once per plan, each fragment spread in it once."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    print_ast,
    value_from_ast,
)

from govgraph.federation.gateway.execute import fresh
from govgraph.federation.gateway.plan import Plan

_MISSING = object()

_FIELD, _TYPENAME, _INTROSPECTION, _UNKNOWN, _FRAGMENT = range(5)  # the kinds of Shaper steps


class Shaper:
    """Builds the client's `data` from the merged tree by walking the client's operation, with Hive Gateway's
    projection rules: a missing non-null field makes its object null (and the null stops there), a present
    null is kept, and a fragment whose object comes out null adds nothing. Unlike Hive, a list field selected
    twice at one level is merged item by item (Hive concatenates the two lists)."""

    def __init__(self, schema: GraphQLSchema, plan: Plan, variables: dict[str, Any]) -> None:
        self.schema = schema
        self.fragments = plan.fragments
        self.variables = variables
        self.steps = plan.projections

    def shape(self, root_type, selection_set: SelectionSetNode, data: dict) -> dict | None:
        return self._project(data, selection_set, root_type)

    def _project(self, data: Any, selection_set: SelectionSetNode, type_) -> Any:
        if data is None or data is _MISSING:
            return data
        if isinstance(data, list):
            return [self._project(item, selection_set, type_) for item in data]
        if not isinstance(data, dict):
            return None
        typename = data.get("__typename")
        parent = self.schema.get_type(typename) if typename is not None else type_
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return None
        known = typename is not None
        steps = self.steps.get((id(selection_set), parent.name, known))
        if steps is None:
            steps = self._steps(selection_set, parent, known)
            self.steps[(id(selection_set), parent.name, known)] = steps
        result: dict[str, Any] = {}
        for kind, key, conditions, named, selections, non_null in steps:
            if conditions and not self._included(conditions):
                continue
            if kind == _FIELD:
                value = data.get(key, _MISSING)
                if value is not _MISSING:
                    if selections is not None:
                        value = self._project(value, selections, named)
                    else:
                        value = _leaf(value, named)
                    if key in result:
                        _put(result, key, value)
                    else:
                        result[key] = value
                elif non_null:
                    return None
                else:
                    result[key] = None
            elif kind == _TYPENAME:
                value = data.get(key, _MISSING)
                result[key] = value if value is not _MISSING else type_.name
            elif kind == _INTROSPECTION:  # already answered from the API schema
                value = data.get(key, _MISSING)
                result[key] = None if value is _MISSING else value
            elif kind == _UNKNOWN:
                return None
            else:
                projected = self._project(data, selections, named)
                if projected is not None:
                    for name, value in projected.items():
                        _put(result, name, value)
        return result

    def _steps(self, selection_set: SelectionSetNode, parent, known: bool) -> list[tuple]:
        """What projecting `selection_set` over an object of type `parent` does, in order, as
        (kind, response key, @skip/@include directives, type, sub-selection, non-null): the work that
        depends on the operation and schema only. `known`: the object came with its __typename, against
        which fragments are matched (without it, every fragment spread applies). A fragment spread twice
        with the same directives projects once: the second adds nothing (as in the spec's CollectFields)."""
        steps: list[tuple] = []
        spreads: set[tuple[str, str]] = set()
        for selection in selection_set.selections:
            conditions = tuple(d for d in selection.directives or () if d.name.value in ("skip", "include"))
            if isinstance(selection, FieldNode):
                name = selection.name.value
                key = selection.alias.value if selection.alias else name
                if name == "__typename":
                    steps.append((_TYPENAME, key, conditions, None, None, False))
                elif name in ("__schema", "__type"):
                    steps.append((_INTROSPECTION, key, conditions, None, None, False))
                elif (field := parent.fields.get(name)) is None:
                    steps.append((_UNKNOWN, key, conditions, None, None, False))
                else:
                    non_null = isinstance(field.type, GraphQLNonNull)
                    named = get_named_type(field.type)
                    steps.append((_FIELD, key, conditions, named, selection.selection_set, non_null))
            elif isinstance(selection, FragmentSpreadNode):
                spread = (selection.name.value, " ".join(print_ast(d) for d in selection.directives or ()))
                if spread in spreads:
                    continue
                spreads.add(spread)
                fragment = self.fragments[selection.name.value]
                condition = fragment.type_condition.name.value
                if known and not self._satisfies(parent.name, condition):
                    continue
                scope = parent if known else self.schema.get_type(condition)
                steps.append((_FRAGMENT, None, conditions, scope, fragment.selection_set, False))
            else:
                condition = selection.type_condition.name.value if selection.type_condition else None
                if condition is not None and not self._satisfies(parent.name, condition):
                    continue
                scope = parent if known or not condition else self.schema.get_type(condition)
                steps.append((_FRAGMENT, None, conditions, scope, selection.selection_set, False))
        return steps

    def _satisfies(self, typename: str, condition: str) -> bool:
        if typename == condition:
            return True
        object_type = self.schema.get_type(typename)
        condition_type = self.schema.get_type(condition)
        return (
            isinstance(object_type, GraphQLObjectType)
            and is_abstract_type(condition_type)
            and self.schema.is_sub_type(condition_type, object_type)
        )

    def _included(self, conditions: tuple) -> bool:
        for directive in conditions:
            value = value_from_ast(directive.arguments[0].value, GraphQLBoolean, self.variables)
            if (directive.name.value == "skip") == bool(value):
                return False
        return True


def _put(result: dict, key: str, value: Any) -> None:
    """Set a response key; a second selection of the key merges into the first (a null overwrites)."""
    existing = result.get(key)
    if isinstance(existing, (dict, list)) and value is not None:
        result[key] = _deep_merge(existing, value)
    else:
        result[key] = value


def _deep_merge(existing: Any, value: Any) -> Any:
    if isinstance(existing, dict) and isinstance(value, dict):
        merged = dict(existing)
        for key, item in value.items():
            merged[key] = _deep_merge(merged[key], item) if key in merged else item
        return merged
    if isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
        return [_deep_merge(a, b) for a, b in zip(existing, value, strict=True)]
    return value


def _leaf(value: Any, named) -> Any:
    """A leaf field's value for the response, its lists (and a custom scalar's objects) copied. An enum value
    the API schema does not know (e.g. @inaccessible) is answered as null, as Hive does."""
    if isinstance(named, GraphQLEnumType):
        if isinstance(value, list):
            return [_leaf(item, named) for item in value]
        return value if value is None or value in named.values else None
    return fresh(value)


__all__ = ["Shaper"]
