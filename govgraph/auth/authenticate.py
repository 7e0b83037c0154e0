"""From a request's headers to its principal: a bearer JWT (`Authorization: Bearer ...`) or an API key
(`X-API-Key`), anonymous when neither is sent. Refused credentials raise AuthenticationFailed (code
UNAUTHENTICATED) and are counted in `govgraph_auth_failures_total{reason}`; nothing secret is logged."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter

from govgraph.auth.apikeys import ApiKeyStore
from govgraph.auth.failures import AuthenticationFailed, Reason
from govgraph.auth.token_cache import CachedTokenVerifier
from govgraph.auth.tokens import TokenVerifier
from govgraph.federation.principal import ANONYMOUS, Principal

AUTHORIZATION = "authorization"
API_KEY_HEADER = "x-api-key"
log = logging.getLogger("govgraph.auth")


class Authenticator:
    """Establishes principals. Without a token verifier (or an API key store) that kind of credential is
    refused rather than ignored: a caller who sends credentials is never silently treated as anonymous."""

    def __init__(
        self,
        tokens: TokenVerifier | CachedTokenVerifier | None,
        api_keys: ApiKeyStore | None,
        *,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.tokens = tokens
        self.api_keys = api_keys
        self.registry = registry if registry is not None else CollectorRegistry()
        self.failures = Counter(
            "govgraph_auth_failures",
            "Requests whose credentials were refused, by reason.",
            ("reason",),
            registry=self.registry,
        )
        for reason in Reason:
            self.failures.labels(reason.value)  # every reason exported from the start, at 0

    async def authenticate(self, headers: Mapping[str, str]) -> Principal:
        """The caller's principal. `headers` is a case-insensitive multi-mapping such as starlette's or
        httpx's Headers (a plain dict must use lower-case names)."""
        try:
            return await self._authenticate(headers)
        except AuthenticationFailed as failure:
            self.failures.labels(failure.reason.value).inc()
            log.info("authentication refused: %s", failure.reason.value)
            raise

    async def _authenticate(self, headers: Mapping[str, str]) -> Principal:
        authorization = _single(headers, AUTHORIZATION)
        api_key = _single(headers, API_KEY_HEADER)
        if authorization is not None and api_key is not None:
            raise AuthenticationFailed(Reason.MALFORMED, "send a bearer token or an API key, not both")
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise AuthenticationFailed(
                    Reason.MALFORMED, "the Authorization header must be 'Bearer <token>'"
                )
            if self.tokens is None:
                raise AuthenticationFailed(Reason.MALFORMED, "bearer tokens are not accepted here")
            return (await self.tokens.verify(token)).principal()
        if api_key is not None:
            if self.api_keys is None:
                raise AuthenticationFailed(Reason.MALFORMED, "API keys are not accepted here")
            return (await self.api_keys.verify(api_key.strip())).principal()
        return ANONYMOUS


def _single(headers: Mapping[str, str], name: str) -> str | None:
    getlist = getattr(headers, "getlist", None) or getattr(headers, "get_list", None)
    values = getlist(name) if getlist is not None else ([headers[name]] if name in headers else [])
    if len(values) > 1:
        raise AuthenticationFailed(Reason.MALFORMED, f"more than one {name} header")
    return values[0] if values else None
