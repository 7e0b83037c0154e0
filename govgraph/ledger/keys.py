"""Ledger key files: a log's (or witness's) Ed25519 signer key as `<file>.skey` (owner-only) beside its
verifier key `<file>.vkey`, in the configured key directory."""

from __future__ import annotations

import os
from pathlib import Path

from govgraph.ledger.note import Signer


class KeyFileError(LookupError):
    pass


def _stem(key_dir: Path, label: str) -> Path:
    if not label or "/" in label or label.startswith("."):
        raise KeyFileError(f"invalid key label {label!r}")
    return key_dir / label


def write_signer(key_dir: Path, label: str, signer: Signer) -> Path:
    """Store a new key; refuses to overwrite one (a replaced log key would orphan every checkpoint)."""
    key_dir.mkdir(parents=True, exist_ok=True)
    stem = _stem(key_dir, label)
    skey_path = stem.with_suffix(".skey")
    descriptor = os.open(skey_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(signer.skey + "\n")
    stem.with_suffix(".vkey").write_text(signer.vkey + "\n")
    return skey_path


def read_signer(key_dir: Path, label: str) -> Signer:
    path = _stem(key_dir, label).with_suffix(".skey")
    try:
        return Signer.from_skey(path.read_text().strip())
    except FileNotFoundError:
        raise KeyFileError(f"no signing key at {path}") from None


def read_vkey(key_dir: Path, label: str) -> str:
    path = _stem(key_dir, label).with_suffix(".vkey")
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise KeyFileError(f"no verifier key at {path}") from None
