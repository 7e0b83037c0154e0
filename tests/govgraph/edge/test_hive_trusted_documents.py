"""Hive Gateway configured like the embedded gateway (docker/gateway/gateway.config.mjs): with a manifest of
trusted documents and GOVGRAPH_TRUSTED_DOCUMENTS_ONLY, the real Hive Gateway runs a trusted document by
documentId or APQ hash, and refuses any other document with the embedded gateway's codes and statuses; and it
answers preflights of the listed origin only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from govgraph.agencies.registry import find_agency
from govgraph.app import standalone_agency_app
from govgraph.config import Settings
from govgraph.federation.node_composer import compose_supergraph
from tests.support.servers import HiveGateway, UvicornThread

PARCELS = "query Parcels { parcels(first: 2) { id } }"
OTHER = "query Other { parcels(first: 1) { id } }"
APP_ORIGIN = "http://app.example.org:5173"


def digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@pytest.fixture(scope="module")
def hive(gateway_packages: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(Hive Gateway's /graphql, the land subgraph's /graphql): Hive over land alone, trusted only."""
    directory: Path = tmp_path_factory.mktemp("hive-trusted")
    settings = Settings.from_env({"GOVGRAPH_DATA": str(directory / "data")})
    land = UvicornThread(standalone_agency_app(find_agency("land"), settings)).start()
    try:
        supergraph = directory / "supergraph.graphql"
        compose_supergraph({"land": f"{land.url}/graphql"}, supergraph)
        manifest = directory / "manifest.json"
        operations = [{"id": digest(PARCELS), "name": "Parcels", "type": "query", "body": PARCELS}]
        manifest.write_text(
            json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations})
        )
        env = {
            "GOVGRAPH_TRUSTED_DOCUMENTS": str(manifest),
            "GOVGRAPH_TRUSTED_DOCUMENTS_ONLY": "1",
            "GOVGRAPH_CORS_ORIGINS": APP_ORIGIN,
        }
        gateway = HiveGateway.start(supergraph, directory / "gateway.log", env=env)
        try:
            yield gateway.url, f"{land.url}/graphql"
        finally:
            gateway.stop()
    finally:
        land.stop()


def test_hive_runs_a_trusted_document_and_refuses_another(hive: tuple[str, str]) -> None:
    url, land = hive
    expected = httpx.post(land, json={"query": PARCELS}).json()
    assert len(expected["data"]["parcels"]) == 2
    assert httpx.post(url, json={"documentId": digest(PARCELS)}).json() == expected
    assert httpx.get(url, params={"documentId": "sha256:" + digest(PARCELS)}).json() == expected
    apq = {"persistedQuery": {"version": 1, "sha256Hash": digest(PARCELS)}}
    assert httpx.post(url, json={"extensions": apq}).json() == expected

    refused = httpx.post(url, json={"query": OTHER})
    assert refused.status_code == 403
    assert [(e["message"], e["extensions"]["code"]) for e in refused.json()["errors"]] == [
        ("Only trusted documents may run here: send a documentId.", "PERSISTED_QUERY_ONLY")
    ]
    unknown = httpx.post(url, json={"documentId": digest(OTHER)})
    assert unknown.status_code == 404
    assert [(e["message"], e["extensions"]["code"]) for e in unknown.json()["errors"]] == [
        ("No trusted document has this documentId.", "PERSISTED_QUERY_NOT_IN_LIST")
    ]


def test_hive_answers_the_listed_origin_only(hive: tuple[str, str]) -> None:
    url, _land = hive
    allowed = httpx.options(
        url,
        headers={
            "origin": APP_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert allowed.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    assert allowed.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in allowed.headers
    other = httpx.options(
        url, headers={"origin": "http://evil.example", "access-control-request-method": "POST"}
    )
    # With one origin listed Hive always names it; the browser sees it is not the page's own and refuses.
    assert other.headers["access-control-allow-origin"] == APP_ORIGIN
