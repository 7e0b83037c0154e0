"""Execution: run a plan's fetches, merge their answers into one tree, then shape the client's response.

Subgraph errors keep their message and extensions (plus `serviceName`), with paths rewritten to the
client's response, the way Hive Gateway reports them. Shaping walks the client's operation over the
merged tree: aliases, fragments, @skip/@include and null propagation happen there."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
    is_leaf_type,
    value_from_ast,
)

from govgraph.federation.errors import ErrorCode
from govgraph.federation.gateway.plan import LIST, Fetch, Plan

Transport = Callable[[str, dict[str, Any], str | None], Awaitable[dict]]
_MISSING = object()
# Marks an object whose entity fetch failed. Hive Gateway answers such an object as null *without* propagating
# the null to a non-null parent (the error at its path says why), so the shaper does the same.
FAILED = "\x00failed"


class Invalid(Exception):
    """A non-null position ended up null: the null moves up to the nearest nullable parent."""


async def run_plan(
    plan: Plan, transports: Mapping[str, Transport], variables: dict[str, Any]
) -> tuple[dict, list[dict], bool]:
    """Run every fetch of `plan`: the merged data, the subgraph errors, and whether a root fetch answered."""
    data: dict[str, Any] = {}
    errors: dict[int, list[dict]] = {}
    order = [id(f) for root in plan.roots for f in root.walk()]
    answered = [False]

    async def run_root(fetch: Fetch) -> None:
        body = await _send(transports, fetch, _variables(fetch, variables))
        result = body.get("data")
        for error in body.get("errors") or ():
            # An error the subgraph raised before executing (no path) is reported, like Hive does, at the
            # fetch's first root field.
            path = None if isinstance(error, dict) and error.get("path") else _first_key(fetch)
            errors.setdefault(id(fetch), []).append(_from_subgraph(error, fetch.subgraph, path))
        if isinstance(result, dict):
            answered[0] = True
            _merge(data, result)
            await run_children(fetch)

    async def run_children(fetch: Fetch) -> None:
        # Sibling fetches with one document (the same selection reached by several paths) share a request.
        groups: dict[tuple[str, str], list[Fetch]] = {}
        for child in fetch.children:
            groups.setdefault((child.subgraph, child.document), []).append(child)
        if groups:
            await asyncio.gather(*(run_entities(group) for group in groups.values()))

    async def run_entities(group: list[Fetch]) -> None:
        representations: list[dict] = []
        owners: list[list[tuple[dict, tuple]]] = []
        seen: dict[str, int] = {}
        for fetch in group:
            for obj, path in _locate(data, fetch.path, ()):
                if obj.get("__typename") not in fetch.accepts:
                    continue
                representation = _representation(obj, fetch)
                if representation is None:
                    continue
                marker = json.dumps(representation, sort_keys=True)
                index = seen.get(marker)
                if index is None:
                    seen[marker] = index = len(representations)
                    representations.append(representation)
                    owners.append([])
                owners[index].append((obj, path))
        if not representations:
            return
        first = group[0]
        # The subgraph may consume the representations (strawberry mutates them): they are never read again.
        body = await _send(
            transports, first, {"representations": representations, **_variables(first, variables)}
        )
        result = body.get("data")
        entities = result.get("_entities") if isinstance(result, dict) else None
        for error in body.get("errors") or ():
            errors.setdefault(id(first), []).extend(_entity_errors(error, first, owners))
        failed = bool(body.get("errors"))
        for index, positions in enumerate(owners):
            entity = entities[index] if isinstance(entities, list) and index < len(entities) else None
            for obj, _ in positions:
                if isinstance(entity, dict):
                    _merge(obj, entity)
                elif failed:
                    obj[FAILED] = True
        await asyncio.gather(*(run_children(fetch) for fetch in group))

    if plan.sequential:
        for root in plan.roots:
            await run_root(root)
    else:
        await asyncio.gather(*(run_root(root) for root in plan.roots))
    ordered = [e for fetch_id in order for e in errors.get(fetch_id, ())]
    return data, ordered, answered[0]


def _first_key(fetch: Fetch) -> list | None:
    for item in fetch.selections.children or ():
        if item.name:
            return [item.key]
    return None


async def _send(transports: Mapping[str, Transport], fetch: Fetch, variables: dict) -> dict:
    try:
        return await transports[fetch.subgraph](fetch.document, variables, None)
    except Exception as exc:  # the subgraph is unreachable or answered garbage: a partial answer, not a 500
        message = f'Request to subgraph "{fetch.subgraph}" failed: {exc.__class__.__name__}'
        return {
            "data": None,
            "errors": [{"message": message, "extensions": {"code": ErrorCode.SUBGRAPH_REQUEST_FAILED}}],
        }


def _variables(fetch: Fetch, variables: dict[str, Any]) -> dict[str, Any]:
    return {name: variables[name] for name in fetch.variables if name in variables}


def _from_subgraph(error: Any, subgraph: str, path: list | None) -> dict:
    if not isinstance(error, dict):
        error = {"message": str(error)}
    shaped: dict[str, Any] = {"message": error.get("message", "")}
    if path is not None:
        shaped["path"] = path
    elif error.get("path") is not None:
        shaped["path"] = error["path"]
    shaped["extensions"] = {**(error.get("extensions") or {}), "serviceName": subgraph}
    return shaped


def _entity_errors(error: Any, fetch: Fetch, owners: list[list[tuple[dict, tuple]]]) -> list[dict]:
    subgraph = fetch.subgraph
    path = error.get("path") if isinstance(error, dict) else None
    if (
        path
        and len(path) >= 2
        and path[0] == "_entities"
        and isinstance(path[1], int)
        and path[1] < len(owners)
    ):
        return [_from_subgraph(error, subgraph, [*where, *path[2:]]) for _, where in owners[path[1]]]
    # An error about the whole fetch is reported, as Hive does, at the fetch's path without list indices.
    return [_from_subgraph(error, subgraph, [step for step in fetch.path if step != LIST])]


def _locate(value: Any, path: tuple[str, ...], where: tuple):
    """The objects at `path` in the merged tree, each with its response path (list indices filled in)."""
    if not path:
        if isinstance(value, dict):
            yield value, where
        return
    step, rest = path[0], path[1:]
    if step == LIST:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _locate(item, rest, (*where, index))
        return
    if isinstance(value, dict):
        child = value.get(step)
        if child is not None:
            yield from _locate(child, rest, (*where, step))


def _representation(obj: dict, fetch: Fetch) -> dict | None:
    representation = {"__typename": fetch.typename or obj["__typename"]}
    for selection in fetch.representation:
        if not _select(obj, selection, representation):
            return None
    return representation


def _select(obj: dict, selection: SelectionSetNode, into: dict) -> bool:
    for node in selection.selections:
        if isinstance(node, InlineFragmentNode):
            applies = node.type_condition is None or obj.get("__typename") == node.type_condition.name.value
            if applies and not _select(obj, node.selection_set, into):
                return False
            continue
        name = node.name.value
        if name not in obj:
            return False
        value = obj[name]
        if node.selection_set is None or value is None:
            into[name] = value
        elif isinstance(value, list):
            items = []
            for item in value:
                selected: dict = {}
                if item is not None and not _select(item, node.selection_set, selected):
                    return False
                items.append(selected if item is not None else None)
            into[name] = items
        else:
            selected = into.get(name) if isinstance(into.get(name), dict) else {}
            if not _select(value, node.selection_set, selected):
                return False
            into[name] = selected
    return True


def _merge(target: dict, source: dict) -> None:
    for key, value in source.items():
        existing = target.get(key, _MISSING)
        if existing is _MISSING:
            target[key] = value
        elif key == "__typename":
            continue  # an @interfaceObject answers with the interface's name; the object type's stays
        elif isinstance(existing, dict) and isinstance(value, dict):
            _merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            for index, item in enumerate(value):
                if isinstance(existing[index], dict) and isinstance(item, dict):
                    _merge(existing[index], item)
                else:
                    existing[index] = item
        else:
            target[key] = value


class Shaper:
    """Builds the client's `data` from the merged tree by walking the client's operation."""

    def __init__(self, schema: GraphQLSchema, plan: Plan, variables: dict[str, Any]) -> None:
        self.schema = schema
        self.fragments = plan.fragments
        self.variables = variables

    def shape(self, root_type, selection_set: SelectionSetNode, data: dict) -> dict | None:
        try:
            return self._object(root_type, selection_set, data)
        except Invalid:
            return None

    def _collect(
        self, object_type, selection_set: SelectionSetNode, into: dict[str, list[FieldNode]]
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                into.setdefault(key, []).append(selection)
                continue
            fragment = (
                self.fragments[selection.name.value]
                if isinstance(selection, FragmentSpreadNode)
                else selection
            )
            if fragment.type_condition is not None:
                condition = self.schema.get_type(fragment.type_condition.name.value)
                if condition is not object_type and not (
                    is_abstract_type(condition) and self.schema.is_sub_type(condition, object_type)
                ):
                    continue
            self._collect(object_type, fragment.selection_set, into)

    def _included(self, selection) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name in ("skip", "include"):
                argument = directive.arguments[0].value
                value = value_from_ast(argument, GraphQLNonNull(GraphQLBoolean), self.variables)
                if (name == "skip") == bool(value):
                    return False
        return True

    def _object(self, object_type, selection_set: SelectionSetNode, obj: dict) -> dict:
        fields: dict[str, list[FieldNode]] = {}
        self._collect(object_type, selection_set, fields)
        result = {}
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name == "__typename":
                result[key] = object_type.name
                continue
            if name in ("__schema", "__type"):  # already answered from the API schema
                result[key] = obj.get(key)
                continue
            definition = object_type.fields[name]
            result[key] = self._value(definition.type, nodes, obj.get(key))
        return result

    def _value(self, type_, nodes: list[FieldNode], value: Any) -> Any:
        if isinstance(type_, GraphQLNonNull):
            if isinstance(value, dict) and FAILED in value:
                return None
            completed = self._value(type_.of_type, nodes, value)
            if completed is None:
                raise Invalid
            return completed
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                return None
            items = []
            for item in value:
                try:
                    items.append(self._value(type_.of_type, nodes, item))
                except Invalid:
                    if isinstance(type_.of_type, GraphQLNonNull):
                        raise
                    items.append(None)
            return items
        if is_leaf_type(type_):
            return value
        object_type = type_
        if is_abstract_type(type_):
            object_type = (
                self.schema.get_type(value.get("__typename", "")) if isinstance(value, dict) else None
            )
            if object_type is None or not self.schema.is_sub_type(type_, object_type):
                return None
        if not isinstance(value, dict) or FAILED in value:
            return None
        merged = SelectionSetNode(
            selections=tuple(s for node in nodes for s in node.selection_set.selections)
        )
        try:
            return self._object(object_type, merged, value)
        except Invalid:
            return None


__all__ = ["Invalid", "Shaper", "Transport", "run_plan"]
