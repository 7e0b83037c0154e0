"""graphql-core's error messages in graphql-js's words: Hive Gateway runs graphql-js, and the embedded
gateway answers what it would answer, to the letter."""

from __future__ import annotations

import json
import re
from typing import Any

from graphql.pyutils import inspect


def _inspect(value: Any) -> str:
    """A value as graphql-js's `inspect` prints it, so variable errors read as the reference's do."""
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}" if not value else "{ " + ", ".join(f"{k}: {_inspect(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


_INVALID = re.compile(r"^Variable '\$(\w+)' has invalid value(?: at '([^']*)')?: (.*)$", re.DOTALL)


def js_message(message: str, variables: dict) -> str:
    """graphql-core's variable coercion messages in graphql-js's words (Hive Gateway runs graphql-js)."""
    match = _INVALID.match(message)
    if match:
        name, at, cause = match.groups()
        if name in variables and not isinstance(variables[name], str):
            # graphql-core shows a value as Python's repr, graphql-js as `inspect`: `{'a': 1}` vs `{ a: 1 }`.
            cause = cause.replace(inspect(variables[name]), _inspect(variables[name]))
        cause = re.sub(r"'([^']*)'", lambda m: json.dumps(m.group(1)), cause)
        cause = re.sub(
            r"\b(True|False|None)\b",
            lambda m: {"True": "true", "False": "false"}.get(m.group(1), "null"),
            cause,
        )
        required = re.match(
            r'Expected (?:a )?value of non-null type "([^"]+)" (?:to be provided|not to be null)\.', cause
        )
        if required and not at:
            if name not in variables:
                return f'Variable "${name}" of required type "{required.group(1)}" was not provided.'
            return f'Variable "${name}" of non-null type "{required.group(1)}" must not be null.'
        where = (
            f' at "{name}{at[len(name) :] if at and at.startswith(name) else ("." + at if at else "")}"'
            if at
            else ""
        )
        return f'Variable "${name}" got invalid value {_inspect(variables.get(name))}{where}; {cause}'
    return js_quotes(message)


def js_quotes(message: str) -> str:
    """graphql-core quotes names with ' where graphql-js (Hive Gateway's engine) uses "."""
    message = re.sub(r"'([^']*)'", lambda m: f'"{m.group(1)}"', message)
    return re.sub(r'^Argument "\w+\.(\w+)\((\w+):\)"', r'Field "\1" argument "\2"', message)


__all__ = ["js_message", "js_quotes"]
