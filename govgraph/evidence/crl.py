"""Revocation checking of a time-stamp token's certificates against CRLs the verifier gives (RFC 5280 CRLs,
PEM or DER): every certificate from the TSA's up to the trust anchor needs a current CRL from its issuer,
signed by that issuer. RFC 3161 section 4 decides what a revocation means for a token: a TSA certificate
revoked for a reason that is not a compromise (unspecified, affiliationChanged, superseded,
cessationOfOperation) after the token's genTime leaves the token valid; any other revocation (no reason
code, keyCompromise, cACompromise, ..., or one dated at or before genTime) makes it invalid."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import rfc3161_client
from cryptography import x509

from govgraph.evidence.timestamps import Trust, Unreadable

MAX_CHAIN = 8
# RFC 3161 section 4: the reasons after which tokens made before the revocation stay valid.
HARMLESS = frozenset(
    {
        x509.ReasonFlags.unspecified,
        x509.ReasonFlags.affiliation_changed,
        x509.ReasonFlags.superseded,
        x509.ReasonFlags.cessation_of_operation,
    }
)


@dataclass(frozen=True)
class CertificateStatus:
    """What the CRLs say about one certificate of the token's path."""

    subject: str  # RFC 4514
    status: str  # "good", "revoked" (the token stays valid) or "invalid" (revoked in a way that voids it)
    revoked_at: datetime.datetime | None = None
    reason: str | None = None  # the CRL entry's reasonCode name, None when it has none

    def document(self) -> dict[str, object]:
        return {
            "certificate": self.subject,
            "status": self.status,
            "revoked_at": None if self.revoked_at is None else _rfc3339(self.revoked_at),
            "reason": self.reason,
        }


def read_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    """Every CRL in `data`: PEM (one or several X509 CRL blocks) or DER (one); Unreadable otherwise."""
    try:
        if b"-----BEGIN X509 CRL-----" in data:
            blocks = data.split(b"-----END X509 CRL-----")[:-1]
            return [x509.load_pem_x509_crl(block + b"-----END X509 CRL-----\n") for block in blocks]
        return [x509.load_der_x509_crl(data)]
    except ValueError:
        raise Unreadable("the CRL file holds no readable PEM or DER CRL") from None


def check_revocation(
    signer: x509.Certificate,
    trust: Trust,
    crls: Sequence[x509.CertificateRevocationList],
    gen_time: datetime.datetime,
    now: datetime.datetime,
) -> tuple[list[CertificateStatus], list[str]]:
    """(each certificate's status, from the TSA's up, and the reasons the token is invalid: a missing,
    unverifiable or out-of-date CRL, or a revocation that voids the token)."""
    statuses: list[CertificateStatus] = []
    reasons: list[str] = []
    certificate = signer
    for _ in range(MAX_CHAIN):
        if certificate.subject == certificate.issuer:
            return statuses, reasons  # the trust anchor: nobody above it to revoke it
        subject = certificate.subject.rfc4514_string()
        issuer = _issuer_of(certificate, trust)
        if issuer is None:
            reasons.append(f"the issuer of {subject} is not among the certificates given")
            return statuses, reasons
        crl, problem = _current_crl(issuer, crls, now)
        if crl is None:
            reasons.append(f"{problem} (needed for {subject})")
            return statuses, reasons
        status = _status(certificate, crl, gen_time, leaf=certificate is signer)
        statuses.append(status)
        if status.status == "invalid":
            when = _rfc3339(status.revoked_at) if status.revoked_at else "?"
            why = status.reason or "no reason code"
            reasons.append(f"{subject} was revoked on {when} ({why}), which voids the token")
        certificate = issuer
    reasons.append("the certificate path is longer than the verifier follows")
    return statuses, reasons


def token_signer(response: rfc3161_client.TimeStampResponse, trust: Trust) -> x509.Certificate | None:
    """The certificate the token's SignerInfo names (issuer and serial number): one of those given, or one
    the token carries."""
    try:
        signers = list(response.signed_data.signer_infos)
        carried = [x509.load_der_x509_certificate(der) for der in response.signed_data.certificates]
    except Exception:  # the Rust layer's errors on hostile structures
        return None
    for certificate in (*trust.tsa, *trust.intermediates, *carried):
        for signer in signers:
            if certificate.issuer == signer.issuer and certificate.serial_number == signer.serial_number:
                return certificate
    return None


def _issuer_of(certificate: x509.Certificate, trust: Trust) -> x509.Certificate | None:
    for candidate in (*trust.intermediates, *trust.roots):
        if candidate.subject == certificate.issuer:
            try:
                certificate.verify_directly_issued_by(candidate)
            except (ValueError, TypeError, x509.InvalidSignature):
                continue
            return candidate
    return None


def _current_crl(
    issuer: x509.Certificate, crls: Sequence[x509.CertificateRevocationList], now: datetime.datetime
) -> tuple[x509.CertificateRevocationList | None, str]:
    """The newest CRL `issuer` signed, if it is current; else None and what is wrong."""
    name = issuer.subject.rfc4514_string()
    named = [crl for crl in crls if crl.issuer == issuer.subject]
    if not named:
        return None, f"no CRL from {name} was given"
    signed = [crl for crl in named if _signed_by(crl, issuer)]
    if not signed:
        return None, f"the CRL from {name} is not signed by its key"
    newest = max(signed, key=lambda crl: crl.last_update_utc)
    if newest.last_update_utc > now:
        return None, f"the CRL from {name} is dated in the future ({_rfc3339(newest.last_update_utc)})"
    if newest.next_update_utc is not None and newest.next_update_utc < now:
        return (
            None,
            f"the newest CRL from {name} is out of date (next update {_rfc3339(newest.next_update_utc)})",
        )
    return newest, ""


def _signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False


def _status(
    certificate: x509.Certificate,
    crl: x509.CertificateRevocationList,
    gen_time: datetime.datetime,
    *,
    leaf: bool,
) -> CertificateStatus:
    subject = certificate.subject.rfc4514_string()
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
    if entry is None:
        return CertificateStatus(subject, "good")
    revoked_at = entry.revocation_date_utc
    try:
        reason: x509.ReasonFlags | None = entry.extensions.get_extension_for_class(
            x509.CRLReason
        ).value.reason
    except x509.ExtensionNotFound:
        reason = None
    # Only the TSA's own certificate may be revoked harmlessly after genTime: a revoked CA voids the path.
    harmless = leaf and reason in HARMLESS and revoked_at > _utc(gen_time)
    return CertificateStatus(
        subject, "revoked" if harmless else "invalid", revoked_at, None if reason is None else reason.name
    )


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def _rfc3339(moment: datetime.datetime) -> str:
    return _utc(moment).astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
