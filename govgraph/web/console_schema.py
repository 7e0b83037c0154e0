"""The clerk console's generated forms: every mutation of the composed API schema (the gateway's) as a form,
grouped by the agency (subgraph) that resolves it, a labelled control per argument or input-object member,
the GraphQL document it sends, who may call it (read from the agencies' own permission classes, since roles
are not in the schema), and how the form's text becomes the mutation's variables."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    get_named_type,
    is_non_null_type,
)
from strawberry.permission import PermissionExtension
from strawberry.utils.str_converters import to_camel_case

from govgraph.auth.permissions import RequireRole, RequireRoleKind
from govgraph.federation.errors import Forbidden, Unauthenticated
from govgraph.federation.principal import Principal
from govgraph.web.console_forms import FieldError
from zk.json_input import MalformedInput, load_json

IDEMPOTENCY_ARGUMENT = "idempotencyKey"
MAX_DEPTH = 3  # input objects nested deeper (and lists of them) are typed as JSON
MAX_TEXT = 200_000
SCALAR_KINDS = {"Int": "integer", "UInt64": "integer", "Float": "number", "Boolean": "boolean"}
SCALAR_KINDS |= {"JSON": "json", "Base64": "base64", "Date": "date", "DateTime": "datetime"}
HINTS = {
    "integer": "A whole number.",
    "number": "A number, e.g. 12.5.",
    "json": 'JSON, e.g. {"key": "value"}.',
    "base64": "Bytes in standard Base64 (with = padding).",
    "date": "A date, YYYY-MM-DD.",
    "datetime": "A date and time in ISO 8601 with its offset, e.g. 2026-12-06T09:30:00Z.",
    "lines": "One value per line.",
}


@dataclass(frozen=True)
class Control:
    """One labelled form control: an argument, or a member of an input object (`name` = dotted path)."""

    name: str
    label: str
    kind: str  # text | integer | number | boolean | enum | json | base64 | date | datetime | lines
    type_text: str  # the GraphQL type, as printed
    required: bool  # non-null all the way from the argument
    help: str = ""
    choices: tuple[str, ...] = ()
    default: str = ""
    item_kind: str = ""  # for `lines`: the kind of each line

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))

    def value(self, text: str) -> Any:
        """The variable's value from the control's text; None for an empty optional control."""
        if self.kind != "json":
            text = text.strip()
        if not text.strip():
            if self.required:
                raise FieldError(f"{self.label} is required: fill it in.")
            return None
        if len(text) > MAX_TEXT:
            raise FieldError(f"{self.label} is too long ({MAX_TEXT} characters at most).")
        if self.kind == "lines":
            item = Control(self.name, self.label, self.item_kind, self.type_text, True, choices=self.choices)
            return [item.value(line) for line in text.splitlines() if line.strip()]
        return _scalar(self, text)


def _scalar(control: Control, text: str) -> Any:
    kind, label = control.kind, control.label
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]{1,30}", text):
            raise FieldError(f"{label} must be {HINTS['integer'].lower()[:-1]}.")
        return int(text, 10)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")):
            raise FieldError(f"{label} must be a number, e.g. 12.5.")
        return number
    if kind == "boolean":
        if text not in ("true", "false"):
            raise FieldError(f"{label} must be yes or no.")
        return text == "true"
    if kind == "enum" and text not in control.choices:
        raise FieldError(f"{label} must be one of: {', '.join(control.choices)}.")
    if kind == "json":
        try:
            return load_json(text, what=label)
        except MalformedInput as exc:
            raise FieldError(f"{label} is not valid JSON ({exc}): correct it and send again.") from None
    if kind == "base64":
        try:
            base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise FieldError(f"{label} must be standard Base64 (A-Z a-z 0-9 + /, = padding).") from None
    return text


@dataclass(frozen=True)
class Access:
    """Who may call a mutation: the permission instances its agency's field declares, and a label."""

    label: str
    permissions: tuple[Any, ...] = ()

    def allows(self, principal: Principal) -> bool:
        """Whether the token passes every permission (each asked as the API would ask it); a permission that
        needs more than the caller to decide is counted as passing (the API's refusal will speak)."""
        info = SimpleNamespace(context=SimpleNamespace(principal=principal))
        for permission in self.permissions:
            try:
                if not permission.has_permission(None, info):
                    return False
            except (Forbidden, Unauthenticated):
                return False
            except Exception:  # noqa: BLE001 (undecidable here: leave it to the API)
                continue
        return True


ANYONE = Access("any caller (the mutation checks what it is sent)")


@dataclass(frozen=True)
class MutationForm:
    slug: str  # /console/<agency>/<field>
    agency: str
    field: str
    title: str
    description: str
    access: Access
    controls: tuple[Control, ...]
    arguments: tuple[tuple[str, bool], ...]  # (argument, required) except idempotencyKey
    document: str
    idempotent: bool  # takes an idempotencyKey
    ledger: str | None  # the agency's own ledger, for `ledgerIndex` results

    @property
    def result(self) -> str:
        return self.field

    def variables(self, form: Mapping[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for argument, required in self.arguments:
            members = [c for c in self.controls if c.path[0] == argument]
            if not required and not any(form.get(c.name, "").strip() for c in members):
                continue  # an optional argument left empty: not sent
            for control in members:
                value = control.value(form.get(control.name, ""))
                if value is not None:
                    _put(values, control.path, value)
            if required and argument not in values:
                values[argument] = {}
        return values


def _put(target: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for step in path[:-1]:
        target = target.setdefault(step, {})
    target[path[-1]] = value


def title_of(field: str) -> str:
    """`registerParcel` -> "Register parcel"."""
    return re.sub(r"(?<!^)([A-Z])", r" \1", field).capitalize()


def _first_paragraph(text: str | None) -> str:
    return (text or "").strip().split("\n\n")[0].strip()


def _controls(
    name: str, label: str, type_: Any, required: bool, help_: str, default: Any, depth: int
) -> list:
    named = get_named_type(type_)
    non_null = is_non_null_type(type_)
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    required = required and non_null and default is Undefined
    shown_default = "" if default is Undefined or default is None else str(default)
    if isinstance(inner, GraphQLList):
        element = inner.of_type.of_type if isinstance(inner.of_type, GraphQLNonNull) else inner.of_type
        if isinstance(element, (GraphQLScalarType, GraphQLEnumType)):
            item = _kind(element)
            if item != "json":
                choices = tuple(element.values) if isinstance(element, GraphQLEnumType) else ()
                item_help = HINTS.get(item, "")
                text = " ".join(filter(None, [help_, HINTS["lines"], item_help]))
                return [
                    Control(name, label, "lines", str(type_), required, text, choices, shown_default, item)
                ]
        return [
            Control(
                name, label, "json", str(type_), required, " ".join(filter(None, [help_, "A JSON list."]))
            )
        ]
    if isinstance(named, GraphQLInputObjectType):
        if depth >= MAX_DEPTH:
            return [
                Control(
                    name,
                    label,
                    "json",
                    str(type_),
                    required,
                    " ".join(filter(None, [help_, "A JSON object."])),
                )
            ]
        controls = []
        for member, member_field in named.fields.items():
            controls += _controls(
                f"{name}.{member}",
                f"{label}: {title_of(member).lower()}",
                member_field.type,
                required,
                _first_paragraph(member_field.description),
                member_field.default_value,
                depth + 1,
            )
        return controls
    kind = _kind(named)
    choices = tuple(named.values) if isinstance(named, GraphQLEnumType) else ()
    text = " ".join(filter(None, [help_, HINTS.get(kind, "")]))
    return [Control(name, label, kind, str(type_), required, text, choices, shown_default)]


def _kind(named: GraphQLNamedType) -> str:
    if isinstance(named, GraphQLEnumType):
        return "enum"
    return SCALAR_KINDS.get(named.name, "text")


def selection(type_: Any, depth: int = 0) -> str:
    """What a generated form asks back: the result's scalar fields (without required arguments) and, one
    level down, an object's `id` (or a ledger entry's `ledger index`)."""
    named = get_named_type(type_)
    if not isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)):
        return "" if not hasattr(named, "types") else "{ __typename }"
    fields = [n for n, f in named.fields.items() if not _needs_arguments(f)]
    if depth > 0:
        if {"ledger", "index"} <= set(fields):
            return "{ ledger index }"
        return "{ id }" if "id" in fields else "{ __typename }"
    parts = []
    for name in fields:
        field_named = get_named_type(named.fields[name].type)
        if isinstance(field_named, (GraphQLScalarType, GraphQLEnumType)):
            parts.append(name)
        elif isinstance(field_named, (GraphQLObjectType, GraphQLInterfaceType)):
            parts.append(f"{name} {selection(named.fields[name].type, depth + 1)}")
    return "{ " + " ".join(parts or ["__typename"]) + " }"


def _needs_arguments(field: GraphQLField) -> bool:
    return any(is_non_null_type(a.type) and a.default_value is Undefined for a in field.args.values())


def access_map(agencies: Iterable[Any]) -> dict[str, Access]:
    """mutation field -> Access, from each agency's Strawberry Mutation type (its `requires_role`s)."""
    found: dict[str, Access] = {}
    for agency in agencies:
        definition = getattr(getattr(agency, "mutation", None), "__strawberry_definition__", None)
        for field in definition.fields if definition is not None else ():
            permissions = [
                p for e in field.extensions if isinstance(e, PermissionExtension) for p in e.permissions
            ]
            permissions += [cls() for cls in field.permission_classes]
            name = field.graphql_name or to_camel_case(field.python_name)
            found[name] = (
                Access(" and ".join(map(_label, permissions)), tuple(permissions)) if permissions else ANYONE
            )
    return found


def _label(permission: Any) -> str:
    if isinstance(permission, RequireRole):
        return " or ".join(permission.roles)
    if isinstance(permission, RequireRoleKind):
        return " or ".join(f"{kind}:*" for kind in permission.kinds)
    doc = (type(permission).__doc__ or type(permission).__name__).strip()
    return doc.split("(")[0].strip().rstrip(",.")


def mutation_forms(
    schema: GraphQLSchema, owners: Mapping[str, str], access: Mapping[str, Access], ledgers: Iterable[str]
) -> tuple[MutationForm, ...]:
    """Every mutation of `schema` as a form; `owners`: mutation field -> the subgraph resolving it."""
    mutation = schema.mutation_type
    ledgers = set(ledgers)
    forms = []
    for field_name, field in mutation.fields.items() if mutation is not None else ():
        agency = owners.get(field_name, "gateway")
        controls: list[Control] = []
        arguments = []
        declared = []
        for argument, arg in field.args.items():
            declared.append(f"${argument}: {arg.type}")
            if argument == IDEMPOTENCY_ARGUMENT:
                continue
            required = is_non_null_type(arg.type) and arg.default_value is Undefined
            arguments.append((argument, required))
            label = title_of(argument)
            controls += _controls(
                argument, label, arg.type, True, _first_paragraph(arg.description), arg.default_value, 0
            )
        passed = ", ".join(f"{a}: ${a}" for a in field.args)
        call = f"{field_name}({passed})" if passed else field_name
        document = (
            f"mutation Console{field_name[0].upper()}{field_name[1:]}"
            f"{'(' + ', '.join(declared) + ')' if declared else ''} {{ {call} {selection(field.type)} }}"
        )
        forms.append(
            MutationForm(
                f"{agency}/{field_name}",
                agency,
                field_name,
                title_of(field_name),
                _first_paragraph(field.description),
                access.get(field_name, ANYONE),
                tuple(controls),
                tuple(arguments),
                document,
                IDEMPOTENCY_ARGUMENT in field.args,
                agency if agency in ledgers else None,
            )
        )
    return tuple(sorted(forms, key=lambda form: (form.agency, form.field)))


def receipt_links(result: Any, ledger: str | None) -> list[str]:
    """The explorer pages (`/explorer/<ledger>/<index>`) of the ledger entries a result names."""
    links: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            index = value.get("index")  # UInt64: a number, or digits in a string
            if isinstance(value.get("ledger"), str) and re.fullmatch(r"[0-9]{1,20}", str(index)):
                links.append(f"/explorer/{quote(value['ledger'], safe='')}/{index}")
            if ledger is not None and isinstance(value.get("ledgerIndex"), int):
                links.append(f"/explorer/{ledger}/{value['ledgerIndex']}")
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(result)
    return list(dict.fromkeys(links))


__all__ = [
    "ANYONE",
    "Access",
    "Control",
    "MutationForm",
    "access_map",
    "mutation_forms",
    "receipt_links",
    "selection",
    "title_of",
]
