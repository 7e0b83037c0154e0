"""ftv1 traces: the tree follows the response (fields, list indexes), errors are recorded masked, and the
trace is only produced when asked for."""

from __future__ import annotations

from starlette.testclient import TestClient

from govgraph.federation.subgraph import build_subgraph_schema, standalone_app, subgraph_view
from tests.govgraph.federation.ftv1 import decode_trace
from tests.govgraph.federation.probe import Query

TRACE = {"apollo-federation-include-trace": "ftv1"}


def client() -> TestClient:
    return TestClient(standalone_app(subgraph_view(build_subgraph_schema(Query))))


def test_trace_has_a_node_per_field_and_list_index() -> None:
    with client() as c:
        body = c.post(
            "/graphql", json={"query": "{ tree { children(first: 2) { depth } } }"}, headers=TRACE
        ).json()
    assert body["data"] == {"tree": {"children": [{"depth": 1}, {"depth": 1}]}}
    children = decode_trace(body["extensions"]["ftv1"]).root.child("tree").child("children")
    assert (children.type, children.parent_type) == ("[Tree!]!", "Tree")
    assert [n.index for n in children.children] == [0, 1]
    assert [(n.child("depth").type, n.child("depth").parent_type) for n in children.children] == [
        ("Int!", "Tree"),
        ("Int!", "Tree"),
    ]


def test_trace_records_errors_masked() -> None:
    with client() as c:
        body = c.post("/graphql", json={"query": "{ boom }"}, headers=TRACE).json()
    boom = decode_trace(body["extensions"]["ftv1"]).root.child("boom")
    assert boom.errors == ["Internal error."]
    assert "hunter2" not in str(body)


def test_other_header_values_get_no_trace() -> None:
    with client() as c:
        body = c.post(
            "/graphql",
            json={"query": "{ tree { depth } }"},
            headers={"apollo-federation-include-trace": "ftv2"},
        ).json()
    assert body == {"data": {"tree": {"depth": 0}}}
