"""The evidence receipt (`govgraph-evidence/v1`): a ledger receipt for a notarization entry (the entry, its
inclusion proof and the cosigned checkpoint) plus an RFC 3161 token over that checkpoint's body, and its
offline verification against a file: file -> SHA-256 in the entry -> inclusion proof -> checkpoint root ->
checkpoint body -> the token's message imprint -> the TSA's signature -> the trusted root.

One token covers every entry of a checkpoint (a group commit's Merkle root is time-stamped once): what links
an entry to the time-stamped value is the inclusion proof to the checkpoint the token covers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from govgraph.evidence.timestamps import (
    TimestampVerdict,
    Trust,
    Unreadable,
    read_response,
    rfc3339,
    verify_timestamp,
)
from govgraph.ledger.checkpoint import Checkpoint, CheckpointError
from govgraph.ledger.receipt import Finding, Receipt, ReceiptError, Verdict, verify_receipt
from zk.errors import MalformedInput
from zk.json_input import load_json

EVIDENCE_FORMAT = "govgraph-evidence/v1"
ENTRY_TYPE = "govgraph.courts.EvidenceNotarized/v1"
TIMESTAMPED = "checkpoint-body"  # what the token's imprint is the hash of
MAX_RECEIPT_BYTES = 1 << 20


class EvidenceReceiptError(ValueError):
    """The document is not a well-formed evidence receipt."""


@dataclass(frozen=True, slots=True)
class EvidenceReceipt:
    ledger: Receipt
    token: bytes  # a DER TimeStampResp over SHA-256 of the checkpoint's body

    def document(self) -> dict[str, object]:
        return {
            "format": EVIDENCE_FORMAT,
            "ledger": json.loads(self.ledger.to_json()),
            "timestamp": {"covers": TIMESTAMPED, "token": base64.b64encode(self.token).decode()},
        }

    def to_json(self) -> str:
        return json.dumps(self.document(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> EvidenceReceipt:
        """Read an untrusted receipt file (strict JSON, bounded); EvidenceReceiptError when it is not one."""
        try:
            document = load_json(
                text, what="evidence receipt", max_bytes=MAX_RECEIPT_BYTES, max_depth=8, strict=True
            )
        except MalformedInput as exc:
            raise EvidenceReceiptError(str(exc)) from None
        return cls.from_document(document)

    @classmethod
    def from_document(cls, document: object) -> EvidenceReceipt:
        if not isinstance(document, dict) or document.get("format") != EVIDENCE_FORMAT:
            raise EvidenceReceiptError(
                f"an evidence receipt is a JSON object with format {EVIDENCE_FORMAT!r}"
            )
        timestamp = document.get("timestamp")
        if not isinstance(timestamp, dict) or timestamp.get("covers") != TIMESTAMPED:
            raise EvidenceReceiptError(f"the receipt's timestamp must cover the {TIMESTAMPED!r}")
        token = timestamp.get("token")
        try:
            if not isinstance(token, str):
                raise TypeError
            raw = base64.b64decode(token, validate=True)
            return cls(Receipt.from_document(document.get("ledger")), raw)
        except (TypeError, binascii.Error, ValueError) as exc:
            if isinstance(exc, ReceiptError):
                raise EvidenceReceiptError(f"the ledger receipt: {exc}") from None
            raise EvidenceReceiptError("the receipt's token is not base64") from None


def checkpoint_body(signed_checkpoint: bytes) -> bytes:
    """The note text of a signed checkpoint (origin, size, root and extension lines): what is time-stamped.
    Its signature and cosignature lines are left out, so cosignatures added later change nothing."""
    text, separator, _signatures = signed_checkpoint.partition(b"\n\n")
    if not separator:
        raise EvidenceReceiptError("the checkpoint is not a signed note")
    try:
        return Checkpoint.parse(text.decode("utf-8") + "\n").body().encode()
    except (CheckpointError, UnicodeDecodeError):
        raise EvidenceReceiptError("the checkpoint's text is not a checkpoint") from None


def recorded_digest(entry: bytes) -> bytes:
    """The SHA-256 a notarization entry records."""
    try:
        document = load_json(entry, what="ledger entry", max_depth=4, strict=True)
    except MalformedInput as exc:
        raise EvidenceReceiptError(f"the entry is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("type") != ENTRY_TYPE:
        raise EvidenceReceiptError(f"the entry is not a {ENTRY_TYPE} entry")
    try:
        digest = base64.b64decode(document.get("sha256", ""), validate=True)
    except (binascii.Error, ValueError, TypeError):
        digest = b""
    if len(digest) != 32:
        raise EvidenceReceiptError("the entry's sha256 is not a base64 SHA-256 hash")
    return digest


def verify_evidence(
    receipt: EvidenceReceipt,
    data: bytes,
    *,
    log_vkey: str,
    trust: Trust,
    witness_vkeys: tuple[str, ...] = (),
    quorum: int = 0,
) -> tuple[Verdict, TimestampVerdict | None]:
    """Every link from `data` to the trusted TSA root, finding by finding (ledger findings as
    verify_receipt words them)."""
    findings: list[Finding] = []
    actual = hashlib.sha256(data).digest()
    try:
        recorded = recorded_digest(receipt.ledger.entry)
    except EvidenceReceiptError as exc:
        findings.append(Finding(False, f"The entry does not record a document hash: {exc}."))
    else:
        if recorded == actual:
            findings.append(
                Finding(True, f"The file's SHA-256 ({actual.hex()}) is the hash the entry records.")
            )
        else:
            findings.append(
                Finding(
                    False,
                    f"The file's SHA-256 ({actual.hex()}) is NOT the hash the entry records "
                    f"({recorded.hex()}).",
                )
            )
    findings += verify_receipt(receipt.ledger, log_vkey, witness_vkeys, quorum).findings
    try:
        body = checkpoint_body(receipt.ledger.checkpoint)
        response = read_response(receipt.token)
    except (EvidenceReceiptError, Unreadable) as exc:
        findings.append(Finding(False, f"The time-stamp token cannot be read: {exc}."))
        return Verdict(tuple(findings)), None
    stamp = verify_timestamp(response, body, trust)
    when = rfc3339(stamp.info.gen_time) if stamp.info is not None else "an unknown time"
    if stamp.valid:
        findings.append(
            Finding(
                True,
                f"The checkpoint was time-stamped at {when} by a TSA certificate that chains to the "
                "trusted root (RFC 3161 token, signature valid at that time): the entry existed then.",
            )
        )
    else:
        findings.append(
            Finding(
                False,
                f"The time-stamp token over the checkpoint does NOT verify: {'; '.join(stamp.reasons)}.",
            )
        )
    return Verdict(tuple(findings)), stamp
