"""Hypothesis strategies for hostile input (issue 23): what an attacker puts in a document that is valid JSON
or a valid Python value, but not what the decoder expects.

Python values: huge integers (10**5000, whose str() raises), lone surrogates, control characters, NaN and
Infinity, floats and booleans where integers belong, dicts with non-string keys, deep nesting. JSON text:
the same as literals (a 4,301-digit integer, `1.0`, `NaN`, `"\\ud800"`, ...) injected at any path of a valid
document, and duplicate keys in any of its objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from tests.zk.credentials import paths

HUGE = 10**5000
LONG_LITERAL = "9" * 4301  # one digit past CPython's int/str conversion limit
ESCAPES = ["\x1b[2J\x1b[H", "\x1b]0;title\x07", "\x00", "\u202e", "a\nb", "\r", "\x9b31m", "\x7f"]

lone_surrogates = st.text(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"]), min_size=1, max_size=3
)
texts_with_surrogates = st.builds(
    lambda before, surrogates, after: before + surrogates + after,
    st.text(max_size=4),
    lone_surrogates,
    st.text(max_size=4),
)
control_texts = st.sampled_from(ESCAPES)
# Built by .map(): Hypothesis describes its strategies with repr(), which a 5,000-digit int would make raise.
huge_integers = st.sampled_from([1, -1]).map(lambda sign: sign * HUGE)
hostile_scalars = st.one_of(
    huge_integers,
    st.sampled_from([2**64, -(2**63) - 1, 2**53 + 1]),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1.0, 0.0, -0.0]),
    st.none(),
    st.text(max_size=12),
    texts_with_surrogates,
    control_texts,
    st.binary(max_size=8),
)


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


deeply_nested = st.integers(33, 5000).map(nested)
mixed_keys = st.one_of(
    st.integers(-2, 2), st.booleans(), st.none(), st.text(max_size=4), texts_with_surrogates
)
hostile_values = st.recursive(
    hostile_scalars | deeply_nested,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=8), inner, max_size=3),
        st.dictionaries(mixed_keys, inner, min_size=1, max_size=3),
    ),
    max_leaves=6,
)

HOSTILE_LITERALS = [
    LONG_LITERAL,
    "-" + LONG_LITERAL,
    "[" + LONG_LITERAL + "]",
    "1.0",
    "1e2",
    "-0.0",
    "NaN",
    "Infinity",
    "-Infinity",
    "true",
    "false",
    "null",
    '"\\ud800"',
    '"x\\udfffy"',
    '{"\\ud800": 1}',
    '"\\u001b[2J\\u001b[H"',
    "[" * 33 + "]" * 33,
    "[" * 100_000 + "]" * 100_000,
    '{"a": ' * 40 + "1" + "}" * 40,
    '{"a": 1, "a": 1}',
    "{}",
    "[]",
    '""',
    '"' + "A" * 70_000 + '"',
]


def render(value: Any, target: tuple, hostile: Callable[[Any], str], path: tuple = ()) -> str:
    """`value` as JSON text, the item at `target` written by `hostile(item)` instead."""
    if path == target:
        return hostile(value)
    if isinstance(value, dict):
        items = (f"{json.dumps(k)}:{render(v, target, hostile, (*path, k))}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(render(v, target, hostile, (*path, i)) for i, v in enumerate(value)) + "]"
    return json.dumps(value)


def _duplicate_first_key(value: Any) -> str:
    if not isinstance(value, dict) or not value:
        return '{"a": 1, "a": 2}'
    key, item = next(iter(value.items()))
    first = f"{json.dumps(key)}:{json.dumps(item)}"
    return "{" + ",".join([first, *(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in value.items())]) + "}"


def hostile_documents(document: dict) -> st.SearchStrategy[bytes]:
    """`document` as JSON text with one item replaced by a hostile literal, or one object given a duplicate
    key: UTF-8 JSON text that a strict reader must refuse or read exactly."""
    all_paths = list(paths(document))
    literal = st.sampled_from(HOSTILE_LITERALS).map(lambda text: lambda _item: text)
    transform = literal | st.just(_duplicate_first_key)
    return st.builds(
        lambda path, hostile: render(document, path, hostile).encode(),
        st.sampled_from(all_paths),
        transform,
    )


__all__ = [
    "HOSTILE_LITERALS",
    "HUGE",
    "LONG_LITERAL",
    "hostile_documents",
    "hostile_scalars",
    "hostile_values",
    "huge_integers",
    "nested",
    "render",
]
