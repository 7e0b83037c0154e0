"""`govgraph evidence verify-timestamp` run as a real process on every RFC 3161 sample of
../shared/standards/evidence/rfc3161 (each as its expected.json says), and on tokens from the embedded TSA:
checked by Debian's `openssl ts -verify` too, with and without embedded certificates, PEM and DER chains,
and a TSA certificate that has expired since genTime."""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from govgraph.evidence.authority import POLICY_OID, TimestampAuthority, load_or_create_authority

REPO = Path(__file__).resolve().parents[3]


def evidence(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govgraph", "evidence", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )


def rfc3161_cases(standards: Path) -> list[dict]:
    return json.loads((standards / "evidence" / "rfc3161" / "expected.json").read_text())["cases"]


def test_every_rfc3161_sample_gives_what_its_readme_says(standards_dir: Path, tmp_path: Path) -> None:
    base = standards_dir / "evidence" / "rfc3161"
    cases = rfc3161_cases(standards_dir)
    assert len(cases) == 6
    for number, case in enumerate(cases):
        data = tmp_path / f"message-{number}"
        data.write_text(case.get("message_utf8") or case["verify_sha512_digest_of_utf8"])
        arguments: list[str | Path] = [
            base / case["file"],
            "--data",
            data,
            "--chain",
            base / case["chain"],
            "--json",
        ]
        if "request" in case:
            arguments += ["--request", base / case["request"]]
        if "pin_common_name" in case:
            arguments += ["--tsa-name", case["pin_common_name"]]
        done = evidence("verify-timestamp", *arguments)
        printed = json.loads(done.stdout)
        expected_valid = case["expect"] == "valid"
        assert (done.returncode, printed["valid"]) == (0 if expected_valid else 1, expected_valid), case[
            "note"
        ]
        assert printed["gen_time"] == case["gen_time"].replace("+00:00", "Z")
        assert printed["serial_number"] == case["serial_number"]
        assert printed["nonce"] == case["nonce"]
        assert printed["policy"] == case["policy_oid"]
        assert printed["hash_algorithm"] == case["hash_algorithm_oid"]
        assert printed["message_imprint"] == case["hashed_message_hex"]
        assert (printed["reasons"] == []) == expected_valid


def test_the_samples_fail_for_the_reason_expected(standards_dir: Path, tmp_path: Path) -> None:
    base = standards_dir / "evidence" / "rfc3161"
    hello = tmp_path / "hello"
    hello.write_text("hello")
    other = tmp_path / "other"
    other.write_text("hellO")
    chain = base / "sigstage" / "ts_chain.pem"
    corrupted = evidence(
        "verify-timestamp",
        base / "sigstage/response-invalid-signature.tsr",
        "--data",
        hello,
        "--chain",
        chain,
    )
    assert corrupted.returncode == 1
    assert "invalid because the TSA's signature over the token does not verify" in corrupted.stdout
    wrong = evidence(
        "verify-timestamp", base / "sigstage/response-sha256.tsr", "--data", other, "--chain", chain
    )
    assert wrong.returncode == 1
    assert "invalid because the token's message imprint is not the hash of the data" in wrong.stdout
    # The injected certificate is not the signer: without a pinned name the real signer's token verifies.
    injected = base / "test_tsa/response-injected-certs.tsr"
    test_chain = base / "test_tsa/ts_chain.pem"
    assert evidence("verify-timestamp", injected, "--data", hello, "--chain", test_chain).returncode == 0
    pinned = evidence(
        "verify-timestamp", injected, "--data", hello, "--chain", test_chain, "--tsa-name", "CN=Spoofed TSA"
    )
    assert pinned.returncode == 1
    assert "the signer's certificate does not have the name required" in pinned.stdout
    # The request of another run: its nonce is not this token's.
    other_request = base / "test_tsa/other_request.der"
    mismatched = evidence(
        "verify-timestamp",
        base / "test_tsa/response.tsr",
        "--data",
        hello,
        "--chain",
        test_chain,
        "--request",
        other_request,
    )
    assert mismatched.returncode == 1


def test_unreadable_inputs_exit_2(standards_dir: Path, tmp_path: Path) -> None:
    base = standards_dir / "evidence" / "rfc3161" / "sigstage"
    hello = tmp_path / "hello"
    hello.write_text("hello")
    not_a_token = evidence(
        "verify-timestamp", base / "request.der", "--data", hello, "--chain", base / "ts_chain.pem", "--json"
    )
    assert not_a_token.returncode == 2
    assert json.loads(not_a_token.stdout) == {
        "error": {
            "type": "Unreadable",
            "message": "the file is neither an RFC 3161 TimeStampResp nor a TimeStampToken",
        }
    }
    garbage = tmp_path / "chain.pem"
    garbage.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    bad_chain = evidence(
        "verify-timestamp", base / "response-sha256.tsr", "--data", hello, "--chain", garbage
    )
    assert bad_chain.returncode == 2
    assert "no readable PEM or DER certificate" in bad_chain.stderr
    missing = evidence(
        "verify-timestamp", base / "response-sha256.tsr", "--data", tmp_path / "absent", "--chain", garbage
    )
    assert missing.returncode == 2


@pytest.fixture
def authority(tmp_path: Path) -> TimestampAuthority:
    return load_or_create_authority(tmp_path / "tsa")


def test_the_embedded_authority_writes_owner_only_keys_and_a_critical_timestamping_eku(
    tmp_path: Path, authority: TimestampAuthority
) -> None:
    directory = tmp_path / "tsa"
    assert {path.name: path.stat().st_mode & 0o777 for path in directory.iterdir()} == {
        "root.key": 0o600,
        "tsa.key": 0o600,
        "root.pem": 0o644,
        "tsa.pem": 0o644,
    }
    usage = authority.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert authority.root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    authority.certificate.verify_directly_issued_by(authority.root)
    again = load_or_create_authority(directory)  # a restart keeps the same authority
    assert again.certificate == authority.certificate and again.root == authority.root


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl binary is needed")
@pytest.mark.parametrize("embedded", [True, False], ids=["with-certificate", "without-certificate"])
def test_openssl_and_govgraph_accept_the_embedded_tsa_tokens(
    tmp_path: Path, authority: TimestampAuthority, embedded: bool
) -> None:
    data = tmp_path / "document.pdf"
    data.write_bytes(b"%PDF-1.7 exhibit A")
    token = tmp_path / "token.tsr"
    token.write_bytes(
        authority.timestamp(hashlib.sha256(data.read_bytes()).digest(), nonce=7, include_certificate=embedded)
    )
    root, tsa = tmp_path / "tsa" / "root.pem", tmp_path / "tsa" / "tsa.pem"
    openssl = ["openssl", "ts", "-verify", "-in", token, "-data", data, "-CAfile", root, "-untrusted", tsa]
    checked = subprocess.run(openssl, capture_output=True, text=True, check=False)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
    chain = tmp_path / "chain.pem"
    chain.write_bytes(authority.chain_pem())
    done = evidence("verify-timestamp", token, "--data", data, "--chain", chain, "--json")
    printed = json.loads(done.stdout)
    assert done.returncode == 0 and printed["valid"] is True
    assert (printed["nonce"], printed["policy"]) == ("7", POLICY_OID)
    assert printed["message_imprint"] == hashlib.sha256(data.read_bytes()).hexdigest()
    # Only the root: a token that carries its certificate still verifies; one that carries none cannot.
    alone = evidence("verify-timestamp", token, "--data", data, "--chain", root, "--json")
    assert alone.returncode == (0 if embedded else 1)
    # A changed document fails with both verifiers.
    data.write_bytes(b"%PDF-1.7 exhibit B")
    assert subprocess.run(openssl, capture_output=True, check=False).returncode == 1
    assert evidence("verify-timestamp", token, "--data", data, "--chain", chain).returncode == 1


def test_a_der_chain_file_named_pem_is_read(tmp_path: Path, authority: TimestampAuthority) -> None:
    data = tmp_path / "data"
    data.write_bytes(b"evidence")
    token = tmp_path / "token.tsr"
    token.write_bytes(authority.timestamp(hashlib.sha256(b"evidence").digest()))
    der_root = tmp_path / "root.pem"
    der_root.write_bytes(authority.root.public_bytes(serialization.Encoding.DER))
    done = evidence("verify-timestamp", token, "--data", data, "--chain", der_root, "--json")
    assert (done.returncode, json.loads(done.stdout)["nonce"]) == (0, None)


def expired_authority() -> TimestampAuthority:
    """A TSA whose certificate was valid for the whole of 2020 only."""
    start, end = (
        datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
        datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC),
    )
    root_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old root")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=9000))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    tsa = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old tsa")]))
        .issuer_name(root_name)
        .public_key(tsa_key.public_key())
        .serial_number(2)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return TimestampAuthority(tsa_key, tsa, root)


def test_validity_is_judged_at_gen_time(tmp_path: Path) -> None:
    authority = expired_authority()
    data = tmp_path / "data"
    data.write_bytes(b"filed in 2020")
    chain = tmp_path / "chain.pem"
    chain.write_bytes(authority.chain_pem())
    digest = hashlib.sha256(data.read_bytes()).digest()
    then = tmp_path / "then.tsr"
    then.write_bytes(authority.timestamp(digest, now=datetime.datetime(2020, 6, 1, tzinfo=datetime.UTC)))
    done = evidence("verify-timestamp", then, "--data", data, "--chain", chain, "--json")
    assert (done.returncode, json.loads(done.stdout)["gen_time"]) == (0, "2020-06-01T00:00:00Z")
    late = tmp_path / "late.tsr"  # signed after the certificate expired
    late.write_bytes(authority.timestamp(digest, now=datetime.datetime(2022, 6, 1, tzinfo=datetime.UTC)))
    refused = evidence("verify-timestamp", late, "--data", data, "--chain", chain)
    assert refused.returncode == 1
    assert "does not chain to a given trust anchor at genTime (certificate has expired)" in refused.stdout


def test_a_bare_token_is_read_and_a_refusal_is_invalid(tmp_path: Path, authority: TimestampAuthority) -> None:
    data = tmp_path / "data"
    data.write_bytes(b"evidence")
    chain = tmp_path / "chain.pem"
    chain.write_bytes(authority.chain_pem())
    response = tsp.TimeStampResp.load(authority.timestamp(hashlib.sha256(b"evidence").digest()))
    bare = tmp_path / "token.der"  # the TimeStampToken alone (CMS ContentInfo), as some tools store it
    bare.write_bytes(response["time_stamp_token"].dump())
    done = evidence("verify-timestamp", bare, "--data", data, "--chain", chain, "--json")
    assert (done.returncode, json.loads(done.stdout)["valid"]) == (0, True)
    refusal = tmp_path / "refusal.tsr"
    refusal.write_bytes(authority.answer(b"not a request"))
    refused = evidence("verify-timestamp", refusal, "--data", data, "--chain", chain, "--json")
    assert refused.returncode == 1
    assert json.loads(refused.stdout) == {
        "valid": False,
        "gen_time": None,
        "serial_number": None,
        "nonce": None,
        "policy": None,
        "hash_algorithm": None,
        "message_imprint": None,
        "reasons": ["the TSA did not grant the request (status 2)"],
    }
