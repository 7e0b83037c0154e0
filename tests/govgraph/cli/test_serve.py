"""`govgraph subgraph <agency>` serves one agency alone as a real process; `govgraph serve` mounts the
agencies at /subgraphs/<agency>/graphql."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from govgraph.agencies.registry import standard_agencies
from govgraph.cli import app
from tests.support.servers import free_port, wait_until_healthy


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
