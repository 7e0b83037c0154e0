"""Slow and greedy clients against the real `govgraph serve` process: unfinished heads and bodies are closed
at their deadlines, oversized heads and connections past the cap are refused at once, /healthz keeps
answering within 200 ms meanwhile, and repeated accept errors make one log line, not thousands."""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from govgraph.server import REPEAT_INTERVAL, RepeatedLines, quiet_repeated_lines
from tests.support.hostile_http import HealthProbe, closed_by_server, connect, read_response, request_head
from tests.support.servers import LiveServer, running_server

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.5
MAX_CONNECTIONS = 100
SETTINGS = {
    "GOVGRAPH_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
    "GOVGRAPH_BODY_TIMEOUT": str(BODY_TIMEOUT),
    "GOVGRAPH_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("slow"), env=SETTINGS) as live:
        yield live


def refusal(status: int, code: str, message: str) -> tuple[int, dict]:
    return status, {"errors": [{"message": message, "extensions": {"code": code}}]}


def answer(sock: socket.socket, timeout: float) -> tuple[int, object] | None:
    response = read_response(sock, timeout=timeout)
    return None if response is None else (response.status, response.json())


def test_fifty_unfinished_heads_are_closed_at_the_deadline_while_healthz_answers(server: LiveServer) -> None:
    sockets = [connect(server.url) for _ in range(50)]
    opened = time.monotonic()
    with HealthProbe(server.url) as probe:
        for sock in sockets:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        answers = [answer(sock, timeout=HEADER_TIMEOUT + 2) for sock in sockets]
        waited = time.monotonic() - opened
        closed = [closed_by_server(sock, timeout=1) for sock in sockets]
    for sock in sockets:
        sock.close()
    expected = refusal(408, "REQUEST_TIMEOUT", "The request head did not arrive within 1 s.")
    assert answers == [expected] * 50
    assert closed == [True] * 50
    assert HEADER_TIMEOUT - 0.1 < waited < HEADER_TIMEOUT + 1.0
    assert len(probe.latencies) >= 10 and probe.worst < 0.2, probe.latencies


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(server: LiveServer) -> None:
    with connect(server.url) as sock:
        started = time.monotonic()
        assert read_response(sock, timeout=HEADER_TIMEOUT + 2) is None
        assert time.monotonic() - started < HEADER_TIMEOUT + 1.0


def test_a_head_sent_a_byte_at_a_time_is_closed_at_the_deadline(server: LiveServer) -> None:
    head = request_head("GET", "/healthz", {"X-Padding": "p" * 100})
    with connect(server.url) as sock:
        started = time.monotonic()
        try:
            for byte in head:
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert answer(sock, timeout=2) == refusal(
            408, "REQUEST_TIMEOUT", "The request head did not arrive within 1 s."
        )
        assert time.monotonic() - started < HEADER_TIMEOUT + 1.0


def test_a_kept_alive_connection_has_the_same_deadline_for_its_next_head(server: LiveServer) -> None:
    with connect(server.url) as sock:
        sock.sendall(request_head("GET", "/healthz"))
        first = read_response(sock, timeout=5)
        assert first is not None and first.status == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert answer(sock, timeout=HEADER_TIMEOUT + 2) == refusal(
            408, "REQUEST_TIMEOUT", "The request head did not arrive within 1 s."
        )


@pytest.mark.parametrize("path", ["/graphql", "/subgraphs/land/graphql"])
def test_an_unfinished_body_is_a_408_at_the_deadline(server: LiveServer, path: str) -> None:
    metric = f'govgraph_http_requests_total{{method="POST",route="{path}",status="408"}} 1.0'
    with connect(server.url) as sock:
        sock.sendall(
            request_head("POST", path, {"Content-Type": "application/json", "Content-Length": "100"})
        )
        sock.sendall(b'{"query": "{ __typename ')
        started = time.monotonic()
        assert answer(sock, timeout=BODY_TIMEOUT + 2) == refusal(
            408, "REQUEST_TIMEOUT", "The request body did not arrive within 1.5 s."
        )
        assert BODY_TIMEOUT - 0.1 < time.monotonic() - started < BODY_TIMEOUT + 1.0
    deadline = time.monotonic() + 5
    while metric not in httpx.get(f"{server.url}/metrics").text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert metric in httpx.get(f"{server.url}/metrics").text


def test_a_head_over_64_kib_is_refused(server: LiveServer) -> None:
    with connect(server.url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        try:
            for _ in range(40):
                sock.sendall(b"a" * 8192)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert answer(sock, timeout=5) == refusal(
            431, "HEADERS_TOO_LARGE", "The request line and headers exceed 65536 bytes."
        )


def test_connections_past_the_cap_are_refused_with_a_503(server: LiveServer) -> None:
    time.sleep(0.3)  # the earlier tests' connections are gone
    sockets = [connect(server.url) for _ in range(MAX_CONNECTIONS + 10)]
    try:
        time.sleep(0.3)
        refused = [
            answer(sock, timeout=0.2) if index >= MAX_CONNECTIONS else None
            for index, sock in enumerate(sockets)
        ]
        kept = []
        for sock in sockets[:MAX_CONNECTIONS]:
            sock.setblocking(False)
            try:
                kept.append(sock.recv(65536))
            except BlockingIOError:
                kept.append(None)  # still open, nothing said
    finally:
        for sock in sockets:
            sock.close()
    expected = refusal(503, "SERVICE_UNAVAILABLE", "Too many connections; retry later.")
    assert refused[MAX_CONNECTIONS:] == [expected] * 10
    assert kept == [None] * MAX_CONNECTIONS
    time.sleep(0.3)
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert server.log_path.read_text().count("connection limit reached") == 1  # not one line per refusal


def test_the_cap_stays_below_the_descriptor_limit(tmp_path_factory: pytest.TempPathFactory) -> None:
    def low_descriptor_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    data_dir = tmp_path_factory.mktemp("descriptors")
    with running_server(data_dir, preexec_fn=low_descriptor_limit) as live:
        sockets = []
        try:
            for _ in range(300):  # more than the process may open: without the cap, accept() would fail
                sockets.append(connect(live.url))
            time.sleep(0.5)
            for sock in sockets:
                sock.close()
            time.sleep(0.3)
            assert httpx.get(f"{live.url}/healthz", timeout=2).status_code == 200
        finally:
            for sock in sockets:
                sock.close()
        log = live.log_path.read_text()
    # 256 descriptors - 64 kept aside - 4 event-loop turns of a 32-connection backlog
    assert "GOVGRAPH_MAX_CONNECTIONS=1000 lowered to 64: the descriptor limit is 256" in log
    assert "out of system resource" not in log and "Too many open files" not in log
    assert "Traceback" not in log
    assert log.count("connection limit reached") == 1


def test_repeated_accept_errors_make_one_line_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    quiet_repeated_lines()
    loop = asyncio.new_event_loop()
    try:
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            for _ in range(2048):  # one accept loop's worth of failures (Python 3.11 logs each)
                loop.call_exception_handler(
                    {
                        "message": "socket.accept() out of system resource",
                        "exception": OSError(errno.EMFILE, "Too many open files"),
                    }
                )
    finally:
        loop.close()
    lines = [record.getMessage() for record in caplog.records if record.name == "asyncio"]
    assert lines == ["socket.accept() out of system resource: [Errno 24] Too many open files"]


def test_a_repeated_line_comes_back_after_the_interval_with_the_count() -> None:
    repeated = RepeatedLines(("socket.accept() out of system resource",), interval=REPEAT_INTERVAL)
    records = [
        logging.LogRecord(
            "asyncio", logging.ERROR, __file__, 1, "socket.accept() out of system resource", (), None
        )
        for _ in range(4)
    ]
    passed = [repeated.filter(record) for record in records[:3]]
    repeated._last = {kind: moment - REPEAT_INTERVAL for kind, moment in repeated._last.items()}
    assert passed + [repeated.filter(records[3])] == [True, False, False, True]
    assert (
        records[3].getMessage() == "socket.accept() out of system resource (2 more since the last such line)"
    )
    other = logging.LogRecord("asyncio", logging.ERROR, __file__, 1, "Task was destroyed", (), None)
    assert repeated.filter(other) and other.getMessage() == "Task was destroyed"
