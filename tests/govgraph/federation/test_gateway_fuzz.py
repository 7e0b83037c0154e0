"""Fuzzed requests never crash the embedded gateway: arbitrary bodies and documents over the compliance
subgraphs (in-process) get data or GraphQL errors with a known `extensions.code`, never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from govgraph.federation.context import RequestContext
from govgraph.federation.errors import ErrorCode
from govgraph.federation.gateway.endpoint import GatewayEndpoint, local_gateway
from tests.govgraph.federation.compliance import inventory, products, users

CODES = {code.value for code in ErrorCode}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def context(_forwarded=()) -> RequestContext:
    return RequestContext(request=None, response=None, sessions=None)


@pytest.fixture(scope="module")
def client():
    schemas = {
        "products": products.build_schema(),
        "users": users.build_schema(),
        "inventory": inventory.build_schema(),
    }
    app = Starlette(routes=[Route("/graphql", GatewayEndpoint(lambda: local_gateway(schemas, context)))])
    with TestClient(app) as test_client:
        yield test_client


def assert_graphql_answer(response) -> None:
    assert response.status_code in (200, 400, 405, 413, 415), response.text
    body = response.json()
    assert "errors" in body or "data" in body, body
    for error in body.get("errors", []):
        assert error["extensions"]["code"] in CODES, error


@FUZZ
@given(body=st.binary(max_size=300), content_type=st.sampled_from(["application/json", "text/plain", ""]))
def test_arbitrary_bodies_get_a_coded_answer(client, body: bytes, content_type: str) -> None:
    assert_graphql_answer(client.post("/graphql", content=body, headers={"content-type": content_type}))


GRAPHQL_TOKENS = st.sampled_from(
    [
        "{",
        "}",
        "(",
        ")",
        ":",
        "$",
        "@",
        "...",
        "!",
        "query",
        "mutation",
        "product",
        "inventory",
        "id",
        "sku",
        "createdBy",
        "email",
        "name",
        "averageProductsCreatedPerYear",
        "deprecatedProducts",
        "dimensions",
        "size",
        "delivery",
        "zip",
        '"apollo-federation"',
        '"apollo-oss"',
        "on",
        "Inventory",
        "OpenSourceInventory",
        "Product",
        "fragment",
        "F",
        "skip",
        "include",
        "if",
        "true",
        "$x",
        "__typename",
        "__schema",
        "types",
        "a",
        "\n",
    ]
)


@FUZZ
@given(
    tokens=st.lists(GRAPHQL_TOKENS, max_size=40),
    variables=st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(["x", "id"]), st.one_of(st.booleans(), st.integers(), st.text(max_size=5))
        ),
    ),
)
def test_arbitrary_documents_get_a_coded_answer(client, tokens: list[str], variables) -> None:
    payload = json.dumps({"query": " ".join(tokens), "variables": variables})
    assert_graphql_answer(
        client.post("/graphql", content=payload, headers={"content-type": "application/json"})
    )


def test_a_document_nested_beyond_the_parser_limit_is_a_parse_error(client) -> None:
    # Hive Gateway answers this one with a 500; the embedded gateway refuses it as the client's error.
    query = '{ product(id: "x") { ' + "research { study { " * 2000 + "caseNumber" + " } }" * 2000 + " } }"
    response = client.post("/graphql", json={"query": query})
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert (error["message"], error["extensions"]) == (
        "Syntax Error: Document is nested too deeply. Parsing aborted.",
        {"code": "GRAPHQL_PARSE_FAILED"},
    )


def test_wrongly_typed_variables_are_bad_user_input(client) -> None:
    body = client.post(
        "/graphql",
        json={"query": "query ($id: ID!) { product(id: $id) { sku } }", "variables": {"id": {"no": 1}}},
    ).json()
    assert body == {
        "errors": [
            {
                "message": 'Variable "$id" got invalid value { no: 1 }; ID cannot represent value: { no: 1 }',
                "locations": [{"line": 1, "column": 8}],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }
