"""The auth pieces a service runs with, built from plain configuration values (the app passes its settings'
fields): the embedded issuer, or an external provider's JWKS; the API key store; the authenticator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.routing import Route

from govgraph.auth.apikeys import ApiKeyStore
from govgraph.auth.authenticate import Authenticator
from govgraph.auth.http import auth_routes
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.auth.remote_jwks import RemoteJwks
from govgraph.auth.token_cache import CachedTokenVerifier
from govgraph.auth.tokens import KeySource, TokenVerifier


@dataclass(frozen=True, slots=True)
class Auth:
    authenticator: Authenticator
    api_keys: ApiKeyStore | None
    issuer: EmbeddedIssuer | None  # None when an external provider issues the tokens
    remote_keys: RemoteJwks | None  # None with the embedded issuer

    def routes(self) -> list[Route]:
        """/.well-known/jwks.json for the embedded issuer; nothing for an external provider (it serves its
        own)."""
        return auth_routes(self.issuer) if self.issuer is not None else []


def build_auth(
    *,
    token_issuer: str,
    token_audience: str,
    jwks_url: str | None,
    issuer_key_path: Path,
    sessions: async_sessionmaker | None,
    registry: CollectorRegistry | None = None,
) -> Auth:
    """With `jwks_url`, tokens from the external provider `token_issuer`; without, the embedded issuer's
    key at `issuer_key_path` (created on first use). API keys need `sessions` (their table must exist:
    govgraph.auth.apikeys.create_api_key_tables)."""
    issuer = None
    remote = None
    keys: KeySource
    if jwks_url is not None:
        keys = remote = RemoteJwks(jwks_url)
    else:
        keys = issuer = EmbeddedIssuer.load_or_create(
            issuer_key_path, issuer=token_issuer, audience=token_audience
        )
    api_keys = ApiKeyStore(sessions) if sessions is not None else None
    # Verified tokens are remembered for a few seconds (govgraph.auth.token_cache): the gateway's check and
    # each in-process subgraph's check of one request verify the signature once.
    verifier = CachedTokenVerifier(TokenVerifier(keys, issuer=token_issuer, audience=token_audience))
    return Auth(Authenticator(verifier, api_keys, registry=registry), api_keys, issuer, remote)
