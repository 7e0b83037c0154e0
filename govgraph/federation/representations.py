"""`_entities` representations checked before an entity's `resolve_reference` sees them.

A representation comes from whoever can reach the subgraph: strawberry passes it to `resolve_reference` as
keyword arguments unchecked, so a missing `__typename`, an unknown type, an extra or a missing key field was a
TypeError or KeyError (INTERNAL, with a logged traceback). Here each is a BAD_USER_INPUT naming the problem.
Fields a reference resolver does not take (e.g. `@requires` fields it does not read) are left out, as a
gateway may send them."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from strawberry.federation.schema_directives import Key

from govgraph.federation.errors import BadUserInput
from zk.json_input import describe


def checked_representation(type_map: Any, representation: object) -> dict:
    """The representation, copied, with only what its entity's `resolve_reference` accepts; BadUserInput
    if it cannot name an entity of this subgraph or lacks a field the resolver requires."""
    if not isinstance(representation, dict):
        raise BadUserInput("Each representation must be an object.")
    type_name = representation.get("__typename")
    if not isinstance(type_name, str):
        raise BadUserInput("A representation needs a __typename string.")
    found = type_map.get(type_name)
    definition = getattr(found, "definition", None)
    origin = getattr(definition, "origin", None)
    if origin is None or not _is_entity(definition):
        raise BadUserInput(f"{describe(type_name)} is not an entity of this subgraph.")
    parameters = _reference_parameters(origin)
    if parameters is None:
        return dict(representation)
    accepted = {"__typename": type_name}
    for name, required in parameters:
        if name in representation:
            accepted[name] = representation[name]
        elif required:
            raise BadUserInput(f"The {type_name} representation lacks {name}.")
    return accepted


def _is_entity(definition: Any) -> bool:
    return any(isinstance(d, Key) for d in getattr(definition, "directives", None) or ())


@functools.cache
def _reference_parameters(origin: type) -> tuple[tuple[str, bool], ...] | None:
    """(name, required) of each field `origin.resolve_reference` takes, once per entity class; None when it
    takes any field (**kwargs) or has no reference resolver (strawberry then builds the object from the
    representation's fields, checking their types)."""
    resolve = getattr(origin, "resolve_reference", None)
    if resolve is None:
        return None
    parameters = inspect.signature(resolve).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return tuple(
        (name, p.default is inspect.Parameter.empty) for name, p in parameters.items() if name != "info"
    )


__all__ = ["checked_representation"]
