"""CRL checking of time-stamp tokens (`govgraph evidence verify-timestamp --crl`): CRLs signed with the
embedded authority's real root key by `cryptography`, tokens from the authority itself. A CRL not naming the
TSA leaves the token valid; RFC 3161 section 4's rules for a revoked TSA certificate (a harmless reason after
genTime keeps it valid; a compromise, no reason code, or a date at or before genTime voids it); a missing,
foreign-signed or out-of-date CRL makes the token invalid; the command's text and JSON; unreadable CRL files
exit 2; Hypothesis on the CRL reader."""

from __future__ import annotations

import datetime
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.evidence.authority import TimestampAuthority, load_or_create_authority
from govgraph.evidence.crl import check_revocation, read_crls, token_signer
from govgraph.evidence.timestamps import Trust, Unreadable, read_response, verify_timestamp

DATA = b"exhibit R: the revocation test"
# "Now" for the module's tokens and CRLs: set when the TSA is made (its certificate is valid from five
# minutes before), not at import, which may come minutes earlier in a long run.
NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def tsa(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[TimestampAuthority, ec.EllipticCurvePrivateKey, Path]:
    global NOW
    directory = tmp_path_factory.mktemp("tsa")
    authority = load_or_create_authority(directory)
    NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    root_key = serialization.load_pem_private_key((directory / "root.key").read_bytes(), password=None)
    assert isinstance(root_key, ec.EllipticCurvePrivateKey)
    return authority, root_key, directory


def crl(
    authority: TimestampAuthority,
    key: ec.EllipticCurvePrivateKey,
    revoked: list[tuple[int, datetime.datetime, x509.ReasonFlags | None]] = (),  # type: ignore[assignment]
    *,
    last: datetime.datetime | None = None,
    next_update: datetime.timedelta = datetime.timedelta(days=7),
) -> x509.CertificateRevocationList:
    last = NOW - datetime.timedelta(seconds=30) if last is None else last
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.root.subject)
        .last_update(last)
        .next_update(last + next_update)
    )
    for serial, when, reason in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(key, hashes.SHA256())


def token(authority: TimestampAuthority, gen_time: datetime.datetime) -> bytes:
    return authority.timestamp(hashlib.sha256(DATA).digest(), now=gen_time)


def judge(authority: TimestampAuthority, crls: list, gen_time: datetime.datetime | None = None):
    response = read_response(token(authority, NOW if gen_time is None else gen_time))
    trust = Trust.of([authority.root])
    assert verify_timestamp(response, DATA, trust).valid
    signer = token_signer(response, trust)
    assert signer == authority.certificate  # the one the token carries
    return check_revocation(signer, trust, crls, response.tst_info.gen_time, NOW)


def test_a_crl_that_does_not_name_the_tsa_leaves_the_token_valid(tsa) -> None:
    authority, key, _ = tsa
    statuses, reasons = judge(
        authority, [crl(authority, key, [(12345, NOW, x509.ReasonFlags.key_compromise)])]
    )
    assert reasons == []
    assert [s.document() for s in statuses] == [
        {
            "certificate": "CN=govgraph time-stamping authority",
            "status": "good",
            "revoked_at": None,
            "reason": None,
        }
    ]


@pytest.mark.parametrize(
    ("revoked_after_gen_time", "reason", "status"),
    [
        (True, x509.ReasonFlags.superseded, "revoked"),  # RFC 3161 s. 4: earlier tokens stay valid
        (True, x509.ReasonFlags.cessation_of_operation, "revoked"),
        (True, x509.ReasonFlags.unspecified, "revoked"),
        (True, x509.ReasonFlags.key_compromise, "invalid"),  # no token of that key can be trusted
        (True, None, "invalid"),  # no reason code: every token of the key is invalid
        (False, x509.ReasonFlags.superseded, "invalid"),  # revoked before the token was made
    ],
)
def test_rfc_3161_decides_what_a_revoked_tsa_certificate_means(
    tsa, revoked_after_gen_time: bool, reason: x509.ReasonFlags | None, status: str
) -> None:
    authority, key, _ = tsa
    revoked_at = NOW - datetime.timedelta(minutes=1)
    gen_time = revoked_at - datetime.timedelta(minutes=1) if revoked_after_gen_time else NOW
    entries = [(authority.certificate.serial_number, revoked_at, reason)]
    statuses, reasons = judge(authority, [crl(authority, key, entries)], gen_time)
    assert [(s.status, s.revoked_at, s.reason) for s in statuses] == [
        (status, revoked_at, None if reason is None else reason.name)
    ]
    if status == "invalid":
        why = "no reason code" if reason is None else reason.name
        stamp = revoked_at.isoformat().replace("+00:00", "Z")
        assert reasons == [
            f"CN=govgraph time-stamping authority was revoked on {stamp} ({why}), which voids the token"
        ]
    else:
        assert reasons == []


def test_a_missing_foreign_or_stale_crl_makes_the_token_invalid(tsa) -> None:
    authority, key, _ = tsa
    root = "CN=govgraph time-stamping root"
    needed = " (needed for CN=govgraph time-stamping authority)"
    assert judge(authority, [])[1] == [f"no CRL from {root} was given{needed}"]
    impostor = ec.generate_private_key(ec.SECP256R1())
    assert judge(authority, [crl(authority, impostor)])[1] == [
        f"the CRL from {root} is not signed by its key{needed}"
    ]
    stale = crl(authority, key, last=NOW - datetime.timedelta(days=9))
    next_update = (NOW - datetime.timedelta(days=2)).isoformat().replace("+00:00", "Z")
    assert judge(authority, [stale])[1] == [
        f"the newest CRL from {root} is out of date (next update {next_update}){needed}"
    ]
    # the newest of several CRLs decides: a fresh one that revokes wins over a stale one that does not
    fresh = crl(authority, key, [(authority.certificate.serial_number, NOW, x509.ReasonFlags.key_compromise)])
    assert judge(authority, [stale, fresh])[0][0].status == "invalid"


def test_the_command_checks_crls_in_text_and_json(tsa, tmp_path: Path) -> None:
    authority, key, directory = tsa
    (tmp_path / "exhibit.pdf").write_bytes(DATA)
    (tmp_path / "exhibit.tsr").write_bytes(token(authority, NOW - datetime.timedelta(minutes=2)))
    good = crl(authority, key)
    revoked = crl(
        authority, key, [(authority.certificate.serial_number, NOW, x509.ReasonFlags.key_compromise)]
    )
    (tmp_path / "good.crl").write_bytes(good.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "revoked.der").write_bytes(revoked.public_bytes(serialization.Encoding.DER))
    (tmp_path / "junk.crl").write_bytes(b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")

    def verify(*crls: str, as_json: bool = True) -> subprocess.CompletedProcess[str]:
        options = [option for name in crls for option in ("--crl", str(tmp_path / name))]
        command = [
            sys.executable, "-m", "govgraph", "evidence", "verify-timestamp", str(tmp_path / "exhibit.tsr"),
            "--data", str(tmp_path / "exhibit.pdf"), "--chain", str(directory / "root.pem"), *options,
        ]  # fmt: skip
        return subprocess.run([*command, "--json"] if as_json else command, capture_output=True, text=True)

    done = verify("good.crl")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["revocation"] == [
        {
            "certificate": "CN=govgraph time-stamping authority",
            "status": "good",
            "revoked_at": None,
            "reason": None,
        }
    ]
    done = verify("revoked.der", as_json=False)
    assert done.returncode == 1
    stamp = NOW.isoformat().replace("+00:00", "Z")
    assert (
        f"revocation: CN=govgraph time-stamping authority: invalid at {stamp} (key_compromise)\n"
        in done.stdout
    )
    assert done.stdout.endswith(
        f"invalid because CN=govgraph time-stamping authority was revoked on {stamp} (key_compromise), "
        "which voids the token\n"
    )
    done = verify("junk.crl")
    assert done.returncode == 2
    assert json.loads(done.stdout) == {
        "error": {"type": "Unreadable", "message": "the CRL file holds no readable PEM or DER CRL"}
    }
    without = verify()  # no --crl: no revocation member, as before
    assert without.returncode == 0 and "revocation" not in json.loads(without.stdout)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=1024))
def test_arbitrary_bytes_are_crls_or_unreadable(data: bytes) -> None:
    for candidate in (data, b"-----BEGIN X509 CRL-----\n" + data + b"\n-----END X509 CRL-----\n"):
        try:
            read_crls(candidate)
        except Unreadable:
            pass
