"""The auth HTTP routes: the embedded issuer's public keys at `GET /.well-known/jwks.json`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from govgraph.auth.issuer import EmbeddedIssuer

JWKS_PATH = "/.well-known/jwks.json"
JWKS_MAX_AGE = 300


def auth_routes(issuer: EmbeddedIssuer) -> list[Route]:
    async def jwks(_request: Request) -> JSONResponse:
        return JSONResponse(issuer.jwks(), headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"})

    return [Route(JWKS_PATH, jwks, methods=["GET"])]
