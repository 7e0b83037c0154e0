"""OpenTimestamps proofs: reading a detached `.ots` file with the `opentimestamps` package (its digest, and
every attestation its operations lead to), and checking Bitcoin attestations against block merkle roots the
caller supplies (this module queries no node: a Bitcoin attestation is only as good as the header it is
compared with)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from opentimestamps.core.dubious.notary import EthereumBlockHeaderAttestation
from opentimestamps.core.notary import (
    BitcoinBlockHeaderAttestation,
    LitecoinBlockHeaderAttestation,
    PendingAttestation,
    UnknownAttestation,
)
from opentimestamps.core.op import MsgValueError, OpArgValueError
from opentimestamps.core.serialize import BytesDeserializationContext, DeserializationError
from opentimestamps.core.timestamp import DetachedTimestampFile

MAX_PROOF_BYTES = 1 << 20
_HASHES = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "ripemd160": None, "keccak256": None}
_CHAINS = {
    BitcoinBlockHeaderAttestation: "bitcoin",
    LitecoinBlockHeaderAttestation: "litecoin",
    EthereumBlockHeaderAttestation: "ethereum",
}


class InvalidOtsProof(ValueError):
    """The file is not a valid detached OpenTimestamps proof; `kind` names what was wrong."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class OtsReport:
    hash_op: str
    file_digest: bytes
    digest_matches: bool | None  # None when no data was given
    attestations: list[dict[str, object]] = field(default_factory=list)

    def document(self) -> dict[str, object]:
        return {
            "file_hash_op": self.hash_op,
            "file_digest": self.file_digest.hex(),
            "digest_matches": self.digest_matches,
            "attestations": self.attestations,
        }


def read_proof(data: bytes) -> DetachedTimestampFile:
    if len(data) > MAX_PROOF_BYTES:
        raise InvalidOtsProof("TooLarge", f"an OpenTimestamps proof is at most {MAX_PROOF_BYTES} bytes here")
    try:
        return DetachedTimestampFile.deserialize(BytesDeserializationContext(data))
    except DeserializationError as exc:
        raise InvalidOtsProof(type(exc).__name__, str(exc) or type(exc).__name__) from None
    except (MsgValueError, OpArgValueError) as exc:
        raise InvalidOtsProof("InvalidOperation", str(exc)) from None
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        raise InvalidOtsProof("Malformed", f"{type(exc).__name__}: {exc}") from None


def inspect_proof(
    proof: bytes, data: bytes | None = None, *, bitcoin_roots: dict[int, bytes] | None = None
) -> OtsReport:
    """What the proof says: the digest it covers (and whether `data` hashes to it) and each attestation,
    in the order the proof's operations reach them. `bitcoin_roots` (height -> merkle root in block-explorer
    byte order) marks each Bitcoin attestation at a known height `verified` true or false."""
    detached = read_proof(proof)
    name = detached.file_hash_op.TAG_NAME
    matches = None
    if data is not None:
        hasher = _HASHES.get(name)
        if hasher is None:
            raise InvalidOtsProof("UnsupportedHash", f"file hash {name} is not supported here")
        matches = hasher(data).digest() == detached.file_digest
    found = [
        _describe(commitment, attestation, bitcoin_roots or {})
        for commitment, attestation in detached.timestamp.all_attestations()
    ]
    return OtsReport(name, detached.file_digest, matches, sorted(found, key=_order))


def _order(described: dict[str, object]) -> tuple[str, str, str]:
    """Attestations by kind, then calendar or height, then commitment: a stable order for any proof."""
    place = described.get("uri", described.get("height", described.get("tag", "")))
    return (str(described["type"]), f"{place:>20}" if isinstance(place, int) else str(place), str(described))


def _describe(commitment: bytes, attestation: object, roots: dict[int, bytes]) -> dict[str, object]:
    if isinstance(attestation, PendingAttestation):
        return {"type": "pending", "uri": attestation.uri}
    chain = _CHAINS.get(type(attestation))
    if chain is not None:
        height = attestation.height  # type: ignore[attr-defined]
        described: dict[str, object] = {
            "type": chain,
            "height": height,
            # the value the block header's merkle root must equal: internal byte order, then explorer order
            "commitment": commitment.hex(),
            "merkle_root": commitment[::-1].hex(),
        }
        if chain == "bitcoin" and height in roots:
            described["verified"] = roots[height] == commitment[::-1]
        return described
    if isinstance(attestation, UnknownAttestation):
        return {"type": "unknown", "tag": attestation.TAG.hex(), "payload": attestation.payload.hex()}
    return {"type": "unknown", "tag": getattr(attestation, "TAG", b"").hex(), "payload": ""}
