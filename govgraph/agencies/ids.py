"""Record ids as every agency accepts them from clients: opaque strings of 1..64 characters."""

from __future__ import annotations

from govgraph.federation.errors import BadUserInput

MAX_ID_LENGTH = 64


def check_id(value: object) -> str:
    """`value`, if it can be an id; else a BadUserInput the client sees (before any database look-up). Ids
    reach here from `_entities` representations too, where any JSON value can stand in for one."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise BadUserInput(f"An id must be 1..{MAX_ID_LENGTH} characters.")
    return value
