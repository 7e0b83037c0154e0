"""Apollo's automatic persisted queries on the real Hive Gateway (docker/gateway/gateway.config.mjs) and on
the embedded gateway alone (`govgraph gateway`), both over the same land subgraph: the same request sequence a
client makes (hash alone: miss; document with hash: registered and run; hash alone: hit; a wrong hash or
version refused) gets the same statuses, codes, messages and data from both."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from govgraph.agencies.registry import find_agency
from govgraph.app import standalone_agency_app
from govgraph.config import Settings
from govgraph.federation.gateway.endpoint import gateway_app
from govgraph.federation.gateway.persisted import PersistedDocuments
from govgraph.federation.node_composer import compose_supergraph
from tests.support.servers import HiveGateway, UvicornThread

PARCELS = "query Parcels { parcels(first: 2) { id } }"


def apq(document: str, version: int = 1) -> dict:
    return {
        "persistedQuery": {"version": version, "sha256Hash": hashlib.sha256(document.encode()).hexdigest()}
    }


@pytest.fixture(scope="module")
def gateways(
    gateway_packages: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, str]]:
    """(Hive Gateway's /graphql, the embedded gateway's /graphql, land's /graphql), no manifest on either."""
    directory: Path = tmp_path_factory.mktemp("hive-apq")
    settings = Settings.from_env({"GOVGRAPH_DATA": str(directory / "data")})
    land = UvicornThread(standalone_agency_app(find_agency("land"), settings)).start()
    embedded = None
    try:
        land_url = f"{land.url}/graphql"
        supergraph = directory / "supergraph.graphql"
        compose_supergraph({"land": land_url}, supergraph)
        embedded = UvicornThread(gateway_app({"land": land_url}, persisted=PersistedDocuments())).start()
        hive = HiveGateway.start(supergraph, directory / "gateway.log")
        try:
            yield hive.url, f"{embedded.url}/graphql", land_url
        finally:
            hive.stop()
    finally:
        if embedded is not None:
            embedded.stop()
        land.stop()


def answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], object]:
    body = response.json()
    errors = [(e["message"], e["extensions"]["code"]) for e in body.get("errors", [])]
    return response.status_code, errors, body.get("data")


@pytest.mark.parametrize("which", ["hive", "embedded"])
def test_a_hash_misses_then_registers_then_hits(gateways: tuple[str, str, str], which: str) -> None:
    hive, embedded, land = gateways
    url = hive if which == "hive" else embedded
    expected = httpx.post(land, json={"query": PARCELS}).json()["data"]
    assert len(expected["parcels"]) == 2

    assert answer(httpx.post(url, json={"extensions": apq(PARCELS)})) == (
        200,
        [("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")],
        None,
    )
    assert answer(httpx.post(url, json={"query": PARCELS, "extensions": apq(PARCELS)})) == (200, [], expected)
    assert answer(httpx.post(url, json={"extensions": apq(PARCELS)})) == (200, [], expected)


@pytest.mark.parametrize("which", ["hive", "embedded"])
def test_a_wrong_hash_or_version_is_refused(gateways: tuple[str, str, str], which: str) -> None:
    hive, embedded, _land = gateways
    url = hive if which == "hive" else embedded
    other = "query Other { parcels(first: 1) { id } }"
    assert answer(httpx.post(url, json={"query": PARCELS, "extensions": apq(other)})) == (
        400,
        [("The query's SHA-256 is not sha256Hash.", "PERSISTED_QUERY_HASH_MISMATCH")],
        None,
    )
    assert answer(httpx.post(url, json={"extensions": apq(other, version=2)})) == (
        400,
        [("Unsupported persisted query version: expected 1.", "BAD_REQUEST")],
        None,
    )
    bad_hash = {"persistedQuery": {"version": 1, "sha256Hash": "ABC"}}
    assert answer(httpx.post(url, json={"extensions": bad_hash})) == (
        400,
        [("sha256Hash must be a lower-case SHA-256 hex digest.", "BAD_REQUEST")],
        None,
    )
