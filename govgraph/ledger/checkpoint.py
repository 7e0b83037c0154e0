"""C2SP checkpoints (c2sp.org/tlog-checkpoint) and Ed25519 cosignatures (c2sp.org/tlog-cosignature,
cosignature/v1, signature type 0x04): the checkpoint body text, parsing it strictly, and cosigning it."""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from govgraph.ledger.errors import LedgerError
from govgraph.ledger.note import (
    ALG_ED25519,
    InvalidKey,
    Note,
    Signature,
    Signer,
    Verifier,
    Verifiers,
    key_id,
    open_note,
    split_key,
)

ALG_COSIGNATURE_V1 = 0x04  # tlog-cosignature §Format: Ed25519 cosignature/v1
HASH_SIZE = 32
MAX_TIMESTAMP = (1 << 63) - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(LedgerError, ValueError):
    """The text is not a well-formed checkpoint body."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text: origin, decimal size, base64 root, then any extension lines
        (tlog-checkpoint §Note text)."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode(), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint body must end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint body needs origin, size and root hash lines")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise CheckpointError("empty origin line")
        if not _DECIMAL.fullmatch(size_text) or int(size_text) >= 1 << 64:
            raise CheckpointError("tree size must be a decimal with no leading zeroes")
        try:
            root = base64.b64decode(root_text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise CheckpointError("root hash is not base64") from None
        if len(root) != HASH_SIZE or base64.b64encode(root).decode() != root_text:
            raise CheckpointError("root hash must be a canonical base64 SHA-256 hash")
        if any(not line for line in extensions):
            raise CheckpointError("extension lines must not be empty")
        return cls(origin, int(size_text), root, tuple(extensions))


def cosignature_message(checkpoint_body: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosignature/v1 signs (tlog-cosignature §Signed message)."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint_body.encode()


def cosignature_key_id(name: str, public_key: bytes) -> int:
    return key_id(name, bytes([ALG_COSIGNATURE_V1]) + public_key)


@dataclass(frozen=True, slots=True)
class CosignatureSigner:
    """A witness key signing cosignature/v1; built from an ordinary Ed25519 skey, whose key ID is recomputed
    with type 0x04 as transparency-dev/formats does."""

    name: str
    key_id: int
    seed: bytes

    @classmethod
    def from_skey(cls, skey: str) -> CosignatureSigner:
        signer = Signer.from_skey(skey)
        return cls(signer.name, cosignature_key_id(signer.name, signer.public_key), signer.seed)

    @property
    def public_key(self) -> bytes:
        return SigningKey(self.seed).verify_key.encode()

    @property
    def vkey(self) -> str:
        key = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{key}"

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.key_id, self.public_key)

    def cosign(self, checkpoint_body: str, timestamp: int) -> Signature:
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise ValueError("timestamp must be below 2^63")
        sig = SigningKey(self.seed).sign(cosignature_message(checkpoint_body, timestamp)).signature
        raw = struct.pack(">IQ", self.key_id, timestamp) + sig
        return Signature(self.name, self.key_id, base64.b64encode(raw).decode())


@dataclass(frozen=True, slots=True)
class CosignatureVerifier:
    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        """A type 0x04 vkey, or a type 0x01 Ed25519 vkey used as a cosigner (its ID recomputed with 0x04)."""
        name, claimed, key = split_key(vkey)
        if len(key) != 33 or key[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise InvalidKey("cosigner key must be a 0x01 or 0x04 Ed25519 key")
        if key_id(name, key) != claimed:
            raise InvalidKey("key ID does not match the key")
        return cls(name, cosignature_key_id(name, key[1:]), key[1:])

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + 64:
            return False
        (timestamp,) = struct.unpack(">Q", signature[:8])
        if timestamp > MAX_TIMESTAMP:
            return False
        try:
            VerifyKey(self.public_key).verify(cosignature_message(message.decode(), timestamp), signature[8:])
        except (BadSignatureError, ValueError):
            return False
        return True


def cosignature_timestamp(signature: Signature) -> int:
    raw = base64.b64decode(signature.base64)
    return struct.unpack(">Q", raw[4:12])[0]


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    note: Note
    cosigners: tuple[str, ...]  # names of the witnesses whose cosignatures verified


def open_checkpoint(
    signed: bytes, log_verifier: Verifier, *, witnesses: tuple[CosignatureVerifier, ...] = (), quorum: int = 0
) -> SignedCheckpoint:
    """Verify a signed checkpoint: the log's own signature must verify, the body must parse with the
    log's origin, and at least `quorum` of `witnesses` must have cosigned it. Raises NoteError,
    CheckpointError or QuorumNotMet."""
    note = open_note(signed, Verifiers(log_verifier, *witnesses))
    if not any(s.name == log_verifier.name and s.key_id == log_verifier.key_id for s in note.sigs):
        raise CheckpointError(f"checkpoint is not signed by the log key {log_verifier.name}")
    checkpoint = Checkpoint.parse(note.text)
    if checkpoint.origin != log_verifier.name:
        raise CheckpointError(
            f"checkpoint origin {checkpoint.origin!r} is not the log's {log_verifier.name!r}"
        )
    witness_ids = {(w.name, w.key_id) for w in witnesses}
    cosigners = tuple(dict.fromkeys(s.name for s in note.sigs if (s.name, s.key_id) in witness_ids))
    if len(cosigners) < quorum:
        raise QuorumNotMet(len(cosigners), quorum)
    return SignedCheckpoint(checkpoint, note, cosigners)


class QuorumNotMet(CheckpointError):
    def __init__(self, have: int, need: int) -> None:
        super().__init__(f"{have} of the required {need} witness cosignatures verified")
        self.have, self.need = have, need
