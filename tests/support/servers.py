"""Servers on 127.0.0.1 for tests and benchmarks: ASGI apps in a uvicorn thread, the real `govgraph serve`
process, and Hive Gateway (from docker/gateway's pinned npm project) over a composed supergraph; each started,
waited for until ready, and stopped."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from govgraph.federation.node_composer import GATEWAY_DIR, node_executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path


@contextlib.contextmanager
def running_server(
    data_dir: Path,
    log_level: str = "info",
    *,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] = ("serve",),
    health_path: str = "/healthz",
    preexec_fn: Callable[[], None] | None = None,
    port: int | None = None,
) -> Iterator[LiveServer]:
    """Start the real `govgraph serve` process (uvicorn) over `data_dir` on a free 127.0.0.1 port, wait until
    it is healthy, and stop it (SIGTERM, then SIGKILL after 15 s) on exit. Its output goes to
    data_dir/server.log. `env` adds GOVGRAPH_* settings; `command` runs another server command (e.g.
    `subgraph land --port N`, then GOVGRAPH_PORT is ignored) answering at `health_path`; `{port}` in
    `command` and in `env` values is replaced with the port (`port`, or a free one)."""
    server = start_server(data_dir, log_level, env=env, command=command, preexec_fn=preexec_fn, port=port)
    try:
        wait_until_healthy(server.url + health_path, server.process, server.log_path)
        yield server
    finally:
        stop_server(server)


def start_server(
    data_dir: Path,
    log_level: str = "info",
    *,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] = ("serve",),
    preexec_fn: Callable[[], None] | None = None,
    port: int | None = None,
) -> LiveServer:
    """running_server's process, started and not waited for (start several, then wait for each: they start
    side by side); stop it with stop_server."""
    port = port or free_port()
    environment = {
        **os.environ,
        "GOVGRAPH_DATA": str(data_dir),
        "GOVGRAPH_PORT": str(port),
        "GOVGRAPH_HOST": "127.0.0.1",
        "GOVGRAPH_LOG_LEVEL": log_level,
        **(env or {}),
    }
    arguments = [argument.replace("{port}", str(port)) for argument in command]
    environment = {name: value.replace("{port}", str(port)) for name, value in environment.items()}
    log_path = data_dir / "server.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "govgraph", *arguments],
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec_fn,
        )
    return LiveServer(f"http://127.0.0.1:{port}", process, log_path)


def stop_server(server: LiveServer) -> None:
    """SIGTERM, then SIGKILL after 15 s (a process that already exited is left as it is)."""
    if server.process.poll() is None:
        server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


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
        cls,
        supergraph: Path,
        log_path: Path,
        *,
        port: int | None = None,
        timeout: float = 90.0,
        env: Mapping[str, str] | None = None,
    ) -> HiveGateway:
        """`env` adds variables gateway.config.mjs reads (e.g. GOVGRAPH_TRUSTED_DOCUMENTS)."""
        node = node_executable()
        port = port or free_port()
        env = {**os.environ, "GOVGRAPH_SUPERGRAPH": str(supergraph), "NODE_ENV": "production", **(env or {})}
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


def in_process_server(data_dir: Path) -> UvicornThread:
    """`govgraph serve`'s app on `data_dir` run in this process behind real HTTP on a free port (so a test
    can switch one of its functions off), verifying presentations and ballots in a thread; stop it with
    `.stop()`."""
    from govgraph.app import build_app
    from govgraph.config import Settings

    port = free_port()
    settings = Settings.from_env(
        {
            "GOVGRAPH_DATA": str(data_dir),
            "GOVGRAPH_HOST": "127.0.0.1",
            "GOVGRAPH_PORT": str(port),
            "GOVGRAPH_VERIFY_WORKERS": "0",
        }
    )
    return UvicornThread(build_app(settings), port).start()
