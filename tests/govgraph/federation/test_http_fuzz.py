"""Fuzzed requests never crash the endpoint: arbitrary bodies and arbitrary documents get a JSON GraphQL error
with a known `extensions.code` (or data), never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from govgraph.federation.errors import ErrorCode
from govgraph.federation.subgraph import build_subgraph_schema, standalone_app, subgraph_view
from tests.govgraph.federation.probe import Query

CODES = {code.value for code in ErrorCode}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def client():
    with TestClient(standalone_app(subgraph_view(build_subgraph_schema(Query)))) as test_client:
        yield test_client


def assert_graphql_answer(response) -> None:
    assert response.status_code in (200, 400, 405, 413, 415), response.text
    body = response.json()
    assert "errors" in body or "data" in body
    for error in body.get("errors", []):
        assert error["extensions"]["code"] in CODES, error
    if response.status_code != 200:
        assert body["errors"], body


@FUZZ
@given(
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/graphql-response+json",
            "text/plain",
            "",
            "application/json; charset=latin-1",
        ]
    ),
)
def test_arbitrary_bodies_get_a_coded_answer(client, body: bytes, content_type: str) -> None:
    assert_graphql_answer(client.post("/graphql", content=body, headers={"content-type": content_type}))


GRAPHQL_TOKENS = st.sampled_from(
    [
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ":",
        "$",
        "@",
        "...",
        "!",
        "=",
        "query",
        "tree",
        "child",
        "depth",
        "children",
        "first",
        "10",
        "-1",
        '"x"',
        "fragment",
        "on",
        "Tree",
        "boom",
        "treeSize",
        "size",
        '"18446744073709551616"',
        "__typename",
        "a",
        "\n",
    ]
)


@FUZZ
@given(
    tokens=st.lists(GRAPHQL_TOKENS, max_size=40),
    variables=st.one_of(
        st.none(), st.dictionaries(st.sampled_from(["n", "x"]), st.one_of(st.integers(), st.text(max_size=5)))
    ),
)
def test_arbitrary_documents_get_a_coded_answer(client, tokens: list[str], variables) -> None:
    payload = json.dumps({"query": " ".join(tokens), "variables": variables})
    assert_graphql_answer(
        client.post("/graphql", content=payload, headers={"content-type": "application/json"})
    )
