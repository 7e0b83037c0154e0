"""Relay cursor connections (Relay Cursor Connections Specification) for every list that can grow.

Cursors are opaque to clients: base64 of a versioned offset. Pages are sliced in the database by the
caller; `page` only turns a fetched window (one row beyond the page, to learn hasNextPage) into a
connection."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Generic, TypeVar

import strawberry

from govgraph.federation.errors import BadUserInput
from zk.json_input import describe

Node = TypeVar("Node")
MAX_PAGE_SIZE = 100
_CURSOR_PREFIX = "o1:"


# Shareable: every subgraph defines the same PageInfo, and Federation 2 refuses duplicates otherwise.
@strawberry.federation.type(
    shareable=True, description="Relay PageInfo: where this page sits in the whole list."
)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.federation.type(shareable=True, description="One item of a connection with its cursor.")
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.federation.type(shareable=True, description="A page of a list, Relay style.")
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    total_count: int


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except ValueError:  # binascii.Error, non-ASCII input and UnicodeDecodeError are all ValueErrors
        raise BadUserInput(f"Invalid cursor {describe(cursor)}.") from None
    digits = text[len(_CURSOR_PREFIX) :]
    # ASCII digits only (str.isdigit accepts other scripts' digits), and an offset SQL can hold.
    if (
        not text.startswith(_CURSOR_PREFIX)
        or not digits.isascii()
        or not digits.isdigit()
        or len(digits) > 15
    ):
        raise BadUserInput(f"Invalid cursor {describe(cursor)}.")
    return int(digits)


def window(first: int | None, after: str | None, default: int = 20) -> tuple[int, int]:
    """(offset, limit) for a page request; `limit` is one more than the page to detect a next page."""
    size = default if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise BadUserInput(f"`first` must lie in 0..{MAX_PAGE_SIZE}, got {size}.")
    offset = 0 if after is None else decode_cursor(after) + 1
    return offset, size + 1


def page(rows: Sequence[Node], offset: int, limit: int, total_count: int) -> Connection[Node]:
    """The connection for `rows` fetched with (offset, limit) from `window`."""
    size = limit - 1
    visible = list(rows[:size])
    edges = [Edge(cursor=encode_cursor(offset + i), node=row) for i, row in enumerate(visible)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total_count,
    )
