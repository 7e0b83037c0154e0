"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, following golang.org/x/mod/sumdb/note:
vkey/skey strings, key IDs, signing, and strict opening (unknown signers kept aside, a bad known
signature rejects the note, no verified signature rejects it)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from govgraph.ledger.errors import LedgerError

ALG_ED25519 = 0x01  # signature type of plain Ed25519 note signatures (signed-note §Signature types)
SIGNATURE_PREFIX = "— "  # U+2014 EM DASH, U+0020 SPACE
MAX_SIGNATURES = 100  # x/mod's limit; the spec requires accepting at least 16
MAX_NOTE_SIZE = 1 << 20
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")


class NoteError(LedgerError, ValueError):
    """Base of every signed-note failure."""


class MalformedNote(NoteError):
    def __init__(self, why: str = "") -> None:
        super().__init__("malformed note" + (f": {why}" if why else ""))


class InvalidKey(NoteError):
    """A vkey or skey string is not well formed or its key ID does not match its key."""


class UnknownKey(NoteError):
    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"unknown key {name}+{key_id:08x}")


class AmbiguousKey(NoteError):
    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"ambiguous key {name}+{key_id:08x}")


class InvalidSignature(NoteError):
    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"invalid signature for key {name}+{key_id:08x}")
        self.name, self.key_id = name, key_id


class UnverifiedNote(NoteError):
    """The note is well formed but no signature is from a known key; `note` holds what was read."""

    def __init__(self, note: Note) -> None:
        super().__init__("note has no verifiable signatures")
        self.note = note


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    key_id: int
    base64: str

    @property
    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {self.base64}\n"


@dataclass(slots=True)
class Note:
    text: str
    sigs: list[Signature] = field(default_factory=list)
    unverified_sigs: list[Signature] = field(default_factory=list)


class NoteVerifier(Protocol):
    name: str
    key_id: int

    def verify(self, message: bytes, signature: bytes) -> bool: ...


class NoteSigner(Protocol):
    name: str
    key_id: int

    def sign(self, message: bytes) -> bytes: ...


def is_valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode whitespace, no '+' (signed-note §Verifier keys)."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, key_type_and_key: bytes) -> int:
    """The 4-byte key ID: SHA-256(name || 0x0A || type || public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + key_type_and_key).digest()
    return struct.unpack(">I", digest[:4])[0]


def decode_key_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise InvalidKey("key is not valid base64") from exc


def parse_key_id(text: str) -> int:
    if not _HEX_KEY_ID.fullmatch(text):
        raise InvalidKey("key ID must be 8 hex digits")
    return int(text, 16)


def split_key(text: str) -> tuple[str, int, bytes]:
    """`<name>+<hex key ID>+<base64 key>` -> (name, claimed key ID, key bytes), each part validated; the key's
    algorithm byte and length are left to the caller, which knows which algorithms it accepts."""
    name, _, rest = text.partition("+")
    hex_id, _, key_b64 = rest.partition("+")
    if not is_valid_key_name(name):
        raise InvalidKey("invalid key name")
    return name, parse_key_id(hex_id), decode_key_base64(key_b64)


@dataclass(frozen=True, slots=True)
class Verifier:
    """An Ed25519 (type 0x01) note verifier key."""

    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse `<name>+<hex key ID>+<base64(0x01 || public key)>` as x/mod's NewVerifier does."""
        name, claimed, key = split_key(vkey)
        if not key:
            raise InvalidKey("empty key")
        if key[0] != ALG_ED25519:
            raise InvalidKey(f"unknown verifier algorithm {key[0]:#04x}")
        if len(key) != 33:
            raise InvalidKey("Ed25519 public key must be 32 bytes")
        if key_id(name, key) != claimed:
            raise InvalidKey("key ID does not match the key")
        return cls(name, claimed, key[1:])

    @property
    def vkey(self) -> str:
        key = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{key}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        try:
            VerifyKey(self.public_key).verify(message, signature)
        except (BadSignatureError, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class Signer:
    name: str
    key_id: int
    seed: bytes

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>` as x/mod's NewSigner does."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise InvalidKey("signer key must start with PRIVATE+KEY+")
        name, claimed, key = split_key("+".join(parts[2:]))
        if not key:
            raise InvalidKey("empty key")
        if key[0] != ALG_ED25519:
            raise InvalidKey(f"unknown signer algorithm {key[0]:#04x}")
        if len(key) != 33:
            raise InvalidKey("Ed25519 seed must be 32 bytes")
        signer = cls(name, claimed, key[1:])
        if key_id(name, bytes([ALG_ED25519]) + signer.public_key) != claimed:
            raise InvalidKey("key ID does not match the key")
        return signer

    @classmethod
    def generate(cls, name: str) -> Signer:
        if not is_valid_key_name(name):
            raise InvalidKey("invalid key name")
        seed = bytes(SigningKey.generate())
        return cls(name, key_id(name, bytes([ALG_ED25519]) + SigningKey(seed).verify_key.encode()), seed)

    @property
    def public_key(self) -> bytes:
        return SigningKey(self.seed).verify_key.encode()

    @property
    def skey(self) -> str:
        key = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{key}"

    @property
    def vkey(self) -> str:
        return self.verifier().vkey

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, self.public_key)

    def sign(self, message: bytes) -> bytes:
        return SigningKey(self.seed).sign(message).signature


class Verifiers:
    """The known keys a note is opened with, looked up by (name, key ID) as x/mod's VerifierList does."""

    def __init__(self, *verifiers: NoteVerifier) -> None:
        self._by_id: dict[tuple[str, int], list[NoteVerifier]] = {}
        for verifier in verifiers:
            self._by_id.setdefault((verifier.name, verifier.key_id), []).append(verifier)

    def verifier(self, name: str, key_id: int) -> NoteVerifier:
        found = self._by_id.get((name, key_id))
        if not found:
            raise UnknownKey(name, key_id)
        if len(found) > 1:
            raise AmbiguousKey(name, key_id)
        return found[0]


def _check_text(text: str) -> None:
    # x/mod: valid UTF-8 and no ASCII control characters other than newline.
    if any(ch < " " and ch != "\n" for ch in text):
        raise MalformedNote("control character")


def sign_note(note: Note | str, *signers: NoteSigner) -> bytes:
    """The signed note: text, a blank line, the note's existing signatures (minus any a new signer
    replaces), then one new signature line per signer."""
    if isinstance(note, str):
        note = Note(note)
    text = note.text
    if not text.endswith("\n"):
        raise MalformedNote("text must end in a newline")
    _check_text(text)
    lines = []
    fresh = {(s.name, s.key_id) for s in signers}
    for sig in note.sigs:
        if not is_valid_key_name(sig.name):
            raise MalformedNote("invalid signer name")
        if (sig.name, sig.key_id) not in fresh:
            lines.append(sig.line)
    message = text.encode()
    for signer in signers:
        if not is_valid_key_name(signer.name):
            raise MalformedNote("invalid signer name")
        raw = struct.pack(">I", signer.key_id) + signer.sign(message)
        lines.append(Signature(signer.name, signer.key_id, base64.b64encode(raw).decode()).line)
    return (text + "\n" + "".join(lines)).encode()


def open_note(message: bytes, known: Verifiers | Sequence[NoteVerifier] | Iterable[NoteVerifier]) -> Note:
    """Parse and verify a signed note. Raises MalformedNote, InvalidSignature (a known key's signature does
    not verify), AmbiguousKey, or UnverifiedNote (no signature from a known key)."""
    if not isinstance(known, Verifiers):
        known = Verifiers(*known)
    if len(message) > MAX_NOTE_SIZE:
        raise MalformedNote("note too large")
    try:
        whole = message.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedNote("not UTF-8") from None
    _check_text(whole)
    split = whole.rfind("\n\n")
    if split < 0:
        raise MalformedNote("no signature block")
    text, block = whole[: split + 1], whole[split + 2 :]
    if not block or not block.endswith("\n"):
        raise MalformedNote("signature block must end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote("too many signatures")
    note = Note(text)
    seen_known: set[tuple[str, int]] = set()
    seen_unknown: set[str] = set()
    signed = text.encode()
    for line in lines:
        name, raw, b64 = _parse_signature_line(line)
        sig_key_id = struct.unpack(">I", raw[:4])[0]
        try:
            verifier = known.verifier(name, sig_key_id)
        except UnknownKey:
            if line not in seen_unknown:
                seen_unknown.add(line)
                note.unverified_sigs.append(Signature(name, sig_key_id, b64))
            continue
        if (name, sig_key_id) in seen_known:
            continue
        seen_known.add((name, sig_key_id))
        if not verifier.verify(signed, raw[4:]):
            raise InvalidSignature(name, sig_key_id)
        note.sigs.append(Signature(name, sig_key_id, b64))
    if not note.sigs:
        raise UnverifiedNote(note)
    return note


def _parse_signature_line(line: str) -> tuple[str, bytes, str]:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote("signature line must start with an em dash")
    name, sep, b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not sep or not is_valid_key_name(name):
        raise MalformedNote("invalid signer name")
    try:
        raw = base64.b64decode(b64.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedNote("signature is not base64") from None
    if len(raw) < 5:
        raise MalformedNote("signature too short")
    return name, raw, b64
