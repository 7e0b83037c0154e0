"""The verifier's HTTP routes (OID4VP 1.0): the request object by reference and the direct_post response
endpoint. Refusals carry `invalid_request` (with the failure cause for a rejected presentation)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from govgraph.credentials.oauth import NO_STORE, ProtocolError, disconnected, no_store, read_form
from govgraph.credentials.verifier import REQUEST_OBJECT_TYPE, REQUEST_PATH, RESPONSE_PATH, Verifier

VerifierSource = Callable[[Request], Verifier | None]
Handler = Callable[[Request, Verifier], Awaitable[Response]]


def _guarded(source: VerifierSource, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        verifier = source(request)
        if verifier is None:
            return ProtocolError("temporarily_unavailable", "the verifier is starting", status=503).response()
        try:
            return await handler(request, verifier)
        except ProtocolError as error:
            return error.response()
        except ClientDisconnect:
            return disconnected()

    return endpoint


async def _request_object(request: Request, verifier: Verifier) -> Response:
    jwt = await verifier.request_object(request.path_params["request_id"])
    if jwt is None:
        raise ProtocolError(
            "invalid_request", "no such presentation request (answered or expired)", status=404
        )
    return Response(jwt, media_type=f"application/{REQUEST_OBJECT_TYPE}", headers=NO_STORE)


async def _response(request: Request, verifier: Verifier) -> Response:
    return no_store(await verifier.respond(await read_form(request, limit=96 * 1024)))


def verifier_routes(source: VerifierSource) -> list[Route]:
    return [
        Route(REQUEST_PATH, _guarded(source, _request_object), methods=["GET"]),
        Route(RESPONSE_PATH, _guarded(source, _response), methods=["POST"]),
    ]
