"""The cross-agency join through the real Hive Gateway: identity's Citizen with land's parcels, and land's
parcels with identity's citizens, over live subgraphs on seeded SQLite."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_citizen_with_parcels_joins_identity_and_land(hive_gateway) -> None:
    body = hive_gateway.post(
        "query ($id: ID!) { citizen(id: $id) { id enrolledBy { name } parcels { id area } } }",
        {"id": "cit_5b0e2f7c1a9d4e83"},
    )
    assert body == {
        "data": {
            "citizen": {
                "id": "cit_5b0e2f7c1a9d4e83",
                "enrolledBy": {"name": "Identity Bureau"},
                "parcels": [{"id": "parcel-0001", "area": 512.5}, {"id": "parcel-0002", "area": 1200}],
            }
        }
    }


def test_parcels_with_owners_join_land_and_identity(hive_gateway) -> None:
    body = hive_gateway.post("{ parcels { id owner { id enrolledBy { id } } } }")
    owners = [(p["id"], p["owner"]["id"], p["owner"]["enrolledBy"]["id"]) for p in body["data"]["parcels"]]
    assert owners == [
        ("parcel-0001", "cit_5b0e2f7c1a9d4e83", "identity-bureau"),
        ("parcel-0002", "cit_5b0e2f7c1a9d4e83", "identity-bureau"),
        ("parcel-0003", "cit_e27a8f5d3c6b1049", "identity-bureau"),
        ("parcel-0004", "cit_91c4d6ab02f3e715", "identity-bureau"),
    ]
    assert "errors" not in body


def test_unknown_citizen_is_null_through_the_gateway(hive_gateway) -> None:
    assert hive_gateway.post('{ citizen(id: "cit_nobody") { id parcels { id } } }') == {
        "data": {"citizen": None}
    }


def test_subgraph_error_codes_pass_through_the_gateway(hive_gateway) -> None:
    body = hive_gateway.post("{ parcels(first: 101) { id } }")
    # Hive Gateway leaves out a null `data` and names the subgraph that failed.
    assert body == {
        "errors": [
            {
                "message": "`first` must lie in 0..100, got 101.",
                "path": ["parcels"],
                "extensions": {"code": "BAD_USER_INPUT", "serviceName": "land"},
            }
        ]
    }
