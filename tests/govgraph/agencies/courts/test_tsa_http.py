"""The embedded TSA over real HTTP (`POST /tsa`, `GET /tsa/chain.pem` on a real `govgraph serve`): Debian's
`openssl ts -query` builds the query, curl posts it as application/timestamp-query, and `openssl ts -verify`
accepts the reply against the root from /tsa/chain.pem, for the data and for the query; queries the TSA
cannot grant get an RFC 3161 rejection with the right failInfo (read by `openssl ts -reply -text`), and HTTP
misuse gets 415/413/405, never a 500."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.support.servers import LiveServer, running_server

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("openssl") is None or shutil.which("curl") is None, reason="openssl and curl are needed"
    ),
]
EXHIBIT = b"%PDF-1.7 exhibit T: the stamped contract"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("tsa-http")
    with running_server(data_dir, log_level="warning") as live:
        yield live
        log = live.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]


def run(*command: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=60)


def stamp(server: LiveServer, query: Path, reply: Path) -> None:
    """`curl --data-binary @query` to /tsa, the reply saved: what the docs tell a user to run."""
    done = run(
        "curl", "-sS", "--fail-with-body", "-H", "Content-Type: application/timestamp-query",
        "--data-binary", f"@{query}", "-o", reply, "-w", "%{http_code} %{content_type}",
        f"{server.url}/tsa",
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "200 application/timestamp-reply"), done.stderr


def reply_text(reply: Path) -> str:
    done = run("openssl", "ts", "-reply", "-in", reply, "-text")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_openssl_query_curl_and_openssl_verify(server: LiveServer, tmp_path: Path) -> None:
    chain = httpx.get(f"{server.url}/tsa/chain.pem", timeout=30)
    assert chain.status_code == 200 and chain.headers["content-type"] == "application/pem-certificate-chain"
    tsa, root = x509.load_pem_x509_certificates(chain.content)
    assert root.subject == tsa.issuer == root.issuer  # the TSA certificate, then its self-signed root
    (tmp_path / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "exhibit.pdf").write_bytes(EXHIBIT)
    query = tmp_path / "exhibit.tsq"
    made = run(
        "openssl", "ts", "-query", "-data", tmp_path / "exhibit.pdf", "-sha256", "-cert", "-out", query
    )
    assert made.returncode == 0, made.stderr

    stamp(server, query, tmp_path / "exhibit.tsr")

    text = reply_text(tmp_path / "exhibit.tsr")
    assert "Status: Granted." in text and "Policy OID: 1.3.6.1.4.1.57264.999.1" in text
    for source in (["-data", tmp_path / "exhibit.pdf"], ["-queryfile", query]):
        verified = run(
            "openssl", "ts", "-verify", "-in", tmp_path / "exhibit.tsr", *source,
            "-CAfile", tmp_path / "root.pem",
        )  # fmt: skip
        assert (verified.returncode, verified.stdout.strip()) == (0, "Verification: OK"), verified.stderr
    (tmp_path / "other.pdf").write_bytes(EXHIBIT + b" (altered)")
    refused = run(
        "openssl", "ts", "-verify", "-in", tmp_path / "exhibit.tsr", "-data", tmp_path / "other.pdf",
        "-CAfile", tmp_path / "root.pem",
    )  # fmt: skip
    assert refused.returncode == 1 and "message imprint mismatch" in refused.stderr


@pytest.mark.parametrize(
    ("options", "failure", "description"),
    [
        (
            ["-sha1"],
            "unrecognized or unsupported algorithm identifier",
            "the message imprint must be SHA-256, SHA-384 or SHA-512",
        ),
        (
            ["-sha256", "-tspolicy", "1.2.3.4"],
            "the requested TSA policy is not supported by the TSA",
            "this TSA issues tokens under policy 1.3.6.1.4.1.57264.999.1 only",
        ),
    ],
)
def test_a_query_the_tsa_cannot_grant_gets_an_rfc_3161_rejection(
    server: LiveServer, tmp_path: Path, options: list[str], failure: str, description: str
) -> None:
    (tmp_path / "exhibit.pdf").write_bytes(EXHIBIT)
    query = tmp_path / "exhibit.tsq"
    assert (
        run("openssl", "ts", "-query", "-data", tmp_path / "exhibit.pdf", *options, "-out", query).returncode
        == 0
    )
    stamp(server, query, tmp_path / "refused.tsr")
    text = reply_text(tmp_path / "refused.tsr")
    assert "Status: Rejected." in text and f"Failure info: {failure}\n" in text, text
    assert f"Status description: {description}\n" in text


def test_bytes_that_are_no_query_get_a_bad_data_format_rejection(server: LiveServer, tmp_path: Path) -> None:
    (tmp_path / "garbage.tsq").write_bytes(b"\x30\x03\x02\x01")
    stamp(server, tmp_path / "garbage.tsq", tmp_path / "garbage.tsr")
    text = reply_text(tmp_path / "garbage.tsr")
    assert "Status: Rejected." in text and "Failure info: the data submitted has the wrong format\n" in text


def test_http_misuse_is_refused_with_its_status(server: LiveServer) -> None:
    url = f"{server.url}/tsa"
    wrong_type = httpx.post(url, content=b"0", headers={"Content-Type": "application/json"}, timeout=30)
    assert (wrong_type.status_code, wrong_type.json()["error"]) == (415, "unsupported_media_type")
    big = httpx.post(
        url, content=b"0" * 9000, headers={"Content-Type": "application/timestamp-query"}, timeout=30
    )
    assert (big.status_code, big.json()["error"]) == (413, "payload_too_large")
    assert httpx.get(url, timeout=30).status_code == 405


def test_the_courts_subgraph_served_alone_serves_its_tsa(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (tmp_path / "exhibit.pdf").write_bytes(EXHIBIT)
    query = tmp_path / "exhibit.tsq"
    made = run(
        "openssl", "ts", "-query", "-data", tmp_path / "exhibit.pdf", "-sha512", "-cert", "-out", query
    )
    assert made.returncode == 0, made.stderr
    command = ("subgraph", "courts", "--port", "{port}")
    with running_server(data_dir, log_level="warning", command=command) as courts:
        stamp(courts, query, tmp_path / "exhibit.tsr")
    verified = run(
        "openssl", "ts", "-verify", "-in", tmp_path / "exhibit.tsr", "-queryfile", query,
        "-CAfile", data_dir / "tsa" / "root.pem",
    )  # fmt: skip
    assert (verified.returncode, verified.stdout.strip()) == (0, "Verification: OK"), verified.stderr
