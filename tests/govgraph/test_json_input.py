"""Untrusted JSON is decoded with a bounded depth, whatever the interpreter's recursion limit."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.json_input import MAX_JSON_DEPTH, JsonTooDeep, loads_bounded


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("as_bytes", [False, True])
def test_documents_at_the_limit_decode_and_one_level_more_is_refused(as_bytes: bool) -> None:
    at_limit, too_deep = nested(MAX_JSON_DEPTH), nested(MAX_JSON_DEPTH + 1)
    if as_bytes:
        at_limit, too_deep = at_limit.encode(), too_deep.encode()
    assert loads_bounded(at_limit) == json.loads(at_limit)
    with pytest.raises(JsonTooDeep, match=f"^JSON nested deeper than {MAX_JSON_DEPTH} levels$"):
        loads_bounded(too_deep)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    query = "{ a " * 300 + "}" * 300
    document = json.dumps({"query": query, "variables": {"x": ["[", '\\"[', "{"]}})
    assert loads_bounded(document) == {"query": query, "variables": {"x": ["[", '\\"[', "{"]}}
    assert loads_bounded(document.encode()) == loads_bounded(document)


def test_many_shallow_brackets_are_fine() -> None:
    document = json.dumps({"items": [{"id": i} for i in range(5_000)]})
    assert len(loads_bounded(document)["items"]) == 5_000


def test_a_hostile_body_is_refused_even_with_a_raised_recursion_limit() -> None:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)  # what importing py_ecc does to the whole interpreter
    try:
        with pytest.raises(JsonTooDeep):
            loads_bounded(b"[" * 500_000 + b"]" * 500_000)
        with pytest.raises(JsonTooDeep):
            loads_bounded(b'{"a":' * 200_000)
    finally:
        sys.setrecursionlimit(previous)


@settings(max_examples=500, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
        ),
        max_leaves=30,
    )
)
def test_agrees_with_json_loads_on_every_shallow_document(value) -> None:
    document = json.dumps(value)
    assert loads_bounded(document) == json.loads(document)
