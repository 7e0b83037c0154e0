"""Anchoring through OpenTimestamps calendars, offline: local calendars over real HTTP (uvicorn threads on
127.0.0.1) that answer `POST /digest` as the public ones do, with a pending attestation. The public
calendars and the Bitcoin upgrade cannot be reached from here; the client path up to them is what is tested.
End to end: a server started with GOVGRAPH_OTS_CALENDARS anchors the courts ledger's checkpoint, and
`govgraph evidence inspect-ots` reads the proof against the checkpoint body."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentimestamps.core.notary import PendingAttestation
from opentimestamps.core.op import OpAppend, OpSHA256
from opentimestamps.core.serialize import BytesSerializationContext
from opentimestamps.core.timestamp import Timestamp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govgraph.evidence.anchoring import AnchoringFailed, anchor
from govgraph.evidence.ots import inspect_proof
from govgraph.evidence.receipt import checkpoint_body
from tests.support.credentials import issue_token
from tests.support.servers import UvicornThread, running_server

REPO = Path(__file__).resolve().parents[3]


def calendar_app(name: str, received: list[bytes]) -> Starlette:
    """A calendar that commits to each digest and promises a Bitcoin attestation later (pending)."""

    async def digest(request: Request) -> Response:
        body = await request.body()
        received.append(body)
        timestamp = Timestamp(body)
        committed = timestamp.ops.add(OpAppend(name.encode())).ops.add(OpSHA256())
        committed.attestations.add(PendingAttestation(f"http://{name}.calendar.test"))
        context = BytesSerializationContext()
        timestamp.serialize(context)
        return Response(context.getbytes(), media_type="application/octet-stream")

    async def broken(request: Request) -> Response:
        return Response(b"\xff\x00 not a timestamp", media_type="application/octet-stream")

    return Starlette(
        routes=[Route("/digest", digest, methods=["POST"]), Route("/broken/digest", broken, methods=["POST"])]
    )


@pytest.fixture(scope="module")
def calendars() -> Iterator[tuple[list[str], list[bytes]]]:
    received: list[bytes] = []
    servers = [UvicornThread(calendar_app(name, received)).start() for name in ("alice", "bob")]
    try:
        yield [server.url for server in servers], received
    finally:
        for server in servers:
            server.stop()


def test_a_proof_merges_every_calendars_pending_attestation(calendars: tuple[list[str], list[bytes]]) -> None:
    urls, received = calendars
    received.clear()
    message = b"govgraph.example/courts\n7\nAAAA\n"
    proof = asyncio.run(anchor(message, urls))
    report = inspect_proof(proof, message)
    assert report.digest_matches is True
    assert report.file_digest == hashlib.sha256(message).digest()
    assert report.attestations == [
        {"type": "pending", "uri": "http://alice.calendar.test"},
        {"type": "pending", "uri": "http://bob.calendar.test"},
    ]
    # The calendars saw a salted digest, not the message's.
    assert len(received) == 2 and received[0] == received[1] != hashlib.sha256(message).digest()


def test_calendars_that_fail_are_skipped_down_to_the_minimum(
    calendars: tuple[list[str], list[bytes]],
) -> None:
    urls, _received = calendars
    broken, nowhere = urls[0] + "/broken", "http://127.0.0.1:9"
    proof = asyncio.run(anchor(b"message", [broken, nowhere, urls[1]]))
    assert inspect_proof(proof, b"message").attestations == [
        {"type": "pending", "uri": "http://bob.calendar.test"}
    ]
    with pytest.raises(AnchoringFailed) as refused:
        asyncio.run(anchor(b"message", [broken, nowhere], minimum=1))
    assert str(refused.value) == (
        f"0 of 1 required calendars answered: {broken} answered something that is not a timestamp; "
        f"{nowhere}: ConnectError"
    )


def test_anchoring_is_off_by_default_and_a_configured_server_anchors_its_checkpoints(
    calendars: tuple[list[str], list[bytes]], tmp_path: Path
) -> None:
    urls, _received = calendars
    query = "{ checkpointAnchors { treeSize ots } }"
    for env, anchored in (({}, False), ({"GOVGRAPH_OTS_CALENDARS": ",".join(urls)}, True)):
        data_dir = tmp_path / ("on" if anchored else "off")
        data_dir.mkdir()
        with running_server(data_dir, log_level="warning", env=env) as server:
            token = issue_token(data_dir, "clerk-ines", "clerk:courts")
            notarize = "mutation ($h: Base64!) { notarize(sha256: $h) { receipt } }"
            variables = {"h": base64.b64encode(hashlib.sha256(b"exhibit F").digest()).decode()}
            answer = httpx.post(
                f"{server.url}/graphql",
                json={"query": notarize, "variables": variables},
                headers={"authorization": f"Bearer {token}"},
                timeout=30,
            ).json()
            checkpoint = json.loads(answer["data"]["notarize"]["receipt"])["ledger"]["checkpoint"].encode()
            deadline = time.monotonic() + 10
            while True:
                found = httpx.post(f"{server.url}/graphql", json={"query": query}, timeout=10).json()
                anchors = found["data"]["checkpointAnchors"]
                if anchors or not anchored or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        if not anchored:
            assert anchors == []
            continue
        assert len(anchors) == 1
        proof, body = tmp_path / "checkpoint.ots", tmp_path / "checkpoint.txt"
        proof.write_bytes(base64.b64decode(anchors[0]["ots"]))
        body.write_bytes(checkpoint_body(checkpoint))
        assert body.read_text().split("\n")[1] == anchors[0]["treeSize"]
        command = [
            sys.executable,
            "-m",
            "govgraph",
            "evidence",
            "inspect-ots",
            proof,
            "--data",
            body,
            "--json",
        ]
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["attestations"] == [
            {"type": "pending", "uri": "http://alice.calendar.test"},
            {"type": "pending", "uri": "http://bob.calendar.test"},
        ]
