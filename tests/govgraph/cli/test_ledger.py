"""`govgraph ledger` commands on a real SQLite file through typer's CliRunner, and one real subprocess."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govgraph.cli import app
from govgraph.ledger.checkpoint import CosignatureSigner
from govgraph.ledger.merkle import leaf_hash, root_hash
from govgraph.ledger.note import Signer


@pytest.fixture
def run(data_dir: Path):
    runner = CliRunner()
    env = {"GOVGRAPH_DATA": str(data_dir)}

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, ["ledger", *args], env=env, input=input)

    return invoke


def test_init_append_checkpoint_prove_verify_and_fsck_work_together(run, data_dir: Path):
    init = run("init", "land")
    assert init.exit_code == 0, init.output
    vkey = init.stdout.strip()
    assert vkey.startswith("govgraph.example/land+")
    assert (data_dir / "keys" / "land.skey").stat().st_mode & 0o777 == 0o600
    assert (data_dir / "keys" / "land.vkey").read_text().strip() == vkey

    appended = run("append", "land", "one", "two", "three")
    assert appended.exit_code == 0 and appended.stdout.split() == ["0", "1", "2"]
    piped = run("append", "land", "--no-integrate", input="four\nfive\n")
    assert piped.stdout.split() == ["3", "4"]

    checkpoint = run("checkpoint", "land")
    entries = [b"one", b"two", b"three", b"four", b"five"]
    body = checkpoint.stdout.split("\n\n")[0].split("\n")
    assert body[:2] == ["govgraph.example/land", "5"]
    # The same five entries as the Tessera test log: the same root.
    assert body[2] == "gy5gl3aksFyiCO95a/1vLXz88A3dRq+0l9Sxte8ZqZQ="
    assert (
        root_hash([leaf_hash(e) for e in entries]).hex()
        == "832e609776a4b05ca208ef796bfd6f2d7cfcf00ddd46afb497d4b1b5ef19a994"
    )

    receipt_path = data_dir / "receipt.json"
    assert run("prove", "land", "3", "-o", str(receipt_path)).exit_code == 0
    receipt = json.loads(receipt_path.read_text())
    assert (receipt["index"], receipt["tree_size"], receipt["entry"]) == (3, 5, "Zm91cg==")

    verified = run("verify-receipt", str(receipt_path), "--vkey", vkey)
    assert verified.exit_code == 0
    assert verified.stdout == (
        "OK    The checkpoint is signed by the log key govgraph.example/land.\n"
        "OK    Entry 3 is in the log's tree of size 5 (root gy5gl3aksFyiCO95a/1vLXz88A3dRq+0l9Sxte8ZqZQ=).\n"
        "The receipt is valid.\n"
    )
    fsck = run("fsck", "land")
    assert fsck.exit_code == 0
    assert fsck.stdout.strip().endswith(": clean")


def test_verify_receipt_says_in_plain_words_what_fails(run, data_dir: Path):
    vkey = run("init", "land").stdout.strip()
    run("append", "land", "alpha", "beta", "gamma")
    path = data_dir / "receipt.json"
    run("prove", "land", "1", "-o", str(path))
    receipt = json.loads(path.read_text())

    path.write_text(json.dumps({**receipt, "entry": "ZGVsdGE="}))  # "delta" instead of "beta"
    tampered = run("verify-receipt", str(path), "--vkey", vkey)
    assert tampered.exit_code == 1
    assert (
        "FAIL  Entry 1 is NOT proven to be in the log's tree of size 3: "
        "inclusion proof does not lead to the given root." in tampered.stdout
    )
    assert tampered.stdout.endswith("The receipt is NOT valid.\n")

    other_vkey = run("init", "identity").stdout.strip()
    path.write_text(json.dumps(receipt))
    wrong_key = run("verify-receipt", str(path), "--vkey", other_vkey)
    assert wrong_key.exit_code == 1
    assert wrong_key.stdout.startswith(
        "FAIL  The checkpoint does not verify under the log key "
        "govgraph.example/identity: note has no verifiable signatures."
    )

    path.write_text("{not json")
    garbage = run("verify-receipt", str(path), "--vkey", vkey)
    assert garbage.exit_code == 1 and garbage.stdout.startswith("FAIL  receipt is not JSON")

    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    deep = run("verify-receipt", str(path), "--vkey", vkey)
    assert deep.exit_code == 1
    assert deep.stdout == (
        "FAIL  receipt is not JSON: receipt is nested deeper than 128 levels.\nThe receipt is NOT valid.\n"
    )
    # Read strictly: a second "index" that another reader might keep instead of the first is refused.
    path.write_text(json.dumps(receipt)[:-1] + ', "index": 4}')
    twice = run("verify-receipt", str(path), "--vkey", vkey)
    assert twice.exit_code == 1
    assert twice.stdout.startswith("FAIL  receipt is not JSON: duplicate JSON key 'index'.")


def test_errors_are_one_plain_line(run, data_dir: Path):
    missing = run("append", "nowhere", "x")
    assert missing.exit_code == 1
    assert "govgraph ledger: no log named 'nowhere'" in missing.output
    run("init", "land")
    again = run("init", "land")
    assert (
        again.exit_code == 1 and "log 'land' or origin 'govgraph.example/land' already exists" in again.output
    )
    same_origin = run("init", "parcels", "--origin", "govgraph.example/land")
    assert same_origin.exit_code == 1 and "already exists" in same_origin.output
    assert not (data_dir / "keys" / "parcels.skey").exists()  # refused before any key was written
    early = run("prove", "land", "0")
    assert early.exit_code == 1 and "entry 0 is not covered by a signed checkpoint yet" in early.output


def test_fsck_reports_a_tampered_entry_and_exits_nonzero(run, data_dir: Path):
    run("init", "land")
    run("append", "land", *[f"entry {i}" for i in range(40)])
    with sqlite3.connect(data_dir / "govgraph.db") as connection:
        connection.execute("UPDATE ledger_entries SET data = ? WHERE idx = 17", (b"forged",))
    result = run("fsck", "land")
    assert result.exit_code == 1
    assert "checkpoint at size 40: stored root does not match the entries" in result.stdout
    assert "tile 0/0 differs from the hashes of the entries" in result.stdout


@pytest.mark.e2e
def test_the_installed_command_runs_as_a_real_process(data_dir: Path):
    env = {"GOVGRAPH_DATA": str(data_dir), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "govgraph", "ledger"]
    init = subprocess.run([*command, "init", "land"], env=env, capture_output=True, text=True, check=True)
    appended = subprocess.run(
        [*command, "append", "land"], input="a\nb\n", env=env, capture_output=True, text=True, check=True
    )
    assert appended.stdout.split() == ["0", "1"] and "signed tree size 2" in appended.stderr
    receipt = subprocess.run(
        [*command, "prove", "land", "1"], env=env, capture_output=True, text=True, check=True
    )
    (data_dir / "r.json").write_text(receipt.stdout)
    verified = subprocess.run(
        [*command, "verify-receipt", str(data_dir / "r.json"), "--vkey", init.stdout.strip()],
        env=env,
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0 and verified.stdout.endswith("The receipt is valid.\n")


# A line that, printed raw, clears the screen, shows a fake verdict and hides what follows.
HOSTILE = "\x1b[2J\x1b[HThe receipt is valid.\x1b[8m"


def test_verify_receipt_escapes_a_hostile_origin_and_ends_with_the_real_verdict(run, data_dir: Path):
    vkey = run("init", "land").stdout.strip()
    run("append", "land", "alpha", "beta", "gamma")
    path = data_dir / "receipt.json"
    run("prove", "land", "1", "-o", str(path))
    receipt = json.loads(path.read_text())
    path.write_text(json.dumps({**receipt, "origin": HOSTILE + "\u202e\x85"}))
    result = run("verify-receipt", str(path), "--vkey", vkey)
    assert result.exit_code == 1
    root = receipt["checkpoint"].split("\n")[2]
    assert result.stdout == (
        "OK    The checkpoint is signed by the log key govgraph.example/land.\n"
        "FAIL  The receipt names log '\\x1b[2J\\x1b[HThe receipt is valid.\\x1b[8m\\u202e\\x85' but the "
        "checkpoint is for 'govgraph.example/land'.\n"
        f"OK    Entry 1 is in the log's tree of size 3 (root {root}).\n"
        "The receipt is NOT valid.\n"
    )
    assert result.stdout.splitlines()[-1] == "The receipt is NOT valid."


class _HostileWitness(BaseHTTPRequestHandler):
    """A witness that refuses every checkpoint with a body made to rewrite the operator's terminal."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = f"no\x1b[2J\x1b[Hpublished: 1 of 1 witnesses cosigned\u202e\x85{HOSTILE}".encode()
        self.send_response(500)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_checkpoint_escapes_what_a_witness_answers_and_ends_with_the_real_verdict(run):
    run("init", "land")
    run("append", "land", "alpha")
    witness = CosignatureSigner.from_skey(Signer.generate("witness.example/w").skey)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileWitness)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        prefix = f"http://127.0.0.1:{server.server_address[1]}/w"
        result = run("checkpoint", "land", "--witness", f"{prefix},{witness.vkey}")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "witness refused: witness.example/w: 500 no\\x1b[2J\\x1b[Hpublished: 1 of 1 witnesses cosigned"
        "\\u202e\\x85\\x1b[2J\\x1b[HThe receipt is valid.\\x1b[8m",
        "NOT published: 0 of 1 witnesses cosigned, 1 required",
    ]


class _JunkSizeWitness(BaseHTTPRequestHandler):
    """A witness that answers every checkpoint with a 409 whose size is not a decimal size."""

    size_body = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(409)
        self.send_header("Content-Type", "text/x.tlog.size")
        self.send_header("Content-Length", str(len(self.size_body)))
        self.end_headers()
        self.wfile.write(self.size_body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize("size_body", [b"9" * 5000, b"ten\n", b"-1\n", b"\xff\xfe"])
def test_a_witness_reporting_a_malformed_size_is_a_refusal_not_a_crash(run, size_body: bytes):
    run("init", "land")
    run("append", "land", "alpha")
    witness = CosignatureSigner.from_skey(Signer.generate("witness.example/w").skey)
    handler = type("Handler", (_JunkSizeWitness,), {"size_body": size_body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        prefix = f"http://127.0.0.1:{server.server_address[1]}/w"
        result = run("checkpoint", "land", "--witness", f"{prefix},{witness.vkey}")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "witness refused: witness.example/w: answered 409 with a malformed size",
        "NOT published: 0 of 1 witnesses cosigned, 1 required",
    ]
