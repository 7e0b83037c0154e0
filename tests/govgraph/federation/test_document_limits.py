"""Document limits in-process, at a subgraph schema and at the embedded gateway: measured once per fragment
before anything expands one, refused with QUERY_TOO_COMPLEX naming the limit; caches bounded by bytes;
no "Did you mean" in production; the planner and shaper linear in fragment spreads."""

from __future__ import annotations

import asyncio
import time
from enum import Enum

import pytest
import strawberry
from graphql import build_schema, parse

from govgraph.federation.context import RequestContext
from govgraph.federation.documents import CACHE_BYTES, CACHE_ENTRY_BYTES, DocumentCache
from govgraph.federation.gateway import Gateway
from govgraph.federation.gateway.endpoint import local_gateway
from govgraph.federation.limits import CEILING, DEFAULT_LIMITS, Limits, check_limits
from govgraph.federation.subgraph import build_subgraph_schema
from tests.govgraph.federation.compliance import inventory, products, users
from tests.govgraph.federation.probe import Query
from tests.support.hostile_documents import (
    aliases,
    fragment_bomb,
    introspection_aliases,
    long_number,
    repeated_fields,
    unused_fragments,
)

TREE_SDL = """
type Query { tree: Tree trees(first: Int): [Tree!]! }
type Tree { depth: Int child: Tree children(first: Int): [Tree!]! }
"""
TREE = build_schema(TREE_SDL)
MERGE_MESSAGE = (
    "Checking that the document's fields can be merged takes more than 25000 steps; the limit is 25000."
)


def messages(query: str, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    return [error.message for error in check_limits(TREE, parse(query), limits)]


def subgraph_errors(query: str, **options) -> list[tuple[str, str]]:
    result = asyncio.run(build_subgraph_schema(Query, **options).execute(query))
    return [(error.extensions["code"], error.message) for error in result.errors or ()]


def context(_forwarded=()) -> RequestContext:
    return RequestContext(request=None, response=None, sessions=None)


async def compliance_gateway(**options) -> Gateway:
    schemas = {
        "products": products.build_schema(),
        "users": users.build_schema(),
        "inventory": inventory.build_schema(),
    }
    local = await local_gateway(schemas, context)
    return Gateway(local.supergraph, local.transports, **options)


# The measure -----------------------------------------------------------------------------------------------


def test_fragment_bomb_is_measured_once_per_fragment() -> None:
    started = time.perf_counter()
    assert messages(fragment_bomb(22)) == ["Operation 'anonymous' selects 4194304 fields; the limit is 1000."]
    # 2**100 selections: counted from 101 fragment measures, and saturated.
    assert messages(fragment_bomb(100)) == [
        f"Operation 'anonymous' selects at least {CEILING} fields; the limit is 1000."
    ]
    assert time.perf_counter() - started < 1.0


def test_fragment_bomb_inside_a_list_multiplies_cost_depth_stays() -> None:
    query = fragment_bomb(12, on="Tree", leaf="depth").replace("{ ...F12 }", "{ trees { ...F12 } }", 1)
    assert messages(query) == [
        "Operation 'anonymous' selects 4097 fields; the limit is 1000.",
        "Operation 'anonymous' has cost 40961; the limit is 10000.",
    ]


def test_each_limit_names_itself() -> None:
    deep = "query Deep { tree { " + "child { " * 12 + "depth" + " }" * 13 + " }"
    assert messages(deep) == ["Operation 'Deep' has depth 14; the limit is 12."]
    assert messages(aliases(31)) == ["Operation 'anonymous' uses 31 aliases; the limit is 30."]
    assert messages(repeated_fields(1001, "depth: __typename")) == [
        "Operation 'anonymous' uses 1001 aliases; the limit is 30.",
        "Operation 'anonymous' selects 1001 fields; the limit is 1000.",
    ]
    assert messages("{ trees(first: 100) { children(first: 100) { depth } } }") == [
        "Operation 'anonymous' has cost 10101; the limit is 10000."
    ]
    assert messages(unused_fragments(200)) == ["The document has 201 definitions; the limit is 200."]
    assert messages(long_number(101).replace("parcels", "trees").replace("{ id }", "{ depth }")) == [
        "The document holds a number of 101 characters; the limit is 100."
    ]


def test_introspection_counts_aliases_and_fields_but_no_depth_or_cost() -> None:
    assert messages(introspection_aliases(31)) == ["Operation 'anonymous' uses 31 aliases; the limit is 30."]
    nested = "{ __schema { types { fields { type { fields { type { name } } } } } } }"
    assert messages(nested, Limits(max_depth=1, max_cost=1)) == []


@pytest.mark.parametrize(
    "query",
    [
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A tree { depth } }",  # a cycle
        "{ ...Missing tree { ...AlsoMissing } }",
        "{ nope { nope } tree { nope(first: 3) { depth } } }",
        "{ ... on Nope { tree { depth } } ...F } fragment F on Nope { x }",
    ],
    ids=["cycle", "unknown-fragments", "unknown-fields", "unknown-types"],
)
def test_invalid_documents_are_measured_without_error(query: str) -> None:
    assert messages(query) == []  # validation reports what is wrong


def test_a_long_fragment_chain_is_measured_without_recursion() -> None:
    # 199 fragments, each one level deeper: the measure combines them without recursing through the chain.
    chain = " ".join(f"fragment F{i} on Tree {{ child {{ ...F{i + 1} }} }}" for i in range(198))
    query = "{ tree { ...F0 } } " + chain + " fragment F198 on Tree { depth }"
    assert messages(query, Limits(max_depth=1000)) == []
    assert messages(query) == ["Operation 'anonymous' has depth 200; the limit is 12."]


@pytest.mark.parametrize("digits", ["99999999999", "9" * 100])
def test_an_out_of_range_list_size_is_left_to_validation(digits: str) -> None:
    assert messages(f"{{ trees(first: {digits}) {{ depth }} }}") == []


# At a subgraph ---------------------------------------------------------------------------------------------


def test_subgraph_refuses_before_validation() -> None:
    assert subgraph_errors(fragment_bomb(25)) == [
        ("QUERY_TOO_COMPLEX", "Operation 'anonymous' selects 33554432 fields; the limit is 1000.")
    ]
    assert subgraph_errors(
        long_number().replace("parcels", "tree { children").replace("{ id }", "{ depth } }")
    ) == [("QUERY_TOO_COMPLEX", "The document holds a number of 5000 characters; the limit is 100.")]


def test_subgraph_bounds_the_field_merging_check() -> None:
    # 300 repeats are within the field budget; comparing them pairwise would take ~0.4 s.
    assert subgraph_errors(repeated_fields(300, "tree { depth }")) == [("QUERY_TOO_COMPLEX", MERGE_MESSAGE)]
    assert subgraph_errors(repeated_fields(30, "tree { depth }")) == []


def test_subgraph_cache_keeps_nothing_over_its_entry_size() -> None:
    schema = build_subgraph_schema(Query)
    padded = "{ tree { depth } }" + " " * CACHE_ENTRY_BYTES
    for query in (padded, padded, "{ tree { depth } }"):
        asyncio.run(schema.execute(query))
    assert (len(schema.documents), schema.documents.bytes) == (1, len("{ tree { depth } }"))


# The caches ------------------------------------------------------------------------------------------------


def test_document_cache_is_bounded_by_bytes_exactly() -> None:
    cache = DocumentCache()
    size = 60_000
    for n in range(120):
        cache.put(f"{n}".ljust(size), n, size)
    kept = CACHE_BYTES // size
    assert (len(cache), cache.bytes) == (kept, kept * size)
    assert list(cache) == [f"{n}".ljust(size) for n in range(120 - kept, 120)]  # the newest
    cache.put("x" * (CACHE_ENTRY_BYTES + 1), "too big", CACHE_ENTRY_BYTES + 1)
    assert "x" * (CACHE_ENTRY_BYTES + 1) not in cache and cache.bytes == kept * size


def test_document_cache_is_bounded_by_entries_and_least_recently_used() -> None:
    cache = DocumentCache(max_entries=3)
    for key in "abc":
        cache.put(key, key.upper(), 1)
    assert cache.get("a") == "A"  # now the most recent
    cache.put("d", "D", 1)
    assert (list(cache), cache.bytes, cache.hits, cache.misses) == (["c", "a", "d"], 3, 1, 0)
    cache.put("a", "A2", 1)  # replaced in place, counted once
    assert (list(cache), cache.bytes, cache["a"]) == (["c", "d", "a"], 3, "A2")


async def test_gateway_caches_are_bounded_by_bytes() -> None:
    gateway = await compliance_gateway()
    size = 50_000
    for n in range(40):  # distinct ~50 KB documents (a long string argument), each planned
        query = '{ product(id: "' + f"{n}".rjust(size - 27, "x") + '") { sku } }'
        assert len(query) == size
        await gateway.execute(query)
    kept = CACHE_BYTES // size
    assert (len(gateway.documents), gateway.documents.bytes) == (kept, kept * size)
    assert (len(gateway.plans), gateway.plans.bytes) == (kept, kept * size)
    await gateway.execute(aliases(5000))  # ~90 KB: refused, and not kept
    assert len(gateway.documents) == kept and aliases(5000) not in gateway.documents


# At the gateway --------------------------------------------------------------------------------------------


TOKENS = "Syntax Error: Document contains more than 5000 tokens. Parsing aborted."
PRODUCT = "product(id: 1) { sku }"
GATEWAY_REFUSALS = {
    "fragment-bomb": (fragment_bomb(22), "Operation 'anonymous' selects 4194304 fields; the limit is 1000."),
    "50k-aliases": (aliases(50_000), TOKENS),
    "31-introspection-aliases": (
        introspection_aliases(31),
        "Operation 'anonymous' uses 31 aliases; the limit is 30.",
    ),
    "1000-introspection-aliases": (introspection_aliases(1000), TOKENS),
    "20k-unused-fragments": (unused_fragments(20_000), TOKENS),
    "300-unused-fragments": (unused_fragments(300), "The document has 301 definitions; the limit is 200."),
    "3000-repeats": (repeated_fields(3000, PRODUCT), TOKENS),
    "400-repeats": (
        repeated_fields(400, "product(id: 1) { sku id }"),
        "Operation 'anonymous' selects 1200 fields; the limit is 1000.",
    ),
    "300-repeats": (repeated_fields(300, PRODUCT), MERGE_MESSAGE),
    "long-number": (
        '{ product(id: "1") { sku variation(first: ' + "9" * 5000 + ") { id } } }",
        "The document holds a number of 5000 characters; the limit is 100.",
    ),
}


@pytest.mark.parametrize(("query", "message"), GATEWAY_REFUSALS.values(), ids=GATEWAY_REFUSALS)
async def test_gateway_refuses_before_planning(query: str, message: str) -> None:
    gateway = await compliance_gateway()
    status, body = await gateway.execute(query)
    assert status == 200 and "data" not in body
    # A token refusal also says where parsing stopped.
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (message, {"code": "QUERY_TOO_COMPLEX"})
    ]
    assert len(gateway.plans) == 0


async def test_planner_and_shaper_expand_each_fragment_once_in_place() -> None:
    # With the field and cost budgets lifted, a fragment bomb reaches the planner and the shaper: both skip
    # a spread already expanded where it stands, so 2**40 selections plan and shape in milliseconds.
    gateway = await compliance_gateway(limits=Limits(max_fields=CEILING, max_cost=CEILING))
    at_root = fragment_bomb(40, leaf='product(id: "apollo-federation") { sku }')
    nested = fragment_bomb(40, on="Product", leaf="sku createdBy { email }").replace(
        "{ ...F40 }", '{ product(id: "apollo-federation") { ...F40 } }', 1
    )
    started = time.perf_counter()
    assert (await gateway.execute(at_root))[1] == {"data": {"product": {"sku": "federation"}}}
    assert (await gateway.execute(nested))[1] == {
        "data": {"product": {"sku": "federation", "createdBy": {"email": "support@apollographql.com"}}}
    }
    assert time.perf_counter() - started < 2.0


# Suggestions -----------------------------------------------------------------------------------------------


class Colour(Enum):
    RED = "RED"
    GREEN = "GREEN"


@strawberry.type(name="Query")
class Palette:
    @strawberry.field
    def paint(self, colour: Colour) -> str:
        return colour.value


TYPO = "{ paintt(colour: RED) }"
VARIABLE_TYPO = ("query ($c: Colour!) { paint(colour: $c) }", {"c": "REDD"})


@pytest.mark.parametrize("production", [False, True])
async def test_subgraph_suggests_names_only_outside_production(production: bool) -> None:
    schema = build_subgraph_schema(Palette, production=production)
    typo = (await schema.execute(TYPO)).errors[0].message
    variable = (await schema.execute(VARIABLE_TYPO[0], variable_values=VARIABLE_TYPO[1])).errors[0].message
    if production:
        assert typo == "Cannot query field 'paintt' on type 'Query'."
        assert variable == "Variable '$c' has invalid value: Value 'REDD' does not exist in 'Colour' enum."
    else:
        assert typo == "Cannot query field 'paintt' on type 'Query'. Did you mean 'paint'?"
        assert variable.endswith("Did you mean the enum value 'RED'?")


@pytest.mark.parametrize("production", [False, True])
async def test_gateway_suggests_names_only_outside_production(production: bool) -> None:
    gateway = await local_gateway({"palette": build_subgraph_schema(Palette)}, introspection=not production)
    typo = (await gateway.execute(TYPO))[1]["errors"][0]["message"]
    variable = (await gateway.execute(*VARIABLE_TYPO))[1]["errors"][0]["message"]
    if production:
        assert typo == 'Cannot query field "paintt" on type "Query".'
        assert (
            variable
            == 'Variable "$c" got invalid value "REDD"; Value "REDD" does not exist in "Colour" enum.'
        )
    else:
        assert typo == 'Cannot query field "paintt" on type "Query". Did you mean "paint"?'
        assert variable.endswith('Did you mean the enum value "RED"?')
