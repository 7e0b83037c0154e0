"""`_entities` representations from anyone who can reach a subgraph: every malformed one is a coded error
naming the problem, never INTERNAL (strawberry passed them to resolve_reference unchecked)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"


def entities(client: TestClient, subgraph: str, representations: list) -> dict:
    response = client.post(
        f"/subgraphs/{subgraph}/graphql", json={"query": ENTITIES, "variables": {"r": representations}}
    )
    assert response.status_code == 200
    return response.json()


def refusals(body: dict) -> list[tuple[str, str]]:
    return [(e["message"], e["extensions"]["code"]) for e in body.get("errors", [])]


@pytest.mark.parametrize(
    ("subgraph", "representation", "message"),
    [
        ("land", "not an object", "Each representation must be an object."),
        ("land", {"id": "p-1"}, "A representation needs a __typename string."),
        ("land", {"__typename": 7, "id": "p-1"}, "A representation needs a __typename string."),
        ("land", {"__typename": "Nope", "id": "x"}, "'Nope' is not an entity of this subgraph."),
        ("land", {"__typename": "Query"}, "'Query' is not an entity of this subgraph."),
        ("identity", {"__typename": "Parcel", "id": "p"}, "'Parcel' is not an entity of this subgraph."),
        ("land", {"__typename": "Parcel"}, "The Parcel representation lacks id."),
        ("land", {"__typename": "Parcel", "id": 5}, "An id must be 1..64 characters."),
        ("identity", {"__typename": "Citizen", "id": ["x"]}, "An id must be 1..64 characters."),
        (
            "land",
            {"__typename": "\x1b[2J" * 40},
            "'" + "\\x1b[2J" * 15 + "...' is not an entity of this subgraph.",
        ),
    ],
)
def test_a_malformed_representation_is_bad_user_input(
    client: TestClient, subgraph: str, representation: object, message: str
) -> None:
    body = entities(client, subgraph, [representation])
    assert body["data"] == {"_entities": [None]}
    assert refusals(body) == [(message, "BAD_USER_INPUT")]


def test_fields_a_resolver_does_not_take_are_left_out_as_a_gateway_may_send_them(client: TestClient) -> None:
    # e.g. @requires fields: the key still resolves, nothing fails.
    body = entities(client, "land", [{"__typename": "Citizen", "id": "cit-x", "extra": [1, {"a": None}]}])
    assert body == {"data": {"_entities": [{"__typename": "Citizen"}]}}


def test_one_bad_representation_does_not_spoil_the_others(client: TestClient) -> None:
    body = entities(client, "land", [{"__typename": "Citizen", "id": "c1"}, {"__typename": "Nope"}])
    assert body["data"] == {"_entities": [{"__typename": "Citizen"}, None]}
    assert [e["path"] for e in body["errors"]] == [["_entities", 1]]


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_REPRESENTATION = st.one_of(
    _JSON,
    st.fixed_dictionaries(
        {"__typename": st.sampled_from(["Parcel", "Title", "Citizen", "Agency", "Query", "x"])},
        optional={"id": _JSON, "extra": _JSON},
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["land", "identity"]), st.lists(_REPRESENTATION, min_size=1, max_size=3))
def test_any_representation_gets_an_answer_or_a_coded_client_error(
    client: TestClient, subgraph: str, representations: list
) -> None:
    body = entities(client, subgraph, representations)
    codes = {code for _message, code in refusals(body)}
    if None in representations:  # `[_Any!]!` refuses a null item before anything resolves
        assert body["data"] is None and codes == {"BAD_USER_INPUT"}
        return
    assert len(body["data"]["_entities"]) == len(representations)
    assert codes <= {"BAD_USER_INPUT"}
