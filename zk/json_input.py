"""The one decoder for untrusted JSON text: UTF-8 only, size- and depth-bounded in linear time, typed errors.

Every document that comes from outside (GraphQL bodies and variables, receipts, election records, wire
messages, wallet files) is decoded here, by both layers: zk for its wire formats, govgraph for HTTP bodies.

Why each bound exists:
- depth: CPython's C scanner recurses once per nesting level; a library that raises the interpreter-wide
  recursion limit (py_ecc sets 100,000 on import) turns `[[[[...` into a C stack overflow that kills the
  process. Depth is counted before decoding, in time linear in the input whatever it holds.
- integers: `int()` refuses literals over 4,300 digits (CVE-2020-10735); that becomes a typed error here.
- encoding: only UTF-8 (RFC 8259 section 8.1); json.loads would otherwise guess UTF-16/32 from bytes.

`strict=True` is the reading for canonical documents (records, receipts, presentations): duplicate keys,
non-integer numbers (floats, NaN, Infinity) and strings that are not Unicode text (lone surrogates) are
refused, so no two readers can see different values in one document.
"""

from __future__ import annotations

import json
import re
from array import array
from itertools import accumulate
from typing import Any

from zk.errors import MalformedInput

MAX_DEPTH = 128
MAX_INTEGER_DIGITS = 4300  # CPython's default int/str conversion limit

# A whole JSON string, closed or running to the end of the input. Every quantifier is possessive, so a match
# never backtracks and removing the strings is linear even on unterminated ones (`"\\"\\"\\"...`).
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)
# Outside strings, opening brackets become +1 and closing ones -1 (signed bytes); everything else is dropped.
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[{]}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonTooDeep(MalformedInput):
    """The document nests arrays and objects deeper than the limit."""


class JsonTooLarge(MalformedInput):
    """The document is larger than the limit."""


def load_json(
    data: str | bytes,
    *,
    what: str = "JSON document",
    max_depth: int = MAX_DEPTH,
    max_bytes: int | None = None,
    max_containers: int | None = None,
    strict: bool = False,
) -> Any:
    """Decode untrusted JSON text. Raises MalformedInput (JsonTooDeep, JsonTooLarge) naming `what`; never
    RecursionError, UnicodeError or a bare ValueError. `max_containers` bounds the arrays and objects the
    decoder would build (1 MB of `[],` is 333,333 lists: ~0.1 s of CPU holding the interpreter lock)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if max_bytes is not None and len(data) > max_bytes:
            raise JsonTooLarge(f"{what} is larger than {max_bytes} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedInput(f"{what} is not UTF-8 text") from None
    elif isinstance(data, str):
        text = data
        if max_bytes is not None and len(text) > max_bytes:
            raise JsonTooLarge(f"{what} is larger than {max_bytes} bytes")
    else:
        raise MalformedInput(f"{what} must be JSON text, not {type(data).__name__}")
    brackets = text.count("[") + text.count("{")  # an upper bound: brackets inside strings count too
    if brackets > max_depth:
        check_depth(text, max_depth, what)
    if max_containers is not None and brackets > max_containers:
        if _bracket_steps(text).count(1) > max_containers:
            raise JsonTooLarge(f"{what} holds more than {max_containers} arrays and objects")
    try:
        if strict:
            value = json.loads(
                text, object_pairs_hook=_no_duplicates, parse_float=_no_float, parse_constant=_no_float
            )
        else:
            value = json.loads(text, parse_constant=_no_constant)
    except MalformedInput:
        raise
    except json.JSONDecodeError as exc:
        raise MalformedInput(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError:  # int(): a literal over MAX_INTEGER_DIGITS digits
        raise MalformedInput(f"{what} holds an integer longer than {MAX_INTEGER_DIGITS} digits") from None
    except RecursionError:  # unreachable after check_depth; kept so no caller ever sees it
        raise JsonTooDeep(f"{what} is nested too deeply") from None
    if strict and _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(value, what)
    return value


def check_depth(text: str, max_depth: int, what: str = "JSON document") -> None:
    """Raise JsonTooDeep when `text` nests deeper than `max_depth` (brackets inside strings do not count).
    Linear and in C but for one regex pass: ~40 ms for 1 MB of brackets."""
    steps = _bracket_steps(text)
    if max(accumulate(array("b", steps)), default=0) > max_depth:
        raise JsonTooDeep(f"{what} is nested deeper than {max_depth} levels")


def _bracket_steps(text: str) -> bytes:
    """The brackets of `text` outside strings, in order: 1 for an opening one, 255 (signed: -1) a closing."""
    # UTF-8 never puts an ASCII byte inside a multi-byte sequence, so the brackets survive the encoding as is.
    return _STRING.sub("", text).encode("utf-8", "surrogatepass").translate(_BRACKET_STEPS, _NOT_BRACKETS)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, item in pairs:
        if key in out:
            raise MalformedInput(f"duplicate JSON key {describe(key)}")
        out[key] = item
    return out


def _no_float(text: str) -> Any:
    raise MalformedInput(f"JSON numbers must be integers, got {describe(text)}")


def _no_constant(text: str) -> Any:
    raise MalformedInput(f"{text} is not a JSON number")


def _refuse_lone_surrogates(value: Any, what: str) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            strings: list = [item]
        elif isinstance(item, dict):
            strings = list(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            strings = []
            stack.extend(item)
        else:
            continue
        for string in strings:
            try:
                string.encode("utf-8")
            except UnicodeEncodeError:
                raise MalformedInput(f"{what} holds a string that is not Unicode text") from None


def describe(value: Any, limit: int = 60) -> str:
    """A short, printable, never-raising description of an untrusted value for an error message: control
    characters escaped, long values cut (repr() of a 5,000-digit int raises; of a 1 MB string floods logs)."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 200:
            return f"<integer of {value.bit_length()} bits>"
        return str(value)
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "..."
        return repr(text)  # str.__repr__ escapes every non-printable character and lone surrogates
    return f"<{type(value).__name__}>"


def printable(text: str) -> str:
    """`text` for a terminal: every character that is not printable (control characters such as ESC, line
    breaks, bidi overrides, lone surrogates) written as its Python escape (`\\x1b`, `\\n`, `\\u202e`), so
    untrusted text can neither move the cursor nor fake a line of output. Nothing is cut."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


__all__ = ["MAX_DEPTH", "JsonTooDeep", "JsonTooLarge", "check_depth", "describe", "load_json", "printable"]
