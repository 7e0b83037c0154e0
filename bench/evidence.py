"""Evidence notarization through /graphql over HTTP: a real `govgraph serve` (SQLite, ledgers sequenced and
cosigned in-process, the embedded RFC 3161 TSA) taking authenticated `notarize` mutations.

    python -m bench.evidence            # full run
    python -m bench.evidence --quick    # short run
    python -m bench.evidence --json     # the same figures as one JSON object

`notarize` answers only once a signed, cosigned checkpoint covers the entry and that checkpoint carries its
RFC 3161 token (one token per checkpoint, see docs/evidence.md), so its latency includes waiting for the
sequencer. Reference, same server, same run: `registerParcel`, a plain write-path append that answers as
soon as the entry is durable. Both from 32 keep-alive clients (closed loop). Also: the CPU cost of one
token from the embedded TSA, i.e. what per-entry tokens would add to each notarization.

Issue 19's second figure runs after it: welfare claims per second at c=8 (presentation verify + pseudonym
check + append), against the bare verification of the same presentations (bench/welfare.py, also runnable
alone).

Targets (2 cores): >= 500 notarizations/s at c=32, tokens included; >= 100 welfare claims/s at c=8."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from bench import welfare
from bench.harness import Column, Connection, arguments, cpu_median_ms, load_seconds, report, table_lines
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import Settings
from govgraph.evidence.authority import load_or_create_authority
from tests.support.servers import running_server

NOTARIZE = (
    'mutation ($sha256: Base64!) { notarize(sha256: $sha256, mediaType: "application/pdf") '
    "{ notarization { index } checkpointSize } }"
)
REGISTER = (
    "mutation ($input: RegisterParcelInput!) { registerParcel(input: $input) { id ledgerEntry { index } } }"
)
CONCURRENCY = 32
TARGET = 500.0


def notarize_body(number: int) -> bytes:
    digest = hashlib.sha256(f"bench exhibit {number}".encode()).digest()
    return json.dumps(
        {"query": NOTARIZE, "variables": {"sha256": base64.b64encode(digest).decode()}}
    ).encode()


def register_body(number: int) -> bytes:
    parcel = {"id": f"bench-{number}", "area": 250.0, "locality": "Eastgate", "owner": "cit_5b0e2f7c1a9d4e83"}
    return json.dumps({"query": REGISTER, "variables": {"input": parcel}}).encode()


async def closed_loop(url: str, token: str, make_body, duration: float, warmup: float) -> dict:
    """CONCURRENCY clients, each sending its next mutation when the last is answered."""
    numbers = itertools.count()
    connections = [
        Connection(f"{url}/graphql", b"", {"Authorization": f"Bearer {token}"}) for _ in range(CONCURRENCY)
    ]
    latencies: list[float] = []
    checkpoints: set[int] = set()
    started = time.perf_counter() + warmup
    until = started + duration

    async def client(connection: Connection) -> None:
        while (sent := time.perf_counter()) < until:
            answer = json.loads(await connection.post(make_body(next(numbers))))
            if "errors" in answer:
                raise RuntimeError(f"mutation refused: {answer['errors'][0]}")
            if sent >= started:
                latencies.append(time.perf_counter() - sent)
                size = answer["data"].get("notarize", {}).get("checkpointSize")
                if size is not None:
                    checkpoints.add(int(size))

    try:
        await asyncio.gather(*(client(connection) for connection in connections))
    finally:
        for connection in connections:
            connection.close()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "mutations": len(latencies),
        "per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000,
        "checkpoints": len(checkpoints) or None,  # distinct time-stamped checkpoints the answers named
    }


def run(quick: bool) -> dict:
    duration, warmup = load_seconds(quick)
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as directory:
        data_dir = Path(directory)
        settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
        with running_server(data_dir, log_level="warning") as server:
            issuer = EmbeddedIssuer.load_or_create(
                settings.auth_issuer_key_path, issuer=settings.token_issuer, audience=settings.token_audience
            )
            token = issuer.issue("bench-clerk", ["clerk:courts", "clerk:land"])
            notarized = asyncio.run(closed_loop(server.url, token, notarize_body, duration, warmup))
            plain = asyncio.run(closed_loop(server.url, token, register_body, duration, warmup))
        authority = load_or_create_authority(data_dir / "bench-tsa")
    digest = hashlib.sha256(b"checkpoint body").digest()
    token_ms = cpu_median_ms(lambda: authority.timestamp(digest, nonce=1), 50 if quick else 500)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "quick": quick,
        "concurrency": CONCURRENCY,
        "notarize": notarized,
        "register_parcel": plain,
        "ratio": notarized["per_s"] / plain["per_s"],
        "token_cpu_ms": token_ms,
        "target_per_s": TARGET,
        "welfare": welfare.run(quick),
    }


def table(result: dict) -> str:
    columns = [
        Column("mutation (c=32)", 34, align="<"),
        Column("per s", 8, ".0f"),
        Column("vs ref", 7, ".2f", suffix="x"),
        Column("p50 ms", 8, ".1f"),
        Column("p95 ms", 8, ".1f"),
        Column("tokens", 7),
    ]
    reference = result["register_parcel"]["per_s"]
    rows = [
        (
            name,
            figures["per_s"],
            figures["per_s"] / reference,
            figures["p50_ms"],
            figures["p95_ms"],
            figures["checkpoints"],
        )
        for name, figures in (
            ("notarize (receipt + RFC 3161)", result["notarize"]),
            ("registerParcel (reference)", result["register_parcel"]),
        )
    ]
    lines = [
        f"Evidence notarization through /graphql ({result['machine']}{', quick' if result['quick'] else ''})"
    ]
    lines += table_lines(columns, rows, rule=True)
    lines.append(
        f"\nOne token from the embedded TSA: {result['token_cpu_ms']:.3f} ms CPU (once per checkpoint: "
        f"{result['notarize']['checkpoints']} tokens for {result['notarize']['mutations']} notarizations)."
    )
    met = "met" if result["notarize"]["per_s"] >= result["target_per_s"] else "NOT met"
    lines.append(f"Target >= {result['target_per_s']:.0f} notarizations/s at c=32: {met}.")
    lines += ["", welfare.table(result["welfare"])]
    return "\n".join(lines)


def main() -> None:
    options = arguments(__doc__).parse_args()
    report(run(options.quick), options.json, table)


if __name__ == "__main__":
    main()
