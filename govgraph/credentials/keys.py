"""The issuer's BBS keys, one set per credential configuration, kept in the data directory: a JSON file per
configuration (owner-only, refused when others can read it) listing every key with its key id, the current
one first. Rotation adds a new current key; older keys stay listed so credentials they signed still verify."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zk.bbs import BLS12_381_SHA_256
from zk.credential import IssuerKey, issuer_key_id
from zk.curve import G2_LENGTH
from zk.errors import MalformedInput, ZkError
from zk.json_input import load_json
from zk.wire import b64url, canonical_json, from_b64url, require_list, require_message, require_object

KEYS_TYPE = "govgraph.credentials.IssuerKeys"
MAX_KEYS = 64
MAX_FILE_BYTES = 64 * 1024


class KeyFileError(RuntimeError):
    """A key file cannot be used (readable by others, not a key file, a key that does not match its id)."""


@dataclass(frozen=True)
class StoredKey:
    key: IssuerKey = field(repr=False)
    created: int  # seconds since the epoch

    @property
    def kid(self) -> str:
        return self.key.key_id


@dataclass(frozen=True)
class KeySet:
    """A configuration's keys, the current (signing) one first."""

    configuration: str
    keys: tuple[StoredKey, ...]

    @property
    def current(self) -> IssuerKey:
        return self.keys[0].key

    def public_keys(self) -> dict[str, bytes]:
        return {stored.kid: stored.key.public_key for stored in self.keys}


class IssuerKeys:
    """The key files of the issuer's configurations, under `directory` (created 0700)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, configuration: str) -> Path:
        return self.directory / (re.sub(r"[^A-Za-z0-9._-]", "_", configuration) + ".json")

    def load_or_create(self, configuration: str) -> KeySet:
        path = self.path(configuration)
        if not path.exists():
            self._write(path, KeySet(configuration, (_new_key(),)), create=True)
        return _read(path, configuration)

    def rotate(self, configuration: str) -> KeySet:
        """A new current key; the previous ones stay for verification (at most MAX_KEYS are kept)."""
        keys = self.load_or_create(configuration)
        rotated = KeySet(configuration, ((_new_key(), *keys.keys))[:MAX_KEYS])
        self._write(self.path(configuration), rotated, create=False)
        return rotated

    def _write(self, path: Path, keys: KeySet, *, create: bool) -> None:
        """Write whole under a temporary name (0600), then link (a new file: a concurrent creator's file
        wins) or rename (a rotation) into place."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(canonical_json(_to_json(keys)) + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            if create:
                with contextlib.suppress(FileExistsError):
                    os.link(staging, path)
            else:
                os.replace(staging, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                staging.unlink()


def _new_key() -> StoredKey:
    return StoredKey(IssuerKey.generate(), int(time.time()))


def _to_json(keys: KeySet) -> dict[str, Any]:
    return {
        "type": KEYS_TYPE,
        "version": 1,
        "configuration": keys.configuration,
        "keys": [
            {
                "kid": stored.kid,
                "created": stored.created,
                "secret_key": b64url(stored.key.secret_key),
                "public_key": b64url(stored.key.public_key),
            }
            for stored in keys.keys
        ],
    }


def _read(path: Path, configuration: str) -> KeySet:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeyFileError(f"{path} is readable by others (mode {mode:o}): chmod 600 it")
    try:
        with path.open("rb") as handle:
            document = load_json(handle.read(MAX_FILE_BYTES + 1), what=str(path), max_bytes=MAX_FILE_BYTES)
        obj = require_message(document, KEYS_TYPE, ("configuration", "keys"))
        if obj["configuration"] != configuration:
            raise MalformedInput(f"it holds the keys of another configuration, not {configuration}")
        keys = tuple(_key_from_json(item) for item in require_list(obj["keys"], "keys", max_length=MAX_KEYS))
    except ZkError as exc:
        raise KeyFileError(f"{path} is not an issuer key file: {exc}") from None
    if not keys:
        raise KeyFileError(f"{path} lists no key")
    return KeySet(configuration, keys)


def _key_from_json(value: Any) -> StoredKey:
    obj = require_object(value, "key", ("kid", "created", "secret_key", "public_key"))
    public_key = from_b64url(obj["public_key"], "public_key", length=G2_LENGTH)
    secret_key = from_b64url(obj["secret_key"], "secret_key", length=32)
    if issuer_key_id(public_key) != obj["kid"]:
        raise MalformedInput("a key's kid is not the id of its public key")
    if BLS12_381_SHA_256.sk_to_pk(secret_key) != public_key:
        raise MalformedInput("a key's secret key does not belong to its public key")
    created = obj["created"]
    if type(created) is not int or created < 0:
        raise MalformedInput("a key's created time is not a number of seconds")
    return StoredKey(IssuerKey(secret_key, public_key), created)


def trusted_keys(sets: Iterable[KeySet]) -> dict[str, bytes]:
    """Every key id -> public key of the given sets (what a verifier accepts)."""
    out: dict[str, bytes] = {}
    for keys in sets:
        out.update(keys.public_keys())
    return out
