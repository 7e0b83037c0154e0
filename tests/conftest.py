"""Shared fixtures: the standard vectors in ../shared, temporary data dirs, in-process and real-server apps."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from govgraph.app import build_app
from govgraph.config import Settings
from tests.federation.live import hive_gateway, live_subgraphs  # noqa: F401 (session fixtures)

REPO_ROOT = Path(__file__).resolve().parent.parent
VECTORS_DIR = REPO_ROOT.parent / "shared" / "vectors"
STANDARDS_DIR = REPO_ROOT.parent / "shared" / "standards"


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The standard test vectors (IETF BBS, RFC 9380, RFC 6962/C2SP), read in place from ../shared/vectors."""
    if not VECTORS_DIR.is_dir():
        pytest.fail(f"standard vectors not found at {VECTORS_DIR}: the checkout must sit beside shared/")
    return VECTORS_DIR


@pytest.fixture(scope="session")
def standards_dir() -> Path:
    if not STANDARDS_DIR.is_dir():
        pytest.fail(f"standards data not found at {STANDARDS_DIR}: the checkout must sit beside shared/")
    return STANDARDS_DIR


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app in-process, with its lifespan run (start-up and shutdown)."""
    with TestClient(build_app(settings)) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path


def wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}: {log_path.read_text()}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} not healthy after {timeout}s")


@contextlib.contextmanager
def running_server(data_dir: Path, log_level: str = "info") -> Iterator[LiveServer]:
    """Start the real `govgraph serve` process (uvicorn) over `data_dir` on a free 127.0.0.1 port, wait until it
    is healthy, and stop it (SIGTERM, then SIGKILL after 15 s) on exit. Its output goes to data_dir/server.log."""
    port = free_port()
    env = {
        **os.environ,
        "GOVGRAPH_DATA": str(data_dir),
        "GOVGRAPH_PORT": str(port),
        "GOVGRAPH_HOST": "127.0.0.1",
        "GOVGRAPH_LOG_LEVEL": log_level,
    }
    log_path = data_dir / "server.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "govgraph", "serve"], env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url + "/healthz", process, log_path)
        yield LiveServer(url, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def live_server(data_dir: Path) -> Iterator[LiveServer]:
    """The real `govgraph serve` process on a free 127.0.0.1 port, logging at info level."""
    with running_server(data_dir) as server:
        yield server
