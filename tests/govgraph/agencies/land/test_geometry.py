"""Parcel geometry: every GeoJSON fixture and JSON-FG example of ../shared/standards/land is judged as its
folder says (valid accepted, invalid refused with the reason), parcels' surfaces are checked by shapely with
its reason, areas are geodesic, a JSON-FG place is kept as given, and the decoder never fails any other way
on any JSON value (Hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import shape

from govgraph.agencies.land.geometry import MAX_POSITIONS, GeometryError, spatial_unit, validate
from tests.conftest import STANDARDS_DIR

LAND = STANDARDS_DIR / "land"
VALID = sorted((LAND / "geojson-fixtures" / "valid").rglob("*.json"))
INVALID = sorted((LAND / "geojson-fixtures" / "invalid").rglob("*.json"))
JSONFG = sorted((LAND / "json-fg" / "examples").glob("*.json"))
# What each invalid fixture is refused for: the reason names the member at fault.
EXPECTED_REASONS = {
    "feature/1d-point.json": "$.geometry.coordinates: a position is 2 or 3 finite numbers",
    "feature/boolean-id.json": "$.id: a string or a number, not bool",
    "feature/no-geometry.json": "$.geometry: a Feature has a geometry member (an object or null)",
    "feature/no-properties.json": "$.properties: a Feature has a properties member (an object or null)",
    "feature/no-type.json": "$.type: missing or not a string",
    "feature/object-id.json": "$.id: a string or a number, not dict",
    "polygon/bad-type.json": "$.type: 'Polgon' is not a GeoJSON geometry type",
    "polygon/1d.json": "$.coordinates[0][0]: a position is 2 or 3 finite numbers",
}
SQUARE = [[0.0, 0.0], [0.001, 0.0], [0.001, 0.001], [0.0, 0.001], [0.0, 0.0]]


def _load(path: Path):
    return json.loads(path.read_text())


def test_the_standards_folder_holds_the_fixtures() -> None:
    assert (len(VALID), len(INVALID), len(JSONFG)) == (22, 26, 4)


@pytest.mark.parametrize("path", VALID + JSONFG, ids=lambda p: str(p.relative_to(LAND)))
def test_valid_fixtures_are_accepted(path: Path) -> None:
    assert validate(_load(path)) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: str(p.relative_to(LAND)))
def test_invalid_fixtures_are_refused_with_reasons(path: Path) -> None:
    reasons = validate(_load(path))
    assert reasons, path
    name = str(path.relative_to(LAND / "geojson-fixtures" / "invalid"))
    kind, _, case = name.partition("/")
    expected = (
        EXPECTED_REASONS.get(name)
        or {
            "1d.json": "a position is 2 or 3 finite numbers",
            "bad-bbox.json": "$.bbox: a bounding box is 4 or 6 numbers",
            "no-coordinates.json": "$.coordinates: missing",
            "no-type.json": "$.type: missing or not a string",
        }[case]
    )
    assert any(expected in reason for reason in reasons), reasons


def test_a_self_intersecting_ring_is_refused_with_shapelys_reason() -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    assert validate(bowtie) == ["$: not a valid surface: Self-intersection[0.5 0.5]"]
    with pytest.raises(GeometryError) as refused:
        spatial_unit(bowtie)
    assert refused.value.reasons == ("$: not a valid surface: Self-intersection[0.5 0.5]",)


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0.5]]]},
            "$.coordinates[0]: a linear ring is closed (its last position equals its first)",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
            "$.coordinates[0]: a linear ring has at least 4 positions",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [181, 0], [1, 1], [0, 0]]]},
            "$.coordinates[0][1]: WGS 84 longitude lies in -180..180 and latitude in -90..90",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]], [[5, 5], [6, 5], [6, 6], [5, 5]]],
            },
            "$: not a valid surface: Hole lies outside shell[5 5]",
        ),
        (
            {"type": "Point", "coordinates": [0, 0]},
            "$: a parcel is a Polygon or MultiPolygon (or a Feature of one), not Point",
        ),
        ({"type": "Polygon", "coordinates": []}, "$.geometry: a parcel's boundary is empty"),
        (
            {"type": "Feature", "geometry": None, "properties": None},
            "$.geometry: a parcel needs its boundary in WGS 84, not null",
        ),
        (
            {
                "type": "Feature",
                "properties": None,
                "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
                "place": {"type": "Point", "coordinates": [1, 2]},
            },
            "$.place: a parcel's place is a Polygon or MultiPolygon, not Point",
        ),
    ],
)
def test_parcel_boundaries_are_refused_with_the_reason(geometry: dict, reason: str) -> None:
    with pytest.raises(GeometryError) as refused:
        spatial_unit(geometry)
    assert refused.value.reasons == (reason,)


def test_a_boundary_with_too_many_positions_is_refused() -> None:
    ring = [[i * 1e-6, 0.0] for i in range(MAX_POSITIONS)] + [[0.0, 0.001], [0.0, 0.0]]
    with pytest.raises(GeometryError) as refused:
        spatial_unit({"type": "Polygon", "coordinates": [ring]})
    assert refused.value.reasons == (
        f"$.geometry: a parcel's boundary has at most {MAX_POSITIONS} positions",
    )


def test_the_area_is_geodesic_and_agrees_with_a_projected_one() -> None:
    # A 100 m x 100 m-ish square near Amsterdam: its area on the ellipsoid and in UTM 31N (an equal-enough
    # local projection) agree to 0.1 %; in square degrees it would be meaningless.
    ring = [[4.9, 52.37], [4.9014, 52.37], [4.9014, 52.3709], [4.9, 52.3709], [4.9, 52.37]]
    unit = spatial_unit({"type": "Polygon", "coordinates": [ring]})
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25831", always_xy=True)
    surface = shape({"type": "Polygon", "coordinates": [ring]})
    projected = shapely.transform(
        surface, lambda xy: list(zip(*to_utm.transform(xy[:, 0], xy[:, 1]), strict=True))
    ).area
    assert abs(unit.area_m2 - projected) / projected < 1e-3
    assert 9000 < unit.area_m2 < 10000


def test_boundaries_are_stored_as_right_hand_multipolygons() -> None:
    clockwise = list(reversed(SQUARE))
    unit = spatial_unit({"type": "Polygon", "coordinates": [clockwise]})
    assert unit.geometry == {"type": "MultiPolygon", "coordinates": [[SQUARE]]}


def test_a_jsonfg_place_in_a_projected_crs_is_kept_as_given() -> None:
    place = {
        "type": "Polygon",
        "coordinates": [[[500000.5, 1.25], [500111.0, 1.25], [500111.0, 111.0], [500000.5, 1.25]]],
    }
    crs = {"type": "Reference", "href": "http://www.opengis.net/def/crs/EPSG/0/32631", "epoch": 2016.47}
    feature = {
        "type": "Feature",
        "conformsTo": ["http://www.opengis.net/spec/json-fg-1/1.0/conf/core"],
        "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
        "place": place,
        "coordRefSys": crs,
        "properties": None,
    }
    unit = spatial_unit(feature)
    assert (unit.place, unit.coord_ref_sys) == (place, crs)
    assert unit.record() == {
        "geometry": {"type": "MultiPolygon", "coordinates": [[SQUARE]]},
        "place": place,
        "coordRefSys": crs,
    }


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=40,
)
KEYS = st.sampled_from(
    ["type", "coordinates", "geometry", "properties", "place", "coordRefSys", "bbox", "id"]
)
TYPES = st.sampled_from(
    ["Polygon", "MultiPolygon", "Feature", "FeatureCollection", "Point", "Polyhedron", "Prism"]
)


@st.composite
def near_parcels(draw) -> object:
    """Valid-looking parcels with one member replaced, dropped or retyped."""
    document: dict = {
        "type": "Feature",
        "properties": None,
        "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
    }
    target = draw(st.sampled_from([document, document["geometry"]]))
    key = draw(KEYS)
    action = draw(st.sampled_from(["replace", "drop", "type"]))
    if action == "replace":
        target[key] = draw(JSON)
    elif action == "drop":
        target.pop(key, None)
    else:
        target["type"] = draw(TYPES)
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, near_parcels()))
def test_the_decoder_accepts_or_refuses_with_reasons_never_otherwise(document: object) -> None:
    reasons = validate(document)
    assert all(isinstance(reason, str) and reason.startswith("$") for reason in reasons)
    try:
        unit = spatial_unit(document)
    except GeometryError as refused:
        assert refused.reasons and all(isinstance(reason, str) for reason in refused.reasons)
    else:
        assert reasons == [] and unit.area_m2 > 0 and unit.geometry["type"] == "MultiPolygon"
