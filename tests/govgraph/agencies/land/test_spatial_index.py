"""The spatial index agrees with the linear reference on every draw, counts shared boundaries as no overlap,
and stays right across rebuilds of its tree."""

from __future__ import annotations

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.agencies.land.spatial_index import REBUILD_AFTER, ParcelIndex, linear_overlaps

CELL = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 4), st.integers(1, 4))


def box(x: int, y: int, w: int, h: int) -> shapely.Polygon:
    return shapely.box(x, y, x + w, y + h)


@settings(max_examples=60, deadline=None)
@given(st.lists(CELL, min_size=0, max_size=REBUILD_AFTER + 40), CELL)
def test_the_index_agrees_with_the_linear_scan(cells, probe) -> None:
    index = ParcelIndex()
    ids = [f"p{i}" for i in range(len(cells))]
    surfaces = [box(*cell) for cell in cells]
    index.add(zip(ids, surfaces, strict=True))
    assert len(index) == len(cells)
    assert index.overlaps(box(*probe)) == linear_overlaps(box(*probe), ids, surfaces)


def test_a_shared_boundary_or_corner_is_no_overlap() -> None:
    index = ParcelIndex()
    index.add([("west", box(0, 0, 1, 1))])
    assert index.overlaps(box(1, 0, 1, 1)) == []  # shares an edge
    assert index.overlaps(box(1, 1, 1, 1)) == []  # shares a corner
    assert index.overlaps(shapely.box(0.999, 0, 2, 1)) == ["west"]  # a sliver of area is an overlap


def test_parcels_past_a_rebuild_are_still_found() -> None:
    index = ParcelIndex()
    index.add((f"p{i}", box(i * 2, 0, 1, 1)) for i in range(REBUILD_AFTER * 3 + 5))
    assert index.overlaps(shapely.box(0.5, 0.5, 4.5, 0.6)) == ["p0", "p1", "p2"]
    assert index.overlaps(box(2 * (REBUILD_AFTER * 3 + 4), 0, 1, 1)) == [f"p{REBUILD_AFTER * 3 + 4}"]
