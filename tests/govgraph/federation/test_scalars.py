"""UInt64, Base64 and Date: exact round trips at the edges, and fuzzed decoders that either return a value
that re-encodes to the input or raise a GraphQLError (never anything else)."""

from __future__ import annotations

import base64
import datetime

import pytest
from graphql import GraphQLError
from hypothesis import given
from hypothesis import strategies as st

from govgraph.federation import scalars


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("1", 1), ("18446744073709551615", 2**64 - 1)])
def test_uint64_accepts_canonical_decimals(text: str, value: int) -> None:
    assert scalars._parse_uint64(text) == value
    assert scalars._serialize_uint64(value) == text


@pytest.mark.parametrize("text", ["-1", "01", "+1", "1.0", "", " 1", "18446744073709551616", "0x10"])
def test_uint64_refuses_non_canonical_or_out_of_range(text: str) -> None:
    with pytest.raises(GraphQLError):
        scalars._parse_uint64(text)


def test_uint64_refuses_booleans_and_negative_integers() -> None:
    for value in (True, False, -1, 2**64):
        with pytest.raises(GraphQLError):
            scalars._parse_uint64(value)
    with pytest.raises(GraphQLError):
        scalars._serialize_uint64(-5)


def test_hostile_values_are_named_short_in_scalar_errors() -> None:
    # str() of a 5,000-digit int raises, and a 4,000-digit one would be echoed whole.
    with pytest.raises(GraphQLError, match=r"^UInt64 must lie in 0\.\.18446744073709551615, got <integer of"):
        scalars._parse_uint64(10**5000)
    with pytest.raises(GraphQLError) as long_text:
        scalars._parse_uint64("x" * 100_000)
    assert str(long_text.value) == (
        f"UInt64 must be a decimal string without sign or leading zeros, got '{'x' * 60}...'."
    )
    with pytest.raises(GraphQLError, match=r"^Date must be an RFC 3339 full-date \(YYYY-MM-DD\), got '\\x1b"):
        scalars._parse_date("\x1b[2J")


@given(st.text(max_size=30))
def test_uint64_parser_round_trips_or_refuses(text: str) -> None:
    try:
        value = scalars._parse_uint64(text)
    except GraphQLError:
        return
    assert scalars._serialize_uint64(value) == text


@given(st.binary(max_size=64))
def test_base64_round_trips_every_byte_string(data: bytes) -> None:
    assert scalars._parse_base64(scalars._serialize_base64(data)) == data


@pytest.mark.parametrize("text", ["AQI", "AQI=\n", "AQ==AQ==", "_-8=", "AR==", "AQI=="])
def test_base64_refuses_unpadded_urlsafe_or_non_canonical(text: str) -> None:
    with pytest.raises(GraphQLError):
        scalars._parse_base64(text)


@given(st.text(alphabet="ABCDabcd0189+/=-_ \n", max_size=24))
def test_base64_parser_round_trips_or_refuses(text: str) -> None:
    try:
        data = scalars._parse_base64(text)
    except GraphQLError:
        return
    assert base64.b64encode(data).decode() == text


def test_date_accepts_full_dates_only() -> None:
    assert scalars._parse_date("2024-02-29") == datetime.date(2024, 2, 29)
    assert scalars._serialize_date(datetime.date(1999, 12, 31)) == "1999-12-31"
    for text in ("2023-02-29", "2024-2-1", "20240201", "2024-02-01T00:00:00", "2024-W05-1"):
        with pytest.raises(GraphQLError):
            scalars._parse_date(text)
    with pytest.raises(GraphQLError):
        scalars._serialize_date(datetime.datetime(2024, 1, 1))


@given(st.text(alphabet="0123456789-T:W", max_size=14))
def test_date_parser_round_trips_or_refuses(text: str) -> None:
    try:
        day = scalars._parse_date(text)
    except GraphQLError:
        return
    assert day.isoformat() == text
