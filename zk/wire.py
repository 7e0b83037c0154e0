"""Strict JSON wire formats of the credential layer: canonical RFC 8785 bytes, base64url binary, typed fields.

Every message is a JSON object with `"type"` and `"version"`; it is emitted as RFC 8785 canonical JSON (the
bytes that are hashed and signed are the bytes that are sent) and parsed strictly: duplicate keys, floats,
NaN, unknown or missing fields, wrong types, oversize input and non-canonical base64url are `MalformedInput`.
Binary fields are base64url without padding (RFC 4648 section 5), and only the canonical spelling of each byte
string is accepted (the unused low bits of the last character must be zero).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import rfc8785

from zk.curve import G1_LENGTH, SCALAR_LENGTH, Backend, scalar_from_bytes
from zk.errors import MalformedInput
from zk.json_input import load_json

WIRE_VERSION = 1
MAX_MESSAGE_BYTES = 1 << 20
MAX_DEPTH = 32
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EPOCH = dt.date(1970, 1, 1)


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical bytes of a JSON value."""
    return rfc8785.dumps(value)


def parse_json(data: bytes | str, what: str) -> Any:
    """Parse a wire message strictly (zk.json_input's strict reading: UTF-8, at most 1 MiB and 32 levels deep,
    no duplicate keys, no floats, NaN or Infinity, no lone surrogates)."""
    return load_json(data, what=what, max_depth=MAX_DEPTH, max_bytes=MAX_MESSAGE_BYTES, strict=True)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(
    value: Any, what: str, *, length: int | None = None, max_length: int = MAX_MESSAGE_BYTES
) -> bytes:
    """Decode canonical unpadded base64url; `length` (exact) or `max_length` bound the decoded size."""
    if not isinstance(value, str):
        raise MalformedInput(f"{what} must be a base64url string, not {type(value).__name__}")
    if len(value) > (max_length * 4 + 2) // 3 or not _B64URL.fullmatch(value) or len(value) % 4 == 1:
        raise MalformedInput(f"{what} is not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise MalformedInput(f"{what} is not unpadded base64url") from None
    if b64url(data) != value:
        raise MalformedInput(f"{what} is not canonical base64url")
    if length is not None and len(data) != length:
        raise MalformedInput(f"{what} must be {length} bytes, got {len(data)}")
    if len(data) > max_length:
        raise MalformedInput(f"{what} must be at most {max_length} bytes")
    return data


def scalar_to_b64(value: int) -> str:
    return b64url(value.to_bytes(SCALAR_LENGTH, "big"))


def scalar_from_b64(value: Any, what: str, *, nonzero: bool = False) -> int:
    try:
        return scalar_from_bytes(from_b64url(value, what, length=SCALAR_LENGTH), nonzero=nonzero)
    except MalformedInput as exc:
        raise MalformedInput(f"{what}: {exc}") from None


def point_to_b64(backend: Backend, point: Any) -> str:
    return b64url(backend.g1_compress(point))


def point_from_b64(backend: Backend, value: Any, what: str) -> Any:
    """A G1 point: canonical compressed, in the subgroup, not the identity."""
    data = from_b64url(value, what, length=G1_LENGTH)
    try:
        return backend.g1_decompress(data)
    except MalformedInput as exc:
        raise MalformedInput(f"{what}: {exc}") from None


def require_object(value: Any, what: str, fields: Iterable[str], optional: Iterable[str] = ()) -> dict:
    """A JSON object holding every name in `fields`, any of `optional`, and nothing else."""
    if not isinstance(value, dict):
        raise MalformedInput(f"{what} must be a JSON object")
    required, allowed = set(fields), set(fields) | set(optional)
    missing, extra = sorted(required - set(value)), sorted(set(value) - allowed)
    if missing or extra:
        raise MalformedInput(f"{what} fields wrong: missing {missing}, unexpected {extra}")
    return value


def require_message(
    value: Any, message_type: str, fields: Iterable[str], optional: Iterable[str] = ()
) -> dict:
    """A versioned message: the fields plus "type" (must be `message_type`) and "version" (must be 1)."""
    obj = require_object(value, message_type, ("type", "version", *fields), optional)
    if obj["type"] != message_type:
        raise MalformedInput(f"expected a {message_type}, got type {obj['type']!r}")
    if type(obj["version"]) is not int or obj["version"] != WIRE_VERSION:
        raise MalformedInput(f"{message_type} version {obj['version']!r} is not supported (expected 1)")
    return obj


def require_str(value: Any, what: str, *, max_length: int = 4096, pattern: re.Pattern | None = None) -> str:
    if not isinstance(value, str):
        raise MalformedInput(f"{what} must be a string")
    if len(value.encode("utf-8", "surrogatepass")) > max_length:
        raise MalformedInput(f"{what} is longer than {max_length} bytes")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedInput(f"{what} is not valid Unicode text") from None
    if pattern is not None and not pattern.fullmatch(value):
        raise MalformedInput(f"{what} {value!r} does not match {pattern.pattern}")
    return value


def require_int(value: Any, what: str, lo: int, hi: int) -> int:
    if type(value) is not int:
        raise MalformedInput(f"{what} must be an integer")
    if not lo <= value <= hi:
        raise MalformedInput(f"{what} must be in [{lo}, {hi}]")
    return value


def require_list(value: Any, what: str, *, max_length: int = 256) -> list:
    if not isinstance(value, list):
        raise MalformedInput(f"{what} must be a list")
    if len(value) > max_length:
        raise MalformedInput(f"{what} has more than {max_length} entries")
    return value


def date_to_days(day: dt.date) -> int:
    """Days since 1970-01-01 (negative before it)."""
    return (day - EPOCH).days


def days_to_date(days: int) -> dt.date:
    return EPOCH + dt.timedelta(days=days)


def date_to_json(day: dt.date) -> str:
    return day.isoformat()


def date_from_json(value: Any, what: str) -> dt.date:
    """Exactly YYYY-MM-DD (date.fromisoformat alone would also take '20261121')."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise MalformedInput(f"{what} must be a date written YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise MalformedInput(f"{what} is not a valid date") from None


__all__ = [
    "EPOCH",
    "MAX_MESSAGE_BYTES",
    "WIRE_VERSION",
    "b64url",
    "canonical_json",
    "date_from_json",
    "date_to_days",
    "date_to_json",
    "days_to_date",
    "from_b64url",
    "parse_json",
    "point_from_b64",
    "point_to_b64",
    "require_int",
    "require_list",
    "require_message",
    "require_object",
    "require_str",
    "scalar_from_b64",
    "scalar_to_b64",
]
