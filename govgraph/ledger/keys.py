"""Ledger key files: a log's (or witness's) Ed25519 signer key as `<file>.skey` (owner-only) beside its
verifier key `<file>.vkey`, in the configured key directory."""

from __future__ import annotations

import os
from pathlib import Path

from govgraph.ledger.checkpoint import CosignatureSigner
from govgraph.ledger.errors import LedgerError
from govgraph.ledger.note import Signer


class KeyFileError(LedgerError, LookupError):
    pass


def _path(key_dir: Path, label: str, suffix: str) -> Path:
    if not label or "/" in label or label.startswith("."):
        raise KeyFileError(f"invalid key label {label!r}")
    return key_dir / f"{label}{suffix}"


def witness_label(log_name: str) -> str:
    """The key file label of the witness an agency runs beside its log `log_name`."""
    return f"{log_name}.witness"


def write_signer(key_dir: Path, label: str, signer: Signer) -> Path:
    """Store a new key; refuses to overwrite one (a replaced log key would orphan every checkpoint)."""
    key_dir.mkdir(parents=True, exist_ok=True)
    skey_path = _path(key_dir, label, ".skey")
    descriptor = os.open(skey_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(signer.skey + "\n")
    _path(key_dir, label, ".vkey").write_text(signer.vkey + "\n")
    return skey_path


def read_signer(key_dir: Path, label: str) -> Signer:
    path = _path(key_dir, label, ".skey")
    try:
        return Signer.from_skey(path.read_text().strip())
    except FileNotFoundError:
        raise KeyFileError(f"no signing key at {path}") from None


def read_vkey(key_dir: Path, label: str) -> str:
    path = _path(key_dir, label, ".vkey")
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise KeyFileError(f"no verifier key at {path}") from None


def write_witness_key(key_dir: Path, log_name: str, origin: str) -> CosignatureSigner:
    """A new witness key for the agency of `log_name`, named `<origin>/witness`; its vkey file holds the
    cosignature/v1 (type 0x04) verifier key others configure."""
    signer = Signer.generate(f"{origin}/witness")
    label = witness_label(log_name)
    write_signer(key_dir, label, signer)
    cosigner = CosignatureSigner.from_skey(signer.skey)
    _path(key_dir, label, ".vkey").write_text(cosigner.vkey + "\n")
    return cosigner


def read_witness_signer(key_dir: Path, log_name: str) -> CosignatureSigner:
    return CosignatureSigner.from_skey(read_signer(key_dir, witness_label(log_name)).skey)
