"""Who is calling: the principal a request's credentials established, anonymous when none were sent.

It lives in the kit because every resolver's context carries one; establishing it (tokens, API keys) and
the role grammar are govgraph.auth's business, which imports this type and never the other way round."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class AuthMethod(StrEnum):
    """How the caller proved who they are."""

    ANONYMOUS = "anonymous"
    BEARER = "bearer"  # Authorization: Bearer <JWT>
    API_KEY = "api_key"  # X-API-Key: gg_...


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated subject (a token's `sub`, an API key's name) and the roles its credential grants.

    `(method, subject)` identifies the actor: an API key named `ci` and a token whose subject is `ci` are
    different callers."""

    subject: str | None
    roles: frozenset[str] = frozenset()
    method: AuthMethod = AuthMethod.ANONYMOUS

    @property
    def authenticated(self) -> bool:
        return self.method is not AuthMethod.ANONYMOUS

    @property
    def actor(self) -> str | None:
        """`<method>:<subject>`, e.g. `bearer:alice` or `api_key:ci`; None for an anonymous caller."""
        return None if self.subject is None else f"{self.method.value}:{self.subject}"


ANONYMOUS = Principal(subject=None)

Authenticate = Callable[[Mapping[str, str]], Awaitable[Principal]]
"""Establishes a request's principal from its headers (a case-insensitive multi-mapping, e.g. starlette's
Headers): ANONYMOUS when no credentials were sent; raises govgraph.federation.errors.Unauthenticated when the
credentials sent are refused. Injected into the subgraph view and the gateway by the app."""
