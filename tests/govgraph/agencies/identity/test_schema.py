"""The identity subgraph through the main app's /subgraphs/identity/graphql."""

from __future__ import annotations

from starlette.testclient import TestClient

URL = "/subgraphs/identity/graphql"


def run(client: TestClient, query: str, variables: dict | None = None) -> dict:
    response = client.post(URL, json={"query": query, "variables": variables})
    assert response.status_code == 200
    return response.json()


def test_citizen_is_found_by_opaque_id_with_its_enrolling_agency(client: TestClient) -> None:
    body = run(client, '{ citizen(id: "cit_91c4d6ab02f3e715") { id enrolledBy { id name } } }')
    assert body == {
        "data": {
            "citizen": {
                "id": "cit_91c4d6ab02f3e715",
                "enrolledBy": {"id": "identity-bureau", "name": "Identity Bureau"},
            }
        }
    }


def test_citizen_entities_resolve_in_order_with_null_for_unknown(client: TestClient) -> None:
    body = run(
        client,
        "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { id } } }",
        {
            "r": [
                {"__typename": "Citizen", "id": "cit_e27a8f5d3c6b1049"},
                {"__typename": "Citizen", "id": "cit_nobody"},
            ]
        },
    )
    assert body == {"data": {"_entities": [{"id": "cit_e27a8f5d3c6b1049"}, None]}}


def test_agencies_list_their_credential_schemas(client: TestClient) -> None:
    body = run(client, "{ agencies { id credentialSchemas { id version attributes issuer { id } } } }")
    assert body == {
        "data": {
            "agencies": [
                {
                    "id": "electoral-commission",
                    "credentialSchemas": [
                        {
                            "id": "voter-v1",
                            "version": 1,
                            "attributes": ["electoralRoll", "district"],
                            "issuer": {"id": "electoral-commission"},
                        }
                    ],
                },
                {
                    "id": "identity-bureau",
                    "credentialSchemas": [
                        {
                            "id": "age-v1",
                            "version": 1,
                            "attributes": ["birthYear"],
                            "issuer": {"id": "identity-bureau"},
                        },
                        {
                            "id": "residency-v1",
                            "version": 1,
                            "attributes": ["residentOf", "residentSince"],
                            "issuer": {"id": "identity-bureau"},
                        },
                    ],
                },
                {"id": "land-registry", "credentialSchemas": []},
            ]
        }
    }


def test_citizens_connection_counts_all(client: TestClient) -> None:
    body = run(
        client, "{ citizens(first: 1) { edges { cursor node { id } } pageInfo { hasNextPage } totalCount } }"
    )
    assert body == {
        "data": {
            "citizens": {
                "edges": [{"cursor": "bzE6MA==", "node": {"id": "cit_5b0e2f7c1a9d4e83"}}],
                "pageInfo": {"hasNextPage": True},
                "totalCount": 3,
            }
        }
    }
