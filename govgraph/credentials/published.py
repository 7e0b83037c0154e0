"""A verifier in another process than the issuer's: what it trusts is what the issuer publishes in its
OID4VCI metadata (each configuration's BBS public keys, current and retired, and for a revocable one its
accumulator's public key and first value), fetched over HTTP, decoded strictly and refreshed in the
background; later revocation epochs come from the database both processes share. It holds no secret."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from govgraph.credentials.issuer import METADATA_PATH
from govgraph.credentials.revocation import RevocationRegistry, StoredAccumulator
from zk.accumulator import Accumulator
from zk.credential import issuer_key_id
from zk.curve import G1_LENGTH, G2_LENGTH
from zk.errors import MalformedInput
from zk.json_input import load_json
from zk.wire import from_b64url

MAX_METADATA_BYTES = 256 * 1024
MAX_KEYS = 64  # the issuer keeps at most 64 keys per configuration (govgraph.credentials.keys)
REFRESH_SECONDS = 300.0  # a rotated key is trusted within this long
RETRY_SECONDS = 1.0  # until the first fetch succeeds (the issuer may start after this process)
log = logging.getLogger("govgraph.credentials")


@dataclass(frozen=True, slots=True)
class PublishedConfiguration:
    """One configuration as the issuer publishes it."""

    keys: Mapping[str, bytes]  # key id -> BBS public key
    accumulator_key: bytes | None = None  # revocable: the accumulator's public key (compressed G2)
    initial_accumulator: bytes | None = None  # and its value before the first revocation (compressed G1)


def published_configurations(
    document: bytes, issuer: str, wanted: Iterable[str]
) -> dict[str, PublishedConfiguration]:
    """The `wanted` configurations the metadata `document` of `issuer` publishes (those it does not publish
    are left out). MalformedInput when the document is not the issuer's, or a key is not a key, or a key id
    is not its key's."""
    metadata = load_json(document, what="the issuer's metadata", max_bytes=MAX_METADATA_BYTES)
    if not isinstance(metadata, dict) or metadata.get("credential_issuer") != issuer:
        raise MalformedInput("the metadata names another credential_issuer")
    supported = metadata.get("credential_configurations_supported")
    if not isinstance(supported, dict):
        raise MalformedInput("the metadata has no credential_configurations_supported object")
    found = {}
    for configuration in wanted:
        entry = supported.get(configuration)
        if entry is not None:
            found[configuration] = _configuration(configuration, entry)
    return found


def _configuration(name: str, entry: Any) -> PublishedConfiguration:
    if not isinstance(entry, dict):
        raise MalformedInput(f"configuration {name!r} is not an object")
    listed = entry.get("issuer_keys")
    if not isinstance(listed, list) or not 1 <= len(listed) <= MAX_KEYS:
        raise MalformedInput(f"configuration {name!r} lists no issuer keys (1..{MAX_KEYS})")
    keys = {}
    for item in listed:
        if not isinstance(item, dict):
            raise MalformedInput("an issuer key is not an object")
        public_key = from_b64url(item.get("public_key"), "issuer public key", length=G2_LENGTH)
        if item.get("kid") != issuer_key_id(public_key):
            raise MalformedInput("an issuer key's kid is not its key's id")
        keys[item["kid"]] = public_key
    revocation = entry.get("revocation")
    if revocation is None:
        return PublishedConfiguration(keys)
    if not isinstance(revocation, dict):
        raise MalformedInput(f"configuration {name!r}: revocation is not an object")
    return PublishedConfiguration(
        keys,
        from_b64url(revocation.get("accumulator_public_key"), "accumulator_public_key", length=G2_LENGTH),
        from_b64url(revocation.get("initial_accumulator"), "initial_accumulator", length=G1_LENGTH),
    )


class PublishedIssuer:
    """The issuer's published configurations, fetched from `<issuer>/.well-known/openid-credential-issuer`:
    every RETRY_SECONDS until the first fetch succeeds, then every REFRESH_SECONDS. Until then no key is
    trusted (a presentation fails verification) and `failure` says why."""

    def __init__(
        self,
        issuer: str,
        wanted: Iterable[str],
        *,
        refresh: float = REFRESH_SECONDS,
        retry: float = RETRY_SECONDS,
        timeout: float = 5.0,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.wanted = list(wanted)
        self.refresh = refresh
        self.retry = retry
        self.timeout = timeout
        self.configurations: dict[str, PublishedConfiguration] = {}
        self.failure: str | None = "not fetched yet"
        self._task: asyncio.Task[None] | None = None

    def keys(self, configuration: str) -> Mapping[str, bytes]:
        published = self.configurations.get(configuration)
        return {} if published is None else published.keys

    async def fetch(self) -> None:
        """Fetch and decode the metadata once; on failure keep what was trusted and record why."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(self.issuer + METADATA_PATH)
            if response.status_code != 200:
                raise MalformedInput(f"the issuer answered {response.status_code}")
            self.configurations = published_configurations(response.content, self.issuer, self.wanted)
            self.failure = None
        except (httpx.HTTPError, MalformedInput) as exc:
            self.failure = type(exc).__name__
            log.warning("the credential issuer's metadata at %s: %s", self.issuer, exc)

    async def _run(self) -> None:
        while True:
            await self.fetch()
            await asyncio.sleep(self.retry if self.failure is not None else self.refresh)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class PublishedRevocation(RevocationRegistry):
    """The revocation epochs a verifier elsewhere accepts: the accumulator keys and first values the issuer
    publishes, the later epochs from the shared database (RevocationRegistry's reading half; it holds no
    accumulator secret, so it revokes nothing)."""

    def __init__(
        self,
        engine: AsyncEngine,
        published: PublishedIssuer,
        *,
        grace: float,
        clock: Callable[[], float] = time.time,
    ) -> None:  # deliberately not RevocationRegistry's: no key file is read or created
        self.engine = engine
        self.published = published
        self.grace = grace
        self.clock = clock

    @property
    def accumulators(self) -> dict[str, StoredAccumulator]:  # type: ignore[override]
        return {
            name: StoredAccumulator(None, Accumulator(0, published.initial_accumulator))  # type: ignore[arg-type]
            for name, published in self.published.configurations.items()
            if published.initial_accumulator is not None
        }

    def public_key(self, configuration: str) -> bytes:
        key = self.published.configurations[configuration].accumulator_key
        assert key is not None  # revocable(configuration) was checked
        return key
