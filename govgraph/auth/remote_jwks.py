"""An external OIDC provider's signing keys: its JWKS fetched with httpx and cached, refetched when the cache
is older than `max_age` or a token names an unknown kid, and never more than once per
`min_refresh_interval` however many requests ask (a flood of tokens with made-up kids costs one fetch)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey

from govgraph.auth.failures import AuthenticationFailed, Reason
from zk.errors import MalformedInput
from zk.json_input import load_json

MAX_JWKS_BYTES = 64 * 1024
MAX_KEYS = 64
KEY_TYPES = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}  # never "oct": a shared secret is no public key
log = logging.getLogger("govgraph.auth")


class JwksUnavailable(Exception):
    """The JWKS could not be fetched or held no usable signing key (the message names what, not a secret)."""


class RemoteJwks:
    """The signing keys published at `url` (govgraph.auth.tokens.KeySource)."""

    def __init__(
        self,
        url: str,
        *,
        min_refresh_interval: float = 30.0,
        max_age: float = 3600.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.min_refresh_interval = min_refresh_interval
        self.max_age = max_age
        self.timeout = timeout
        self.clock = clock
        self.fetches = 0  # attempts so far, successful or not
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None  # when the cached keys were fetched
        self._attempted_at: float | None = None  # when the last attempt started
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None) -> Key:
        if self._fetched_at is None or self.clock() - self._fetched_at >= self.max_age:
            await self._refresh(reason="empty" if self._fetched_at is None else "stale")
        if not self._keys:
            raise AuthenticationFailed(
                Reason.KEYS_UNAVAILABLE, "the identity provider's signing keys are unavailable"
            )
        key = self._find(kid)
        if key is None:
            await self._refresh(reason="unknown kid")
            key = self._find(kid)
        if key is None:
            raise AuthenticationFailed(Reason.UNKNOWN_KEY, "the token's signing key (kid) is not known")
        return key

    async def load(self) -> None:
        """Fetch now, whatever the rate limit (start-up); JwksUnavailable if that fails."""
        async with self._lock:
            await self._fetch()

    def _find(self, kid: str | None) -> Key | None:
        if kid is None:
            # A provider with one key may leave kid out; with several, which key is meant is unknowable.
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self, reason: str) -> None:
        """Fetch unless an attempt started less than min_refresh_interval ago; concurrent callers share
        one attempt. A failure keeps the keys already cached."""
        attempted = self._attempted_at
        async with self._lock:
            if self._attempted_at != attempted:
                return  # another caller fetched while this one waited
            if attempted is not None and self.clock() - attempted < self.min_refresh_interval:
                return
            try:
                await self._fetch()
            except JwksUnavailable as error:
                log.warning("JWKS refresh (%s) from %s failed: %s", reason, self.url, error)

    async def _fetch(self) -> None:
        self._attempted_at = self.clock()
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                async with client.stream("GET", self.url, headers={"Accept": "application/json"}) as response:
                    if response.status_code != 200:
                        raise JwksUnavailable(f"HTTP status {response.status_code}")
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > MAX_JWKS_BYTES:
                            raise JwksUnavailable(f"the JWKS is larger than {MAX_JWKS_BYTES} bytes")
        except httpx.HTTPError as error:
            raise JwksUnavailable(type(error).__name__) from None
        self._keys = parse_jwks(bytes(body))
        self._fetched_at = self._attempted_at


def parse_jwks(body: bytes) -> dict[str, Key]:
    """The public signing keys of a JWK Set document, by kid (a key without one is known by its RFC 7638
    thumbprint). Keys of unknown or symmetric types, encryption keys and malformed keys are skipped;
    private members are dropped."""
    try:
        document = load_json(body, what="the JWKS", max_bytes=MAX_JWKS_BYTES, max_depth=8)
    except MalformedInput as error:
        raise JwksUnavailable(str(error)) from None
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise JwksUnavailable("the JWKS has no keys list")
    keys: dict[str, Key] = {}
    for entry in entries[:MAX_KEYS]:
        key = _public_signing_key(entry)
        if key is not None:
            keys.setdefault(key.kid, key)
    if not keys:
        raise JwksUnavailable("the JWKS holds no usable signing key")
    return keys


def _public_signing_key(entry: object) -> Key | None:
    if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
        return None
    key_type = KEY_TYPES.get(entry.get("kty"))  # type: ignore[arg-type]
    if key_type is None:
        return None
    try:
        key = key_type.import_key(entry)
        public = key_type.import_key(dict(key.as_dict(private=False)))
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    public.ensure_kid()
    return public
