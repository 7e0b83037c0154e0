"""`govgraph evidence inspect-ots` as a real process on the OpenTimestamps samples of
../shared/standards/evidence/opentimestamps (each as its expected.json says), Bitcoin attestations checked
against a merkle root given on the command line, and invalid proofs refused with exit 2 and a typed error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from opentimestamps.core.notary import LitecoinBlockHeaderAttestation, UnknownAttestation
from opentimestamps.core.op import OpSHA256
from opentimestamps.core.serialize import BytesSerializationContext
from opentimestamps.core.timestamp import DetachedTimestampFile, Timestamp

REPO = Path(__file__).resolve().parents[3]
# Block 358391's merkle root as block explorers show it (the README's internal-order value, reversed).
BLOCK_358391 = "358391:8a1b66ecb7cbd07d8139a7e7d7f2c41aab1f5009b8364aaf61d03ad245e47e00"


def inspect(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govgraph", "evidence", "inspect-ots", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )


def test_every_sample_parses_as_expected(standards_dir: Path) -> None:
    base = standards_dir / "evidence" / "opentimestamps"
    cases = json.loads((base / "expected.json").read_text())["cases"]
    assert len(cases) == 4
    for case in cases:
        done = inspect(base / case["ots"], "--data", base / case["target_file"], "--json")
        assert done.returncode == 0, done.stderr
        printed = json.loads(done.stdout)
        assert printed["file_hash_op"] == case["file_hash_op"]
        assert printed["file_digest"] == case["file_digest_hex"]
        assert printed["digest_matches"] is case["digest_matches_target"]
        expected = [
            {
                "type": "bitcoin",
                "height": item["height"],
                "commitment": item["commitment_hex_le"],
                "merkle_root": item["merkle_root_be"],
            }
            if item["type"] == "bitcoin"
            else item
            for item in case["attestations"]
        ]
        assert printed["attestations"] == expected


def test_a_bitcoin_attestation_is_checked_against_the_root_given(standards_dir: Path) -> None:
    base = standards_dir / "evidence" / "opentimestamps"
    good = inspect(
        base / "hello-world.txt.ots",
        "--data",
        base / "hello-world.txt",
        "--bitcoin-root",
        BLOCK_358391,
        "--json",
    )
    assert good.returncode == 0
    assert json.loads(good.stdout)["attestations"][0]["verified"] is True
    # bad-stamp's digest matches its file, but its commitment is not block 358391's merkle root.
    bad = inspect(
        base / "bad-stamp.txt.ots", "--data", base / "bad-stamp.txt", "--bitcoin-root", BLOCK_358391
    )
    assert bad.returncode == 1
    assert "verified=False" in bad.stdout
    assert "digest matches the file: yes" in bad.stdout


def test_a_proof_of_another_file_does_not_match(standards_dir: Path) -> None:
    base = standards_dir / "evidence" / "opentimestamps"
    done = inspect(base / "hello-world.txt.ots", "--data", base / "incomplete.txt", "--json")
    assert (done.returncode, json.loads(done.stdout)["digest_matches"]) == (1, False)


def test_invalid_proofs_exit_2_with_a_typed_error(standards_dir: Path, tmp_path: Path) -> None:
    base = standards_dir / "evidence" / "opentimestamps"
    proof = (base / "hello-world.txt.ots").read_bytes()
    for name, content, kind in [
        ("not-a-proof", b"Hello World!\n", "BadMagicError"),
        ("truncated", proof[:-3], "TruncationError"),
        ("trailing", proof + b"\x00", "TrailingGarbageError"),
    ]:
        path = tmp_path / f"{name}.ots"
        path.write_bytes(content)
        done = inspect(path, "--data", base / "hello-world.txt", "--json")
        assert done.returncode == 2, name
        assert json.loads(done.stdout)["error"]["type"] == kind
        plain = inspect(path, "--data", base / "hello-world.txt")
        assert plain.returncode == 2 and plain.stderr.startswith(f"unreadable: {kind}: ")


def test_other_chains_are_named_and_an_unknown_attestation_is_kept(tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_bytes(b"a future chain\n")
    timestamp = Timestamp(OpSHA256()(data.read_bytes()))
    timestamp.attestations.add(UnknownAttestation(bytes.fromhex("0102030405060708"), b"payload"))
    timestamp.attestations.add(LitecoinBlockHeaderAttestation(1234))
    context = BytesSerializationContext()
    DetachedTimestampFile(OpSHA256(), timestamp).serialize(context)
    proof = tmp_path / "data.txt.ots"
    proof.write_bytes(context.getbytes())
    done = inspect(proof, "--data", data, "--json")
    assert done.returncode == 0
    digest = OpSHA256()(data.read_bytes())
    assert json.loads(done.stdout)["attestations"] == [
        {"type": "litecoin", "height": 1234, "commitment": digest.hex(), "merkle_root": digest[::-1].hex()},
        {"type": "unknown", "tag": "0102030405060708", "payload": b"payload".hex()},
    ]
