"""The issuer's HTTP routes (OID4VCI 1.0): metadata, offers by reference, token, nonce and credential
endpoints, and the revocation epochs' update data. Each answers JSON; refusals carry the spec's error codes,
never a 500 for bad input."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from govgraph.credentials.issuer import (
    AUTHORIZATION_SERVER_PATH,
    CREDENTIAL_PATH,
    METADATA_PATH,
    NONCE_PATH,
    OFFER_PATH,
    REVOCATION_PATH,
    TOKEN_PATH,
    Issuer,
)
from govgraph.credentials.oauth import ProtocolError, disconnected, no_store, read_form, read_json

log = logging.getLogger("govgraph.credentials")
METADATA_MAX_AGE = 300

IssuerSource = Callable[[Request], Issuer | None]
Handler = Callable[[Request, Issuer], Awaitable[Response]]


def guarded(source: IssuerSource, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """`handler` with the issuer found, protocol errors answered with their code and a client that left
    mid-body answered with nothing."""

    async def endpoint(request: Request) -> Response:
        issuer = source(request)
        if issuer is None:
            return ProtocolError("temporarily_unavailable", "the issuer is starting", status=503).response()
        try:
            return await handler(request, issuer)
        except ProtocolError as error:
            return error.response()
        except ClientDisconnect:
            return disconnected()

    return endpoint


async def _metadata(_request: Request, issuer: Issuer) -> Response:
    return JSONResponse(issuer.metadata(), headers={"Cache-Control": f"public, max-age={METADATA_MAX_AGE}"})


async def _authorization_server(_request: Request, issuer: Issuer) -> Response:
    return JSONResponse(
        issuer.authorization_server_metadata(),
        headers={"Cache-Control": f"public, max-age={METADATA_MAX_AGE}"},
    )


async def _offer(request: Request, issuer: Issuer) -> Response:
    offer = await issuer.offer_object(request.path_params["offer_id"])
    if offer is None:
        raise ProtocolError(
            "invalid_request", "no such credential offer (used, locked or expired)", status=404
        )
    return no_store(offer)


async def _token(request: Request, issuer: Issuer) -> Response:
    return no_store(await issuer.token(await read_form(request)))


async def _nonce(_request: Request, issuer: Issuer) -> Response:
    return no_store(await issuer.nonce())


async def _credential(request: Request, issuer: Issuer) -> Response:
    offer_id = await issuer.offer_for_token(request.headers.get("authorization"))
    body = await read_json(request, error="invalid_credential_request")
    return no_store(await issuer.credential(offer_id, body))


async def _revocation(request: Request, issuer: Issuer) -> Response:
    params = request.query_params
    updates = await issuer.revocation_updates(params.get("configuration"), params.get("since", "0"))
    return JSONResponse(updates, headers={"Cache-Control": "no-cache"})


def issuer_routes(source: IssuerSource) -> list[Route]:
    return [
        Route(METADATA_PATH, guarded(source, _metadata), methods=["GET"]),
        Route(AUTHORIZATION_SERVER_PATH, guarded(source, _authorization_server), methods=["GET"]),
        Route(OFFER_PATH, guarded(source, _offer), methods=["GET"]),
        Route(TOKEN_PATH, guarded(source, _token), methods=["POST"]),
        Route(NONCE_PATH, guarded(source, _nonce), methods=["POST"]),
        Route(CREDENTIAL_PATH, guarded(source, _credential), methods=["POST"]),
        Route(REVOCATION_PATH, guarded(source, _revocation), methods=["GET"]),
    ]
