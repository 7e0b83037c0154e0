"""Supergraph composition by the Guild composer, run with Node from the pinned npm project in docker/gateway
(which also holds Hive Gateway): where that project is, whether it can run, and `compose_supergraph`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

GATEWAY_DIR = Path(__file__).resolve().parents[2] / "docker" / "gateway"
GATEWAY_BIN = GATEWAY_DIR / "node_modules" / ".bin" / "hive-gateway"


class GatewayUnavailable(RuntimeError):
    """Node or the gateway's npm packages are missing; the message says what to install."""


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise GatewayUnavailable("node is not on PATH (Node.js >= 20 runs Hive Gateway)")
    if not GATEWAY_BIN.exists():
        raise GatewayUnavailable(f"{GATEWAY_BIN} is missing: run `npm ci` in {GATEWAY_DIR}")
    return node


def compose_supergraph(services: Mapping[str, str], out: Path, *, sdl_dir: Path | None = None) -> str:
    """Compose `services` (name -> subgraph GraphQL URL) into `out` with the Guild composer; returns the SDL.
    With `sdl_dir`, each subgraph's SDL is read from `<sdl_dir>/<name>.graphql` instead of fetched. The
    composer writes `out` atomically."""
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


__all__ = ["GATEWAY_DIR", "GatewayUnavailable", "compose_supergraph", "node_executable"]
