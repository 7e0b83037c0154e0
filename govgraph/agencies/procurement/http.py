"""The procurement office's OCDS routes (`GET /procurement/ocds/...`): release and record packages,
compiled and versioned releases, imported packages as imported. Read-only and public, like the ledger's
tiles; JSON documents exactly as the GraphQL fields give them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from govgraph.agencies.procurement.service import ProcurementService
from govgraph.federation.errors import ServiceError

PREFIX = "/procurement/ocds"
MEDIA_TYPE = "application/json"


def _service(request: Request) -> ProcurementService:
    return ProcurementService(request.app.state.sessions)


def _document(produce: Callable[[ProcurementService, str], Awaitable[Any]], parameter: str):
    async def endpoint(request: Request) -> Response:
        try:
            document = await produce(_service(request), request.path_params[parameter])
        except ServiceError as error:
            status = 404 if error.code == "NOT_FOUND" else 400
            return JSONResponse({"error": str(error), "code": str(error.code)}, status_code=status)
        return JSONResponse(document, media_type=MEDIA_TYPE)

    return endpoint


async def _processes(request: Request) -> Response:
    try:
        first = int(request.query_params.get("first", "100"))
        offset = int(request.query_params.get("offset", "0"))
    except ValueError:
        return JSONResponse(
            {"error": "`first` and `offset` must be integers.", "code": "BAD_USER_INPUT"}, 400
        )
    try:
        ocids = await _service(request).ocids(first, max(offset, 0))
    except ServiceError as error:
        return JSONResponse({"error": str(error), "code": str(error.code)}, status_code=400)
    return JSONResponse({"ocids": ocids})


async def _compiled(service: ProcurementService, ocid: str) -> Any:
    return (await service.process(ocid)).compiled()


async def _versioned(service: ProcurementService, ocid: str) -> Any:
    return (await service.process(ocid)).versioned()


def procurement_routes() -> list[BaseRoute]:
    """The routes, mounted by build_app when the procurement agency is served."""
    return [
        Route(f"{PREFIX}/processes", _processes, methods=["GET"]),
        Route(
            f"{PREFIX}/releases/{{ocid}}",
            _document(lambda service, ocid: service.release_package(ocid), "ocid"),
            methods=["GET"],
        ),
        Route(
            f"{PREFIX}/records/{{ocid}}",
            _document(lambda service, ocid: service.record_package(ocid), "ocid"),
            methods=["GET"],
        ),
        Route(f"{PREFIX}/compiled/{{ocid}}", _document(_compiled, "ocid"), methods=["GET"]),
        Route(f"{PREFIX}/versioned/{{ocid}}", _document(_versioned, "ocid"), methods=["GET"]),
        Route(
            f"{PREFIX}/imports/{{package}}",
            _document(lambda service, package: service.exported_import(package), "package"),
            methods=["GET"],
        ),
    ]
