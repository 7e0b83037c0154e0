"""The edge for front-end teams over real HTTP, against the real `govgraph serve`: CORS, APQ and trusted
documents (POST and GET), trusted-documents-only, rate limits per caller with 429 and Retry-After, and
request ids (echoed, generated, in the access log)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.credentials import create_api_key, issue_token
from tests.support.servers import LiveServer, running_server

APP_ORIGIN = "http://app.example.org:5173"
PARCELS = "query Parcels { parcels(first: 2) { id } }"
AGENCIES = "query Agencies { agencies { id } }"
TYPENAME = "{ __typename }"


def digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apq(document: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest(document)}}


def error_codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


@pytest.fixture(scope="module")
def open_server(tmp_path_factory) -> Iterator[LiveServer]:
    """CORS for one origin, APQ, and an Apollo manifest of trusted documents (other documents allowed)."""
    data = tmp_path_factory.mktemp("edge-open")
    manifest = data / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": digest(PARCELS), "name": "Parcels", "type": "query", "body": PARCELS}],
            }
        )
    )
    env = {
        "GOVGRAPH_CORS_ORIGINS": APP_ORIGIN,
        "GOVGRAPH_CORS_MAX_AGE": "900",
        "GOVGRAPH_TRUSTED_DOCUMENTS": str(manifest),
    }
    with running_server(data, env=env) as server:
        yield server


@pytest.fixture(scope="module")
def trusted_only_server(tmp_path_factory) -> Iterator[LiveServer]:
    """Production, trusted documents only, from GraphQL Code Generator's persisted-documents.json; no CORS
    origin set. (Production seeds no demo data: the identity bureau's own agency record is there.)"""
    data = tmp_path_factory.mktemp("edge-trusted")
    manifest = data / "persisted-documents.json"
    manifest.write_text(json.dumps({digest(AGENCIES): AGENCIES}))
    env = {
        "GOVGRAPH_ENV": "production",
        "GOVGRAPH_TRUSTED_DOCUMENTS": str(manifest),
        "GOVGRAPH_TRUSTED_DOCUMENTS_ONLY": "1",
    }
    with running_server(data, env=env) as server:
        yield server


def test_the_allowed_origins_preflight_is_answered_and_cached(open_server: LiveServer) -> None:
    response = httpx.options(
        open_server.url + "/graphql",
        headers={
            "origin": APP_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, x-api-key, traceparent",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    assert response.headers["access-control-max-age"] == "900"
    assert "access-control-allow-credentials" not in response.headers  # off by default
    allowed = {name.strip() for name in response.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-api-key", "traceparent", "authorization"} <= allowed


def test_an_allowed_origin_reads_the_answer_and_its_request_id(open_server: LiveServer) -> None:
    response = httpx.post(
        open_server.url + "/graphql", json={"query": TYPENAME}, headers={"origin": APP_ORIGIN}
    )
    assert response.json() == {"data": {"__typename": "Query"}}
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-expose-headers"] == "x-request-id, retry-after"
    assert response.headers["vary"] == "Origin"


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://app.example.org:5174", "https://app.example.org:5173"]
)
def test_another_origin_is_refused(open_server: LiveServer, origin: str) -> None:
    preflight = httpx.options(
        open_server.url + "/graphql", headers={"origin": origin, "access-control-request-method": "POST"}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    simple = httpx.post(open_server.url + "/graphql", json={"query": TYPENAME}, headers={"origin": origin})
    assert simple.status_code == 200  # the server answers; the browser withholds it from the page
    assert "access-control-allow-origin" not in simple.headers


def test_no_origin_is_allowed_by_default_in_production(trusted_only_server: LiveServer) -> None:
    preflight = httpx.options(
        trusted_only_server.url + "/graphql",
        headers={"origin": APP_ORIGIN, "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def test_apq_miss_then_registration_then_hit_over_post_and_get(open_server: LiveServer) -> None:
    document = "query Few { parcels(first: 1) { id } }"
    url = open_server.url + "/graphql"
    miss = httpx.post(url, json={"extensions": apq(document)})
    assert miss.status_code == 200
    assert miss.json() == {
        "errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
    }
    registered = httpx.post(url, json={"query": document, "extensions": apq(document)})
    expected = registered.json()
    assert len(expected["data"]["parcels"]) == 1
    assert httpx.post(url, json={"extensions": apq(document)}).json() == expected
    by_get = httpx.get(url, params={"extensions": json.dumps(apq(document))})
    assert by_get.status_code == 200 and by_get.json() == expected


def test_a_document_that_is_not_its_hash_is_refused(open_server: LiveServer) -> None:
    response = httpx.post(
        open_server.url + "/graphql", json={"query": AGENCIES, "extensions": apq(PARCELS + " ")}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "message": "The query's SHA-256 is not sha256Hash.",
            "extensions": {"code": "PERSISTED_QUERY_HASH_MISMATCH"},
        }
    ]


def test_a_trusted_document_runs_by_document_id(open_server: LiveServer) -> None:
    url = open_server.url + "/graphql"
    direct = httpx.post(url, json={"query": PARCELS}).json()
    assert len(direct["data"]["parcels"]) == 2
    assert httpx.post(url, json={"documentId": digest(PARCELS)}).json() == direct
    assert httpx.get(url, params={"documentId": "sha256:" + digest(PARCELS)}).json() == direct
    assert httpx.post(url, json={"extensions": apq(PARCELS)}).json() == direct  # trusted: never a miss
    unknown = httpx.post(url, json={"documentId": digest(AGENCIES)})
    assert unknown.status_code == 404
    assert error_codes(unknown) == ["PERSISTED_QUERY_NOT_IN_LIST"]


def test_trusted_only_refuses_any_other_document_in_production(trusted_only_server: LiveServer) -> None:
    url = trusted_only_server.url + "/graphql"
    trusted = httpx.post(url, json={"documentId": digest(AGENCIES)})
    assert trusted.status_code == 200
    assert trusted.json() == {"data": {"agencies": [{"id": "identity-bureau"}]}}
    assert httpx.post(url, json={"query": AGENCIES}).json() == trusted.json()
    for payload in ({"query": PARCELS}, {"query": PARCELS, "extensions": apq(PARCELS)}):
        refused = httpx.post(url, json=payload)
        assert refused.status_code == 403
        assert refused.json()["errors"] == [
            {
                "message": "Only trusted documents may run here: send a documentId.",
                "extensions": {"code": "PERSISTED_QUERY_ONLY"},
            }
        ]
    by_get = httpx.get(url, params={"query": PARCELS})
    assert by_get.status_code == 403 and error_codes(by_get) == ["PERSISTED_QUERY_ONLY"]
    unregistered = httpx.post(url, json={"extensions": apq(PARCELS)})
    assert unregistered.status_code == 404 and error_codes(unregistered) == ["PERSISTED_QUERY_NOT_IN_LIST"]


def test_a_request_id_is_echoed_or_made_and_named_in_the_access_log(open_server: LiveServer) -> None:
    url = open_server.url + "/graphql"
    echoed = httpx.post(url, json={"query": TYPENAME}, headers={"x-request-id": "web-7f3a.2"})
    assert echoed.headers["x-request-id"] == "web-7f3a.2"
    made = [
        httpx.post(url, json={"query": TYPENAME}, headers=headers).headers["x-request-id"]
        for headers in ({}, {"x-request-id": "two words"}, {"x-request-id": "x" * 129}, {"x-request-id": ""})
    ]
    assert all(re.fullmatch(r"[0-9a-f]{32}", made_id) for made_id in made)
    assert len(set(made)) == 4
    assert httpx.get(open_server.url + "/healthz").headers[
        "x-request-id"
    ]  # every response, not only /graphql
    deadline = time.monotonic() + 5
    while '"POST /graphql HTTP/1.1" 200 OK [request web-7f3a.2]' not in open_server.log_path.read_text():
        assert time.monotonic() < deadline, open_server.log_path.read_text()[-2000:]
        time.sleep(0.05)


def test_a_manifest_that_cannot_be_used_stops_start_up(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({digest(PARCELS): AGENCIES}))
    env = {**os.environ, "GOVGRAPH_DATA": str(tmp_path), "GOVGRAPH_TRUSTED_DOCUMENTS": str(manifest)}
    done = subprocess.run(
        [sys.executable, "-m", "govgraph", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        f"govgraph: {manifest}: entry {digest(PARCELS)[:80]!r}: the id is not the SHA-256 of its document"
    )


def test_rate_limits_per_key_subject_and_address_exhaust_and_recover(tmp_path: Path) -> None:
    ci = create_api_key(tmp_path, "ci", "auditor")
    other = create_api_key(tmp_path, "other", "trustee")  # no rule for trustee: the api_key rule
    alice = issue_token(tmp_path, "alice", "trustee")
    env = {"GOVGRAPH_RATE_LIMITS": "address=3/3s,api_key=3/3s,bearer=2/2s,role:auditor=5/5s"}
    with running_server(tmp_path, env=env) as server:
        url = server.url + "/graphql"

        def ask(headers: dict[str, str]) -> httpx.Response:
            return httpx.post(url, json={"query": TYPENAME}, headers=headers)

        # The auditor role's rule (5 per 5 s) beats the api_key kind's (3 per 3 s) for the key `ci`.
        assert [ask({"x-api-key": ci}).status_code for _ in range(6)] == [200] * 5 + [429]
        assert [ask({"x-api-key": other}).status_code for _ in range(4)] == [200] * 3 + [429]
        assert [ask({"authorization": f"Bearer {alice}"}).status_code for _ in range(3)] == [200, 200, 429]
        assert [ask({}).status_code for _ in range(4)] == [200] * 3 + [429]
        # Refused credentials count against the address, whose bucket is empty now.
        assert ask({"x-api-key": "gg_nonsense"}).status_code == 429
        limited = ask({})
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "1"
        assert limited.json() == {
            "errors": [
                {
                    "message": "Rate limit reached: retry in 1 s.",
                    "extensions": {"code": "RATE_LIMITED", "retryAfter": 1},
                }
            ]
        }
        time.sleep(1.05)  # one token back, at 1 a second
        assert ask({}).json() == {"data": {"__typename": "Query"}}
        metrics = httpx.get(server.url + "/metrics").text
        refused = dict(re.findall(r'govgraph_rate_limited_total\{kind="([a-z_]+)"\} ([0-9.]+)', metrics))
        assert refused == {"address": "3.0", "api_key": "2.0", "bearer": "1.0"}


def test_a_mutation_is_refused_by_get(open_server: LiveServer) -> None:
    """A GET is what another origin's page can make a browser send without a preflight: queries only."""
    response = httpx.get(
        open_server.url + "/graphql",
        params={"query": "mutation { __typename }"},
        headers={"origin": APP_ORIGIN},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"] == [
        {
            "message": "Can only perform a mutation operation from a POST request.",
            "extensions": {"code": "METHOD_NOT_ALLOWED"},
        }
    ]
    by_post = httpx.post(open_server.url + "/graphql", json={"query": "mutation { __typename }"})
    assert by_post.json() == {"data": {"__typename": "Mutation"}}


def test_a_mutation_is_refused_by_get_as_an_event_stream_too(open_server: LiveServer) -> None:
    """Asking for text/event-stream takes the streaming path, which must refuse a GET's mutation as well."""
    response = httpx.get(
        open_server.url + "/graphql",
        params={"query": "mutation { __typename }"},
        headers={"origin": APP_ORIGIN, "accept": "text/event-stream"},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [block.split("\n") for block in response.text.strip().split("\n\n")]
    assert [lines[0] for lines in events] == ["event: next", "event: complete"]
    assert json.loads(events[0][1].removeprefix("data: ")) == {
        "errors": [
            {
                "message": "Can only perform a mutation operation from a POST request.",
                "extensions": {"code": "METHOD_NOT_ALLOWED"},
            }
        ]
    }


def test_unreadable_extensions_by_get_are_a_bad_request(open_server: LiveServer) -> None:
    response = httpx.get(open_server.url + "/graphql", params={"extensions": "{persistedQuery"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"message": "Extensions are invalid JSON.", "extensions": {"code": "BAD_REQUEST"}}
    ]


def test_a_websocket_handshake_names_its_request_id(open_server: LiveServer) -> None:
    from websockets.sync.client import connect

    url = open_server.url.replace("http://", "ws://") + "/subgraphs/elections/graphql"
    with connect(
        url,
        subprotocols=["graphql-transport-ws"],
        additional_headers={"x-request-id": "ws-1"},
        open_timeout=10,
    ) as socket:
        assert socket.response.headers["x-request-id"] == "ws-1"
        socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(socket.recv(timeout=10)) == {"type": "connection_ack"}
