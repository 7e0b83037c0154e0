"""Every mutation a GraphQL endpoint offers, found by introspection, each with a document and variables that
pass validation (required arguments only, filled with plain sample values), so a test can call them all
without naming them; and the ledgers' acknowledged sizes, read from the database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PUBLIC_PREFIX = "Public:"
_TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"
INTROSPECTION = f"""{{ __schema {{
  mutationType {{ fields {{ name description type {{ {_TYPE_REF} }}
    args {{ name defaultValue type {{ {_TYPE_REF} }} }} }} }}
  types {{ kind name inputFields {{ name defaultValue type {{ {_TYPE_REF} }} }} enumValues {{ name }} }}
}} }}"""
# A value of each scalar the schemas use; a scalar missing here fails the test that meets it (add it).
SCALAR_SAMPLES: dict[str, Any] = {
    "String": "sample",
    "ID": "sample-1",
    "Int": 1,
    "Float": 1.5,
    "Boolean": True,
    "Date": "2000-01-01",
    "UInt64": "1",
    "Base64": "AAAA",
    "JSON": {},
}


@dataclass(frozen=True)
class Mutation:
    name: str
    description: str
    document: str
    variables: dict[str, Any] = field(default_factory=dict)
    arguments: dict[str, str] = field(default_factory=dict)  # every argument's type, as SDL writes it

    @property
    def public(self) -> bool:
        """Meant for anonymous callers: its description says so."""
        return self.description.startswith(PUBLIC_PREFIX)

    @property
    def body(self) -> dict[str, Any]:
        return {"query": self.document, "variables": self.variables}


def mutations(post: Callable[[dict], dict]) -> list[Mutation]:
    """The mutations of the schema behind `post` (a GraphQL request body -> the response body), in schema
    order; none when it has no mutation type."""
    schema = post({"query": INTROSPECTION})["data"]["__schema"]
    if schema["mutationType"] is None:
        return []
    types = {item["name"]: item for item in schema["types"]}
    found = []
    for item in schema["mutationType"]["fields"]:
        required = [arg for arg in item["args"] if _required(arg)]
        variables = {arg["name"]: _sample(arg["type"], types) for arg in required}
        declared = ", ".join(f"${arg['name']}: {_type_text(arg['type'])}" for arg in required)
        passed = ", ".join(f"{arg['name']}: ${arg['name']}" for arg in required)
        selection = (
            " { __typename }" if _named(item["type"])["kind"] in ("OBJECT", "INTERFACE", "UNION") else ""
        )
        document = (
            f"mutation Probe{'(' + declared + ')' if declared else ''} "
            f"{{ {item['name']}{'(' + passed + ')' if passed else ''}{selection} }}"
        )
        arguments = {arg["name"]: _type_text(arg["type"]) for arg in item["args"]}
        found.append(Mutation(item["name"], item["description"] or "", document, variables, arguments))
    return found


def ledger_sizes(database: Path) -> dict[str, int]:
    """Each ledger's acknowledged entries (appended, integrated or not) as the database holds them."""
    with sqlite3.connect(database) as connection:
        return dict(connection.execute("SELECT name, next_index FROM ledger_logs ORDER BY name"))


def _required(item: dict) -> bool:
    return item["type"]["kind"] == "NON_NULL" and item["defaultValue"] is None


def _named(type_ref: dict) -> dict:
    while type_ref["kind"] in ("NON_NULL", "LIST"):
        type_ref = type_ref["ofType"]
    return type_ref


def _type_text(type_ref: dict) -> str:
    if type_ref["kind"] == "NON_NULL":
        return _type_text(type_ref["ofType"]) + "!"
    if type_ref["kind"] == "LIST":
        return f"[{_type_text(type_ref['ofType'])}]"
    return type_ref["name"]


def _sample(type_ref: dict, types: dict[str, dict]) -> Any:
    if type_ref["kind"] == "NON_NULL":
        return _sample(type_ref["ofType"], types)
    if type_ref["kind"] == "LIST":
        return [_sample(type_ref["ofType"], types)]
    named = types[type_ref["name"]]
    if named["kind"] == "SCALAR":
        assert named["name"] in SCALAR_SAMPLES, f"no sample value for the scalar {named['name']}: add one"
        return SCALAR_SAMPLES[named["name"]]
    if named["kind"] == "ENUM":
        return named["enumValues"][0]["name"]
    return {item["name"]: _sample(item["type"], types) for item in named["inputFields"] if _required(item)}
