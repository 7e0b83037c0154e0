"""The embedded time-stamping authority (RFC 3161): a root CA and a TSA certificate with the critical
id-kp-timeStamping EKU, created once in a directory (keys owner-only), and TimeStampResp tokens built with
asn1crypto's ASN.1 types and signed with `cryptography` (ECDSA P-256 over SHA-256)."""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The policy the embedded TSA issues its tokens under (a private arc: tokens name it; nobody else must).
POLICY_OID = "1.3.6.1.4.1.57264.999.1"
SHA256_OID = "2.16.840.1.101.3.4.2.1"
ROOT_VALIDITY = datetime.timedelta(days=3650)
TSA_VALIDITY = datetime.timedelta(days=1825)
FILES = ("root.key", "root.pem", "tsa.key", "tsa.pem")


class AuthorityError(Exception):
    """The authority's files are missing, unreadable or inconsistent, or a request cannot be answered."""


@dataclass(frozen=True)
class TimestampAuthority:
    """An RFC 3161 TSA: its signing key, its certificate and the root that issued it."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    root: x509.Certificate

    def chain_pem(self) -> bytes:
        """The TSA certificate, then the root: what a verifier gives `openssl ts -verify` (the root as
        -CAfile, the TSA certificate as -untrusted) or `govgraph evidence verify-timestamp --chain`."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (self.certificate, self.root))

    def timestamp(
        self,
        digest: bytes,
        *,
        hash_oid: str = SHA256_OID,
        nonce: int | None = None,
        include_certificate: bool = True,
        now: datetime.datetime | None = None,
    ) -> bytes:
        """A granted TimeStampResp (DER) over the message imprint `digest` (RFC 3161 section 2.4.2). The
        TSTInfo is signed under CMS signed attributes: content type, message digest and the ESS
        signing-certificate-v2 that binds the TSA certificate (RFC 5816)."""
        if len(digest) != _DIGEST_SIZES.get(hash_oid, -1):
            raise AuthorityError("the message imprint does not have its hash algorithm's length")
        moment = (now or datetime.datetime.now(datetime.UTC)).replace(microsecond=0)
        info = {
            "version": "v1",
            "policy": POLICY_OID,
            "message_imprint": {
                "hash_algorithm": {"algorithm": hash_oid},
                "hashed_message": digest,
            },
            "serial_number": secrets.randbits(127) | 1,
            "gen_time": moment,
            "accuracy": {"seconds": 1},
        }
        if nonce is not None:
            info["nonce"] = nonce
        tst_info = tsp.TSTInfo(info).dump()
        signed_attributes = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {"type": "message_digest", "values": [hashlib.sha256(tst_info).digest()]},
                self._signing_certificate,
            ]
        )
        # CMS signs the DER of the attributes as a SET OF (RFC 5652 section 5.4), not their [0] IMPLICIT form.
        signature = self.key.sign(signed_attributes.dump(), ec.ECDSA(hashes.SHA256()))
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": self._signer_identifier,
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": signed_attributes,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signature": signature,
            }
        )
        signed_data = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(tst_info)},
            "signer_infos": [signer],
        }
        if include_certificate:
            signed_data["certificates"] = [self._certificate_choice]
        token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()

    # What every token repeats, parsed once from DER (asn1crypto re-serializes a structure built from Python
    # values on every dump: building these per token cost most of a token's time).

    @functools.cached_property
    def _asn1_certificate(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.certificate.public_bytes(serialization.Encoding.DER))

    @functools.cached_property
    def _signing_certificate(self) -> cms.CMSAttribute:
        """The ESS signing-certificate-v2 attribute naming the TSA certificate (RFC 5816)."""
        certificate = self._asn1_certificate
        issuer = asn1_x509.GeneralName(name="directory_name", value=certificate.issuer)
        attribute = cms.CMSAttribute(
            {
                "type": "signing_certificate_v2",
                "values": [
                    {
                        "certs": [
                            {
                                # hashAlgorithm DEFAULT sha256: left out, as DER requires
                                "cert_hash": hashlib.sha256(certificate.dump()).digest(),
                                "issuer_serial": {
                                    "issuer": [issuer],
                                    "serial_number": certificate.serial_number,
                                },
                            }
                        ]
                    }
                ],
            }
        )
        return cms.CMSAttribute.load(attribute.dump())

    @functools.cached_property
    def _signer_identifier(self) -> cms.SignerIdentifier:
        certificate = self._asn1_certificate
        identifier = cms.SignerIdentifier(
            name="issuer_and_serial_number",
            value={"issuer": certificate.issuer, "serial_number": certificate.serial_number},
        )
        return cms.SignerIdentifier.load(identifier.dump())

    @functools.cached_property
    def _certificate_choice(self) -> cms.CertificateChoices:
        return cms.CertificateChoices.load(
            cms.CertificateChoices(name="certificate", value=self._asn1_certificate).dump()
        )

    def answer(self, request_der: bytes) -> bytes:
        """The TimeStampResp for a DER TimeStampReq (what an RFC 3161 HTTP endpoint returns). A request it
        cannot grant is answered `rejection` with its failInfo (RFC 3161 section 2.4.2): bad_data_format
        (not a TimeStampReq, or a digest of the wrong length), bad_request (a version other than v1),
        bad_alg (a hash other than SHA-256/384/512), unaccepted_policy (a policy other than POLICY_OID),
        unaccepted_extensions (any extension: none is supported)."""
        try:
            request = tsp.TimeStampReq.load(request_der, strict=True)
            version = request["version"].native
            imprint = request["message_imprint"]
            hash_oid = imprint["hash_algorithm"]["algorithm"].dotted
            digest = bytes(imprint["hashed_message"].native)
            policy = request["req_policy"]
            policy_oid = None if isinstance(policy, core.Void) else policy.dotted
            nonce = request["nonce"].native
            include = bool(request["cert_req"].native)
            extended = not isinstance(request["extensions"], core.Void)
        except Exception:  # asn1crypto parses lazily and raises many kinds on hostile DER: all are refusals
            return _rejection("bad_data_format")
        if version != "v1":
            return _rejection("bad_request")
        if hash_oid not in _DIGEST_SIZES:
            return _rejection("bad_alg")
        if policy_oid is not None and policy_oid != POLICY_OID:
            return _rejection("unaccepted_policy")
        if extended:
            return _rejection("unaccepted_extensions")
        try:
            return self.timestamp(digest, hash_oid=hash_oid, nonce=nonce, include_certificate=include)
        except AuthorityError:
            return _rejection("bad_data_format")


_DIGEST_SIZES = {SHA256_OID: 32, "2.16.840.1.101.3.4.2.2": 48, "2.16.840.1.101.3.4.2.3": 64}
_CREATION = threading.Lock()


class _RefusedResp(core.Sequence):
    """TimeStampResp without its token (RFC 3161 section 2.4.2: timeStampToken is OPTIONAL, absent when the
    request is refused); asn1crypto's TimeStampResp requires it, so a refusal uses this schema."""

    _fields = [("status", tsp.PKIStatusInfo)]


_REASONS = {
    "bad_data_format": "not a DER TimeStampReq with a message imprint of its hash's length",
    "bad_request": "only TimeStampReq version 1 is supported",
    "bad_alg": "the message imprint must be SHA-256, SHA-384 or SHA-512",
    "unaccepted_policy": f"this TSA issues tokens under policy {POLICY_OID} only",
    "unaccepted_extensions": "this TSA supports no request extensions",
}


def _rejection(failure: str) -> bytes:
    """A `rejection` with its failInfo bit and a statusString saying why (RFC 3161 section 2.4.2)."""
    status = {"status": "rejection", "status_string": [_REASONS[failure]], "fail_info": {failure}}
    return _RefusedResp({"status": status}).dump()


def load_or_create_authority(directory: Path, *, name: str = "govgraph") -> TimestampAuthority:
    """The authority whose files are in `directory`, created there (keys mode 0600, never overwritten) when
    none are. Files are written under temporary names and linked into place, the TSA certificate last, so
    a process that finds `tsa.pem` finds the rest."""
    with _CREATION:
        if not (directory / "tsa.pem").exists():
            _create(directory, name)
    return load_authority(directory)


def load_authority(directory: Path) -> TimestampAuthority:
    try:
        key = serialization.load_pem_private_key((directory / "tsa.key").read_bytes(), password=None)
        certificate = x509.load_pem_x509_certificate((directory / "tsa.pem").read_bytes())
        root = x509.load_pem_x509_certificate((directory / "root.pem").read_bytes())
    except (OSError, ValueError) as exc:
        raise AuthorityError(f"the time-stamping authority in {directory} cannot be read: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != certificate.public_key():
        raise AuthorityError(f"{directory / 'tsa.key'} is not the key of {directory / 'tsa.pem'}")
    return TimestampAuthority(key, certificate, root)


def _create(directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} time-stamping root")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} time-stamping authority")]))
        .issuer_name(root_name)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + TSA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_signing_usage(), critical=True)
        # RFC 3161 section 2.3: the TSA certificate holds exactly one KeyPurposeId, id-kp-timeStamping,
        # in an extension marked critical.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    contents = {
        "root.key": _private_pem(root_key),
        "root.pem": root.public_bytes(pem),
        "tsa.key": _private_pem(tsa_key),
        "tsa.pem": tsa.public_bytes(pem),
    }
    for filename in FILES:
        _write_new(directory / filename, contents[filename], 0o600 if filename.endswith(".key") else 0o644)


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _signing_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _write_new(path: Path, content: bytes, mode: int) -> None:
    """Write `content` to `path` unless it exists (a concurrent start's file stays)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()
