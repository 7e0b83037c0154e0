"""Subgraphs and Hive Gateway on 127.0.0.1 for tests, benchmarks and local runs: start, wait ready, stop.

The gateway is the pinned npm project in docker/gateway; composition goes through its compose.mjs (the
Guild composer), which writes the supergraph atomically before the gateway is started on it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

GATEWAY_DIR = Path(__file__).resolve().parents[2] / "docker" / "gateway"
GATEWAY_BIN = GATEWAY_DIR / "node_modules" / ".bin" / "hive-gateway"


class GatewayUnavailable(RuntimeError):
    """Node or the gateway's npm packages are missing; the message says what to install."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise GatewayUnavailable("node is not on PATH (Node.js >= 20 runs Hive Gateway)")
    if not GATEWAY_BIN.exists():
        raise GatewayUnavailable(f"{GATEWAY_BIN} is missing: run `npm ci` in {GATEWAY_DIR}")
    return node


class UvicornThread:
    """An ASGI app served by uvicorn in a background thread (its own event loop) on a free port."""

    def __init__(self, app, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="auto", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> UvicornThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def compose_supergraph(services: Mapping[str, str], out: Path, *, sdl_dir: Path | None = None) -> str:
    """Compose `services` (name -> subgraph GraphQL URL) into `out` with the Guild composer; returns the SDL.
    With `sdl_dir`, each subgraph's SDL is read from `<sdl_dir>/<name>.graphql` instead of fetched."""
    node = node_executable()
    out = out.resolve()
    command = [node, str(GATEWAY_DIR / "compose.mjs"), "--out", str(out)]
    if sdl_dir is not None:
        command += ["--sdl-dir", str(sdl_dir.resolve())]
    command += [f"{name}={url}" for name, url in services.items()]
    completed = subprocess.run(command, cwd=GATEWAY_DIR, capture_output=True, text=True, timeout=120)
    if completed.returncode != 0:
        raise RuntimeError(f"composition failed:\n{completed.stderr.strip()}")
    return out.read_text()


@dataclass
class HiveGateway:
    """A running Hive Gateway process (Rust query planner) serving one supergraph file."""

    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @classmethod
    def start(
        cls, supergraph: Path, log_path: Path, *, port: int | None = None, timeout: float = 90.0
    ) -> HiveGateway:
        node = node_executable()
        port = port or free_port()
        env = {**os.environ, "GOVGRAPH_SUPERGRAPH": str(supergraph), "NODE_ENV": "production"}
        with log_path.open("w") as log_file:
            process = subprocess.Popen(
                [
                    node,
                    str(GATEWAY_DIR / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js"),
                    "supergraph",
                    str(supergraph),
                    "--config-path",
                    str(GATEWAY_DIR / "gateway.config.mjs"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                cwd=GATEWAY_DIR,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        gateway = cls(process, port, log_path)
        gateway.wait_ready(timeout)
        return gateway

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        readiness = f"http://127.0.0.1:{self.port}/readiness"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"Hive Gateway exited with {self.process.returncode}:\n{self.log_path.read_text()}"
                )
            try:
                if httpx.get(readiness, timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Hive Gateway not ready after {timeout}s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
