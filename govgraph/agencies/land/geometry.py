"""Parcel geometry: the structural rules of GeoJSON (RFC 7946) and OGC JSON-FG 1.0 objects, the topology
rules of a parcel's surface (shapely), and its geodesic area (pyproj). One validator for the clerk's
mutations, imports and `govgraph land validate-geometry`: it returns every reason an object is refused.

Pure: no I/O. A decoded JSON value goes in (the caller decodes text with zk.json_input.load_json)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import shapely
from pyproj import Geod
from shapely.geometry import shape
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

from govgraph.agencies.canonical import canonical_json

# How deeply positions nest in each geometry's `coordinates` (0: the member is one position).
GEOJSON_DEPTHS = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
# JSON-FG 1.0 adds these in `place` only (never in `geometry`): a polyhedron is shells of polygons.
JSONFG_DEPTHS = {"Polyhedron": 4, "MultiPolyhedron": 5}
PRISM_BASES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
SURFACES = ("Polygon", "MultiPolygon")
MAX_POSITIONS = 2000  # a parcel's boundary; a ledger entry holds at most 64 KiB
MAX_REASONS = 20
WGS84 = Geod(ellps="WGS84")


class GeometryError(ValueError):
    """An object refused, with every reason found (each a path and what is wrong there)."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


@dataclass(frozen=True, slots=True)
class SpatialUnit:
    """A parcel's surface: `geometry` an RFC 7946 MultiPolygon (WGS 84, right-hand rule), its geodesic area
    in square metres, and the JSON-FG `place` and `coordRefSys` exactly as given (None without)."""

    geometry: dict[str, Any]
    area_m2: float
    surface: shapely.MultiPolygon
    place: Any = None
    coord_ref_sys: Any = None

    def record(self) -> dict[str, Any]:
        """What the ledger entry records of it (public: a parcel's boundary is a public record)."""
        fields: dict[str, Any] = {"geometry": self.geometry}
        if self.place is not None:
            fields["place"] = self.place
        if self.coord_ref_sys is not None:
            fields["coordRefSys"] = self.coord_ref_sys
        return fields


def validate(document: Any) -> list[str]:
    """Every reason `document` is not a valid GeoJSON object (geometry, Feature or FeatureCollection) or
    JSON-FG feature; empty when it is valid. Polygons must also be valid surfaces (closed rings, no
    self-intersection: shapely's reason is given)."""
    reasons = list(_object(document, "$"))
    return reasons[:MAX_REASONS]


def spatial_unit(document: Any) -> SpatialUnit:
    """A parcel's spatial unit from a Polygon or MultiPolygon, or a GeoJSON/JSON-FG Feature holding one (its
    `place`, if any, must be a surface too); GeometryError with the reasons otherwise."""
    reasons = validate(document)
    if reasons:
        raise GeometryError(reasons)
    place = coord_ref_sys = None
    geometry = document
    if document.get("type") == "Feature":
        geometry = document["geometry"]
        place, coord_ref_sys = document.get("place"), document.get("coordRefSys")
        if geometry is None:
            raise GeometryError(["$.geometry: a parcel needs its boundary in WGS 84, not null"])
        if place is not None and place.get("type") not in SURFACES:
            reasons.append(f"$.place: a parcel's place is a Polygon or MultiPolygon, not {place.get('type')}")
    elif document.get("type") not in SURFACES:
        raise GeometryError(
            [f"$: a parcel is a Polygon or MultiPolygon (or a Feature of one), not {document.get('type')}"]
        )
    if geometry.get("type") not in SURFACES:
        reasons.append(f"$.geometry: a parcel is a Polygon or MultiPolygon, not {geometry.get('type')}")
    elif not geometry["coordinates"]:
        reasons.append("$.geometry: a parcel's boundary is empty")
    elif _count_positions(geometry["coordinates"]) > MAX_POSITIONS:
        reasons.append(f"$.geometry: a parcel's boundary has at most {MAX_POSITIONS} positions")
    if reasons:
        raise GeometryError(reasons)
    surface = shape(geometry)
    if isinstance(surface, shapely.Polygon):
        surface = shapely.MultiPolygon([surface])
    surface = shapely.MultiPolygon([orient(part, sign=1.0) for part in surface.geoms])  # RFC 7946 §3.1.6
    area, _perimeter = WGS84.geometry_area_perimeter(surface)
    if not abs(area) > 0:
        raise GeometryError(["$.geometry: a parcel's area must be above 0"])
    normalised = {"type": "MultiPolygon", "coordinates": _coordinates(surface, _has_z(geometry))}
    unit = SpatialUnit(normalised, abs(area), surface, place, coord_ref_sys)
    if len(canonical_json(unit.record())) > 48 * 1024:
        raise GeometryError(["$: the parcel's geometry and place take more than 48 KiB"])
    return unit


def _object(value: Any, path: str) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{path}: a GeoJSON object is a JSON object, not {_kind(value)}"
        return
    kind = value.get("type")
    if not isinstance(kind, str):
        yield f"{path}.type: missing or not a string"
    elif kind == "Feature":
        yield from _feature(value, path)
    elif kind == "FeatureCollection":
        yield from _collection(value, path)
    else:
        yield from _geometry(value, path, extended=False, wgs84=True)


def _feature(value: dict, path: str) -> Iterator[str]:
    if "geometry" not in value:
        yield f"{path}.geometry: a Feature has a geometry member (an object or null)"
    elif value["geometry"] is not None:
        yield from _geometry(value["geometry"], f"{path}.geometry", extended=False, wgs84=True)
    if "properties" not in value:
        yield f"{path}.properties: a Feature has a properties member (an object or null)"
    elif value["properties"] is not None and not isinstance(value["properties"], dict):
        yield f"{path}.properties: an object or null, not {_kind(value['properties'])}"
    if "id" in value and (isinstance(value["id"], bool) or not isinstance(value["id"], str | int | float)):
        yield f"{path}.id: a string or a number, not {_kind(value['id'])}"
    yield from _jsonfg_members(value, path)
    if value.get("place") is not None:
        yield from _geometry(value["place"], f"{path}.place", extended=True, wgs84=False)


def _collection(value: dict, path: str) -> Iterator[str]:
    features = value.get("features")
    if not isinstance(features, list):
        yield f"{path}.features: a FeatureCollection has a features array"
        return
    yield from _jsonfg_members(value, path)
    for number, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            yield f"{path}.features[{number}]: not a Feature"
        else:
            yield from _feature(feature, f"{path}.features[{number}]")


def _jsonfg_members(value: dict, path: str) -> Iterator[str]:
    """JSON-FG's members beside GeoJSON's: `conformsTo` (URIs), `coordRefSys` (a CRS reference)."""
    conforms = value.get("conformsTo")
    if conforms is not None and not (
        isinstance(conforms, list) and all(isinstance(item, str) for item in conforms)
    ):
        yield f"{path}.conformsTo: an array of URIs"
    if "coordRefSys" in value and not _crs(value["coordRefSys"]):
        yield f"{path}.coordRefSys: a CRS URI, a CRS object (a Reference with href, or by value), 2+ of them"


def _crs(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value)
    if isinstance(value, dict):  # by reference (href) or by value (a CRS object of another type)
        kind = value.get("type")
        return isinstance(kind, str) and (kind != "Reference" or isinstance(value.get("href"), str))
    return isinstance(value, list) and len(value) >= 2 and all(_crs(item) for item in value)


def _geometry(value: Any, path: str, *, extended: bool, wgs84: bool) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{path}: a geometry is an object, not {_kind(value)}"
        return
    kind = value.get("type")
    depths = {**GEOJSON_DEPTHS, **(JSONFG_DEPTHS if extended else {})}
    if "bbox" in value:
        yield from _bbox(value["bbox"], f"{path}.bbox")
    if kind == "GeometryCollection":
        members = value.get("geometries")
        if not isinstance(members, list):
            yield f"{path}.geometries: a GeometryCollection has a geometries array"
            return
        for number, member in enumerate(members):
            yield from _geometry(member, f"{path}.geometries[{number}]", extended=extended, wgs84=wgs84)
        return
    if extended and kind in ("Prism", "MultiPrism"):
        yield from _prism(value, path, wgs84=wgs84)
        return
    if not isinstance(kind, str) or kind not in depths:
        yield f"{path}.type: {_text(kind)} is not a {'JSON-FG' if extended else 'GeoJSON'} geometry type"
        return
    if "coordinates" not in value:
        yield f"{path}.coordinates: missing"
        return
    problems = list(_nested(value["coordinates"], depths[kind], kind, f"{path}.coordinates", wgs84))
    yield from problems
    if not problems and kind in SURFACES and value["coordinates"]:
        try:
            surface = shape(value)
        except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
            yield f"{path}: not a surface: {exc}"
            return
        if not surface.is_valid:
            yield f"{path}: not a valid surface: {explain_validity(surface)}"


def _prism(value: dict, path: str, *, wgs84: bool) -> Iterator[str]:
    if value["type"] == "MultiPrism":
        prisms = value.get("prisms")
        if not isinstance(prisms, list):
            yield f"{path}.prisms: a MultiPrism has a prisms array"
            return
        for number, prism in enumerate(prisms):
            if not isinstance(prism, dict) or prism.get("type") != "Prism":
                yield f"{path}.prisms[{number}]: not a Prism"
            else:
                yield from _prism(prism, f"{path}.prisms[{number}]", wgs84=wgs84)
        return
    base = value.get("base")
    if not isinstance(base, dict) or base.get("type") not in PRISM_BASES:
        yield f"{path}.base: a Point, LineString or Polygon (or a Multi- of one)"
    else:
        yield from _geometry(base, f"{path}.base", extended=False, wgs84=wgs84)
    if not _number(value.get("upper")):
        yield f"{path}.upper: a number"
    if "lower" in value and not _number(value["lower"]):
        yield f"{path}.lower: a number"


def _nested(value: Any, depth: int, kind: str, path: str, wgs84: bool) -> Iterator[str]:
    if depth == 0:
        yield from _position(value, path, wgs84)
        return
    if not isinstance(value, list):
        yield f"{path}: an array, not {_kind(value)}"
        return
    if depth == 1 and kind in ("LineString", "MultiLineString") and len(value) < 2:
        yield f"{path}: a line has at least 2 positions"
    ring = depth == 1 and kind in ("Polygon", "MultiPolygon", "Polyhedron", "MultiPolyhedron")
    if ring and len(value) < 4:
        yield f"{path}: a linear ring has at least 4 positions"
    for number, item in enumerate(value):
        yield from _nested(item, depth - 1, kind, f"{path}[{number}]", wgs84)
    if ring and len(value) >= 4 and value[0] != value[-1]:
        yield f"{path}: a linear ring is closed (its last position equals its first)"


def _position(value: Any, path: str, wgs84: bool) -> Iterator[str]:
    if not isinstance(value, list) or not 2 <= len(value) <= 3 or not all(_number(n) for n in value):
        yield f"{path}: a position is 2 or 3 finite numbers"
    elif wgs84 and not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
        yield f"{path}: WGS 84 longitude lies in -180..180 and latitude in -90..90"


def _bbox(value: Any, path: str) -> Iterator[str]:
    if not isinstance(value, list) or len(value) not in (4, 6) or not all(_number(n) for n in value):
        yield f"{path}: a bounding box is 4 or 6 numbers"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _count_positions(value: Any) -> int:
    if value and isinstance(value[0], list):
        return sum(_count_positions(item) for item in value)
    return 1


def _has_z(geometry: dict) -> bool:
    value = geometry["coordinates"]
    while value and isinstance(value[0], list):
        value = value[0]
    return len(value) == 3


def _coordinates(surface: shapely.MultiPolygon, z: bool) -> list:
    def ring(line: shapely.LinearRing) -> list[list[float]]:
        return [list(point) if z else list(point[:2]) for point in line.coords]

    return [[ring(part.exterior), *[ring(hole) for hole in part.interiors]] for part in surface.geoms]


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _text(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
