"""Cross-origin requests (CORS) for the GraphQL endpoints: which browser origins may call them, with what.

Starlette's CORSMiddleware does the protocol (preflights, `Vary: Origin`, exact origin matching); this module
fixes govgraph's policy: the methods GraphQL over HTTP uses, the request headers our clients send
(credentials, request ids, W3C trace context, Apollo's client-identification and CSRF-prevention headers),
the response headers a page may read (the request id, Retry-After), and nothing at all when no origin is
configured: a preflight from any origin is then refused and no response carries
`Access-Control-Allow-Origin`."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

CORS_METHODS = ("GET", "POST", "OPTIONS")
CORS_REQUEST_HEADERS = (
    "accept",
    "content-type",
    "authorization",
    "x-api-key",
    "x-request-id",
    "traceparent",
    "tracestate",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "graphql-client-name",
    "graphql-client-version",
)
CORS_EXPOSED_HEADERS = ("x-request-id", "retry-after")


def cors_middleware(origins: Sequence[str], *, credentials: bool, max_age: int) -> Middleware:
    """The CORS middleware for `origins` (exact `scheme://host[:port]` strings, or `*`): `credentials` lets
    pages send cookies and read answers to credentialed requests (never with `*`: the settings refuse it);
    browsers cache a preflight's answer for `max_age` seconds."""
    if credentials and "*" in origins:
        raise ValueError("CORS credentials cannot be allowed for every origin (*)")
    return Middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=list(CORS_METHODS),
        allow_headers=list(CORS_REQUEST_HEADERS),
        allow_credentials=credentials,
        expose_headers=list(CORS_EXPOSED_HEADERS),
        max_age=max_age,
    )
