"""Strict JSON wire formats of the credential layer: canonical RFC 8785 bytes, base64url binary, typed fields.

Every message is a JSON object with `"type"` and `"version"`; it is emitted as RFC 8785 canonical JSON (the
bytes that are hashed and signed are the bytes that are sent) and parsed strictly: duplicate keys, floats,
NaN, unknown or missing fields, wrong types, oversize input and non-canonical base64url are `MalformedInput`.
Binary fields are base64url without padding (RFC 4648 section 5), and only the canonical spelling of each byte
string is accepted (the unused low bits of the last character must be zero). Election records write group
elements and scalars as lower-case hex (`element_from_hex`, `scalar_from_hex`).
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
from zk.group import Element, Group
from zk.json_input import describe, load_json

WIRE_VERSION = 1
MAX_MESSAGE_BYTES = 1 << 20
MAX_DEPTH = 32
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EPOCH = dt.date(1970, 1, 1)


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical bytes of a JSON value; MalformedInput when the value has none (non-string
    keys, lone surrogates, integers beyond 2^53, NaN, nesting past the recursion limit)."""
    try:
        return rfc8785.dumps(value)
    except (ValueError, RecursionError):  # rfc8785.CanonicalizationError is a ValueError
        # rfc8785's own message may embed the value: it is not repeated here
        raise MalformedInput("the value cannot be written as canonical JSON (RFC 8785)") from None


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


# Election records (zk.ballot, zk.trustees, zk.tally, zk.record) write group elements and scalars as
# lower-case hex of their `zk.group.Group` encoding.
def _hex_bytes(value: object, length: int, what: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedInput(f"{what} must be a hex string, not {type(value).__name__}")
    if len(value) != 2 * length:
        raise MalformedInput(f"{what} must be {2 * length} hex digits, got {len(value)}")
    if value != value.lower():
        raise MalformedInput(f"{what} must be lower-case hex")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise MalformedInput(f"{what} is not hex") from None


def element_to_hex(group: Group, a: Element) -> str:
    return group.encode(a).hex()


def element_from_hex(group: Group, value: object, what: str, *, allow_identity: bool = False) -> Element:
    """Decode a lower-case hex group element strictly; MalformedInput names `what` on any defect."""
    data = _hex_bytes(value, group.element_length, what)
    try:
        return group.decode(data, allow_identity=allow_identity)
    except MalformedInput as exc:
        raise MalformedInput(f"{what}: {exc}") from None


def commitment_from_hex(group: Group, value: object, what: str, *, allow_identity: bool = False) -> Element:
    """Decode a proof commitment with `Group.decode_commitment` (no subgroup check: see its docstring)."""
    data = _hex_bytes(value, group.element_length, what)
    try:
        return group.decode_commitment(data, allow_identity=allow_identity)
    except MalformedInput as exc:
        raise MalformedInput(f"{what}: {exc}") from None


def scalar_to_hex(group: Group, k: int) -> str:
    return (k % group.order).to_bytes(group.scalar_length, "big").hex()


def scalar_from_hex(group: Group, value: object, what: str) -> int:
    """Decode a lower-case hex scalar; values >= order are refused (one encoding per scalar)."""
    k = int.from_bytes(_hex_bytes(value, group.scalar_length, what), "big")
    if k >= group.order:
        raise MalformedInput(f"{what} is not reduced mod the group order")
    return k


def require_object(value: Any, what: str, fields: Iterable[str], optional: Iterable[str] = ()) -> dict:
    """A JSON object holding every name in `fields`, any of `optional`, and nothing else."""
    if not isinstance(value, dict):
        raise MalformedInput(f"{what} must be a JSON object")
    required, allowed = set(fields), set(fields) | set(optional)
    _check_keys(value, what, required - value.keys(), value.keys() - allowed)
    return value


def require_fields(value: Any, what: str, fields: Iterable[str]) -> dict:
    """A JSON object with exactly `fields` (no more, no fewer): extra fields would escape hashing rules."""
    if not isinstance(value, dict):
        raise MalformedInput(f"{what} must be an object")
    expected = set(fields)
    _check_keys(value, what, expected - value.keys(), value.keys() - expected)
    return value


def _check_keys(value: dict, what: str, missing: set, extra: set) -> None:
    # JSON keys are strings; a Python caller's dict may hold others, which sorted() could not compare
    if any(type(key) is not str for key in value):
        raise MalformedInput(f"{what} has a key that is not a string")
    if missing or extra:
        raise MalformedInput(
            f"{what} fields wrong: missing {describe_keys(missing)}, unexpected {describe_keys(extra)}"
        )


def describe_keys(keys: Iterable[Any], limit: int = 8) -> str:
    """A list of at most `limit` keys for an error message, each described with `zk.json_input.describe`
    (a hostile key may be long, hold control codes, or not be a string at all)."""
    shown = sorted(describe(key) for key in keys)
    if len(shown) > limit:
        shown[limit:] = [f"and {len(shown) - limit} more"]
    return "[" + ", ".join(shown) + "]"


def require_message(
    value: Any, message_type: str, fields: Iterable[str], optional: Iterable[str] = ()
) -> dict:
    """A versioned message: the fields plus "type" (must be `message_type`) and "version" (must be 1)."""
    obj = require_object(value, message_type, ("type", "version", *fields), optional)
    if obj["type"] != message_type:
        raise MalformedInput(f"expected a {message_type}, got type {describe(obj['type'])}")
    if type(obj["version"]) is not int or obj["version"] != WIRE_VERSION:
        raise MalformedInput(
            f"{message_type} version {describe(obj['version'])} is not supported (expected {WIRE_VERSION})"
        )
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
        raise MalformedInput(f"{what} {describe(value)} does not match {pattern.pattern}")
    return value


def require_int(value: Any, what: str, lo: int, hi: int) -> int:
    if type(value) is not int:
        raise MalformedInput(f"{what} must be an integer")
    if not lo <= value <= hi:
        raise MalformedInput(f"{what} must be in [{lo}, {hi}]")
    return value


def require_list(value: Any, what: str, *, length: int | None = None, max_length: int | None = 256) -> list:
    """A JSON list of exactly `length` entries when given, else of at most `max_length` (None: no bound)."""
    if not isinstance(value, list):
        raise MalformedInput(f"{what} must be a list")
    if length is not None:
        if len(value) != length:
            raise MalformedInput(f"{what} must have {length} entries, got {len(value)}")
    elif max_length is not None and len(value) > max_length:
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
    "commitment_from_hex",
    "date_from_json",
    "date_to_days",
    "date_to_json",
    "days_to_date",
    "describe_keys",
    "element_from_hex",
    "element_to_hex",
    "from_b64url",
    "parse_json",
    "point_from_b64",
    "point_to_b64",
    "require_fields",
    "require_int",
    "require_list",
    "require_message",
    "require_object",
    "require_str",
    "scalar_from_b64",
    "scalar_from_hex",
    "scalar_to_b64",
    "scalar_to_hex",
]
