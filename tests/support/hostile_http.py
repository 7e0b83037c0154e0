"""Hostile HTTP clients for tests and benchmarks: raw sockets sending a request's head or body partly, slowly
or without end, and a /healthz probe measuring how long an ordinary client waits meanwhile."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

HOSTILE_JSON_60KB = b'"' + b'\\"' * 30_000 + b"[" * 130  # an unterminated string of escaped quotes
HOSTILE_JSON_1MB = b'"' + b'\\"' * 499_000 + b"[" * 130  # the same, just under the 1,000,000-byte limit


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def connect(url: str, timeout: float = 10.0) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def request_head(method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_response(sock: socket.socket, timeout: float = 10.0) -> RawResponse | None:
    """One response from `sock` (Content-Length framed), or None when the server closed without one."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawResponse(int(status_line.split(" ")[1]), headers, body[:length])


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """Whether the server closes `sock` within `timeout` seconds (anything it sends first is read away)."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def chunked_upload(
    url: str,
    path: str,
    *,
    limit: int = 300_000_000,
    chunk_size: int = 65_536,
    content_type: str = "application/json",
) -> tuple[RawResponse | None, int]:
    """POST an endless chunked body (up to `limit` bytes) to `path`, stopping as soon as the server answers:
    (the answer, bytes of body sent by then)."""
    chunk = b"a" * chunk_size
    frame = b"%x\r\n" % chunk_size + chunk + b"\r\n"
    head = request_head("POST", path, {"Content-Type": content_type, "Transfer-Encoding": "chunked"})
    with connect(url) as sock:
        sock.sendall(head)
        sent = 0
        while sent < limit:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += chunk_size
        return read_response(sock), sent


def rss_kib(pid: int) -> int:
    """The resident set size of process `pid`, in KiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise LookupError(f"no VmRSS for process {pid}")


@dataclass
class HealthProbe:
    """GET /healthz every `interval` seconds on a new connection, in a thread, while the `with` block runs;
    `latencies` holds each answer's wait (a failure or a non-200 answer counts as infinitely long)."""

    url: str
    interval: float = 0.05
    latencies: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="healthz-probe", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                ok = httpx.get(f"{self.url}/healthz", timeout=2.0).status_code == 200
            except httpx.HTTPError:
                ok = False
            self.latencies.append(time.perf_counter() - started if ok else float("inf"))
            self._stop.wait(self.interval)

    @property
    def worst(self) -> float:
        return max(self.latencies)

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        """Block until at least `count` probes have answered (or failed), or `timeout` seconds passed."""
        deadline = time.perf_counter() + timeout
        while len(self.latencies) < count and time.perf_counter() < deadline:
            time.sleep(0.01)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
