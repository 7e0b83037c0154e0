"""`govgraph wallet ui` as its own process: it serves the wallet page on 127.0.0.1 at the port asked, prints
the address and an access code (never in the address), and the code unlocks the page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.govgraph.web.wallet_ui.conftest import csrf_of
from tests.support.servers import free_port


def test_the_command_prints_an_access_code_that_unlocks_the_page(tmp_path: Path) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GOVGRAPH_")}
    command = [sys.executable, "-m", "govgraph", "wallet", "ui", "--port", str(port)]
    command += ["--wallet", str(tmp_path / "wallet.json"), "--service", "http://127.0.0.1:9"]
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline()
        found = re.fullmatch(rf"Your wallet: http://127\.0\.0\.1:{port}/  \(access code: (\S+)\)\n", line)
        assert found, line
        deadline = time.monotonic() + 20
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            while True:
                try:
                    page = client.get("/")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the wallet page did not start"
                    time.sleep(0.1)
            assert "Unlock your wallet" in page.text
            answer = client.post(
                "/login", data={"csrf_token": csrf_of(page.text), "next": "/", "code": found.group(1)}
            )
            assert answer.status_code == 303
            assert "You hold no credential yet." in client.get("/").text
            booth = client.get("/booth/e1")  # nothing listens at the service's address
            assert booth.status_code == 404
            assert "Check that the service is running and its address is right" in booth.text
    finally:
        process.terminate()
        process.wait(timeout=15)
