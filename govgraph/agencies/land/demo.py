"""The land registry's demo data for `make run`: four surveyed parcels in a fictional town (WGS 84
rectangles near 52.37 N, 4.90 E, with their official areas as declared), one of them with its surveyed
boundary in a projected CRS (JSON-FG `place` in ETRS89 / UTM zone 31N), and one sale. Owners are the identity
bureau's demo citizens (opaque ids)."""

from __future__ import annotations

import datetime
import math
from typing import Any

from pyproj import Transformer

from govgraph.agencies.land.deeds import Registration, Transfer
from govgraph.agencies.land.geometry import spatial_unit

ORIGIN = (4.90, 52.37)  # longitude, latitude of the demo town's survey origin
METRES_PER_DEGREE = 111_320.0
UTM_31N = "http://www.opengis.net/def/crs/EPSG/0/25831"


def _rectangle(east_m: float, north_m: float, width_m: float, height_m: float) -> list[list[float]]:
    """A counter-clockwise ring `width_m` x `height_m`, its south-west corner east/north of ORIGIN."""
    lon0, lat0 = ORIGIN
    per_lon = METRES_PER_DEGREE * math.cos(math.radians(lat0))
    west, south = lon0 + east_m / per_lon, lat0 + north_m / METRES_PER_DEGREE
    east, north = west + width_m / per_lon, south + height_m / METRES_PER_DEGREE
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return [[round(x, 7), round(y, 7)] for x, y in corners]


def _feature(ring: list[list[float]], projected: bool = False) -> dict[str, Any]:
    feature: dict[str, Any] = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": None,
    }
    if projected:
        to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25831", always_xy=True)
        surveyed = [[round(v, 3) for v in to_utm.transform(x, y)] for x, y in ring]
        feature |= {"coordRefSys": UTM_31N, "place": {"type": "Polygon", "coordinates": [surveyed]}}
    return feature


def _parcel(
    parcel_id: str, area: float, locality: str, owner: str, on: datetime.date, feature: dict[str, Any]
) -> Registration:
    return Registration(parcel_id, area, locality, owner, on, spatial_unit(feature))


DEMO_PARCELS = (
    _parcel(
        "parcel-0001",
        512.5,
        "Northfield",
        "cit_5b0e2f7c1a9d4e83",
        datetime.date(2019, 3, 14),
        _feature(_rectangle(0, 0, 20.5, 25)),
    ),
    _parcel(
        "parcel-0002",
        1200.0,
        "Northfield",
        "cit_5b0e2f7c1a9d4e83",
        datetime.date(2021, 7, 1),
        _feature(_rectangle(20.5, 0, 40, 30)),
    ),
    _parcel(
        "parcel-0003",
        87.25,
        "Riverside",
        "cit_91c4d6ab02f3e715",
        datetime.date(2015, 11, 30),
        _feature(_rectangle(0, -200, 8.5, 10.25)),
    ),
)
DEMO_SALE = Transfer("parcel-0003", "cit_91c4d6ab02f3e715", "cit_e27a8f5d3c6b1049", datetime.date(2023, 2, 9))
DEMO_LATER_PARCELS = (
    _parcel(
        "parcel-0004",
        30000.0,
        "Hillcrest",
        "cit_91c4d6ab02f3e715",
        datetime.date(2020, 5, 20),
        _feature(_rectangle(300, 300, 200, 150), projected=True),
    ),
)
