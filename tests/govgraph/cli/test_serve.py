"""`govgraph subgraph <agency>` serves one agency alone as a real process; `govgraph serve` mounts the
agencies at /subgraphs/<agency>/graphql."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from govgraph.agencies.registry import standard_agencies
from govgraph.cli import app
from govgraph.cli.serve import shared_socket
from tests.support.servers import free_port, running_server, wait_until_healthy


@pytest.mark.e2e
def test_subgraph_command_serves_land_alone(data_dir: Path) -> None:
    port = free_port()
    log_path = data_dir / "subgraph.log"
    env = {**os.environ, "GOVGRAPH_DATA": str(data_dir), "GOVGRAPH_LOG_LEVEL": "warning"}
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "govgraph", "subgraph", "land", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/readiness", process, log_path)
        body = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": '{ parcel(id: "parcel-0002") { area owner { id } } }'},
        ).json()
        assert body == {"data": {"parcel": {"area": 1200.0, "owner": {"id": "cit_5b0e2f7c1a9d4e83"}}}}
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_subgraph_command_refuses_an_unknown_agency() -> None:
    result = CliRunner().invoke(app, ["subgraph", "treasury"])
    assert result.exit_code == 2
    known = ", ".join(agency.name for agency in standard_agencies())
    assert known.startswith("identity, land, ledger")
    assert result.output == f"govgraph: unknown agency 'treasury' (known: {known})\n"


@pytest.mark.e2e
def test_serve_mounts_the_agency_subgraphs(live_server) -> None:
    body = httpx.post(
        f"{live_server.url}/subgraphs/identity/graphql",
        json={"query": '{ agency(id: "land-registry") { name } }'},
    ).json()
    assert body == {"data": {"agency": {"name": "Land Registry"}}}


def test_two_processes_share_one_port_with_reuse_port(tmp_path: Path) -> None:
    """GOVGRAPH_REUSE_PORT: a second `govgraph subgraph land` binds the port the first holds (without it:
    address in use), and the kernel hands each new connection to one of them; stopping one leaves the other
    answering."""
    port = free_port()
    env = {"GOVGRAPH_REUSE_PORT": "true"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with running_server(tmp_path / "a", env=env, command=("subgraph", "land", "--port", "{port}"), port=port):
        with running_server(
            tmp_path / "b", env=env, command=("subgraph", "land", "--port", "{port}"), port=port
        ) as second:
            assert second.process.poll() is None
            answers = [
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code for _ in range(8)
            ]
            assert answers == [200] * 8
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200


def test_the_shared_socket_s_connections_send_without_waiting_for_acknowledgements() -> None:
    """GOVGRAPH_REUSE_PORT's listening socket is a TCP socket (IPPROTO_TCP) with TCP_NODELAY, which its
    connections inherit: made with protocol 0, asyncio left Nagle's algorithm on for them, and a response
    written as head then body waited for the client's delayed acknowledgement, about 40 ms a request."""
    listener = shared_socket("127.0.0.1", free_port(), 8)
    with listener, socket.create_connection(listener.getsockname(), timeout=5):
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.proto == socket.IPPROTO_TCP  # asyncio's own test before it sets TCP_NODELAY
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
