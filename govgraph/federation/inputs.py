"""Building input objects whose fields are scalars without strawberry's generic conversion, which resolves
each field's type and GraphQL name again for every value (about 30 us an object: a third of the time of a
mutation carrying 256 of them), although graphql-core has already coerced every scalar.

`scalar_fields_input` gives such an input type strawberry's `from_input` hook: a scalar field, or an optional
one, takes the coerced value as it is, which is exactly what strawberry's conversion returns for it; any other
field (a list, a nested input, an enum, a GlobalID, a Maybe) still goes through strawberry's conversion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING
from typing import Any, TypeVar

from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext
from strawberry.types.base import StrawberryMaybe, StrawberryOptional

T = TypeVar("T", bound=type)
# (python name, GraphQL name, None for a value taken as it is or the type strawberry converts it as)
_Plan = tuple[tuple[str, str, Any], ...]


def scalar_fields_input(cls: T) -> T:
    """Install the fast `from_input` on a `@strawberry.input` class (apply it above the decorator)."""
    definition = cls.__strawberry_definition__
    if not definition.is_input or definition.from_input is not None:
        raise TypeError(f"{cls.__name__} is not a plain strawberry input type")
    # Fields without a default get an implicit None, as strawberry's conversion gives them.
    implicit = {
        field.python_name: None
        for field in definition.fields
        if field.default_value is MISSING and field.default_factory is MISSING
    }
    plans: list[tuple[object, object, _Plan]] = []  # per schema configuration and scalar registry

    def plan(context: InputContext) -> _Plan:
        for config, registry, known in plans:
            if config is context.config and registry is context.scalar_registry:
                return known
        made = tuple(
            (
                field.python_name,
                context.config.name_converter.from_field(field),
                _conversion(field.resolve_type(type_definition=definition), context.scalar_registry),
            )
            for field in definition.fields
        )
        plans.append((context.config, context.scalar_registry, made))
        return made

    def from_input(type_: type, value: Mapping[str, Any], context: InputContext) -> Any:
        kwargs = dict(implicit)
        for python_name, graphql_name, conversion in plan(context):
            if graphql_name in value:
                item = value[graphql_name]
                kwargs[python_name] = (
                    item if conversion is None else context.convert(item, conversion, graphql_name)
                )
        return type_(**kwargs)

    definition.from_input = from_input
    return cls


def _conversion(field_type: Any, registry: Mapping[object, Any]) -> Any:
    """None when strawberry would return the coerced value unchanged, else the type to convert it as."""
    inner = field_type
    if isinstance(field_type, StrawberryOptional) and not isinstance(field_type, StrawberryMaybe):
        inner = field_type.of_type
    if inner is not GlobalID and is_scalar(inner, registry):
        return None
    return field_type
