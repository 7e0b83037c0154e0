"""Verifying any RFC 3161 time-stamp token offline against certificates the verifier trusts: parsing and CMS
signature checking by rfc3161-client (the signer's certificate judged valid at the token's genTime, the leaf
found by the SignerInfo's issuer and serial number, its critical id-kp-timeStamping EKU required), with the
certificates read from PEM or DER files and sorted into roots, intermediates and TSA certificates here."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

import rfc3161_client
from asn1crypto import cms, tsp
from cryptography import x509
from rfc3161_client import VerificationError, VerifierBuilder
from rfc3161_client.tsp import PKIStatus

MAX_TOKEN_BYTES = 1 << 20  # a token is a few kilobytes; a megabyte is not a token
_HASHES = {
    "2.16.840.1.101.3.4.2.1": hashlib.sha256,
    "2.16.840.1.101.3.4.2.2": hashlib.sha384,
    "2.16.840.1.101.3.4.2.3": hashlib.sha512,
}


class Unreadable(ValueError):
    """A token, certificate file or request that cannot be parsed at all (exit code 2)."""


@dataclass(frozen=True)
class TokenInfo:
    """What a token says (its TSTInfo), whether or not it verifies."""

    gen_time: datetime.datetime
    serial_number: int
    nonce: int | None
    policy: str
    hash_algorithm: str
    message_imprint: bytes
    certificates: int  # how many the token carries


@dataclass(frozen=True)
class TimestampVerdict:
    valid: bool
    info: TokenInfo | None
    reasons: tuple[str, ...] = field(default=())

    def document(self) -> dict[str, object]:
        """The --json form: decimal strings for the integers (they exceed JSON's safe range), dotted OIDs,
        RFC 3339 time, hex imprint; `nonce` null when the token has none."""
        info = self.info
        return {
            "valid": self.valid,
            "gen_time": None if info is None else rfc3339(info.gen_time),
            "serial_number": None if info is None else str(info.serial_number),
            "nonce": None if info is None or info.nonce is None else str(info.nonce),
            "policy": None if info is None else info.policy,
            "hash_algorithm": None if info is None else info.hash_algorithm,
            "message_imprint": None if info is None else info.message_imprint.hex(),
            "reasons": list(self.reasons),
        }


def rfc3339(moment: datetime.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def read_response(data: bytes) -> rfc3161_client.TimeStampResponse:
    """A TimeStampResp (a .tsr file), or a bare TimeStampToken (CMS ContentInfo) taken as a granted
    response; Unreadable otherwise."""
    if len(data) > MAX_TOKEN_BYTES:
        raise Unreadable(f"a time-stamp token is at most {MAX_TOKEN_BYTES} bytes")
    try:
        return rfc3161_client.decode_timestamp_response(data)
    except Exception:  # the Rust decoder raises ValueError, and other types on some malformed inputs
        pass
    try:
        token = cms.ContentInfo.load(data, strict=True)
        if token["content_type"].native != "signed_data":
            raise ValueError("not CMS signed data")
        wrapped = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()
        return rfc3161_client.decode_timestamp_response(wrapped)
    except Exception:
        raise Unreadable("the file is neither an RFC 3161 TimeStampResp nor a TimeStampToken") from None


def token_info(response: rfc3161_client.TimeStampResponse) -> TokenInfo:
    try:
        tst = response.tst_info
        imprint = tst.message_imprint
        return TokenInfo(
            gen_time=tst.gen_time,
            serial_number=tst.serial_number,
            nonce=tst.nonce,
            policy=tst.policy.dotted_string,
            hash_algorithm=imprint.hash_algorithm.dotted_string,
            message_imprint=bytes(imprint.message),
            certificates=len(response.signed_data.certificates),
        )
    except Exception:
        raise Unreadable("the token's TSTInfo cannot be read") from None


def read_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in `data`: PEM (one or several) or DER (one), whatever the file is named."""
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            certificates = x509.load_pem_x509_certificates(data)
        else:
            certificates = [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise Unreadable("the certificate file holds no readable PEM or DER certificate") from None
    return certificates


@dataclass(frozen=True)
class Trust:
    """Certificates sorted by role: self-signed ones are trust anchors, other CA certificates
    intermediates, the rest end-entity (TSA) certificates. An intermediate may carry the timeStamping EKU
    too (sigstore's do), so the EKU does not decide the role: the TSA certificate is the one the token's
    SignerInfo names."""

    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...]
    tsa: tuple[x509.Certificate, ...]

    @classmethod
    def of(cls, certificates: list[x509.Certificate]) -> Trust:
        roots, intermediates, tsa = [], [], []
        for certificate in certificates:
            if certificate.subject == certificate.issuer:
                roots.append(certificate)
            elif _is_ca(certificate):
                intermediates.append(certificate)
            else:
                tsa.append(certificate)
        return cls(tuple(roots), tuple(intermediates), tuple(tsa))


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (x509.ExtensionNotFound, ValueError):
        return False


def verify_timestamp(
    response: rfc3161_client.TimeStampResponse,
    data: bytes,
    trust: Trust,
    *,
    request: bytes | None = None,
    tsa_name: str | None = None,
) -> TimestampVerdict:
    """Whether `response` is a granted token over `data` (hashed with the token's own algorithm), signed
    by a TSA certificate that chains to one of `trust.roots` and was valid at genTime. `request` (a DER
    TimeStampReq) adds the nonce and imprint checks; `tsa_name` pins the signer's subject (RFC 4514)."""
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        return TimestampVerdict(
            False, None, (f"the TSA did not grant the request (status {response.status})",)
        )
    info = token_info(response)
    reasons = []
    hasher = _HASHES.get(info.hash_algorithm)
    if hasher is None:
        return TimestampVerdict(False, info, (f"unsupported hash algorithm {info.hash_algorithm}",))
    if not trust.roots:
        return TimestampVerdict(
            False, info, ("no trust anchor (self-signed certificate) among the certificates",)
        )
    builder = VerifierBuilder()
    for root in trust.roots:
        builder = builder.add_root_certificate(root)
    for intermediate in trust.intermediates:
        builder = builder.add_intermediate_certificate(intermediate)
    signer = _signer_certificate(response, trust)
    if signer is not None:
        builder = builder.tsa_certificate(signer)
    elif info.certificates == 0:
        return TimestampVerdict(
            False, info, ("the token carries no certificate and none of those given is its signer's",)
        )
    if tsa_name is not None:
        builder = builder.common_name(tsa_name)
    if request is not None:
        try:
            parsed = tsp.TimeStampReq.load(request, strict=True)
            expected_nonce = parsed["nonce"].native
            expected_imprint = bytes(parsed["message_imprint"]["hashed_message"].native)
        except (ValueError, TypeError, KeyError):
            raise Unreadable("the request is not a DER TimeStampReq") from None
        if expected_nonce is not None:
            builder = builder.nonce(expected_nonce)
        if expected_imprint != info.message_imprint:
            reasons.append("the token's message imprint is not the request's")
    try:
        builder.build().verify(response, hasher(data).digest())
    except VerificationError as exc:
        reasons.append(_plain(str(exc)))
    except Exception as exc:  # the Rust layer's own errors on hostile structures: a failed verification
        reasons.append(f"the token could not be verified: {type(exc).__name__}")
    return TimestampVerdict(not reasons, info, tuple(reasons))


def _signer_certificate(response: rfc3161_client.TimeStampResponse, trust: Trust) -> x509.Certificate | None:
    """The given TSA certificate that the token's SignerInfo names by issuer and serial number, if any."""
    try:
        signers = list(response.signed_data.signer_infos)
    except Exception:
        return None
    for certificate in trust.tsa + trust.intermediates:
        for signer in signers:
            if certificate.issuer == signer.issuer and certificate.serial_number == signer.serial_number:
                return certificate
    return None


def _plain(message: str) -> str:
    """rfc3161-client's message in plain words (OpenSSL's error stack reduced to what failed)."""
    if message.startswith("Mismatch between messages"):
        return "the token's message imprint is not the hash of the data"
    if message.startswith("Nonce mismatch"):
        return "the token's nonce is not the request's"
    if message.startswith("The name provided"):
        return "the signer's certificate does not have the name required"
    if "signature failure" in message:
        return "the TSA's signature over the token does not verify"
    if "Verify error:" in message:
        detail = message.partition("Verify error: ")[2].partition('"')[0]
        return f"the signer's certificate does not chain to a given trust anchor at genTime ({detail})"
    return message[0].lower() + message[1:] if message else "verification failed"
