"""Differential test: every corpus operation answers the same JSON through the embedded gateway (over HTTP to
the live subgraphs) as through the real Hive Gateway over those same subgraphs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from graphql import build_client_schema, build_schema, get_introspection_query

from govgraph.federation.gateway.composition import compose_sdls
from govgraph.federation.gateway.endpoint import GatewayEndpoint, remote_gateway
from tests.govgraph.federation.corpus import (
    errors_by_subgraph,
    generate,
    root_subgraphs,
    with_deliberate_differences,
)
from tests.govgraph.federation.corpus.hand import OPERATIONS as HAND
from tests.support.servers import UvicornThread

CORPUS_DIR = Path(generate.__file__).parent
GENERATED = [tuple(item) for item in json.loads(generate.CORPUS.read_text())]
CORPUS = [*HAND, *GENERATED]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def embedded(live_subgraphs) -> Iterator[str]:
    """The embedded gateway served over HTTP on 127.0.0.1, composed from the live subgraphs' SDLs."""
    urls = dict(live_subgraphs.urls)
    server = UvicornThread(GatewayEndpoint(lambda: remote_gateway(urls))).start()
    yield server.url
    server.stop()


def post(url: str, query: str, variables: dict | None, operation_name: str | None) -> dict:
    payload = {"query": query, "variables": variables}
    if operation_name is not None:
        payload["operationName"] = operation_name
    return httpx.post(url, json=payload, timeout=30).json()


def test_corpus_is_large_and_names_are_unique() -> None:
    names = [operation[0] for operation in CORPUS]
    assert len(CORPUS) >= 300
    assert len(set(names)) == len(names)


def test_generated_corpus_is_what_the_seeded_generator_writes() -> None:
    schema = build_schema((CORPUS_DIR / "api.graphql").read_text())
    assert [list(op) for op in generate.generate(schema)] == [list(op) for op in GENERATED]


def test_committed_api_schema_is_the_composed_one(live_subgraphs) -> None:
    # The generator draws from api.graphql: it must be the API schema our gateway composes today.
    sdls = {
        name: live_subgraphs.post(name, "{ _service { sdl } }")["data"]["_service"]["sdl"]
        for name in live_subgraphs.urls
    }
    assert compose_sdls(sdls).api_sdl == (CORPUS_DIR / "api.graphql").read_text()


@pytest.mark.parametrize("operation", CORPUS, ids=[operation[0] for operation in CORPUS])
def test_embedded_gateway_answers_exactly_as_hive_gateway(
    operation: tuple, embedded: str, hive_gateway
) -> None:
    _name, query, variables, *rest = operation
    operation_name = rest[0] if rest else None
    ours = errors_by_subgraph(post(embedded, query, variables, operation_name))
    roots = root_subgraphs(hive_gateway.supergraph, query, operation_name)
    theirs = errors_by_subgraph(
        with_deliberate_differences(post(hive_gateway.url, query, variables, operation_name), roots)
    )
    assert ours == theirs


def _by_name(items: list[dict] | None) -> list[dict] | None:
    return None if items is None else sorted(items, key=lambda item: item["name"])


def _schema_types(body: dict) -> dict[str, dict]:
    """The introspected schema's own types and directives, each list sorted by name. Sorted because the
    two composers order types and fields differently; graphql-core 3.3's meta-types (`__Type` & co) differ
    from graphql-js 16's, so only the supergraph's own types are compared."""
    schema = body["data"]["__schema"]
    types = {
        t["name"]: {
            **t,
            **{
                k: _by_name(t[k])
                for k in ("fields", "inputFields", "enumValues", "interfaces", "possibleTypes")
            },
        }
        for t in schema["types"]
        if not t["name"].startswith("__")
    }
    custom = {
        d["name"]: d
        for d in schema["directives"]
        if d["name"] not in ("deprecated", "skip", "include", "specifiedBy", "oneOf")
    }
    return {"types": types, "directives": custom, "roots": [schema["queryType"], schema["mutationType"]]}


def test_full_introspection_describes_the_same_supergraph_as_hive(embedded: str, hive_gateway) -> None:
    query = get_introspection_query(descriptions=True)
    ours, theirs = post(embedded, query, None, None), post(hive_gateway.url, query, None, None)
    assert "errors" not in ours
    assert _schema_types(ours) == _schema_types(theirs)
    # GraphiQL can build a working client schema from it.
    assert build_client_schema(ours["data"]).get_type("Parcel").fields["owner"].type.name == "Citizen"


def test_a_list_field_selected_twice_is_merged_item_by_item_where_hive_concatenates(
    embedded: str, hive_gateway
) -> None:
    # The one answer where we knowingly differ: GraphQL merges both selections into each item; Hive Gateway
    # (router-runtime's projection) appends the second list to the first.
    query = "{ agencies { id } agencies { name } }"
    ours, theirs = post(embedded, query, None, None), post(hive_gateway.url, query, None, None)
    ids = ["electoral-commission", "identity-bureau", "land-registry"]
    names = ["Electoral Commission", "Identity Bureau", "Land Registry"]
    assert ours == {"data": {"agencies": [{"id": i, "name": n} for i, n in zip(ids, names, strict=True)]}}
    assert theirs == {"data": {"agencies": [{"id": i} for i in ids] + [{"name": n} for n in names]}}
