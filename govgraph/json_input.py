"""Decoding untrusted JSON (request bodies, query-string variables) with a bounded nesting depth.

CPython's C JSON scanner recurses once per nesting level. With the default recursion limit it stops with a
RecursionError, but any library that raises the interpreter-wide limit (py_ecc sets 100,000 on import) turns a
1 MB body of `[[[[...` into a C stack overflow that kills the whole process. So depth is checked before decoding.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_JSON_DEPTH = 128

# A JSON string (brackets inside it do not nest), or one bracket. The unrolled string pattern stays linear.
_TOKENS_BYTES = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_TOKENS_TEXT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class JsonTooDeep(ValueError):
    """The document nests arrays/objects deeper than the limit."""


def loads_bounded(data: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads, refusing documents nested deeper than `max_depth` (JsonTooDeep, a ValueError) before the
    C scanner sees them. Other malformed input raises what json.loads raises (JSONDecodeError,
    UnicodeDecodeError). Documents with at most `max_depth` brackets in all skip the scan."""
    if (
        data.count("[" if isinstance(data, str) else b"[")
        + data.count("{" if isinstance(data, str) else b"{")
        > max_depth
    ):
        _check_depth(data, max_depth)
    return json.loads(data)


def _check_depth(data: str | bytes, max_depth: int) -> None:
    tokens = _TOKENS_TEXT if isinstance(data, str) else _TOKENS_BYTES
    opening = ("[", "{") if isinstance(data, str) else (b"[", b"{")
    closing = ("]", "}") if isinstance(data, str) else (b"]", b"}")
    depth = 0
    for match in tokens.finditer(data):
        token = match.group()
        if token in opening:
            depth += 1
            if depth > max_depth:
                raise JsonTooDeep(f"JSON nested deeper than {max_depth} levels")
        elif token in closing:
            depth -= 1
