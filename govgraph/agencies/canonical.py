"""RFC 8785 canonical JSON for ledger entries, written fast: strings through the json module's C escaper,
which escapes exactly as RFC 8785 does, floats through the reference encoder (zk.wire.canonical_json), the
rest by hand. A property test holds it to the reference, byte for byte, on arbitrary JSON values."""

from __future__ import annotations

from json.encoder import encode_basestring  # type: ignore[attr-defined]  # C-accelerated when available
from typing import Any

from zk.errors import MalformedInput
from zk.wire import canonical_json as reference_canonical_json

MAX_SAFE_INTEGER = 2**53 - 1  # RFC 8785 numbers are IEEE 754 doubles (I-JSON, RFC 7493)


class Encoded:
    """A JSON value already written as RFC 8785 bytes (e.g. a ballot, canonicalized once for its tracking
    code): `canonical_json` puts these bytes where the value goes instead of writing it again. Whoever makes
    one vouches that `text` is the canonical JSON of `value`."""

    __slots__ = ("value", "text")

    def __init__(self, value: Any, text: bytes) -> None:
        self.value = value
        self.text = text.decode("utf-8")


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of `value`, as zk.wire.canonical_json writes them; MalformedInput when there are
    none (non-string keys, lone surrogates, integers beyond 2^53, NaN, nesting past the recursion limit)."""
    parts: list[str] = []
    try:
        _write(value, parts)
        return "".join(parts).encode("utf-8")
    except (ValueError, TypeError, RecursionError):  # UnicodeEncodeError: a lone surrogate
        raise MalformedInput("the value cannot be written as canonical JSON (RFC 8785)") from None


def _write(value: Any, parts: list[str]) -> None:
    if isinstance(value, str):
        parts.append(encode_basestring(value))
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("object keys must be strings")
        parts.append("{")
        # RFC 8785 section 3.2.3: members sorted by their names' UTF-16 code units, which is code point order
        # unless a name holds a character from U+E000 up (then astral characters sort before it).
        names = list(value)
        if max(map(max, filter(None, names)), default="") >= "\ue000":
            names.sort(key=lambda name: name.encode("utf-16be"))
        else:
            names.sort()
        for position, key in enumerate(names):
            if position:
                parts.append(",")
            parts.append(encode_basestring(key))
            parts.append(":")
            _write(value[key], parts)
        parts.append("}")
    elif value is None:
        parts.append("null")
    elif isinstance(value, bool):
        parts.append("true" if value else "false")
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ValueError("integer beyond 2^53")
        parts.append(str(int(value)))
    elif isinstance(value, float):
        if value.is_integer() and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            parts.append(str(int(value)))  # ECMAScript writes an integral double below 1e21 as its digits
        else:
            parts.append(reference_canonical_json(float(value)).decode("ascii"))
    elif isinstance(value, list | tuple):
        parts.append("[")
        for position, item in enumerate(value):
            if position:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    elif isinstance(value, Encoded):
        parts.append(value.text)
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")
