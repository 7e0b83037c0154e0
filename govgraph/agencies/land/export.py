"""The registry as one GeoJSON FeatureCollection (`GET /land/parcels.geojson`, RFC 7946, media type
application/geo+json): a Feature per parcel with its WGS 84 boundary (null for a parcel not surveyed) and
public properties. JSON-FG 1.0 lets a collection declare one `coordRefSys` for every `place` in it (a feature
in a collection may not carry its own), so places are exported, unchanged, for the parcels surveyed in one
CRS: the only one the registry holds places in, or the one asked for with `?crs=<URI>`; with places in
several CRSs and none asked for, the collection carries no places (each parcel's is in GraphQL,
`spatialUnit.place`). Owners are not in it: the export is the public map, not the title register."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import BaseRoute, Route

from govgraph.agencies.canonical import canonical_json
from govgraph.agencies.land.models import ParcelRow
from govgraph.agencies.land.service import LandService

MEDIA_TYPE = "application/geo+json"
PAGE = 1000
JSONFG_CORE = "http://www.opengis.net/spec/json-fg-1/1.0/conf/core"
FEATURE_TYPE = "LA_SpatialUnit"


def feature(row: ParcelRow, crs: str | None) -> dict[str, Any]:
    """The parcel's Feature; its `place` if it was registered in `crs` (canonical JSON of the CRS)."""
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
    if row.place is not None and crs is not None and row.coord_ref_sys == crs:
        document["place"] = json.loads(row.place)
    return document


async def feature_collection(service: LandService, crs: str | None) -> AsyncIterator[bytes]:
    """The collection's bytes, a page of parcels at a time (the registry is not held in memory whole), with
    the places registered in `crs`."""
    head: dict[str, Any] = {"type": "FeatureCollection", "conformsTo": [JSONFG_CORE]}
    if crs is not None:
        head["coordRefSys"] = json.loads(crs)
    yield json.dumps(head)[:-1].encode()
    yield b', "features": ['
    after, first = "", True
    while True:
        rows = await service.parcels_after(after, PAGE)
        for row in rows:
            yield (b"" if first else b", ") + json.dumps(feature(row, crs), separators=(",", ":")).encode()
            first = False
        if len(rows) < PAGE:
            break
        after = rows[-1].id
    yield b"]}"


async def parcels_geojson(request: Request) -> StreamingResponse:
    service = LandService(request.app.state.sessions)
    held = await service.place_crss()
    asked = request.query_params.get("crs")
    if asked is not None:
        crs = canonical_json(asked).decode()
        crs = crs if crs in held else None
    else:
        crs = held[0] if len(held) == 1 else None
    return StreamingResponse(feature_collection(service, crs), media_type=MEDIA_TYPE)


def routes() -> list[BaseRoute]:
    return [Route("/land/parcels.geojson", parcels_geojson, methods=["GET"])]
