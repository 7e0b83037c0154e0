"""The welfare office's publication routes: each programme's disbursements as a 360Giving package and as an
IATI 2.03 activity, for anyone (the data is pseudonymous and the ledger already public)."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from govgraph.agencies.ids import MAX_ID_LENGTH
from govgraph.agencies.welfare.exports import giving_package, iati_activity
from govgraph.agencies.welfare.models import ProgrammeRow
from govgraph.agencies.welfare.service import WelfareService

GIVING_PATH = "/welfare/programmes/{programme}/360giving.json"
IATI_PATH = "/welfare/programmes/{programme}/iati.xml"
CACHE = {"Cache-Control": "no-cache"}


def _not_found(message: str) -> JSONResponse:
    return JSONResponse({"error": "not_found", "message": message}, status_code=404, headers=CACHE)


async def _programme(request: Request) -> tuple[WelfareService, ProgrammeRow | None]:
    service = WelfareService(request.app.state.sessions)
    programme_id = request.path_params["programme"]
    if not 0 < len(programme_id) <= MAX_ID_LENGTH:
        return service, None
    return service, (await service.programmes_by_ids([programme_id]))[0]


async def giving(request: Request) -> Response:
    service, programme = await _programme(request)
    if programme is None:
        return _not_found("no such programme")
    claims = await service.claims_of(programme.id)
    if not claims:
        return _not_found("the programme has no accepted claims yet: a 360Giving package needs a grant")
    payments = await service.payments_of(programme.id)
    package = giving_package(programme, claims, payments, datetime.datetime.now(datetime.UTC).date())
    return JSONResponse(package, headers=CACHE)


async def iati(request: Request) -> Response:
    service, programme = await _programme(request)
    if programme is None:
        return _not_found("no such programme")
    payments = await service.payments_of(programme.id)
    document = iati_activity(programme, payments, datetime.datetime.now(datetime.UTC))
    return Response(document, media_type="application/xml", headers=CACHE)


def _get(path: str, endpoint: Callable[[Request], Awaitable[Response]]) -> Route:
    return Route(path, endpoint, methods=["GET"])


ROUTES = (_get(GIVING_PATH, giving), _get(IATI_PATH, iati))
