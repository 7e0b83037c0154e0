"""The wallet file: one local JSON file (mode 0600) of pending requests and held credentials, and the
operations on files `govgraph wallet` runs (request, store, list, present).

The file holds secrets (each credential's prover blind and nym secret): it is created 0600, replaced
atomically on every change, and refused when group or others can read it. The cryptography is `zk.credential`.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zk import credential as zkc
from zk.accumulator import Accumulator, verify_witness
from zk.curve import Backend
from zk.errors import InvalidProof, MalformedInput
from zk.json_input import printable
from zk.wire import (
    MAX_MESSAGE_BYTES,
    b64url,
    canonical_json,
    parse_json,
    require_list,
    require_message,
    scalar_from_b64,
    scalar_to_b64,
)

WALLET_TYPE = "govgraph.wallet.Wallet"
PENDING_REQUEST_TYPE = "govgraph.wallet.PendingRequest"
HELD_CREDENTIAL_TYPE = "govgraph.wallet.HeldCredential"
WALLET_FILE = "wallet.json"


class WalletError(Exception):
    """A wallet operation cannot be done; the message says why in plain words."""


@dataclass
class Wallet:
    pending: list[zkc.PendingRequest] = field(default_factory=list)
    credentials: list[zkc.HeldCredential] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "type": WALLET_TYPE,
            "version": 1,
            "pending": [pending_request_to_json(p) for p in self.pending],
            "credentials": [held_credential_to_json(c) for c in self.credentials],
        }

    @classmethod
    def from_json(cls, value: Any) -> Wallet:
        obj = require_message(value, WALLET_TYPE, ("pending", "credentials"))
        pending = require_list(obj["pending"], "pending", max_length=10_000)
        held = require_list(obj["credentials"], "credentials", max_length=10_000)
        return cls(
            [pending_request_from_json(p) for p in pending],
            [held_credential_from_json(c) for c in held],
        )


# --- the file's entries: the holder's secrets, which never leave the wallet ------------------------------
def pending_request_to_json(pending: zkc.PendingRequest) -> dict:
    return {
        "type": PENDING_REQUEST_TYPE,
        "version": 1,
        "offer": pending.offer.to_json(),
        "prover_nym": scalar_to_b64(pending.prover_nym),
        "prover_blind": scalar_to_b64(pending.prover_blind),
    }


def pending_request_from_json(value: Any) -> zkc.PendingRequest:
    obj = require_message(value, PENDING_REQUEST_TYPE, ("offer", "prover_nym", "prover_blind"))
    return zkc.PendingRequest(
        zkc.CredentialOffer.from_json(obj["offer"]),
        scalar_from_b64(obj["prover_nym"], "prover_nym"),
        scalar_from_b64(obj["prover_blind"], "prover_blind"),
    )


def held_credential_to_json(held: zkc.HeldCredential) -> dict:
    return {
        "type": HELD_CREDENTIAL_TYPE,
        "version": 1,
        "credential": held.credential.to_json(),
        "prover_blind": scalar_to_b64(held.prover_blind),
        "nym_secret": scalar_to_b64(held.nym_secret),
    }


def held_credential_from_json(value: Any) -> zkc.HeldCredential:
    obj = require_message(value, HELD_CREDENTIAL_TYPE, ("credential", "prover_blind", "nym_secret"))
    return zkc.HeldCredential(
        zkc.Credential.from_json(obj["credential"]),
        scalar_from_b64(obj["prover_blind"], "prover_blind"),
        scalar_from_b64(obj["nym_secret"], "nym_secret", nonzero=True),
    )


def credential_id(held: zkc.HeldCredential) -> str:
    """A short stable name for a held credential: the start of base64url(SHA-256(signature))."""
    return b64url(hashlib.sha256(held.credential.signature).digest())[:12]


def default_path(data_dir: Path) -> Path:
    return data_dir / WALLET_FILE


def read_private(path: Path, what: str) -> bytes | None:
    """The bytes of one of the wallet's private files (None if it does not exist yet), read only up to one
    byte past the wire limit (the parser then refuses it); a file group or others can read is refused."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if info.st_mode & 0o077:
        raise WalletError(
            f"{path} is readable by others (mode {stat.S_IMODE(info.st_mode):o}): run chmod 600 {path}"
        )
    with path.open("rb") as handle:
        return handle.read(MAX_MESSAGE_BYTES + 1)


def load(path: Path) -> Wallet:
    """The wallet at `path` (empty if the file does not exist yet)."""
    data = read_private(path, "wallet")
    if data is None:
        return Wallet()
    try:
        return Wallet.from_json(parse_json(data, "wallet"))
    except MalformedInput as exc:
        raise WalletError(f"{path} is not a valid wallet file: {exc}") from None


def save(path: Path, wallet: Wallet) -> None:
    """Replace the wallet file atomically; the new file is created 0600 before any byte is written. A wallet
    larger than `load` reads is refused and the file on disk is left as it was: writing it would lock the
    citizen out of every credential in it."""
    data = canonical_json(wallet.to_json())
    if len(data) > MAX_MESSAGE_BYTES:
        raise WalletError(
            f"the wallet would be {len(data)} bytes, more than the {MAX_MESSAGE_BYTES} a wallet file may "
            f"hold ({len(wallet.credentials)} credentials, {len(wallet.pending)} pending requests); nothing "
            "was changed"
        )
    write_private(path, data)


def write_private(path: Path, data: bytes) -> None:
    """Replace one of the wallet's private files atomically, created 0600 before any byte is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".wallet-", dir=path.parent)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_message(data: bytes | str, kind: Any, what: str) -> Any:
    try:
        return kind.from_json(parse_json(data, what))
    except MalformedInput as exc:
        raise WalletError(f"not a valid {what}: {exc}") from None


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock (on `<wallet>.lock`) across a read-modify-write, so that two processes (the CLI
    and a web wallet) never lose each other's update."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- the operations ---------------------------------------------------------------------------------------
def request(path: Path, offer_json: bytes | str, *, backend: Backend | None = None) -> bytes:
    """Answer a CredentialOffer: keep the secrets as a pending request, return the CredentialRequest JSON."""
    offer = _read_message(offer_json, zkc.CredentialOffer, "credential offer")
    answer, pending = zkc.request_credential(offer, backend=backend)
    keep_pending(path, pending)
    return canonical_json(answer.to_json())


def keep_pending(path: Path, pending: zkc.PendingRequest) -> None:
    """Add a pending request (the holder's secrets for a credential being issued) to the wallet."""
    with exclusive(path):
        wallet = load(path)
        wallet.pending.append(pending)
        save(path, wallet)


def store(path: Path, credential_json: bytes | str, *, backend: Backend | None = None) -> str:
    """Store an issued Credential: it must verify against one of the pending requests (whose secrets it is
    bound to), which it then replaces. Returns the credential's id."""
    issued = _read_message(credential_json, zkc.Credential, "credential")
    with exclusive(path):
        wallet = load(path)
        for pending in wallet.pending:
            if pending.offer.issuer_key != issued.issuer_key or pending.offer.schema != issued.schema:
                continue
            try:
                held = zkc.accept_credential(pending, issued, backend=backend)
            except InvalidProof:
                continue
            wallet.pending.remove(pending)
            wallet.credentials.append(held)
            save(path, wallet)
            return credential_id(held)
    raise WalletError(
        "no pending request of this wallet matches the credential (wrong issuer, schema or signature)"
    )


@dataclass(frozen=True)
class CredentialSummary:
    id: str
    schema: str
    issuer_key: str
    attributes: dict[str, Any]
    expires: dt.date
    # a revocable credential's witness: its epoch and whether it is still a member (False: revoked)
    revocation: tuple[int, bool] | None = None

    def to_json(self) -> dict:
        out = {
            "id": self.id,
            "schema": self.schema,
            "issuer_key": self.issuer_key,
            "attributes": self.attributes,
            "expires": self.expires.isoformat(),
        }
        if self.revocation is not None:
            out["revocation"] = {"epoch": self.revocation[0], "revoked": not self.revocation[1]}
        return out


def list_credentials(path: Path) -> list[CredentialSummary]:
    out = []
    for held in load(path).credentials:
        credential = held.credential
        out.append(
            CredentialSummary(
                credential_id(held),
                credential.schema.name,
                credential.issuer_key,
                credential.schema.values_to_json(credential.attributes),
                credential.attributes[zkc.EXPIRES],
                _revocation_status(credential.revocation),
            )
        )
    return out


def _revocation_status(revocation: zkc.CredentialRevocation | None) -> tuple[int, bool] | None:
    """(epoch, still a member) of a revocable credential's witness (`govgraph wallet refresh` moves a revoked
    one to the epoch that removed it, where it is no member)."""
    if revocation is None:
        return None
    witness = revocation.witness
    member = verify_witness(
        revocation.public_key,
        Accumulator(witness.epoch, witness.accumulator),
        revocation.handle,
        witness.witness,
    )
    return witness.epoch, member


@dataclass(frozen=True)
class Plan:
    """What a presentation will show: the credential, the disclosed values, the proved statements and the
    pseudonym context (None: no pseudonym)."""

    credential_id: str
    disclosed: dict[str, Any]
    proved: tuple[str, ...]
    context: str | None

    def lines(self) -> list[str]:
        """The plan in words, one line each; text from the request or the credential is `printable`."""
        out = [f"credential {self.credential_id}"]
        out += [f"discloses {name} = {printable(str(value))}" for name, value in self.disclosed.items()] or [
            "discloses nothing"
        ]
        out += [f"proves {printable(statement)} (value not revealed)" for statement in self.proved]
        if self.context is not None:
            out.append(
                f"shows the pseudonym for context '{printable(self.context)}'"
                " (the same every time for this context)"
            )
        return out


def _choose(
    wallet: Wallet, ask: zkc.PresentationRequest, chosen_id: str | None
) -> tuple[zkc.HeldCredential, Plan]:
    reasons = []
    for held in wallet.credentials:
        cid = credential_id(held)
        if chosen_id is not None and cid != chosen_id:
            continue
        credential = held.credential
        if credential.schema != ask.schema:
            reasons.append(f"{cid}: another schema ({printable(credential.schema.name)})")
            continue
        if credential.issuer_key not in ask.issuers:
            reasons.append(f"{cid}: issuer {credential.issuer_key} is not accepted")
            continue
        failed = [
            p.describe(ask.schema.attribute(p.attribute))
            for p in ask.all_predicates()
            if not p.holds(ask.schema.attribute(p.attribute), credential.attributes[p.attribute])
        ]
        if failed:
            reasons.append(f"{cid}: does not satisfy {printable(', '.join(failed))}")
            continue
        disclosed = ask.schema.values_to_json({n: credential.attributes[n] for n in ask.disclose})
        proved = tuple(p.describe(ask.schema.attribute(p.attribute)) for p in ask.all_predicates())
        return held, Plan(cid, disclosed, proved, ask.context)
    if chosen_id is not None and not reasons:
        raise WalletError(f"no credential {printable(chosen_id)} in this wallet")
    raise WalletError(
        "no credential in this wallet can answer the request" + "".join(f"\n  {reason}" for reason in reasons)
    )


def plan(path: Path, request_json: bytes | str, chosen_id: str | None = None) -> Plan:
    """What `present` would disclose and prove, without making the presentation."""
    ask = _read_message(request_json, zkc.PresentationRequest, "presentation request")
    return _choose(load(path), ask, chosen_id)[1]


def present(
    path: Path, request_json: bytes | str, chosen_id: str | None = None, *, backend: Backend | None = None
) -> tuple[Plan, bytes]:
    """The plan and the Presentation JSON answering a PresentationRequest, from the first credential (or
    the one named) that satisfies it."""
    ask = _read_message(request_json, zkc.PresentationRequest, "presentation request")
    held, chosen = _choose(load(path), ask, chosen_id)
    return chosen, zkc.present(held, ask, backend=backend).to_bytes()


__all__ = [
    "CredentialSummary",
    "Plan",
    "Wallet",
    "WalletError",
    "credential_id",
    "default_path",
    "exclusive",
    "held_credential_from_json",
    "held_credential_to_json",
    "keep_pending",
    "list_credentials",
    "load",
    "pending_request_from_json",
    "pending_request_to_json",
    "plan",
    "present",
    "read_private",
    "request",
    "save",
    "store",
    "write_private",
]
