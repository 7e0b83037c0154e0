"""scalar_fields_input builds the same input objects as strawberry's own conversion, for every field kind."""

import datetime
import enum

import pytest
import strawberry

from govgraph.federation.inputs import scalar_fields_input


@strawberry.enum
class Kind(enum.Enum):
    FIELD = "field"
    FOREST = "forest"


@strawberry.input
class Corner:
    x: float
    y: float


def schema(fast: bool) -> strawberry.Schema:
    @strawberry.input
    class Plot:
        id: strawberry.ID
        area: float
        owner_name: str
        registered_on: datetime.date | None = None
        kind: Kind | None = None
        corners: list[Corner] | None = None
        note: str = "none"
        size: int | None = strawberry.UNSET

    if fast:
        scalar_fields_input(Plot)

    @strawberry.type
    class Query:
        @strawberry.field
        def echo(self, plots: list[Plot]) -> list[str]:
            return [repr(plot) for plot in plots]

    return strawberry.Schema(query=Query)


@pytest.mark.parametrize(
    "plot",
    [
        {"id": "p-1", "area": 250, "ownerName": "Ana"},
        {"id": 7, "area": 1.5, "ownerName": "Bo", "registeredOn": "2024-02-29", "kind": "FOREST"},
        {"id": "p", "area": 0, "ownerName": "", "registeredOn": None, "kind": None, "corners": None},
        {"id": "p", "area": 2, "ownerName": "C", "corners": [{"x": 1, "y": 2}], "note": "n", "size": 3},
        {"id": "p", "area": 2, "ownerName": "C", "size": None},
    ],
)
def test_fast_inputs_equal_strawberrys_conversion(plot: dict) -> None:
    query = "query ($plots: [Plot!]!) { echo(plots: $plots) }"
    answers = [schema(fast).execute_sync(query, variable_values={"plots": [plot, plot]}) for fast in (0, 1)]
    assert answers[0].errors is None
    assert answers[1].errors is None
    assert answers[1].data == answers[0].data


def test_only_plain_inputs_take_it() -> None:
    @strawberry.type
    class Point:
        x: float

    @strawberry.input
    class Twice:
        x: float

    with pytest.raises(TypeError, match="^Point is not a plain strawberry input type$"):
        scalar_fields_input(Point)
    scalar_fields_input(Twice)
    with pytest.raises(TypeError, match="^Twice is not a plain strawberry input type$"):
        scalar_fields_input(Twice)
