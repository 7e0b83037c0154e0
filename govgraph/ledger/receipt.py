"""Receipts: an entry, its index, an inclusion proof and the cosigned checkpoint it leads to, as one JSON
document anyone can verify offline with the log's verifier key (and witness keys for a quorum)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from govgraph.ledger.checkpoint import CheckpointError, CosignatureVerifier, QuorumNotMet, open_checkpoint
from govgraph.ledger.errors import LedgerError
from govgraph.ledger.log import Log, NotIntegrated
from govgraph.ledger.merkle import ProofError, leaf_hash, verify_inclusion
from govgraph.ledger.note import InvalidKey, NoteError, Verifier

RECEIPT_FORMAT = "govgraph-receipt/v1"


class ReceiptError(LedgerError, ValueError):
    """The document is not a well-formed receipt."""


@dataclass(frozen=True, slots=True)
class Receipt:
    origin: str
    index: int
    entry: bytes
    tree_size: int
    inclusion_proof: tuple[bytes, ...]
    checkpoint: bytes  # signed note with cosignature lines

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "format": RECEIPT_FORMAT,
                    "origin": self.origin,
                    "index": self.index,
                    "entry": base64.b64encode(self.entry).decode(),
                    "tree_size": self.tree_size,
                    "inclusion_proof": [base64.b64encode(h).decode() for h in self.inclusion_proof],
                    "checkpoint": self.checkpoint.decode(),
                },
                indent=2,
            )
            + "\n"
        )

    @classmethod
    def from_document(cls, doc: object) -> Receipt:
        """A receipt from its decoded JSON document (decode untrusted text with zk.json_input's strict
        reading first: the ledger parses no JSON text of its own)."""
        if not isinstance(doc, dict) or doc.get("format") != RECEIPT_FORMAT:
            raise ReceiptError(f"receipt must be a JSON object with format {RECEIPT_FORMAT!r}")
        try:
            origin, index, size = doc["origin"], doc["index"], doc["tree_size"]
            proof, checkpoint = doc["inclusion_proof"], doc["checkpoint"]
            if not (isinstance(origin, str) and isinstance(checkpoint, str) and isinstance(proof, list)):
                raise TypeError
            if type(index) is not int or type(size) is not int or index < 0 or size < 0:
                raise TypeError
            return cls(
                origin, index, _b64(doc["entry"]), size, tuple(_b64(h) for h in proof), checkpoint.encode()
            )
        except (KeyError, TypeError):
            raise ReceiptError("receipt fields are missing or of the wrong type") from None


def _b64(value: object) -> bytes:
    if not isinstance(value, str):
        raise TypeError
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ReceiptError("receipt holds invalid base64") from None


async def make_receipt(log: Log, index: int) -> Receipt:
    """A receipt for entry `index` against the latest signed checkpoint (with its cosignatures)."""
    head = await log.latest_checkpoint()
    if head is None or index >= head.size:
        raise NotIntegrated(f"entry {index} is not covered by a signed checkpoint yet")
    proof = await log.inclusion_proof(index, head.size)
    return Receipt(log.origin, index, await log.entry(index), head.size, tuple(proof), head.published)


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    text: str


@dataclass(frozen=True, slots=True)
class Verdict:
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def report(self) -> str:
        lines = [("OK    " if f.ok else "FAIL  ") + f.text for f in self.findings]
        lines.append("The receipt is valid." if self.ok else "The receipt is NOT valid.")
        return "\n".join(lines)


def verify_receipt(
    receipt: Receipt, log_vkey: str, witness_vkeys: tuple[str, ...] = (), quorum: int = 0
) -> Verdict:
    """Check a receipt offline and say, finding by finding, what holds and what does not."""
    findings: list[Finding] = []
    try:
        log_key = Verifier.from_vkey(log_vkey)
        witnesses = tuple(CosignatureVerifier.from_vkey(v) for v in witness_vkeys)
    except InvalidKey as exc:
        return Verdict((Finding(False, f"A verifier key given is not valid: {exc}."),))
    try:
        opened = open_checkpoint(receipt.checkpoint, log_key, witnesses=witnesses, quorum=quorum)
    except QuorumNotMet as exc:
        findings.append(Finding(True, f"The checkpoint is signed by the log key {log_key.name}."))
        findings.append(
            Finding(False, f"Only {exc.have} of the {exc.need} required witnesses cosigned the checkpoint.")
        )
        return Verdict(tuple(findings))
    except (NoteError, CheckpointError) as exc:
        findings.append(
            Finding(False, f"The checkpoint does not verify under the log key {log_key.name}: {exc}.")
        )
        return Verdict(tuple(findings))
    checkpoint = opened.checkpoint
    findings.append(Finding(True, f"The checkpoint is signed by the log key {log_key.name}."))
    if quorum or witnesses:
        names = ", ".join(opened.cosigners) or "none"
        findings.append(
            Finding(True, f"{len(opened.cosigners)} witness(es) cosigned it ({names}); {quorum} required.")
        )
    if receipt.origin != checkpoint.origin:
        findings.append(
            Finding(
                False,
                f"The receipt names log {receipt.origin!r} but the checkpoint is for {checkpoint.origin!r}.",
            )
        )
    if receipt.tree_size != checkpoint.size:
        findings.append(
            Finding(
                False,
                f"The receipt's tree size {receipt.tree_size} is not the checkpoint's "
                f"size {checkpoint.size}.",
            )
        )
        return Verdict(tuple(findings))
    try:
        verify_inclusion(
            leaf_hash(receipt.entry),
            receipt.index,
            checkpoint.size,
            receipt.inclusion_proof,
            checkpoint.root_hash,
        )
    except ProofError as exc:
        findings.append(
            Finding(
                False,
                f"Entry {receipt.index} is NOT proven to be in the log's tree of size "
                f"{checkpoint.size}: {exc}.",
            )
        )
    else:
        findings.append(
            Finding(
                True,
                f"Entry {receipt.index} is in the log's tree of size {checkpoint.size} "
                f"(root {base64.b64encode(checkpoint.root_hash).decode()}).",
            )
        )
    return Verdict(tuple(findings))
