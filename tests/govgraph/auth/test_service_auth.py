"""Authentication in the running service: a real `govgraph serve` process, tokens from `govgraph token issue`
and keys from `govgraph apikey`, over HTTP. Every mutation of the composed schema refuses anonymous callers
(UNAUTHENTICATED) and callers without its role (FORBIDDEN) and appends nothing; refused tokens and keys are a
401 at the gateway and at the subgraphs, counted by reason in /metrics; nothing secret reaches the log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.credentials import (
    ANONYMOUS_MESSAGE,
    FORBIDDEN_MESSAGE,
    REGISTER_PARCEL,
    WWW_AUTHENTICATE,
    auth_failures,
    bearer,
    create_api_key,
    govgraph,
    issue_token,
    refused_tokens,
)
from tests.support.mutations import Mutation, ledger_sizes, mutations
from tests.support.servers import LiveServer, running_server


@dataclass
class Service:
    server: LiveServer
    data_dir: Path

    def post(self, body: dict, headers: dict | None = None, path: str = "/graphql") -> httpx.Response:
        return httpx.post(self.server.url + path, json=body, headers=headers, timeout=30)

    def mutations(self) -> list[Mutation]:
        return mutations(lambda body: self.post(body).json())

    def ledgers(self) -> dict[str, int]:
        return ledger_sizes(self.data_dir / "govgraph.db")

    def failures(self) -> dict[str, float]:
        return auth_failures(httpx.get(self.server.url + "/metrics", timeout=10).text)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    data_dir = tmp_path_factory.mktemp("service")
    with running_server(data_dir, "debug") as server:
        yield Service(server, data_dir)


def protected(service: Service) -> list[Mutation]:
    found = [mutation for mutation in service.mutations() if not mutation.public]
    assert found, "the composed schema has no mutation that needs a role"
    return found


def parcel(identifier: str) -> dict:
    return {"input": {"id": identifier, "area": 120.5, "locality": "Riverside", "owner": "c-0001"}}


def test_every_mutation_refuses_anonymous_callers_at_the_gateway_and_the_subgraphs(service: Service) -> None:
    before = service.ledgers()
    for mutation in protected(service):
        response = service.post(mutation.body)
        body = response.json()
        subgraph = body["errors"][0]["extensions"].get("serviceName")
        assert (response.status_code, body) == (
            200,
            {
                "errors": [
                    {
                        "message": ANONYMOUS_MESSAGE,
                        "path": [mutation.name],
                        "extensions": {"code": "UNAUTHENTICATED", "serviceName": subgraph},
                    }
                ]
            },
        ), mutation.name
        direct = service.post(mutation.body, path=f"/subgraphs/{subgraph}/graphql")
        assert (direct.status_code, direct.json()) == (
            200,
            {
                "data": None,
                "errors": [
                    {
                        "message": ANONYMOUS_MESSAGE,
                        "locations": [
                            {"line": 1, "column": mutation.document.index(f"{{ {mutation.name}") + 3}
                        ],
                        "path": [mutation.name],
                        "extensions": {"code": "UNAUTHENTICATED"},
                    }
                ],
            },
        ), mutation.name
    assert service.ledgers() == before


def test_every_mutation_refuses_a_caller_without_its_role(service: Service) -> None:
    token = issue_token(service.data_dir, "visitor", "auditor")  # a role no mutation needs
    before = service.ledgers()
    for mutation in protected(service):
        through_gateway = service.post(mutation.body, bearer(token))
        subgraph = through_gateway.json()["errors"][0]["extensions"]["serviceName"]
        direct = service.post(mutation.body, bearer(token), f"/subgraphs/{subgraph}/graphql")
        for response in (through_gateway, direct):
            body = response.json()
            assert response.status_code == 200
            assert body.get("data") is None and len(body["errors"]) == 1, (mutation.name, body)
            error = body["errors"][0]
            assert (error["extensions"]["code"], error["path"]) == ("FORBIDDEN", [mutation.name])
            assert FORBIDDEN_MESSAGE.fullmatch(error["message"]), error["message"]
    assert service.ledgers() == before


def test_a_clerk_with_a_token_from_the_cli_registers_a_parcel_and_one_entry_is_appended(
    service: Service,
) -> None:
    token = issue_token(service.data_dir, "clerk-anna", "clerk:land")
    before = service.ledgers()
    response = service.post({"query": REGISTER_PARCEL, "variables": parcel("AUTH-1")}, bearer(token))
    assert (response.status_code, response.json()) == (
        200,
        {"data": {"registerParcel": {"id": "AUTH-1", "locality": "Riverside"}}},
    )
    assert service.ledgers() == {**before, "land": before["land"] + 1}


@pytest.mark.parametrize("path", ["/graphql", "/subgraphs/land/graphql", "/subgraphs/identity/graphql"])
def test_refused_tokens_are_a_401_unauthenticated_counted_by_reason(service: Service, path: str) -> None:
    before_ledgers = service.ledgers()
    for refused in refused_tokens(service.data_dir):
        before = service.failures()
        for body in ({"query": "{ __typename }"}, {"query": REGISTER_PARCEL, "variables": parcel("AUTH-X")}):
            response = service.post(body, refused.headers, path)
            assert response.status_code == 401, (refused.name, response.text)
            assert response.headers["www-authenticate"] == WWW_AUTHENTICATE
            assert response.json() == {
                "errors": [{"message": refused.message, "extensions": {"code": "UNAUTHENTICATED"}}]
            }, refused.name
        after = service.failures()
        assert {reason: after[reason] - before[reason] for reason in after} == {
            reason: (2.0 if reason == refused.reason else 0.0) for reason in after
        }, refused.name
    assert service.ledgers() == before_ledgers


def test_an_api_key_works_end_to_end_until_it_is_revoked(service: Service) -> None:
    key = create_api_key(service.data_dir, "land-bot", "clerk:land")
    assert re.fullmatch(r"gg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", key)
    before = service.ledgers()
    response = service.post({"query": REGISTER_PARCEL, "variables": parcel("KEY-1")}, {"X-API-Key": key})
    assert response.json() == {"data": {"registerParcel": {"id": "KEY-1", "locality": "Riverside"}}}
    direct = service.post(
        {"query": REGISTER_PARCEL, "variables": parcel("KEY-2")},
        {"X-API-Key": key},
        "/subgraphs/land/graphql",
    )
    assert direct.json() == {"data": {"registerParcel": {"id": "KEY-2", "locality": "Riverside"}}}
    assert service.ledgers() == {**before, "land": before["land"] + 2}

    listed = govgraph(service.data_dir, "apikey", "revoke", "land-bot")
    assert re.fullmatch(r"[0-9a-f]{16}  land-bot  clerk:land  created \S+  revoked \S+\n", listed)
    failures = service.failures()
    for path in ("/graphql", "/subgraphs/land/graphql"):
        response = service.post(
            {"query": REGISTER_PARCEL, "variables": parcel("KEY-3")}, {"X-API-Key": key}, path
        )
        assert (response.status_code, response.json()) == (
            401,
            {
                "errors": [
                    {"message": "the API key has been revoked", "extensions": {"code": "UNAUTHENTICATED"}}
                ]
            },
        )
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    unknown = service.post({"query": "{ __typename }"}, {"X-API-Key": forged})
    assert (unknown.status_code, unknown.json()["errors"][0]["message"]) == (401, "the API key is not known")
    after = service.failures()
    assert after["api_key_revoked"] - failures["api_key_revoked"] == 2
    assert after["api_key_unknown"] - failures["api_key_unknown"] == 1
    assert service.ledgers() == {**before, "land": before["land"] + 2}


def test_anonymous_queries_still_run(service: Service) -> None:
    response = service.post({"query": "{ ledgers { name } }"})
    assert response.status_code == 200
    assert {ledger["name"] for ledger in response.json()["data"]["ledgers"]} >= {"identity", "land"}


def test_a_token_from_the_cli_verifies_with_the_served_jwks(service: Service) -> None:
    token = issue_token(service.data_dir, "alice", "auditor")
    response = httpx.get(service.server.url + "/.well-known/jwks.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    keys = response.json()["keys"]
    assert [sorted(key) for key in keys] == [["alg", "crv", "kid", "kty", "use", "x", "y"]]  # no private "d"
    claims = jwt.decode(token, KeySet.import_key_set({"keys": keys}), algorithms=["ES256"]).claims
    assert (claims["sub"], claims["roles"], claims["iss"], claims["aud"]) == (
        "alice",
        ["auditor"],
        "govgraph://embedded",
        "govgraph",
    )


def test_nothing_secret_reaches_the_server_log(tmp_path: Path) -> None:
    # A server of its own, so the exact counters and the whole log belong to this test.
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with running_server(data_dir, "debug") as server:
        service = Service(server, data_dir)
        token = issue_token(data_dir, "clerk-bo", "clerk:land")
        key = create_api_key(data_dir, "secret-bot", "clerk:land")
        assert (
            service.post({"query": REGISTER_PARCEL, "variables": parcel("LOG-1")}, bearer(token)).status_code
            == 200
        )
        assert service.post(
            {"query": REGISTER_PARCEL, "variables": parcel("LOG-2")}, {"X-API-Key": key}
        ).json() == {"data": {"registerParcel": {"id": "LOG-2", "locality": "Riverside"}}}
        govgraph(data_dir, "apikey", "revoke", "secret-bot")
        refused = {item.name: item for item in refused_tokens(data_dir)}
        for name in ("tampered claims", "expired", "tampered claims"):
            assert service.post({"query": "{ __typename }"}, refused[name].headers).status_code == 401
        assert service.post({"query": "{ __typename }"}, {"X-API-Key": key}).status_code == 401
        assert (
            service.post(
                {"query": "{ __typename }"}, {"X-API-Key": key}, "/subgraphs/land/graphql"
            ).status_code
            == 401
        )
        assert service.failures() == {
            "malformed": 0.0,
            "algorithm": 0.0,
            "signature": 2.0,
            "unknown_key": 0.0,
            "keys_unavailable": 0.0,
            "expired": 1.0,
            "not_yet_valid": 0.0,
            "issuer": 0.0,
            "audience": 0.0,
            "claims": 0.0,
            "api_key_unknown": 0.0,
            "api_key_revoked": 2.0,
        }
        secrets = [token, key, key.removeprefix("gg_").split("_", 1)[1]] + [
            item.headers["Authorization"].removeprefix("Bearer ") for item in refused.values()
        ]
    log = server.log_path.read_text()
    assert "authentication refused: signature" in log and "authentication refused: api_key_revoked" in log
    for secret in secrets:
        assert secret not in log
        for part in secret.split("."):  # a JWT's signature alone is as telling as the whole token
            assert len(part) < 20 or part not in log
