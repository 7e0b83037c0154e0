"""Evidence notarization end to end: a real `govgraph serve` process, `notarize` through /graphql with tokens
from its embedded issuer, receipts checked offline by `govgraph evidence verify` and the RFC 3161 token by
Debian's `openssl ts -verify`; roles, typed refusals that append nothing, idempotent retries, concurrent
notarizations sharing one token per checkpoint, and an external TSA named by GOVGRAPH_TSA_URL."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from govgraph.evidence.authority import load_or_create_authority
from govgraph.evidence.receipt import EvidenceReceipt, checkpoint_body
from govgraph.evidence.timestampers import tsa_app
from govgraph.evidence.timestamps import Trust, read_certificates, read_response, verify_timestamp
from tests.support.credentials import issue_token
from tests.support.mutations import ledger_sizes
from tests.support.servers import LiveServer, UvicornThread, free_port, running_server

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[4]
NOTARIZE = """mutation ($sha256: Base64!, $mediaType: String, $caseRef: String, $key: String) {
  notarize(sha256: $sha256, mediaType: $mediaType, caseRef: $caseRef, idempotencyKey: $key) {
    notarization { index sha256 mediaType caseRef notarizedAt ledgerEntry { ledger index } }
    receipt checkpointSize timestampToken timestampedAt } }"""
EXHIBIT = b"%PDF-1.7 exhibit A: the signed lease"


def digest(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


@dataclass
class Court:
    server: LiveServer
    data_dir: Path
    clerk: str
    service: str  # a service:* client

    def post(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.server.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def sizes(self) -> dict[str, int]:
        return ledger_sizes(self.data_dir / "govgraph.db")

    def vkey(self, label: str) -> str:
        return (self.data_dir / "keys" / f"{label}.vkey").read_text().strip()


@pytest.fixture(scope="module")
def court(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Court]:
    data_dir = tmp_path_factory.mktemp("courts")
    with running_server(data_dir, log_level="warning") as server:
        yield Court(
            server,
            data_dir,
            issue_token(data_dir, "clerk-ines", "clerk:courts"),
            issue_token(data_dir, "intake-bot", "service:court-intake"),
        )
        log = server.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]


def only_error(body: dict) -> tuple[str, str]:
    assert body.get("data") is None and len(body["errors"]) == 1, body
    return body["errors"][0]["extensions"]["code"], body["errors"][0]["message"]


def evidence(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "govgraph", "evidence", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO, check=False)


def test_a_clerk_notarizes_a_hash_and_the_receipt_verifies_offline(court: Court, tmp_path: Path) -> None:
    before = court.sizes()["courts"]
    variables = {"sha256": digest(EXHIBIT), "mediaType": "Application/PDF", "caseRef": "CV-2026-0042"}
    answer = court.post(NOTARIZE, variables, court.clerk)["data"]["notarize"]
    record = answer["notarization"]
    assert record["index"] == str(before)
    assert (record["sha256"], record["mediaType"], record["caseRef"]) == (
        digest(EXHIBIT),
        "application/pdf",
        "CV-2026-0042",
    )
    assert record["ledgerEntry"] == {"ledger": "courts", "index": str(before)}
    assert court.sizes()["courts"] == before + 1
    receipt = EvidenceReceipt.from_json(answer["receipt"])
    assert int(answer["checkpointSize"]) == receipt.ledger.tree_size > before
    assert base64.b64decode(answer["timestampToken"]) == receipt.token
    # The entry holds the hash, the media type, the case and who acted (a keyed hash), never the document.
    entry = json.loads(receipt.ledger.entry)
    assert set(entry) == {"type", "actor", "time", "sha256", "mediaType", "caseRef"}
    assert entry["type"] == "govgraph.courts.EvidenceNotarized/v1"
    assert entry["actor"]["role"] == "clerk:courts" and entry["actor"]["id"] != "clerk-ines"
    assert entry["time"] == record["notarizedAt"]

    saved, document = tmp_path / "receipt.json", tmp_path / "lease.pdf"
    saved.write_text(answer["receipt"])
    document.write_bytes(EXHIBIT)
    trust = [
        "--vkey", court.vkey("courts"),
        "--witness-vkey", court.vkey("identity.witness"),
        "--witness-vkey", court.vkey("land.witness"),
        "--quorum", "2",
        "--tsa-chain", court.data_dir / "tsa" / "root.pem",
    ]  # fmt: skip
    done = evidence("verify", saved, "--data", document, *trust)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert (
        lines[0]
        == f"OK    The file's SHA-256 ({hashlib.sha256(EXHIBIT).hexdigest()}) is the hash the entry records."
    )
    assert lines[1] == "OK    The checkpoint is signed by the log key govgraph.example/courts."
    assert lines[2].startswith("OK    2 witness(es) cosigned it (")
    assert lines[3].startswith(
        f"OK    Entry {before} is in the log's tree of size {receipt.ledger.tree_size} (root "
    )
    assert lines[4] == (
        f"OK    The checkpoint was time-stamped at {answer['timestampedAt']} by a TSA certificate that "
        "chains to the trusted root (RFC 3161 token, signature valid at that time): the entry existed then."
    )
    assert lines[5:] == ["The receipt is valid."]
    # Another file: the hash finding fails, the rest still holds, exit 1.
    document.write_bytes(EXHIBIT + b" (amended)")
    changed = evidence("verify", saved, "--data", document, *trust)
    assert changed.returncode == 1
    assert changed.stdout.splitlines()[0].startswith("FAIL  The file's SHA-256 (")
    assert changed.stdout.splitlines()[-1] == "The receipt is NOT valid."
    # A receipt whose entry was altered (another hash recorded) is not in the tree: the proof fails.
    document.write_bytes(EXHIBIT)
    forged = json.loads(answer["receipt"])
    entry["sha256"] = digest(EXHIBIT + b" (amended)")
    forged["ledger"]["entry"] = base64.b64encode(json.dumps(entry).encode()).decode()
    saved.write_text(json.dumps(forged))
    document.write_bytes(EXHIBIT + b" (amended)")
    altered = evidence("verify", saved, "--data", document, *trust)
    assert altered.returncode == 1
    assert altered.stdout.splitlines()[0].startswith("OK    The file's SHA-256")
    assert altered.stdout.splitlines()[3].startswith(
        f"FAIL  Entry {before} is NOT proven to be in the log's tree"
    )
    # A root that did not issue the TSA's certificate: the token finding fails.
    saved.write_text(answer["receipt"])
    document.write_bytes(EXHIBIT)
    stranger = load_or_create_authority(tmp_path / "another-tsa")
    other_root = tmp_path / "other-root.pem"
    other_root.write_bytes(stranger.chain_pem())
    untrusted = evidence("verify", saved, "--data", document, *trust[:-1], other_root)
    assert untrusted.returncode == 1
    assert untrusted.stdout.splitlines()[4] == (
        "FAIL  The time-stamp token over the checkpoint does NOT verify: the signer's certificate does not "
        "chain to a given trust anchor at genTime (unable to get local issuer certificate)."
    )
    # A receipt that does not parse is unreadable: exit 2.
    saved.write_text(answer["receipt"][:-5])
    assert evidence("verify", saved, "--data", document, *trust).returncode == 2


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl binary is needed")
def test_openssl_accepts_the_receipts_token_over_the_checkpoint_body(court: Court, tmp_path: Path) -> None:
    answer = court.post(NOTARIZE, {"sha256": digest(b"exhibit B")}, court.clerk)["data"]["notarize"]
    receipt = EvidenceReceipt.from_json(answer["receipt"])
    token, body = tmp_path / "checkpoint.tsr", tmp_path / "checkpoint.txt"
    token.write_bytes(receipt.token)
    body.write_bytes(checkpoint_body(receipt.ledger.checkpoint))
    assert body.read_text().startswith(f"govgraph.example/courts\n{receipt.ledger.tree_size}\n")
    tsa = court.data_dir / "tsa"
    command = ["openssl", "ts", "-verify", "-in", token, "-data", body, "-CAfile", tsa / "root.pem"]
    checked = subprocess.run(
        [*command, "-untrusted", tsa / "tsa.pem"], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
    # The same with the chain the service publishes, through `govgraph evidence verify-timestamp`.
    published = court.post("{ timestampAuthority { certificates } }")["data"]["timestampAuthority"][
        "certificates"
    ]
    assert published == [(tsa / "tsa.pem").read_text(), (tsa / "root.pem").read_text()]
    chain = tmp_path / "chain.pem"
    chain.write_text("".join(published))
    done = evidence("verify-timestamp", token, "--data", body, "--chain", chain, "--json")
    assert (done.returncode, json.loads(done.stdout)["valid"]) == (0, True)


def test_a_service_client_may_notarize_and_other_roles_may_not(court: Court) -> None:
    answer = court.post(NOTARIZE, {"sha256": digest(b"filed by a system")}, court.service)["data"]["notarize"]
    entry = json.loads(EvidenceReceipt.from_json(answer["receipt"]).ledger.entry)
    assert entry["actor"]["role"] == "service:court-intake"
    assert "mediaType" not in entry and "caseRef" not in entry
    before = court.sizes()
    land_clerk = issue_token(court.data_dir, "clerk-lars", "clerk:land", "official:courts")
    assert only_error(court.post(NOTARIZE, {"sha256": digest(b"x")}, land_clerk)) == (
        "FORBIDDEN",
        "this operation requires the role clerk:courts or service:*",
    )
    assert only_error(court.post(NOTARIZE, {"sha256": digest(b"x")})) == (
        "UNAUTHENTICATED",
        "authentication required: send a bearer token or an API key",
    )
    assert court.sizes() == before


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"sha256": base64.b64encode(bytes(31)).decode()},
            "`sha256` must be the 32 bytes of a SHA-256 hash, not 31.",
        ),
        (
            {"sha256": "not base64!"},
            "Variable '$sha256' has invalid value: Base64 must be standard, padded RFC 4648 base64.",
        ),
        (
            {"sha256": digest(b"a"), "mediaType": "pdf"},
            "`mediaType` must be a media type such as application/pdf (RFC 6838), no parameters.",
        ),
        (
            {"sha256": digest(b"a"), "mediaType": "text/plain; charset=utf-8"},
            "`mediaType` must be a media type such as application/pdf (RFC 6838), no parameters.",
        ),
        (
            {"sha256": digest(b"a"), "caseRef": "CV 2026"},
            "`caseRef` must be 1..64 characters: letters, digits and . _ / : - (not first).",
        ),
        (
            {"sha256": digest(b"a"), "caseRef": "C" * 65},
            "`caseRef` must be 1..64 characters: letters, digits and . _ / : - (not first).",
        ),
        (
            {"sha256": digest(b"a"), "key": "two words"},
            "An idempotency key is 1..128 printable ASCII characters without spaces.",
        ),
    ],
)
def test_bad_input_is_a_typed_error_and_appends_nothing(court: Court, variables: dict, message: str) -> None:
    before = court.sizes()
    assert only_error(court.post(NOTARIZE, variables, court.clerk)) == ("BAD_USER_INPUT", message)
    assert court.sizes() == before


def test_a_retry_with_the_same_key_returns_the_first_notarization(court: Court) -> None:
    variables = {"sha256": digest(b"exhibit C"), "caseRef": "CR-7", "key": "filing-7"}
    first = court.post(NOTARIZE, variables, court.clerk)["data"]["notarize"]
    after_first = court.sizes()
    again = court.post(NOTARIZE, variables, court.clerk)["data"]["notarize"]
    assert again["notarization"] == first["notarization"]
    assert court.sizes() == after_first
    assert only_error(court.post(NOTARIZE, {**variables, "caseRef": "CR-8"}, court.clerk)) == (
        "CONFLICT",
        "This idempotency key was used for another operation or other input.",
    )
    assert court.sizes() == after_first


def test_notarizations_are_found_by_hash_and_their_receipts_by_index(court: Court) -> None:
    content = b"exhibit D, filed twice"
    indexes = [
        court.post(NOTARIZE, {"sha256": digest(content), "caseRef": case}, court.clerk)["data"]["notarize"][
            "notarization"
        ]["index"]
        for case in ("CV-1", "CV-2")
    ]
    found = court.post(
        "query ($h: Base64!) { notarizations(sha256: $h) { index caseRef } }", {"h": digest(content)}
    )
    assert found["data"]["notarizations"] == [
        {"index": indexes[0], "caseRef": "CV-1"},
        {"index": indexes[1], "caseRef": "CV-2"},
    ]
    fetched = court.post(
        "query ($i: UInt64!) { evidenceReceipt(index: $i) { notarization { caseRef } receipt } }",
        {"i": indexes[1]},
    )["data"]["evidenceReceipt"]
    assert fetched["notarization"] == {"caseRef": "CV-2"}
    assert EvidenceReceipt.from_json(fetched["receipt"]).ledger.index == int(indexes[1])
    missing = court.post("{ evidenceReceipt(index: 999999) { receipt } }")
    assert only_error(missing) == ("NOT_FOUND", "There is no notarization 999999.")
    short = court.post("query ($h: Base64!) { notarizations(sha256: $h) { index } }", {"h": "AAAA"})
    assert only_error(short) == ("BAD_USER_INPUT", "`sha256` must be the 32 bytes of a SHA-256 hash, not 3.")
    too_many = court.post("{ checkpointAnchors(last: 101) { treeSize } }")
    assert only_error(too_many) == ("BAD_USER_INPUT", "`last` must lie in 0..100, got 101.")


def test_concurrent_notarizations_share_one_token_per_checkpoint(court: Court) -> None:
    contents = [f"bulk exhibit {n}".encode() for n in range(24)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(
            pool.map(
                lambda content: court.post(NOTARIZE, {"sha256": digest(content)}, court.service)["data"][
                    "notarize"
                ],
                contents,
            )
        )
    receipts = [EvidenceReceipt.from_json(answer["receipt"]) for answer in answers]
    assert len({receipt.ledger.index for receipt in receipts}) == 24
    tokens_by_size: dict[int, set[bytes]] = {}
    for receipt in receipts:
        tokens_by_size.setdefault(receipt.ledger.tree_size, set()).add(receipt.token)
    assert all(len(tokens) == 1 for tokens in tokens_by_size.values())  # one token per checkpoint
    trust = Trust.of(read_certificates((court.data_dir / "tsa" / "root.pem").read_bytes()))
    for receipt in receipts:
        body = checkpoint_body(receipt.ledger.checkpoint)
        assert verify_timestamp(read_response(receipt.token), body, trust).valid


def test_an_external_tsa_named_by_the_settings_stamps_the_receipts(tmp_path: Path) -> None:
    authority = load_or_create_authority(tmp_path / "external-tsa")
    port = free_port()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {"GOVGRAPH_TSA_URL": f"http://127.0.0.1:{port}/"}
    with running_server(data_dir, log_level="warning", env=env) as server:
        court = Court(server, data_dir, issue_token(data_dir, "clerk-ines", "clerk:courts"), "")
        assert court.post("{ timestampAuthority { certificates } }")["data"] == {"timestampAuthority": None}
        assert not (data_dir / "tsa").exists()
        variables = {"sha256": digest(b"exhibit E"), "key": "filing-e"}
        before = court.sizes()["courts"]
        # The embedded TSA is not the one in use: /tsa does not serve it.
        assert httpx.post(f"{server.url}/tsa", content=b"0", timeout=30).status_code == 404
        assert httpx.get(f"{server.url}/tsa/chain.pem", timeout=30).status_code == 404
        # The TSA is down: the hash is recorded, the receipt is not ready, and the error says so, typed
        # SERVICE_UNAVAILABLE, retryable, with the notarization's index to fetch the receipt by later.
        body = court.post(NOTARIZE, variables, court.clerk)
        code, message = only_error(body)
        assert code == "SERVICE_UNAVAILABLE"
        assert message.startswith(
            f"Notarization {before} is recorded but its receipt is not ready (the TSA at "
        )
        extensions = body["errors"][0]["extensions"]
        assert (extensions["retryable"], extensions["notarization"]) == (True, str(before))
        assert court.sizes()["courts"] == before + 1
        fetch = "query ($i: UInt64!) { evidenceReceipt(index: $i) { notarization { index } receipt } }"
        pending = court.post(fetch, {"i": str(before)})
        assert only_error(pending)[0] == "SERVICE_UNAVAILABLE"
        assert pending["errors"][0]["extensions"]["notarization"] == str(before)
        tsa = UvicornThread(tsa_app(authority), port=port).start()
        try:
            # the TSA is back: the receipt is fetched by index (no second entry), and a retry with the
            # key returns the same notarization with it
            fetched = court.post(fetch, {"i": str(before)})["data"]["evidenceReceipt"]
            answer = court.post(NOTARIZE, variables, court.clerk)["data"]["notarize"]
        finally:
            tsa.stop()
        assert fetched["notarization"] == {"index": str(before)}
        assert fetched["receipt"] == answer["receipt"]
        assert answer["notarization"]["index"] == str(before)
        assert court.sizes()["courts"] == before + 1
        receipt = EvidenceReceipt.from_json(answer["receipt"])
        response = read_response(receipt.token)
        body = checkpoint_body(receipt.ledger.checkpoint)
        assert verify_timestamp(response, body, Trust.of([authority.root])).valid
        assert response.tst_info.nonce is not None  # the client sent one, and the reply had to carry it
