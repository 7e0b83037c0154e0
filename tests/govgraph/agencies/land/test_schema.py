"""The land subgraph through its own GraphQL endpoint (the main app, in-process): entities, the Citizen
contribution, connections, and batching (a fixed number of SELECTs however many parcels)."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from govgraph.agencies.registry import LAND
from govgraph.app import build_app
from govgraph.config import Settings

URL = "/subgraphs/land/graphql"


def run(client: TestClient, query: str, variables: dict | None = None) -> dict:
    response = client.post(URL, json={"query": query, "variables": variables})
    assert response.status_code == 200
    return response.json()


def test_citizen_entities_get_their_parcels_in_one_batch(client: TestClient) -> None:
    body = run(
        client,
        "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { id parcels "
        "{ id area locality } } } }",
        {
            "r": [
                {"__typename": "Citizen", "id": "cit_5b0e2f7c1a9d4e83"},
                {"__typename": "Citizen", "id": "cit_e27a8f5d3c6b1049"},
                {"__typename": "Citizen", "id": "cit_without_land"},
            ]
        },
    )
    assert body == {
        "data": {
            "_entities": [
                {
                    "id": "cit_5b0e2f7c1a9d4e83",
                    "parcels": [
                        {"id": "parcel-0001", "area": 512.5, "locality": "Northfield"},
                        {"id": "parcel-0002", "area": 1200.0, "locality": "Northfield"},
                    ],
                },
                {
                    "id": "cit_e27a8f5d3c6b1049",
                    "parcels": [{"id": "parcel-0003", "area": 87.25, "locality": "Riverside"}],
                },
                {"id": "cit_without_land", "parcels": []},
            ]
        }
    }


def test_parcel_owner_is_a_citizen_reference(client: TestClient) -> None:
    body = run(
        client,
        '{ parcel(id: "parcel-0003") { owner { id } titles { id registeredOn current owner { id } } } }',
    )
    assert body == {
        "data": {
            "parcel": {
                "owner": {"id": "cit_e27a8f5d3c6b1049"},
                "titles": [
                    {
                        "id": "title-0003",
                        "registeredOn": "2015-11-30",
                        "current": False,
                        "owner": {"id": "cit_91c4d6ab02f3e715"},
                    },
                    {
                        "id": "title-0004",
                        "registeredOn": "2023-02-09",
                        "current": True,
                        "owner": {"id": "cit_e27a8f5d3c6b1049"},
                    },
                ],
            }
        }
    }


def test_unknown_parcel_is_null(client: TestClient) -> None:
    assert run(client, '{ parcel(id: "parcel-9999") { id } }') == {"data": {"parcel": None}}


def test_titles_connection_pages_with_cursors(client: TestClient) -> None:
    first = run(
        client, "{ titles(first: 2) { edges { node { id } } pageInfo { hasNextPage endCursor } totalCount } }"
    )
    titles = first["data"]["titles"]
    assert [e["node"]["id"] for e in titles["edges"]] == ["title-0001", "title-0002"]
    assert titles["pageInfo"]["hasNextPage"] is True and titles["totalCount"] == 5
    rest = run(
        client,
        "query ($after: String) { titles(first: 10, after: $after) { edges { node { id } } "
        "pageInfo { hasNextPage hasPreviousPage } } }",
        {"after": titles["pageInfo"]["endCursor"]},
    )
    assert rest == {
        "data": {
            "titles": {
                "edges": [
                    {"node": {"id": "title-0003"}},
                    {"node": {"id": "title-0004"}},
                    {"node": {"id": "title-0005"}},
                ],
                "pageInfo": {"hasNextPage": False, "hasPreviousPage": True},
            }
        }
    }


def test_bad_cursor_is_bad_user_input(client: TestClient) -> None:
    body = run(client, '{ titles(after: "not-a-cursor") { totalCount } }')
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("Invalid cursor 'not-a-cursor'.", "BAD_USER_INPUT")
    ]


def test_a_huge_cursor_is_named_short_in_its_error(client: TestClient) -> None:
    cursor = "QQ" * 50_000
    body = run(client, f'{{ titles(after: "{cursor}") {{ totalCount }} }}')
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        (f"Invalid cursor '{'QQ' * 30}...'.", "BAD_USER_INPUT")
    ]


async def test_owners_and_titles_of_all_parcels_take_three_selects(storage) -> None:
    from govgraph.federation.context import RequestContext

    _engine, sessions, log = storage
    schema = LAND.schema()
    context = RequestContext(request=None, response=None, sessions=sessions)
    result = await schema.execute("{ parcels { id owner { id } titles { id } } }", context_value=context)
    assert result.errors is None
    assert [p["owner"]["id"] for p in result.data["parcels"]] == [
        "cit_5b0e2f7c1a9d4e83",
        "cit_5b0e2f7c1a9d4e83",
        "cit_e27a8f5d3c6b1049",
        "cit_91c4d6ab02f3e715",
    ]
    # parcels, current titles for all four, all titles for all four: batched, not 1 + 2 x 4.
    assert len(log.statements) == 3


def test_seeded_app_restarts_without_duplicating_demo_data(tmp_path: Path) -> None:
    settings = Settings.from_env({"GOVGRAPH_DATA": str(tmp_path)})
    for _ in range(2):
        with TestClient(build_app(settings)) as client:
            assert run(client, "{ titles { totalCount } }") == {"data": {"titles": {"totalCount": 5}}}


def test_production_app_creates_tables_without_demo_data(tmp_path: Path) -> None:
    settings = Settings.from_env({"GOVGRAPH_DATA": str(tmp_path), "GOVGRAPH_ENV": "production"})
    with TestClient(build_app(settings)) as client:
        assert run(client, "{ parcels { id } }") == {"data": {"parcels": []}}
