"""Record ids as every agency accepts them from clients: opaque strings of 1..64 characters."""

from __future__ import annotations

from govgraph.federation.errors import BadUserInput

MAX_ID_LENGTH = 64


def check_id(value: str) -> str:
    """`value`, if it can be an id; else a BadUserInput the client sees (before any database look-up)."""
    if not value or len(value) > MAX_ID_LENGTH:
        raise BadUserInput(f"An id must be 1..{MAX_ID_LENGTH} characters.")
    return value
