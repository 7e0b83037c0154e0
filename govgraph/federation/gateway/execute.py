"""Execution: run a plan's fetches and merge their answers into one tree (shape.py then projects it).

A subgraph's answer may be shared with other requests (SharedFetches), so it is only ever read: the merged
tree borrows its objects and copies one (shallowly) the first time it has to write into it (see _Owned).
Subgraph errors keep their message and extensions (plus `serviceName`), with paths rewritten to the
client's response, the way Hive Gateway reports them; but an error a subgraph sent without a path (its
refusal of the whole request) stays without one, where Hive adds the fetch's first root field."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from graphql import (
    InlineFragmentNode,
    SelectionSetNode,
)

from govgraph.federation.errors import ErrorCode
from govgraph.federation.gateway.dedup import SharedFetches
from govgraph.federation.gateway.plan import LIST, Fetch, Plan
from govgraph.federation.gateway.transports import Forwarded, Transport
from govgraph.federation.telemetry import subgraph_fetch_span

_MISSING = object()


async def run_plan(
    plan: Plan,
    transports: Mapping[str, Transport],
    variables: dict[str, Any],
    shared: SharedFetches | None = None,
    forwarded: Forwarded = (),
    answered: dict | None = None,
) -> tuple[dict, list[dict]]:
    """Run every fetch of `plan`: the merged data and the subgraph errors, in plan order. With `shared`, a
    fetch identical to one in flight (from any request, with the same `forwarded` headers) waits for that
    one's answer instead of being sent. `forwarded` goes with every fetch. `answered`: the body of the
    plan's one root fetch, already received (a subscription's event), which is then not sent."""
    data: dict[str, Any] = _Owned()
    errors: dict[int, list[dict]] = {}

    async def send(fetch: Fetch, request: dict[str, Any], document: str | None = None) -> dict:
        transport = transports[fetch.subgraph]
        try:
            with subgraph_fetch_span(fetch.subgraph):
                if shared is None:
                    return await transport(document or fetch.document, request, None, forwarded)
                return await shared.fetch(
                    fetch.subgraph, transport, document or fetch.document, request, None, forwarded
                )
        except Exception as exc:  # the subgraph is unreachable or answered garbage: partial data, not a 500
            return _unanswered(fetch.subgraph, exc)

    async def run_root(fetch: Fetch) -> None:
        body = answered if answered is not None else await send(fetch, fetch_variables(fetch, variables))
        result = body.get("data")
        for error in body.get("errors") or ():
            # An error the subgraph sent without a path refused the whole request before executing it
            # (parse, validation, too complex, credentials): it stays a request-level error, without the
            # path Hive Gateway gives it (the fetch's first root field). The fetch's fields come out null.
            # Our own error for a fetch that got no answer is reported, like Hive's, at its first field.
            path = _first_key(fetch) if isinstance(body, _Unanswered) else None
            errors.setdefault(id(fetch), []).append(_from_subgraph(error, fetch.subgraph, path))
        if isinstance(result, dict):
            _merge(data, result)
            await run_children(fetch)

    async def run_children(fetch: Fetch) -> None:
        # One request per subgraph and step: sibling fetches with one document share their representations;
        # different documents for one subgraph go together as aliased `_entities` fields (as Hive batches).
        by_subgraph: dict[str, dict[str, list[Fetch]]] = {}
        for child in fetch.children:
            by_subgraph.setdefault(child.subgraph, {}).setdefault(child.document, []).append(child)
        await _together([run_batch(list(groups.values())) for groups in by_subgraph.values()])

    async def run_batch(groups: list[list[Fetch]]) -> None:
        collected = [(group, *_collect(data, group)) for group in groups]
        collected = [(group, reps, owners) for group, reps, owners in collected if reps]
        if not collected:
            return
        first = collected[0][0][0]
        if len(collected) == 1:
            _, representations, owners = collected[0]
            # The subgraph may consume the representations (strawberry mutates them): never read again.
            body = await send(
                first, {"representations": representations, **fetch_variables(first, variables)}
            )
            result = body.get("data")
            answers = [result.get("_entities") if isinstance(result, dict) else None]
            for error in body.get("errors") or ():
                errors.setdefault(id(first), []).extend(_entity_errors(error, first, owners))
        else:
            document, request = _batch_request(collected, variables)
            body = await send(first, request, document)
            result = body.get("data")
            answers = [
                result.get(f"_e{n}") if isinstance(result, dict) else None for n in range(len(collected))
            ]
            for error in body.get("errors") or ():
                errors.setdefault(id(first), []).extend(_batch_errors(error, first.subgraph, collected))
        for (_, _, owners), entities in zip(collected, answers, strict=True):
            if isinstance(entities, list):
                for index, entity in enumerate(entities[: len(owners)]):
                    if isinstance(entity, dict):
                        for obj, _ in owners[index]:
                            _merge(obj, entity)
        await _together([run_children(f) for group, _, _ in collected for f in group if f.children])

    if plan.sequential:
        for root in plan.roots:
            await run_root(root)
    else:
        await _together([run_root(root) for root in plan.roots])
    if not errors:
        return data, []
    return data, [e for root in plan.roots for fetch in root.walk() for e in errors.get(id(fetch), ())]


async def _together(coroutines: list) -> None:
    """Run the coroutines concurrently; a single one is awaited in place, without a task and the turns of
    the event loop that scheduling one costs (most steps of most plans have one fetch)."""
    if len(coroutines) == 1:
        await coroutines[0]
    elif coroutines:
        await asyncio.gather(*coroutines)


class _Unanswered(dict):
    """The body standing in for a fetch that got no usable answer, with the gateway's own error."""

    __slots__ = ()


def _unanswered(subgraph: str, exc: Exception) -> _Unanswered:
    message = f'Request to subgraph "{subgraph}" failed: {exc.__class__.__name__}'
    return _Unanswered(
        data=None, errors=[{"message": message, "extensions": {"code": ErrorCode.SUBGRAPH_REQUEST_FAILED}}]
    )


def _first_key(fetch: Fetch) -> list | None:
    for item in fetch.selections.children or ():
        if item.name:
            return [item.key]
    return None


def _collect(data: dict, group: list[Fetch]) -> tuple[list[dict], list[list[tuple[dict, tuple]]]]:
    """The representations for a group of fetches with one document (identical ones sent once), and for
    each representation the objects (with their response paths) its answer belongs to."""
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
            marker = _marker(representation)
            index = seen.get(marker)
            if index is None:
                seen[marker] = index = len(representations)
                representations.append(representation)
                owners.append([])
            owners[index].append((obj, path))
    return representations, owners


def _marker(value: Any) -> Any:
    """A hashable stand-in for a JSON value, equal when the values are the same JSON (1, 1.0 and true stay
    apart, as in JSON text). Cheaper than the sorted-keys JSON text, and made for every representation."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return dict, tuple(sorted((key, _marker(item)) for key, item in value.items()))
    if isinstance(value, list):
        return list, tuple(_marker(item) for item in value)
    return type(value), value


def _batch_request(collected: list, variables: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One document for several entity fetches to one subgraph: `_e<n>: _entities(representations: $r<n>)`."""
    declared: dict[str, str] = {}
    fields = []
    request: dict[str, Any] = {}
    for n, (group, representations, _) in enumerate(collected):
        fetch = group[0]
        declared[f"$r{n}"] = f"$r{n}:[_Any!]!"
        for definition in fetch.declared:
            declared.setdefault(definition.split(":", 1)[0], definition)
        fields.append(f"_e{n}:_entities(representations:$r{n}){{{fetch.body}}}")
        request[f"r{n}"] = representations
        request.update(fetch_variables(fetch, variables))
    return f"query({','.join(declared.values())}){{{' '.join(fields)}}}", request


def _batch_errors(error: Any, subgraph: str, collected: list) -> list[dict]:
    """A batched request's errors: those under `_e<n>` go to the entities they name; the others, about the
    whole request, keep no path (as Hive reports them)."""
    path = error.get("path") if isinstance(error, dict) else None
    if (
        path
        and len(path) >= 2
        and isinstance(path[0], str)
        and path[0].startswith("_e")
        and isinstance(path[1], int)
    ):
        n = int(path[0][2:]) if path[0][2:].isdigit() else -1
        if 0 <= n < len(collected) and path[1] < len(collected[n][2]):
            return [
                _from_subgraph(error, subgraph, [*where, *path[2:]]) for _, where in collected[n][2][path[1]]
            ]
    return [_from_subgraph(error, subgraph, None)]


def fetch_variables(fetch: Fetch, variables: dict[str, Any]) -> dict[str, Any]:
    """The client's variables that `fetch`'s document declares."""
    return {name: variables[name] for name in fetch.variables if name in variables}


def _from_subgraph(error: Any, subgraph: str, path: list | None) -> dict:
    if not isinstance(error, dict):
        error = {"message": str(error)}
    shaped: dict[str, Any] = {"message": error.get("message", "")}
    if path is not None:
        shaped["path"] = path
    elif error.get("path") is not None:
        shaped["path"] = fresh(error["path"])
    extensions = {key: fresh(value) for key, value in (error.get("extensions") or {}).items()}
    shaped["extensions"] = {**extensions, "serviceName": subgraph}
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
    """The objects at `path` in the merged tree, each with its response path (list indices filled in); they
    and the containers above them are made the request's own, since the entity answers are merged into them.
    `value` is the request's own."""
    if not path:
        if isinstance(value, dict):
            yield value, where
        return
    step, rest = path[0], path[1:]
    if step == LIST:
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)) and type(item) not in _OWNED:
                    value[index] = item = _own(item)
                yield from _locate(item, rest, (*where, index))
        return
    if isinstance(value, dict):
        child = value.get(step)
        if isinstance(child, (dict, list)) and type(child) not in _OWNED:
            value[step] = child = _own(child)
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


class _Owned(dict):
    """A dict of the merged tree that belongs to this request, so merges may write into it. Every other dict
    or list in the tree is borrowed from a subgraph's answer, which other requests may be reading at the same
    time (SharedFetches), and is replaced by an owned shallow copy before the first write: only the objects
    entity answers are merged into (and those above them) are ever copied, never a whole answer."""

    __slots__ = ()


class _OwnedList(list):
    """A list of the merged tree that belongs to this request (see _Owned)."""

    __slots__ = ()


_OWNED = (_Owned, _OwnedList)


def _own(value: dict | list) -> dict | list:
    return _Owned(value) if isinstance(value, dict) else _OwnedList(value)


def _merge(target: dict, source: dict) -> None:
    """Merge a subgraph's answer into `target` (owned): `source` is only read, its objects are borrowed."""
    for key, value in source.items():
        existing = target.get(key, _MISSING)
        if existing is _MISSING:
            target[key] = value
        elif key == "__typename":
            continue  # an @interfaceObject answers with the interface's name; the object type's stays
        elif isinstance(existing, dict) and isinstance(value, dict):
            if type(existing) is not _Owned:
                target[key] = existing = _Owned(existing)
            _merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            if type(existing) is not _OwnedList:
                target[key] = existing = _OwnedList(existing)
            for index, item in enumerate(value):
                current = existing[index]
                if isinstance(current, dict) and isinstance(item, dict):
                    if type(current) is not _Owned:
                        existing[index] = current = _Owned(current)
                    _merge(current, item)
                else:
                    existing[index] = item
        else:
            target[key] = value


def fresh(value: Any) -> Any:
    """`value` with its lists and dicts copied: it comes from a subgraph's answer, which other requests may
    share (SharedFetches), and no two responses share a container."""
    if isinstance(value, list):
        return [fresh(item) for item in value]
    if isinstance(value, dict):
        return {key: fresh(item) for key, item in value.items()}
    return value


__all__ = ["fetch_variables", "fresh", "run_plan"]
