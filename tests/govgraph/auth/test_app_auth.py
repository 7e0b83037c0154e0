"""How the apps are wired to authentication: with an external OIDC provider (a real JWKS server on
127.0.0.1) the keys are fetched once at start-up, its tokens write and the embedded issuer is off; a provider
that is down at start-up leaves the service up for anonymous queries; `govgraph subgraph`'s app authenticates
by itself, counts refusals in its own /metrics and serves the embedded issuer's JWKS; the API key table is
created at start-up."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from govgraph.agencies.registry import find_agency
from govgraph.app import build_app, standalone_agency_app
from govgraph.config import Settings
from tests.support.credentials import WWW_AUTHENTICATE, auth_failures, bearer, refused_tokens
from tests.support.mutations import ledger_sizes
from tests.support.servers import UvicornThread, free_port

PROVIDER = "https://login.example.gov/realms/govgraph"
AUDIENCE = "govgraph-api"
REGISTER_PARCEL = {
    "query": "mutation { registerParcel(input: "
    '{id: "OIDC-1", area: 99.5, locality: "Dunes", owner: "c-0001"}) { id } }'
}


class Provider:
    """An OIDC provider's JWKS endpoint with one RSA key; counts its hits."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.hits = 0

    def token(self, *roles: str, **claims) -> str:
        body = {"iss": PROVIDER, "aud": AUDIENCE, "sub": "clerk-9", "roles": list(roles)}
        body |= {"exp": int(time.time()) + 300} | claims
        return jwt.encode({"alg": "RS256", "kid": "k1"}, body, self.key, algorithms=["RS256"])

    async def jwks(self, _request: Request) -> Response:
        self.hits += 1
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, str]]:
    provider = Provider()
    server = UvicornThread(Starlette(routes=[Route("/certs", provider.jwks)])).start()
    yield provider, f"{server.url}/certs"
    server.stop()


def external(data_dir: Path, jwks_url: str) -> Settings:
    return Settings.from_env(
        {
            "GOVGRAPH_DATA": str(data_dir),
            "GOVGRAPH_AUTH_ISSUER": PROVIDER,
            "GOVGRAPH_AUTH_AUDIENCE": AUDIENCE,
            "GOVGRAPH_AUTH_JWKS_URL": jwks_url,
        }
    )


def test_an_external_providers_keys_are_fetched_at_start_up_and_its_tokens_write(
    data_dir: Path, provider
) -> None:
    provider, url = provider
    hits = provider.hits
    app = build_app(external(data_dir, url))
    with TestClient(app) as client:
        assert provider.hits == hits + 1  # at start-up, before any request
        assert client.get("/.well-known/jwks.json").status_code == 404  # the embedded issuer is off
        before = ledger_sizes(data_dir / "govgraph.db")
        response = client.post("/graphql", json=REGISTER_PARCEL, headers=bearer(provider.token("clerk:land")))
        assert response.json() == {"data": {"registerParcel": {"id": "OIDC-1"}}}
        assert ledger_sizes(data_dir / "govgraph.db") == {**before, "land": before["land"] + 1}
        for token, message in (
            (
                provider.token("clerk:land", aud="another-api"),
                "the token is not meant for this service (audience)",
            ),
            (
                provider.token("clerk:land", iss="https://elsewhere.example"),
                "the token's issuer is not accepted",
            ),
        ):
            refused = client.post("/graphql", json=REGISTER_PARCEL, headers=bearer(token))
            assert (refused.status_code, refused.json()["errors"][0]["message"]) == (401, message)
        # Tokens of the embedded issuer (the CLI's) mean nothing here.
        embedded = refused_tokens(data_dir)[0].headers
        assert client.post("/graphql", json={"query": "{ __typename }"}, headers=embedded).status_code == 401
    assert provider.hits == hits + 1  # the cached keys served every request


def test_a_provider_down_at_start_up_leaves_the_service_up_for_anonymous_queries(
    data_dir: Path, provider, caplog
) -> None:
    provider, _url = provider
    down = f"http://127.0.0.1:{free_port()}/certs"
    with (
        caplog.at_level(logging.WARNING, logger="govgraph"),
        TestClient(build_app(external(data_dir, down))) as client,
    ):
        assert client.post("/graphql", json={"query": "{ ledgers { name } }"}).status_code == 200
        refused = client.post("/graphql", json=REGISTER_PARCEL, headers=bearer(provider.token("clerk:land")))
        assert (refused.status_code, refused.json()) == (
            401,
            {
                "errors": [
                    {
                        "message": "the identity provider's signing keys are unavailable",
                        "extensions": {"code": "UNAUTHENTICATED"},
                    }
                ]
            },
        )
        failures = auth_failures(client.get("/metrics").text)
    assert {reason: count for reason, count in failures.items() if count} == {"keys_unavailable": 1.0}
    assert f"the identity provider's JWKS at {down} could not be loaded: ConnectError" in caplog.text


def test_a_standalone_subgraph_authenticates_counts_and_serves_the_jwks(data_dir: Path) -> None:
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
    app = standalone_agency_app(find_agency("land"), settings)
    with TestClient(app) as client:
        issuer = app.state.auth.issuer
        assert client.get("/.well-known/jwks.json").json() == issuer.jwks()
        anonymous = client.post("/graphql", json=REGISTER_PARCEL).json()
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        good = client.post(
            "/graphql", json=REGISTER_PARCEL, headers=bearer(issuer.issue("eva", ["clerk:land"]))
        )
        assert good.json() == {"data": {"registerParcel": {"id": "OIDC-1"}}}
        expired = next(item for item in refused_tokens(data_dir) if item.name == "expired")
        refused = client.post("/graphql", json={"query": "{ __typename }"}, headers=expired.headers)
        assert (refused.status_code, refused.headers["www-authenticate"]) == (401, WWW_AUTHENTICATE)
        failures = auth_failures(client.get("/metrics").text)
    assert {reason: count for reason, count in failures.items() if count} == {"expired": 1.0}


def test_the_api_key_table_is_created_at_start_up(data_dir: Path) -> None:
    import sqlite3

    with TestClient(build_app(Settings.from_env({"GOVGRAPH_DATA": str(data_dir)}))):
        pass
    with sqlite3.connect(data_dir / "govgraph.db") as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(auth_api_keys)")]
    assert columns == ["id", "name", "roles", "key_hash", "created_at", "revoked_at"]


def test_serve_stops_with_one_line_when_the_issuer_key_is_readable_by_others(data_dir: Path) -> None:
    from typer.testing import CliRunner

    from govgraph.cli import app

    key = data_dir / "auth" / "issuer.jwk"
    build_app(Settings.from_env({"GOVGRAPH_DATA": str(data_dir)}))  # creates the key
    key.chmod(0o644)
    for command in (["serve"], ["subgraph", "land"]):
        result = CliRunner().invoke(app, command, env={"GOVGRAPH_DATA": str(data_dir)})
        assert (result.exit_code, result.output) == (
            1,
            f"govgraph: {key} is readable by others (mode 644): chmod 600 it or remove it\n",
        )
