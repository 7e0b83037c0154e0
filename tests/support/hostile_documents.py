"""Hostile GraphQL documents for tests and benchmarks: the worst case of each document-level attack of issue
23 (section 6), each small enough to send, with an ordinary query to compare them against."""

from __future__ import annotations

ORDINARY = "{ parcels(first: 5) { id area locality } }"


def fragment_bomb(n: int, on: str = "Query", leaf: str = "__typename") -> str:
    """`{ ...F<n> }` where F<i> spreads F<i-1> twice: 2**n selections of `leaf`, ~40 bytes per level."""
    parts = [f"{{ ...F{n} }}", f"fragment F0 on {on} {{ {leaf} }}"]
    parts += [f"fragment F{i} on {on} {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, n + 1)]
    return " ".join(parts)


def aliases(count: int) -> str:
    """`count` aliased `__typename` selections (50,000 are about 0.9 MB)."""
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def introspection_aliases(count: int) -> str:
    """`count` aliased introspection trees, each listing every type's fields."""
    return (
        "{ "
        + " ".join(f"s{i}: __schema {{ types {{ name fields {{ name }} }} }}" for i in range(count))
        + " }"
    )


def unused_fragments(count: int) -> str:
    """An ordinary operation followed by `count` fragments nobody spreads."""
    fragments = " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(count))
    return "{ __typename } " + fragments


def repeated_fields(count: int, selection: str = "parcels { id }") -> str:
    """One selection repeated `count` times: validation compares every pair of same-named fields."""
    return "{ " + " ".join([selection] * count) + " }"


def long_number(digits: int = 5000) -> str:
    """An Int literal past CPython's 4,300-digit int() limit, where a list size is read."""
    return "{ parcels(first: " + "9" * digits + ") { id } }"
