"""The error taxonomy over a real HTTP server: every refusal is a GraphQL error body with a stable
`extensions.code`, with a 4xx status where HTTP itself was wrong, and never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from govgraph.federation.limits import Limits
from govgraph.federation.subgraph import build_subgraph_schema, standalone_app, subgraph_view
from tests.govgraph.federation.probe import Query, Subscription
from tests.support.servers import UvicornThread

LIMITS = Limits()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    schema = build_subgraph_schema(Query, subscription=Subscription)
    server = UvicornThread(standalone_app(subgraph_view(schema))).start()
    yield f"{server.url}/graphql"
    server.stop()


def post(url: str, query: str, variables: dict | None = None) -> httpx.Response:
    return httpx.post(url, json={"query": query, "variables": variables}, timeout=30)


def only_error(response: httpx.Response) -> tuple[str, str]:
    body = response.json()
    assert len(body["errors"]) == 1, body
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


def test_malformed_query_is_a_parse_error(url: str) -> None:
    response = post(url, "{ tree { depth }")
    assert response.status_code == 200
    assert only_error(response) == ("GRAPHQL_PARSE_FAILED", "Syntax Error: Expected Name, found <EOF>.")
    assert response.json()["data"] is None


def test_unknown_field_is_a_validation_error(url: str) -> None:
    response = post(url, "{ tree { height } }")
    assert response.status_code == 200
    assert only_error(response) == (
        "GRAPHQL_VALIDATION_FAILED",
        "Cannot query field 'height' on type 'Tree'.",
    )


def test_over_deep_query_is_too_complex(url: str) -> None:
    query = "query Deep { tree { " + "child { " * 12 + "depth" + " }" * 13 + " }"
    response = post(url, query)
    assert response.status_code == 200
    assert only_error(response) == ("QUERY_TOO_COMPLEX", "Operation 'Deep' has depth 14; the limit is 12.")


def test_query_at_the_depth_limit_runs(url: str) -> None:
    query = "{ tree { " + "child { " * 10 + "depth" + " }" * 11 + " }"
    body = post(url, query).json()
    node = body["data"]["tree"]
    for _ in range(10):
        node = node["child"]
    assert node == {"depth": 10}


def test_a_thousand_aliases_are_too_complex(url: str) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"
    response = post(url, query)
    assert response.status_code == 200
    assert only_error(response) == (
        "QUERY_TOO_COMPLEX",
        "Operation 'anonymous' uses 1000 aliases; the limit is 30.",
    )


def test_costly_list_nesting_is_too_complex(url: str) -> None:
    # tree 1 + outer children 1 + inner children once per outer element 100 + depth per inner element 100*100.
    query = "{ tree { children(first: 100) { children(first: 100) { depth } } } }"
    response = post(url, query)
    assert only_error(response) == (
        "QUERY_TOO_COMPLEX",
        "Operation 'anonymous' has cost 10102; the limit is 10000.",
    )


def test_too_many_tokens_are_too_complex(url: str) -> None:
    query = "{ " + " ".join("__typename" for _ in range(LIMITS.max_tokens + 1)) + " }"
    response = post(url, query)
    assert response.status_code == 200
    assert only_error(response) == (
        "QUERY_TOO_COMPLEX",
        f"Syntax Error: Document contains more than {LIMITS.max_tokens} tokens. Parsing aborted.",
    )


def test_ten_megabyte_body_is_refused_before_parsing(url: str) -> None:
    body = json.dumps({"query": "{ tree { depth } }", "padding": "x" * 10_000_000})
    response = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=30)
    assert response.status_code == 413
    assert only_error(response) == (
        "PAYLOAD_TOO_LARGE",
        f"Request body exceeds {LIMITS.max_body_bytes} bytes.",
    )


def test_chunked_body_past_the_limit_is_refused(url: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ tree { depth } }", "padding": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}'

    response = httpx.post(url, content=chunks(), headers={"content-type": "application/json"}, timeout=30)
    assert response.status_code == 413
    assert only_error(response)[0] == "PAYLOAD_TOO_LARGE"


def test_wrong_content_type_is_unsupported(url: str) -> None:
    response = httpx.post(url, content="{ tree { depth } }", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert only_error(response) == (
        "UNSUPPORTED_MEDIA_TYPE",
        "Unsupported content type 'text/plain': send application/json.",
    )


def test_unreadable_json_is_a_bad_request(url: str) -> None:
    response = httpx.post(url, content=b'{"query": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert only_error(response) == ("BAD_REQUEST", "Unable to parse request body as JSON.")


def test_deeply_nested_json_is_a_bad_request_not_a_crash(url: str) -> None:
    nested = b"[" * 200_000 + b"]" * 200_000
    response = httpx.post(url, content=nested, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert only_error(response) == (
        "BAD_REQUEST",
        "Unable to parse request body as JSON: request body is nested deeper than 128 levels.",
    )


def test_json_that_is_not_an_object_is_a_bad_request(url: str) -> None:
    response = httpx.post(url, content=b"[1, 2]", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert only_error(response) == ("BAD_REQUEST", "The request body must be a JSON object.")


def test_missing_query_is_a_bad_request(url: str) -> None:
    response = httpx.post(url, json={"variables": {}})
    assert response.status_code == 400
    assert only_error(response) == ("BAD_REQUEST", "No GraphQL query found in the request")


def test_unexpected_exception_is_masked_as_internal(url: str) -> None:
    response = post(url, "{ boom }")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "Internal error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["boom"],
            "extensions": {"code": "INTERNAL"},
        }
    ]
    assert "hunter2" not in response.text


def test_service_errors_keep_their_message_and_code(url: str) -> None:
    assert only_error(post(url, "{ missing }")) == ("NOT_FOUND", "No parcel 'p-9'.")
    assert only_error(post(url, "{ taken }")) == ("CONFLICT", "Title already registered.")


def test_invalid_variable_is_bad_user_input(url: str) -> None:
    response = post(url, "query ($n: UInt64!) { treeSize(size: $n) }", {"n": "18446744073709551616"})
    assert only_error(response) == (
        "BAD_USER_INPUT",
        "Variable '$n' has invalid value: UInt64 must lie in 0..18446744073709551615, "
        "got 18446744073709551616.",
    )


def test_custom_scalars_round_trip_over_http(url: str) -> None:
    body = post(
        url,
        "query ($n: UInt64!, $b: Base64!, $d: Date!) { treeSize(size: $n) digest(data: $b) "
        "nextDay(day: $d) }",
        {"n": "9223372036854775807", "b": "AQID", "d": "2024-02-28"},
    ).json()
    assert body == {"data": {"treeSize": "18446744073709551614", "digest": "AwIB", "nextDay": "2024-02-29"}}


def test_get_cannot_run_a_mutation_or_unknown_method(url: str) -> None:
    response = httpx.request("PUT", url, json={"query": "{ tree { depth } }"})
    assert response.status_code == 405
    assert only_error(response)[0] == "METHOD_NOT_ALLOWED"


def test_subscription_runs_over_a_real_websocket(url: str) -> None:
    from websockets.sync.client import connect

    with connect(
        url.replace("http://", "ws://"), subprotocols=["graphql-transport-ws"], open_timeout=10
    ) as ws:
        assert ws.subprotocol == "graphql-transport-ws"
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
        ws.send(
            json.dumps(
                {"id": "a", "type": "subscribe", "payload": {"query": "subscription { ticks(count: 2) }"}}
            )
        )
        messages = [json.loads(ws.recv(timeout=10)) for _ in range(3)]
    assert messages == [
        {"id": "a", "type": "next", "payload": {"data": {"ticks": 0}}},
        {"id": "a", "type": "next", "payload": {"data": {"ticks": 1}}},
        {"id": "a", "type": "complete"},
    ]
