"""A subgraph's refusal of a whole request (too complex: its depth limit is 12, the gateway's 24) comes back
through the embedded gateway as the request-level error the subgraph sent: no `path`, the fetch's fields null
by null propagation, and `data` left out when no root field had an answer (issue 23, section 6)."""

from __future__ import annotations

import asyncio

import pytest

from govgraph.federation.gateway.endpoint import remote_gateway

pytestmark = pytest.mark.e2e

# Depth 14 and a cost far past 10,000 at the land subgraph; well inside the gateway's own limits.
DEEP_PARCEL = 'parcel(id: "parcel-0001") { id ' + "titles { parcel { " * 6 + "id" + " } }" * 6 + " }"
DEPTH = "Operation 'anonymous' has depth 14; the limit is 12."
COST = "Operation 'anonymous' has cost 2222223; the limit is 10000."
AGENCIES = ["electoral-commission", "identity-bureau", "land-registry"]


def through_gateway(urls: dict[str, str], query: str) -> tuple[int, dict]:
    async def run() -> tuple[int, dict]:
        gateway = await remote_gateway(urls)
        return await gateway.execute(query)

    return asyncio.run(run())


def test_the_subgraph_refuses_the_fetch_as_a_whole(live_subgraphs) -> None:
    assert live_subgraphs.post("land", "{ " + DEEP_PARCEL + " }") == {
        "data": None,
        "errors": [
            {"message": DEPTH, "extensions": {"code": "QUERY_TOO_COMPLEX"}},
            {"message": COST, "extensions": {"code": "QUERY_TOO_COMPLEX"}},
        ],
    }


def test_a_refused_fetch_is_a_request_level_error_and_other_root_fields_still_answer(live_subgraphs) -> None:
    status, body = through_gateway(dict(live_subgraphs.urls), "{ " + DEEP_PARCEL + " agencies { id } }")
    assert (status, body) == (
        200,
        {
            "data": {"parcel": None, "agencies": [{"id": agency} for agency in AGENCIES]},
            "errors": [
                {"message": DEPTH, "extensions": {"code": "QUERY_TOO_COMPLEX", "serviceName": "land"}},
                {"message": COST, "extensions": {"code": "QUERY_TOO_COMPLEX", "serviceName": "land"}},
            ],
        },
    )


def test_when_every_root_field_was_refused_there_is_no_data(live_subgraphs) -> None:
    status, body = through_gateway(dict(live_subgraphs.urls), "{ " + DEEP_PARCEL + " }")
    assert (status, body) == (
        200,
        {
            "errors": [
                {"message": DEPTH, "extensions": {"code": "QUERY_TOO_COMPLEX", "serviceName": "land"}},
                {"message": COST, "extensions": {"code": "QUERY_TOO_COMPLEX", "serviceName": "land"}},
            ]
        },
    )


def test_a_non_null_root_field_of_a_refused_fetch_nulls_data(live_subgraphs) -> None:
    # `parcels` is [Parcel!]!: its null propagates to `data`, which other root fields then cannot fill.
    deep_parcels = DEEP_PARCEL.replace('parcel(id: "parcel-0001")', "parcels(first: 1)")
    status, body = through_gateway(dict(live_subgraphs.urls), "{ " + deep_parcels + " agencies { id } }")
    assert (status, body) == (
        200,
        {
            "data": None,
            "errors": [
                {"message": DEPTH, "extensions": {"code": "QUERY_TOO_COMPLEX", "serviceName": "land"}},
                {"message": COST, "extensions": {"code": "QUERY_TOO_COMPLEX", "serviceName": "land"}},
            ],
        },
    )
