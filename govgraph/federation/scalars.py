"""Custom scalars: UInt64 (tree sizes and indexes outgrow GraphQL's 32-bit Int), Base64 and a strict Date.

UInt64 travels as a decimal string: JSON numbers lose precision past 2^53 in JavaScript clients."""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from typing import NewType

import strawberry
from graphql import GraphQLError

from zk.json_input import describe

UINT64_MAX = 2**64 - 1
_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,19})")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_uint64(value: object) -> int:
    if isinstance(value, bool):
        raise GraphQLError("UInt64 must be a decimal string or a non-negative integer, not a boolean.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = int(value)
    else:
        raise GraphQLError(
            f"UInt64 must be a decimal string without sign or leading zeros, got {describe(value)}."
        )
    if not 0 <= number <= UINT64_MAX:
        raise GraphQLError(f"UInt64 must lie in 0..{UINT64_MAX}, got {describe(number)}.")
    return number


def _serialize_uint64(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT64_MAX:
        raise GraphQLError(f"UInt64 cannot represent {describe(value)}.")
    return str(value)


def _parse_base64(value: object) -> bytes:
    # RFC 4648 section 4, canonical padding; no URL-safe alphabet, no whitespace.
    if not isinstance(value, str) or len(value) % 4 or not _BASE64.fullmatch(value):
        raise GraphQLError("Base64 must be standard, padded RFC 4648 base64.")
    try:
        decoded = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise GraphQLError("Base64 must be standard, padded RFC 4648 base64.") from None
    if base64.b64encode(decoded).decode() != value:
        raise GraphQLError("Base64 must be canonical (non-zero padding bits are refused).")
    return decoded


def _serialize_base64(value: bytes) -> str:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise GraphQLError(f"Base64 cannot represent {type(value).__name__}.")
    return base64.b64encode(bytes(value)).decode()


def _parse_date(value: object) -> datetime.date:
    # ISO 8601 calendar date, extended format only (YYYY-MM-DD), as in RFC 3339 full-date.
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise GraphQLError(f"Date must be an RFC 3339 full-date (YYYY-MM-DD), got {describe(value)}.")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise GraphQLError(f"Date {describe(value)} is not a calendar date.") from None


def _serialize_date(value: datetime.date) -> str:
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise GraphQLError(f"Date cannot represent {describe(value)}.")
    return value.isoformat()


# Annotate with these NewTypes (and plain `datetime.date`); SCALAR_OVERRIDES, which every subgraph schema
# receives, maps them to the definitions below (strawberry's scalar_map mechanism).
UInt64 = NewType("UInt64", int)
Base64 = NewType("Base64", bytes)

UINT64 = strawberry.scalar(
    name="UInt64",
    description="An unsigned 64-bit integer, as a decimal string.",
    serialize=_serialize_uint64,
    parse_value=_parse_uint64,
)
BASE64 = strawberry.scalar(
    name="Base64",
    description="Bytes as standard padded base64 (RFC 4648 section 4).",
    serialize=_serialize_base64,
    parse_value=_parse_base64,
)
# Replaces strawberry's own Date, which accepts more than a full-date.
DATE = strawberry.scalar(
    name="Date",
    description="A calendar date, RFC 3339 full-date (YYYY-MM-DD).",
    serialize=_serialize_date,
    parse_value=_parse_date,
)
SCALAR_OVERRIDES = {UInt64: UINT64, Base64: BASE64, datetime.date: DATE}
