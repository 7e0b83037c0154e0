"""Hostile request bodies against the real `govgraph serve` process: every one is refused with an exact status
and code, quickly, without a traceback, while /healthz keeps answering other clients within 200 ms."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as websocket_connect

from govgraph import db
from govgraph.config import Settings
from govgraph.ledger.operations import init_log
from tests.support.hostile_http import (
    HOSTILE_JSON_1MB,
    HOSTILE_JSON_60KB,
    HealthProbe,
    chunked_upload,
    connect,
    read_response,
    request_head,
    rss_kib,
)
from tests.support.servers import LiveServer, running_server

GATEWAY = "/graphql"
SUBGRAPH = "/subgraphs/land/graphql"
WITNESS = "/ledgers/identity/witness/add-checkpoint"
GRAPHQL_ENDPOINTS = (GATEWAY, SUBGRAPH)
HUGE = "9" * 5000  # a JSON integer past CPython's 4,300-digit int() limit
UNREADABLE = ("BAD_REQUEST", "Unable to parse request body as JSON.")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`govgraph serve` over a database holding the land and identity logs (so each agency runs a witness)."""
    data_dir = tmp_path_factory.mktemp("abuse")
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})

    async def create_logs() -> None:
        engine = db.create_engine(settings.database_url)
        try:
            for name in ("land", "identity"):
                await init_log(engine, settings.ledger_keys_dir, name)
        finally:
            await engine.dispose()

    asyncio.run(create_logs())
    with running_server(data_dir) as live:
        yield live


def only_error(body: object) -> tuple[str, str]:
    assert isinstance(body, dict) and len(body["errors"]) == 1, body
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


def post(url: str, body: bytes, content_type: str = "application/json") -> httpx.Response:
    return httpx.post(url, content=body, headers={"content-type": content_type}, timeout=10)


def assert_no_traceback(server: LiveServer) -> None:
    log = server.log_path.read_text()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-3000:]


def requests_counted(server: LiveServer, route: str, status: int) -> float:
    line = f'govgraph_http_requests_total{{method="POST",route="{route}",status="{status}"}} '
    for text in httpx.get(f"{server.url}/metrics").text.splitlines():
        if text.startswith(line):
            return float(text[len(line) :])
    return 0.0


@pytest.mark.parametrize("path", GRAPHQL_ENDPOINTS)
@pytest.mark.parametrize("body", [HOSTILE_JSON_60KB, HOSTILE_JSON_1MB], ids=["60KB", "1MB"])
def test_hostile_json_body_is_refused_within_a_second_while_healthz_answers(
    server: LiveServer, path: str, body: bytes
) -> None:
    with HealthProbe(server.url) as probe:
        for _ in range(5):
            started = time.perf_counter()
            response = post(server.url + path, body)
            assert time.perf_counter() - started < 1.0
            assert response.status_code == 400
            assert only_error(response.json()) == UNREADABLE
        time.sleep(0.2)  # at least a few probes, also after the last attack
    assert probe.latencies and probe.worst < 0.2, probe.latencies


@pytest.mark.parametrize("path", GRAPHQL_ENDPOINTS)
def test_a_body_of_a_third_of_a_million_empty_lists_is_refused_before_decoding(
    server: LiveServer, path: str
) -> None:
    # Valid JSON, 1 MB, but 333,333 lists to build: ~0.27 s holding the interpreter lock before the bound.
    body = b"[" + b"[]," * 333_332 + b"[]]"
    with HealthProbe(server.url) as probe:
        for _ in range(3):
            started = time.perf_counter()
            response = post(server.url + path, body)
            assert time.perf_counter() - started < 1.0
            assert response.status_code == 400
            assert only_error(response.json()) == (
                "BAD_REQUEST",
                "Unable to parse request body as JSON: "
                "request body holds more than 100000 arrays and objects.",
            )
        probe.wait_for(len(probe.latencies) + 3)
    assert probe.worst < 0.2, probe.latencies


@pytest.mark.parametrize("path", GRAPHQL_ENDPOINTS)
def test_large_ordinary_body_is_decoded_and_answered(server: LiveServer, path: str) -> None:
    # Over LARGE_BODY_BYTES: decoded in a worker thread, with the same result as inline.
    body = json.dumps({"query": "{ __typename }", "variables": {"padding": "x" * 600_000}}).encode()
    response = post(server.url + path, body)
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (GATEWAY, ("PAYLOAD_TOO_LARGE", "Request body exceeds 1000000 bytes.")),
        (SUBGRAPH, ("PAYLOAD_TOO_LARGE", "Request body exceeds 1000000 bytes.")),
        (WITNESS, "request too large\n"),
    ],
)
def test_endless_chunked_body_is_refused_at_the_limit(
    server: LiveServer, path: str, expected: object
) -> None:
    before = rss_kib(server.process.pid)
    response, sent = chunked_upload(server.url, path, limit=300_000_000)
    grown = rss_kib(server.process.pid) - before
    assert response is not None and response.status == 413
    if isinstance(expected, tuple):
        assert only_error(response.json()) == expected
    else:
        assert response.body == expected.encode()
    # The answer came while the body was still being sent: the server read at most its limit and the
    # socket buffers, and did not grow past a few megabytes.
    assert sent < 32_000_000, sent
    assert grown < 8 * 1024, f"server grew by {grown} KiB"


@pytest.mark.parametrize("path", [GATEWAY, SUBGRAPH, WITNESS])
def test_declared_oversized_body_is_refused_unread(server: LiveServer, path: str) -> None:
    with connect(server.url) as sock:
        head = {"Content-Type": "application/json", "Content-Length": "300000000"}
        sock.sendall(request_head("POST", path, head))  # and not one byte of the body
        response = read_response(sock, timeout=5)
    assert response is not None and response.status == 413
    if path == WITNESS:
        assert response.body == b"request too large\n"
    else:
        assert only_error(response.json()) == ("PAYLOAD_TOO_LARGE", "Request body exceeds 1000000 bytes.")


@pytest.mark.parametrize(
    ("path", "method", "expected"),
    [
        (GATEWAY, "POST", UNREADABLE),
        (GATEWAY, "GET", ("BAD_REQUEST", "Variables are invalid JSON.")),
        (SUBGRAPH, "POST", UNREADABLE),
        (SUBGRAPH, "GET", UNREADABLE),
    ],
)
def test_variable_with_a_5000_digit_integer_is_a_bad_request(
    server: LiveServer, path: str, method: str, expected: tuple[str, str]
) -> None:
    query = "query ($n: Int!) { parcels(first: $n) { id } }"
    variables = '{"n": ' + HUGE + "}"
    if method == "GET":
        response = httpx.get(server.url + path, params={"query": query, "variables": variables})
    else:
        body = '{"query": ' + json.dumps(query) + ', "variables": ' + variables + "}"
        response = post(server.url + path, body.encode())
    assert response.status_code == 400
    assert only_error(response.json()) == expected
    assert_no_traceback(server)


@pytest.mark.parametrize("path", GRAPHQL_ENDPOINTS)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_bodies_are_bad_requests(server: LiveServer, path: str, encoding: str) -> None:
    body = json.dumps({"query": "{ __typename }"}).encode(encoding)
    response = post(server.url + path, body)
    assert response.status_code == 400
    assert only_error(response.json()) == UNREADABLE


def test_utf16_witness_request_is_malformed(server: LiveServer) -> None:
    response = post(server.url + WITNESS, "old 0\n\ncheckpoint\n".encode("utf-16"), "text/plain")
    assert (response.status_code, response.text) == (
        400,
        "malformed request: request needs an empty line before the checkpoint\n",
    )


def test_tile_path_with_1500_index_segments_is_a_bad_request(server: LiveServer) -> None:
    path = "/ledgers/land/tile/0/" + "x001/" * 1500 + "000"
    response = httpx.get(server.url + path)
    assert (response.status_code, response.text) == (400, "tile index must have at most 6 groups\n")
    assert_no_traceback(server)


@pytest.mark.parametrize(
    "message",
    [
        "[1]",
        '"subscribe"',
        '{"type": 7}',
        '{"type": "subscribe", "id": "1", "payload": "{ __typename }"}',
        '{"type": "subscribe", "id": "1", "payload": {"query": 5}}',
        '{"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }", "variables": [1]}}',
        '{"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }", "variables": {"n": '
        + HUGE
        + "}}}",
        "[" * 5000,
    ],
    ids=[
        "list",
        "string",
        "numeric-type",
        "string-payload",
        "numeric-query",
        "list-variables",
        "huge",
        "deep",
    ],
)
def test_hostile_websocket_message_closes_with_4400(server: LiveServer, message: str) -> None:
    url = server.url.replace("http://", "ws://") + SUBGRAPH
    with websocket_connect(url, subprotocols=["graphql-transport-ws"], open_timeout=5) as ws:
        ws.send('{"type": "connection_init"}')
        assert json.loads(ws.recv(timeout=5)) == {"type": "connection_ack"}
        ws.send(message)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4400
    assert_no_traceback(server)


@pytest.mark.parametrize(
    ("path", "route"),
    [
        (GATEWAY, GATEWAY),
        (SUBGRAPH, SUBGRAPH),
        (WITNESS, "/ledgers/{name}/witness/add-checkpoint"),
    ],
)
def test_client_leaving_mid_upload_is_a_quiet_499(server: LiveServer, path: str, route: str) -> None:
    before = requests_counted(server, route, 499)
    with connect(server.url) as sock:
        sock.sendall(
            request_head("POST", path, {"Content-Type": "application/json", "Content-Length": "1000"})
        )
        sock.sendall(b'{"query": "' + b"a" * 100)
        time.sleep(0.2)
    deadline = time.monotonic() + 5
    while requests_counted(server, route, 499) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert requests_counted(server, route, 499) == before + 1
    assert requests_counted(server, route, 500) == 0
    assert_no_traceback(server)
    assert "ClientDisconnect" not in server.log_path.read_text()


def test_the_server_log_holds_no_traceback(server: LiveServer) -> None:
    assert_no_traceback(server)
