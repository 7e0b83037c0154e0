"""The embedded token issuer (for `make run` and tests): an ES256 key kept in the data directory (owner-only,
created on first use), tokens signed with it, and its public JWKS. Deployments use an external OIDC
provider instead (govgraph.auth.remote_jwks)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key

from govgraph.auth.failures import AuthenticationFailed, Reason
from govgraph.auth.roles import check_roles
from govgraph.federation.errors import BadUserInput
from zk.errors import MalformedInput
from zk.json_input import load_json

ALGORITHM = "ES256"
CURVE = "P-256"
DEFAULT_TTL = 3600
MAX_TTL = 30 * 24 * 3600
MAX_SUBJECT_LENGTH = 255


class IssuerKeyError(RuntimeError):
    """The issuer's key file cannot be used (unreadable, not a P-256 private JWK, readable by others)."""


class EmbeddedIssuer:
    """Signs tokens for `issuer`/`audience` with one P-256 key whose kid is its RFC 7638 thumbprint."""

    def __init__(
        self, key: ECKey, *, issuer: str, audience: str, clock: Callable[[], float] = time.time
    ) -> None:
        if not key.is_private or key.curve_name != CURVE:
            raise IssuerKeyError(f"the embedded issuer needs a {CURVE} private key")
        self.issuer = issuer
        self.audience = audience
        self.clock = clock
        self.kid = key.thumbprint()
        self._private = ECKey.import_key({**key.as_dict(private=True), "kid": self.kid})
        self.public_key = ECKey.import_key(
            {**key.as_dict(private=False), "kid": self.kid, "alg": ALGORITHM, "use": "sig"}
        )

    @classmethod
    def load_or_create(
        cls, path: Path, *, issuer: str, audience: str, clock: Callable[[], float] = time.time
    ) -> EmbeddedIssuer:
        """The issuer whose key is at `path`, creating the key (mode 0600, its directory 0700) if missing."""
        key = _read_key(path) if path.exists() else _create_key(path)
        return cls(key, issuer=issuer, audience=audience, clock=clock)

    def issue(self, subject: str, roles: Iterable[str], ttl: int = DEFAULT_TTL) -> str:
        """A signed JWT for `subject` holding `roles`, valid from now for `ttl` seconds."""
        if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT_LENGTH:
            raise BadUserInput(f"the subject must be 1-{MAX_SUBJECT_LENGTH} characters")
        if not subject.isprintable():
            raise BadUserInput("the subject must be printable text")
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_TTL:
            raise BadUserInput(f"the lifetime must be 1-{MAX_TTL} seconds")
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "roles": sorted(check_roles(roles)),
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": secrets.token_urlsafe(16),
        }
        return jwt.encode({"alg": ALGORITHM, "kid": self.kid}, claims, self._private, algorithms=[ALGORITHM])

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public JWK Set served at /.well-known/jwks.json."""
        return {"keys": [dict(self.public_key.as_dict(private=False))]}

    async def key_for(self, kid: str | None) -> Key:
        """The verification key (govgraph.auth.tokens.KeySource): only for this issuer's kid."""
        if kid != self.kid:
            raise AuthenticationFailed(Reason.UNKNOWN_KEY, "the token's signing key (kid) is not known")
        return self.public_key


def _read_key(path: Path) -> ECKey:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise IssuerKeyError(f"{path} is readable by others (mode {mode:o}): chmod 600 it or remove it")
    try:
        document = load_json(path.read_bytes(), what=str(path), max_bytes=4096)
        key = ECKey.import_key({k: v for k, v in document.items() if k != "kid"})
    except (OSError, MalformedInput, JoseError, ValueError, AttributeError) as error:
        raise IssuerKeyError(f"{path} is not the issuer's key: {type(error).__name__}") from None
    if not key.is_private or key.curve_name != CURVE:
        raise IssuerKeyError(f"{path} is not a {CURVE} private key")
    return key


def _create_key(path: Path) -> ECKey:
    """A new key written whole under a temporary name, then linked into place: a concurrent creator (two
    processes starting at once) either wins or reads the winner's complete file, never half of one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ECKey.generate_key(CURVE, private=True)
    staging = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(_key_text(key))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(staging, path)
        except FileExistsError:
            return _read_key(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()
    return key


def _key_text(key: ECKey) -> str:
    return json.dumps(dict(key.as_dict(private=True)), sort_keys=True) + "\n"
