"""Relay connections: opaque cursors that round-trip, pages that know their neighbours, and fuzzed cursor
decoding that returns an offset or a BAD_USER_INPUT error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govgraph.federation.connections import decode_cursor, encode_cursor, page, window
from govgraph.federation.errors import BadUserInput


def test_cursor_round_trips() -> None:
    assert encode_cursor(41) == "bzE6NDE="
    assert decode_cursor("bzE6NDE=") == 41


def test_window_then_page_walks_a_list() -> None:
    items = list("abcde")
    offset, limit = window(2, None)
    first = page(items[offset : offset + limit], offset, limit, len(items))
    assert [e.node for e in first.edges] == ["a", "b"]
    assert (first.page_info.has_next_page, first.page_info.has_previous_page) == (True, False)
    offset, limit = window(2, first.page_info.end_cursor)
    second = page(items[offset : offset + limit], offset, limit, len(items))
    assert [e.node for e in second.edges] == ["c", "d"]
    offset, limit = window(2, second.page_info.end_cursor)
    last = page(items[offset : offset + limit], offset, limit, len(items))
    assert [e.node for e in last.edges] == ["e"]
    assert (last.page_info.has_next_page, last.page_info.has_previous_page, last.total_count) == (
        False,
        True,
        5,
    )


def test_page_size_is_bounded() -> None:
    with pytest.raises(BadUserInput, match=r"`first` must lie in 0\.\.100, got 101\."):
        window(101, None)


@given(st.text(max_size=20))
def test_cursor_decoding_returns_an_offset_or_bad_user_input(text: str) -> None:
    try:
        offset = decode_cursor(text)
    except BadUserInput:
        return
    assert offset >= 0 and decode_cursor(encode_cursor(offset)) == offset
