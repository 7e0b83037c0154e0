"""Untrusted JSON is decoded in linear time with a bounded depth, and every bad input is a typed error."""

from __future__ import annotations

import json
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zk.errors import MalformedInput
from zk.json_input import MAX_DEPTH, JsonTooDeep, JsonTooLarge, check_depth, describe, load_json


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("as_bytes", [False, True])
def test_documents_at_the_limit_decode_and_one_level_more_is_refused(as_bytes: bool) -> None:
    at_limit, too_deep = nested(MAX_DEPTH), nested(MAX_DEPTH + 1)
    if as_bytes:
        at_limit, too_deep = at_limit.encode(), too_deep.encode()
    assert load_json(at_limit) == json.loads(at_limit)
    with pytest.raises(JsonTooDeep, match=f"^JSON document is nested deeper than {MAX_DEPTH} levels$"):
        load_json(too_deep)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    query = "{ a " * 300 + "}" * 300
    document = json.dumps({"query": query, "variables": {"x": ["[", '\\"[', "{"]}})
    assert load_json(document) == {"query": query, "variables": {"x": ["[", '\\"[', "{"]}}
    assert load_json(document.encode()) == load_json(document)


def test_non_ascii_text_around_brackets_is_counted_right() -> None:
    document = '{"ë": [[["€", "\U0001f600"]]], "名": {"[": "]"}}'
    assert load_json(document.encode(), max_depth=4) == json.loads(document)
    with pytest.raises(JsonTooDeep):
        load_json(document.encode(), max_depth=3)


def test_many_shallow_brackets_are_fine() -> None:
    document = json.dumps({"items": [{"id": i} for i in range(5_000)]})
    assert len(load_json(document)["items"]) == 5_000


def test_a_hostile_body_is_refused_even_with_a_raised_recursion_limit() -> None:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)  # what importing py_ecc does to the whole interpreter
    try:
        with pytest.raises(JsonTooDeep):
            load_json(b"[" * 500_000 + b"]" * 500_000)
        with pytest.raises(JsonTooDeep):
            load_json(b'{"a":' * 200_000)
    finally:
        sys.setrecursionlimit(previous)


@pytest.mark.parametrize("repeat", [30_000, 500_000])
def test_an_unterminated_string_of_escaped_quotes_is_scanned_in_linear_time(repeat: int) -> None:
    # The regex scan this loader replaces restarted at every quote: 60 KB took ~10 s, 1 MB ~45 minutes.
    body = b'"' + b'\\"' * repeat + b"[" * 130
    started = time.perf_counter()
    with pytest.raises(MalformedInput, match="^JSON document is not valid JSON: Unterminated string"):
        load_json(body)
    assert time.perf_counter() - started < 0.5


def test_a_megabyte_of_brackets_is_checked_quickly() -> None:
    body = ("[" * 100 + "]" * 100 + ",") * 5_000
    started = time.perf_counter()
    check_depth(body, MAX_DEPTH)
    with pytest.raises(JsonTooDeep):
        check_depth(body, 99)
    assert time.perf_counter() - started < 0.5


def test_containers_are_bounded_before_decoding_and_strings_do_not_count() -> None:
    assert load_json("[" + "[]," * 9 + "[]]", max_containers=11) == [[]] * 10
    with pytest.raises(JsonTooLarge, match="^body holds more than 10 arrays and objects$"):
        load_json("[" + "[]," * 9 + "[]]", what="body", max_containers=10)
    brackets_in_a_string = json.dumps(["[{" * 1000])
    assert load_json(brackets_in_a_string, max_containers=1) == ["[{" * 1000]


def test_an_integer_over_4300_digits_is_a_typed_error() -> None:
    for strict in (False, True):
        with pytest.raises(MalformedInput, match="^p holds an integer longer than 4300 digits$"):
            load_json(b'{"version": ' + b"9" * 4301 + b"}", what="p", strict=strict)
    assert load_json(b"9" * 4300) == int("9" * 4300)


def test_only_utf8_is_accepted() -> None:
    document = '{"a": [1]}'
    assert load_json(document.encode("utf-8")) == {"a": [1]}
    for encoding in ("utf-16", "utf-32"):  # with a byte-order mark: not UTF-8 at all
        with pytest.raises(MalformedInput, match="^body is not UTF-8 text$"):
            load_json(document.encode(encoding), what="body")
    # Without one, UTF-16 of ASCII reads as UTF-8 text full of NULs, whose brackets the depth bound sees
    # (json.loads on bytes would guess UTF-16 and decode a document that a byte-level bound never saw).
    with pytest.raises(MalformedInput, match="^body is not valid JSON: Expecting property name"):
        load_json(document.encode("utf-16-le"), what="body")
    with pytest.raises(JsonTooDeep, match="^body is nested deeper than 128 levels$"):
        load_json(nested(100_000).encode("utf-16-le"), what="body")


def test_nan_and_infinity_are_not_json_numbers() -> None:
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(MalformedInput, match=f"^{constant} is not a JSON number$"):
            load_json(f"[{constant}]")


def test_the_strict_reading_refuses_what_two_readers_could_read_differently() -> None:
    with pytest.raises(MalformedInput, match="^duplicate JSON key 'results'$"):
        load_json('{"results": 1, "results": 2}', strict=True)
    with pytest.raises(MalformedInput, match="^JSON numbers must be integers, got '1.0'$"):
        load_json('{"index": 1.0}', strict=True)
    with pytest.raises(MalformedInput, match="^record holds a string that is not Unicode text$"):
        load_json('{"disclosed": {"residence": "\\ud800"}}', what="record", strict=True)
    with pytest.raises(MalformedInput, match="^record holds a string that is not Unicode text$"):
        load_json('[{"\\udfff": 1}]', what="record", strict=True)
    # A surrogate pair is one character, and an escaped backslash before "ud800" is no escape at all.
    assert load_json('["\\ud83d\\ude00", "\\\\ud800"]', strict=True) == ["\U0001f600", "\\ud800"]
    # The lenient reading (GraphQL bodies) keeps floats and the last of duplicate keys, as json.loads does.
    assert load_json('{"a": 1.5, "a": 2.5}') == {"a": 2.5}


def test_size_is_bounded_before_decoding() -> None:
    with pytest.raises(JsonTooLarge, match="^wallet is larger than 10 bytes$"):
        load_json(b"[" + b"1," * 10 + b"1]", what="wallet", max_bytes=10)
    with pytest.raises(MalformedInput, match="^x must be JSON text, not int$"):
        load_json(12, what="x")  # type: ignore[arg-type]


def test_describe_never_raises_and_escapes_control_characters() -> None:
    assert describe(10**5000) == "<integer of 16610 bits>"
    assert describe("\x1b[2Jfake") == "'\\x1b[2Jfake'"
    assert describe("\ud800") == "'\\ud800'"
    assert describe("x" * 100) == repr("x" * 60 + "...")
    assert describe(True) == "True"
    assert describe(12) == "12"
    assert describe([1]) == "<list>"


@settings(max_examples=300, deadline=None)
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
    assert load_json(document) == json.loads(document)
    assert load_json(document, strict=True) == json.loads(document)


_HOSTILE_PIECES = st.sampled_from(
    [
        b"[",
        b"]",
        b"{",
        b"}",
        b'"',
        b"\\",
        b'\\"',
        b"\\ud800",
        b"9" * 5000,
        b"NaN",
        b"1.0",
        b":",
        b",",
        b"\xff",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_HOSTILE_PIECES | st.binary(max_size=8), max_size=60), st.booleans())
def test_any_bytes_decode_or_raise_a_typed_error(pieces: list[bytes], strict: bool) -> None:
    try:
        load_json(b"".join(pieces), max_depth=8, strict=strict)
    except MalformedInput:
        pass
