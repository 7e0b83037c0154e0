"""Graceful shutdown of the real `govgraph serve`: on SIGTERM it stops accepting connections, finishes the
requests already in flight (here one whose body is still arriving), then exits by that signal."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.support.servers import running_server

QUERY = json.dumps({"query": "{ __typename }"}).encode()


def test_sigterm_mid_request_lets_the_request_finish_then_exits(data_dir: Path):
    with running_server(data_dir, log_level="warning") as server:
        port = int(server.url.rpartition(":")[2])
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        head = (
            f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(QUERY)}\r\n\r\n"
        ).encode()
        connection.sendall(head + QUERY[:10])
        time.sleep(0.3)  # the server has the request's head: it is in flight
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.process.poll() is None, "the server exited with a request in flight"
        with pytest.raises(ConnectionRefusedError):  # no new connections once shutting down
            socket.create_connection(("127.0.0.1", port), timeout=2)
        connection.sendall(QUERY[10:])
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        connection.close()
        status, _, rest = answer.partition(b"\r\n")
        assert status == b"HTTP/1.1 200 OK"
        assert json.loads(rest.partition(b"\r\n\r\n")[2]) == {"data": {"__typename": "Query"}}
        # uvicorn shuts down, then re-raises the signal it caught, as service managers expect
        assert server.process.wait(timeout=10) == -signal.SIGTERM
        assert "Traceback" not in server.log_path.read_text()
