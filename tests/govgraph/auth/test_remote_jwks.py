"""An external provider's JWKS, served by a real HTTP server on 127.0.0.1 that counts its hits: fetched once
and cached, refetched once for an unknown kid and then refused, never more than once per interval however
many tokens name unknown kids, refetched when stale, kept when the provider fails."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from govgraph.auth.failures import AuthenticationFailed, Reason
from govgraph.auth.http import auth_routes
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.auth.remote_jwks import JwksUnavailable, RemoteJwks, parse_jwks
from govgraph.auth.tokens import TokenVerifier
from tests.govgraph.auth.conftest import AUDIENCE, ISSUER
from tests.support.servers import UvicornThread, free_port

PROVIDER = "https://id.example.gov/realms/gov"


@dataclass
class Provider:
    """An OIDC provider's key endpoint: publishes `published`, answers `status`, counts `hits`."""

    keys: dict[str, RSAKey] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)
    status: int = 200
    hits: int = 0

    def add_key(self, kid: str, publish: bool = True) -> None:
        self.keys[kid] = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
        if publish:
            self.published.append(kid)

    def token(self, kid: str, **claims) -> str:
        now = int(time.time())
        body = {"iss": PROVIDER, "aud": AUDIENCE, "sub": "clerk-7", "roles": ["clerk:land"], "exp": now + 60}
        return jwt.encode({"alg": "RS256", "kid": kid}, body | claims, self.keys[kid], algorithms=["RS256"])

    async def endpoint(self, _request: Request) -> Response:
        self.hits += 1
        if self.status != 200:
            return Response("unavailable", status_code=self.status)
        return JSONResponse({"keys": [self.keys[kid].as_dict(private=False) for kid in self.published]})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def provider_server() -> Iterator[tuple[Provider, str]]:
    provider = Provider()
    provider.add_key("k1")
    provider.add_key("k2", publish=False)

    async def certs(request: Request) -> Response:
        return await server_state["provider"].endpoint(request)

    server_state = {"provider": provider}
    server = UvicornThread(Starlette(routes=[Route("/certs", certs)])).start()
    try:
        yield server_state, server.url + "/certs"
    finally:
        server.stop()


@pytest.fixture
def provider(provider_server) -> Provider:
    state, _ = provider_server
    fresh = Provider(keys=dict(state["provider"].keys), published=["k1"])
    state["provider"] = fresh
    return fresh


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def jwks(provider_server, clock: Clock) -> RemoteJwks:
    _, url = provider_server
    return RemoteJwks(url, min_refresh_interval=30.0, max_age=3600.0, clock=clock)


@pytest.fixture
def verifier(jwks: RemoteJwks) -> TokenVerifier:
    return TokenVerifier(jwks, issuer=PROVIDER, audience=AUDIENCE)


async def refusal(verifier: TokenVerifier, token: str) -> tuple[Reason, str]:
    with pytest.raises(AuthenticationFailed) as refused:
        await verifier.verify(token)
    return refused.value.reason, str(refused.value)


UNKNOWN = (Reason.UNKNOWN_KEY, "the token's signing key (kid) is not known")


async def test_keys_are_fetched_once_and_cached(provider: Provider, verifier, jwks):
    for _ in range(5):
        assert (await verifier.verify(provider.token("k1"))).subject == "clerk-7"
    assert (provider.hits, jwks.fetches) == (1, 1)


async def test_an_unknown_kid_costs_one_refresh_then_is_refused(provider: Provider, verifier, clock):
    await verifier.verify(provider.token("k1"))
    clock.now += 31
    forged = provider.token("k2")  # signed by a key the provider does not publish
    assert await refusal(verifier, forged) == UNKNOWN
    assert provider.hits == 2
    # A flood of unknown kids inside the interval, sequential and concurrent: no further fetch.
    assert await refusal(verifier, forged) == UNKNOWN
    outcomes = await asyncio.gather(
        *(refusal(verifier, provider.token("k2", sub=f"s{n}")) for n in range(20)), return_exceptions=True
    )
    assert outcomes == [UNKNOWN] * 20
    assert provider.hits == 2


async def test_the_first_request_fetches_once_even_with_an_unknown_kid(provider: Provider, verifier):
    assert await refusal(verifier, provider.token("k2")) == UNKNOWN
    assert provider.hits == 1


async def test_concurrent_requests_share_one_refresh(provider: Provider, verifier, jwks, clock):
    await verifier.verify(provider.token("k1"))
    provider.published.append("k2")  # the provider rotates in a new key
    clock.now += 31
    subjects = await asyncio.gather(*(verifier.verify(provider.token("k2", sub=f"s{n}")) for n in range(10)))
    assert sorted(v.subject for v in subjects) == sorted(f"s{n}" for n in range(10))
    assert (provider.hits, jwks.fetches) == (2, 2)


async def test_a_rotated_key_is_accepted_after_the_interval(provider: Provider, verifier, clock):
    await verifier.verify(provider.token("k1"))
    provider.published.append("k2")
    assert await refusal(verifier, provider.token("k2")) == UNKNOWN  # within 30 s of the last fetch
    assert provider.hits == 1
    clock.now += 30
    assert (await verifier.verify(provider.token("k2"))).subject == "clerk-7"
    assert provider.hits == 2


async def test_stale_keys_are_refetched_and_kept_if_the_provider_fails(provider: Provider, verifier, clock):
    await verifier.verify(provider.token("k1"))
    clock.now += 3600
    await verifier.verify(provider.token("k1"))
    assert provider.hits == 2
    provider.status = 503
    clock.now += 3600
    assert (await verifier.verify(provider.token("k1"))).subject == "clerk-7"  # the cached key still works
    assert (await verifier.verify(provider.token("k1"))).subject == "clerk-7"
    assert provider.hits == 3  # one failed attempt; the next waits for the interval
    clock.now += 30
    await verifier.verify(provider.token("k1"))
    assert provider.hits == 4


async def test_no_keys_at_all_is_refused_and_retried_only_after_the_interval(provider, verifier, clock):
    provider.status = 500
    expected = (Reason.KEYS_UNAVAILABLE, "the identity provider's signing keys are unavailable")
    assert await refusal(verifier, provider.token("k1")) == expected
    assert await refusal(verifier, provider.token("k1")) == expected
    assert provider.hits == 1
    provider.status = 200
    clock.now += 30
    assert (await verifier.verify(provider.token("k1"))).subject == "clerk-7"
    assert provider.hits == 2


async def test_load_fetches_now_and_reports_failure(provider: Provider, jwks: RemoteJwks):
    await jwks.load()
    await jwks.load()
    assert provider.hits == 2
    provider.status = 404
    with pytest.raises(JwksUnavailable) as failed:
        await jwks.load()
    assert str(failed.value) == "HTTP status 404"


async def test_an_unreachable_provider_is_keys_unavailable(clock):
    jwks = RemoteJwks(f"http://127.0.0.1:{free_port()}/certs", clock=clock, timeout=2.0)
    verifier = TokenVerifier(jwks, issuer=PROVIDER, audience=AUDIENCE)
    with pytest.raises(AuthenticationFailed) as refused:
        await verifier.verify(_any_token())
    assert refused.value.reason is Reason.KEYS_UNAVAILABLE
    with pytest.raises(JwksUnavailable) as failed:
        await jwks.load()
    assert str(failed.value) == "ConnectError"


def _any_token() -> str:
    key = ECKey.generate_key("P-256", parameters={"kid": "x"})
    now = int(time.time())
    claims = {"iss": PROVIDER, "aud": AUDIENCE, "sub": "a", "exp": now + 60}
    return jwt.encode({"alg": "ES256", "kid": "x"}, claims, key, algorithms=["ES256"])


def test_parse_jwks_keeps_public_signing_keys_only():
    rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa"})
    encryption = ECKey.generate_key("P-256", parameters={"kid": "enc", "use": "enc"})
    secret = OctKey.generate_key(256, parameters={"kid": "oct"})
    document = {
        "keys": [
            rsa.as_dict(private=True),  # a careless provider publishing a private key: only the public part
            encryption.as_dict(private=False),
            secret.as_dict(private=True),
            {"kty": "PQC", "kid": "future"},
            {"kty": "EC", "kid": "broken", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
            "not a key",
        ]
    }
    keys = parse_jwks(json.dumps(document).encode())
    assert list(keys) == ["rsa"]
    assert keys["rsa"].is_private is False
    assert keys["rsa"].as_dict() == rsa.as_dict(private=False)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "the JWKS has no keys list"),
        (b'{"keys": {}}', "the JWKS has no keys list"),
        (b'{"keys": []}', "the JWKS holds no usable signing key"),
        (
            b"{",
            "the JWKS is not valid JSON: "
            "Expecting property name enclosed in double quotes (line 1, column 2)",
        ),
        (b"[" * 50 + b"]" * 50, "the JWKS is nested deeper than 8 levels"),
    ],
)
def test_parse_jwks_refuses_documents_without_keys(body: bytes, message: str):
    with pytest.raises(JwksUnavailable) as refused:
        parse_jwks(body)
    assert str(refused.value) == message


async def test_the_embedded_issuers_jwks_route_serves_a_remote_verifier(issuer: EmbeddedIssuer):
    # The two halves agree: a RemoteJwks pointed at /.well-known/jwks.json verifies the issuer's tokens.
    server = UvicornThread(Starlette(routes=auth_routes(issuer))).start()
    try:
        jwks = RemoteJwks(server.url + "/.well-known/jwks.json")
        verifier = TokenVerifier(jwks, issuer=ISSUER, audience=AUDIENCE)
        assert (await verifier.verify(issuer.issue("bob", ["auditor"]))).roles == frozenset({"auditor"})
        assert jwks.fetches == 1
    finally:
        server.stop()
