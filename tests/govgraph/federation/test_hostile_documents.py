"""Hostile GraphQL documents against the real `govgraph serve` process (issue 23, section 6): each refused
with its exact QUERY_TOO_COMPLEX within a second, while /healthz keeps answering other clients within 200 ms;
and, in production, no field suggestions at the gateway or the subgraphs."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.hostile_documents import (
    ORDINARY,
    aliases,
    fragment_bomb,
    introspection_aliases,
    long_number,
    repeated_fields,
    unused_fragments,
)
from tests.support.hostile_http import HealthProbe, rss_kib
from tests.support.servers import LiveServer, running_server

GATEWAY = "/graphql"
SUBGRAPH = "/subgraphs/land/graphql"
TOKENS = "Syntax Error: Document contains more than 5000 tokens. Parsing aborted."
MERGE = "Checking that the document's fields can be merged takes more than 25000 steps; the limit is 25000."
ATTACKS = {
    # name: (endpoint, document, the refusal's messages, one a line)
    "fragment-bomb-22-gateway": (
        GATEWAY,
        fragment_bomb(22),
        "Operation 'anonymous' selects 4194304 fields; the limit is 1000.",
    ),
    "fragment-bomb-25-subgraph": (
        SUBGRAPH,
        fragment_bomb(25),
        "Operation 'anonymous' selects 33554432 fields; the limit is 1000.",
    ),
    "50k-aliases-gateway": (GATEWAY, aliases(50_000), TOKENS),
    "1000-introspection-aliases-gateway": (GATEWAY, introspection_aliases(1000), TOKENS),
    "31-introspection-aliases-gateway": (
        GATEWAY,
        introspection_aliases(31),
        "Operation 'anonymous' uses 31 aliases; the limit is 30.",
    ),
    "20k-unused-fragments-gateway": (GATEWAY, unused_fragments(20_000), TOKENS),
    "300-unused-fragments-gateway": (
        GATEWAY,
        unused_fragments(300),
        "The document has 301 definitions; the limit is 200.",
    ),
    "3000-repeated-fields-gateway": (GATEWAY, repeated_fields(3000), TOKENS),
    "1000-repeated-fields-gateway": (
        GATEWAY,
        repeated_fields(1000),
        "Operation 'anonymous' selects 2000 fields; the limit is 1000.",
    ),
    "1000-repeated-fields-subgraph": (
        SUBGRAPH,
        repeated_fields(1000),
        # The subgraph's cost limit is the narrower (1000 lists of an assumed 10 parcels).
        "Operation 'anonymous' selects 2000 fields; the limit is 1000.\n"
        "Operation 'anonymous' has cost 11000; the limit is 10000.",
    ),
    "300-repeated-fields-gateway": (GATEWAY, repeated_fields(300), MERGE),
    "300-repeated-fields-subgraph": (SUBGRAPH, repeated_fields(300), MERGE),
    "5000-digit-list-size-gateway": (
        GATEWAY,
        long_number(),
        "The document holds a number of 5000 characters; the limit is 100.",
    ),
    "5000-digit-list-size-subgraph": (
        SUBGRAPH,
        long_number(),
        "The document holds a number of 5000 characters; the limit is 100.",
    ),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("hostile-documents")) as live:
        yield live


def post(url: str, query: str) -> httpx.Response:
    return httpx.post(url, json={"query": query}, timeout=30)


@pytest.mark.parametrize(("path", "query", "message"), ATTACKS.values(), ids=ATTACKS)
def test_hostile_document_is_refused_quickly_while_healthz_answers(
    server: LiveServer, path: str, query: str, message: str
) -> None:
    with HealthProbe(server.url, interval=0.02) as probe:
        for _ in range(3):
            started = time.perf_counter()
            response = post(server.url + path, query)
            assert time.perf_counter() - started < 1.0
            body = response.json()
            assert response.status_code == 200
            assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
                (line, {"code": "QUERY_TOO_COMPLEX"}) for line in message.splitlines()
            ]
            # The gateway answers a refused request without data, as Hive Gateway does; strawberry with null.
            assert body.get("data", "absent") == ("absent" if path == GATEWAY else None)
        probe.wait_for(len(probe.latencies) + 3)  # probes after the last attack too, however fast it was
    assert len(probe.latencies) >= 3 and probe.worst < 0.2, probe.latencies


def test_an_ordinary_query_still_answers(server: LiveServer) -> None:
    gateway, subgraph = (post(server.url + path, ORDINARY).json() for path in (GATEWAY, SUBGRAPH))
    assert gateway == subgraph
    assert [parcel["id"] for parcel in gateway["data"]["parcels"]] == [f"parcel-000{n}" for n in range(1, 5)]


def test_distinct_large_documents_do_not_grow_the_server(server: LiveServer) -> None:
    # The reproduction: 120 distinct ~900 KB queries grew the server by 514 MB when caches kept any size.
    post(server.url + GATEWAY, ORDINARY)
    before = rss_kib(server.process.pid)
    for n in range(120):
        response = post(server.url + GATEWAY, aliases(50_000) + f" # {n}")
        assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    grown = rss_kib(server.process.pid) - before
    assert grown < 32 * 1024, f"server grew by {grown} KiB"


@pytest.mark.parametrize("production", [False, True], ids=["development", "production"])
def test_field_suggestions_only_outside_production(
    production: bool, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVGRAPH_ENV", "production" if production else "development")
    hint_gateway = ' Did you mean "parcel" or "parcels"?'
    hint_subgraph = " Did you mean 'parcel' or 'parcels'?"
    with running_server(tmp_path_factory.mktemp("suggestions")) as live:
        gateway = post(live.url + GATEWAY, "{ parcelz { id } }").json()
        subgraph = post(live.url + SUBGRAPH, "{ parcelz { id } }").json()
    assert [e["message"] for e in gateway["errors"]] == [
        'Cannot query field "parcelz" on type "Query".' + ("" if production else hint_gateway)
    ]
    assert [e["message"] for e in subgraph["errors"]] == [
        "Cannot query field 'parcelz' on type 'Query'." + ("" if production else hint_subgraph)
    ]
