"""The registry as one GeoJSON FeatureCollection (`GET /land/parcels.geojson`, RFC 7946, media type
application/geo+json): a Feature per parcel with its WGS 84 boundary (null for a parcel not surveyed) and
public properties; a parcel registered with a JSON-FG `place` carries it and its `coordRefSys` as registered,
so the document is JSON-FG as well. Owners are not in it: the export is the public map, not the title
register."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import BaseRoute, Route

from govgraph.agencies.land.models import ParcelRow
from govgraph.agencies.land.service import LandService

MEDIA_TYPE = "application/geo+json"
PAGE = 1000
JSONFG_CORE = "http://www.opengis.net/spec/json-fg-1/1.0/conf/core"
FEATURE_TYPE = "LA_SpatialUnit"


def feature(row: ParcelRow) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": "Feature",
        "id": row.id,
        "featureType": FEATURE_TYPE,
        "geometry": None if row.geometry is None else json.loads(row.geometry),
        "properties": {
            "locality": row.locality,
            "area": row.area_m2,
            "calculatedArea": row.calculated_area_m2,
            "ledgerIndex": row.ledger_index,
        },
    }
    if row.place is not None:
        document["place"] = json.loads(row.place)
    if row.coord_ref_sys is not None:
        document["coordRefSys"] = json.loads(row.coord_ref_sys)
    return document


async def feature_collection(service: LandService) -> AsyncIterator[bytes]:
    """The collection's bytes, a page of parcels at a time (the registry is not held in memory whole)."""
    yield json.dumps({"type": "FeatureCollection", "conformsTo": [JSONFG_CORE]})[:-1].encode()
    yield b', "features": ['
    after, first = "", True
    while True:
        rows = await service.parcels_after(after, PAGE)
        for row in rows:
            yield (b"" if first else b", ") + json.dumps(feature(row), separators=(",", ":")).encode()
            first = False
        if len(rows) < PAGE:
            break
        after = rows[-1].id
    yield b"]}"


async def parcels_geojson(request: Request) -> StreamingResponse:
    service = LandService(request.app.state.sessions)
    return StreamingResponse(feature_collection(service), media_type=MEDIA_TYPE)


def routes() -> list[BaseRoute]:
    return [Route("/land/parcels.geojson", parcels_geojson, methods=["GET"])]
