"""From headers to a principal: bearer tokens, API keys, anonymous callers, refused credentials counted in
govgraph_auth_failures_total{reason} and never written to a log."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from starlette.datastructures import Headers

from govgraph import db
from govgraph.auth.apikeys import ApiKeyStore, create_api_key_tables
from govgraph.auth.authenticate import Authenticator
from govgraph.auth.failures import AuthenticationFailed, Reason
from govgraph.auth.setup import build_auth
from govgraph.federation.errors import ErrorCode
from govgraph.federation.principal import ANONYMOUS, AuthMethod, Principal
from tests.govgraph.auth.conftest import AUDIENCE, ISSUER


@pytest.fixture
async def api_keys(data_dir: Path) -> AsyncIterator[ApiKeyStore]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{data_dir / 'govgraph.db'}")
    await create_api_key_tables(engine)
    yield ApiKeyStore(db.session_factory(engine))
    await engine.dispose()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def authenticator(verifier, api_keys, registry) -> Authenticator:
    return Authenticator(verifier, api_keys, registry=registry)


def failures(registry: CollectorRegistry, reason: str) -> float | None:
    return registry.get_sample_value("govgraph_auth_failures_total", {"reason": reason})


def raw_headers(*pairs: tuple[str, str]) -> Headers:
    return Headers(raw=[(name.encode(), value.encode()) for name, value in pairs])


async def refusal(authenticator: Authenticator, headers) -> tuple[Reason, str]:
    with pytest.raises(AuthenticationFailed) as refused:
        await authenticator.authenticate(headers)
    assert refused.value.code is ErrorCode.UNAUTHENTICATED
    return refused.value.reason, str(refused.value)


async def test_no_credentials_is_the_anonymous_principal(authenticator, registry):
    assert await authenticator.authenticate(Headers({})) is ANONYMOUS
    assert ANONYMOUS.authenticated is False and ANONYMOUS.actor is None
    assert all(failures(registry, reason.value) == 0.0 for reason in Reason)


async def test_a_bearer_token_gives_its_subject_and_roles(authenticator, issuer):
    token = issuer.issue("alice", ["clerk:land"])
    for scheme in ("Bearer", "bearer", "BEARER"):
        principal = await authenticator.authenticate(Headers({"Authorization": f"{scheme} {token}"}))
        assert principal == Principal("alice", frozenset({"clerk:land"}), AuthMethod.BEARER)
        assert principal.actor == "bearer:alice"


async def test_an_api_key_gives_its_name_and_roles(authenticator, api_keys):
    created = await api_keys.create("ci", ["service:ci"])
    principal = await authenticator.authenticate(httpx.Headers({"X-API-Key": created.key}))
    assert principal == Principal("ci", frozenset({"service:ci"}), AuthMethod.API_KEY)
    assert principal.actor == "api_key:ci"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Authorization": "Basic YWxpY2U6c2VjcmV0"}, "the Authorization header must be 'Bearer <token>'"),
        ({"Authorization": "Bearer"}, "the Authorization header must be 'Bearer <token>'"),
        ({"Authorization": "Bearer   "}, "the Authorization header must be 'Bearer <token>'"),
        (
            {"Authorization": "Bearer a.b.c", "X-API-Key": "gg_x"},
            "send a bearer token or an API key, not both",
        ),
    ],
)
async def test_unreadable_credentials_are_refused(authenticator, registry, headers, message):
    assert await refusal(authenticator, Headers(headers)) == (Reason.MALFORMED, message)
    assert failures(registry, "malformed") == 1.0


async def test_repeated_credential_headers_are_refused(authenticator, issuer):
    token = issuer.issue("alice", ["auditor"])
    headers = raw_headers(("authorization", f"Bearer {token}"), ("authorization", "Bearer x.y.z"))
    assert await refusal(authenticator, headers) == (Reason.MALFORMED, "more than one authorization header")
    keys = httpx.Headers([("x-api-key", "a"), ("x-api-key", "b")])
    assert await refusal(authenticator, keys) == (Reason.MALFORMED, "more than one x-api-key header")


async def test_each_refusal_is_counted_by_reason(authenticator, registry, sign, api_keys):
    now = int(time.time())
    created = await api_keys.create("old", ["auditor"])
    await api_keys.revoke("old")
    attempts = [
        {"Authorization": f"Bearer {sign({'exp': now - 120})}"},
        {"Authorization": f"Bearer {sign({'exp': now - 120})}"},
        {"Authorization": f"Bearer {sign({'aud': 'elsewhere'})}"},
        {"Authorization": f"Bearer {sign({'iss': 'elsewhere'})}"},
        {"X-API-Key": created.key},
        {"X-API-Key": "gg_0123456789abcdef_" + "A" * 43},
    ]
    for headers in attempts:
        with pytest.raises(AuthenticationFailed):
            await authenticator.authenticate(Headers(headers))
    counted = {reason.value: failures(registry, reason.value) for reason in Reason}
    assert counted == {
        "malformed": 0.0,
        "algorithm": 0.0,
        "signature": 0.0,
        "unknown_key": 0.0,
        "keys_unavailable": 0.0,
        "expired": 2.0,
        "not_yet_valid": 0.0,
        "issuer": 1.0,
        "audience": 1.0,
        "claims": 0.0,
        "api_key_unknown": 1.0,
        "api_key_revoked": 1.0,
    }
    exposition = generate_latest(registry).decode()
    assert 'govgraph_auth_failures_total{reason="expired"} 2.0' in exposition.splitlines()


async def test_nothing_secret_reaches_the_log(authenticator, api_keys, sign, caplog):
    caplog.set_level(logging.DEBUG)
    created = await api_keys.create("ci", ["service:ci"])
    await api_keys.revoke("ci")
    expired = sign({"exp": int(time.time()) - 120})
    forged = expired[:-8] + "AAAAAAAA"
    secrets = [created.key, expired, forged]
    for headers in ({"X-API-Key": created.key}, {"Authorization": f"Bearer {expired}"}):
        with pytest.raises(AuthenticationFailed) as refused:
            await authenticator.authenticate(Headers(headers))
        assert not any(secret in str(refused.value) for secret in secrets)
    with pytest.raises(AuthenticationFailed):
        await authenticator.authenticate(Headers({"Authorization": f"Bearer {forged}"}))
    assert [record.getMessage() for record in caplog.records if record.name == "govgraph.auth"] == [
        "authentication refused: api_key_revoked",
        "authentication refused: expired",
        "authentication refused: signature",
    ]
    assert not any(secret in caplog.text for secret in secrets)
    assert not any(secret[:40] in caplog.text for secret in secrets)


async def test_kinds_of_credential_not_configured_are_refused_not_ignored(verifier, api_keys, issuer):
    tokens_only = Authenticator(verifier, None)
    assert await refusal(tokens_only, Headers({"X-API-Key": "gg_x"})) == (
        Reason.MALFORMED,
        "API keys are not accepted here",
    )
    keys_only = Authenticator(None, api_keys)
    bearer = {"Authorization": f"Bearer {issuer.issue('alice', ['auditor'])}"}
    assert await refusal(keys_only, Headers(bearer)) == (
        Reason.MALFORMED,
        "bearer tokens are not accepted here",
    )


async def test_build_auth_embedded_and_external(data_dir: Path, api_keys, registry):
    embedded = build_auth(
        token_issuer=ISSUER,
        token_audience=AUDIENCE,
        jwks_url=None,
        issuer_key_path=data_dir / "auth" / "issuer.jwk",
        sessions=api_keys.sessions,
        registry=registry,
    )
    assert embedded.remote_keys is None and embedded.issuer is not None
    assert [route.path for route in embedded.routes()] == ["/.well-known/jwks.json"]
    token = embedded.issuer.issue("alice", ["auditor"])
    principal = await embedded.authenticator.authenticate(Headers({"Authorization": f"Bearer {token}"}))
    assert principal.subject == "alice"
    assert embedded.authenticator.registry is registry
    external = build_auth(
        token_issuer="https://id.example.gov",
        token_audience="api",
        jwks_url="https://id.example.gov/certs",
        issuer_key_path=data_dir / "unused" / "issuer.jwk",
        sessions=None,
    )
    assert external.issuer is None and external.api_keys is None and external.routes() == []
    assert external.remote_keys is not None and external.remote_keys.url == "https://id.example.gov/certs"
    assert not (data_dir / "unused").exists()
