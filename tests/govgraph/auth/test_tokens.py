"""Bearer JWT verification against the embedded issuer's real key: what is accepted, and every kind of token
that must be refused, with its reason and message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from govgraph.auth.failures import AuthenticationFailed, Reason
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.auth.tokens import TokenVerifier
from govgraph.federation.errors import ErrorCode
from govgraph.federation.principal import AuthMethod, Principal
from tests.govgraph.auth.conftest import AUDIENCE, ISSUER


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> list[str]:
    return token.split(".")


ALGORITHM_REFUSED = (
    Reason.ALGORITHM,
    "the token's algorithm is not accepted: expected "
    "ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, Ed25519",
)


async def refusal(verifier: TokenVerifier, token: str) -> tuple[Reason, str]:
    with pytest.raises(AuthenticationFailed) as refused:
        await verifier.verify(token)
    assert refused.value.code is ErrorCode.UNAUTHENTICATED
    return refused.value.reason, str(refused.value)


async def test_an_issued_token_verifies_to_its_subject_and_roles(issuer: EmbeddedIssuer, verifier):
    token = issuer.issue("alice", ["clerk:land", "auditor"], ttl=600)
    verified = await verifier.verify(token)
    assert verified.subject == "alice"
    assert verified.roles == frozenset({"clerk:land", "auditor"})
    assert verified.principal() == Principal("alice", frozenset({"clerk:land", "auditor"}), AuthMethod.BEARER)
    claims = verified.claims
    assert (claims["iss"], claims["aud"], claims["roles"]) == (ISSUER, AUDIENCE, ["auditor", "clerk:land"])
    assert claims["exp"] - claims["iat"] == 600 and claims["nbf"] == claims["iat"]
    header = json.loads(base64.urlsafe_b64decode(segments(token)[0] + "=="))
    assert header == {"typ": "JWT", "alg": "ES256", "kid": issuer.kid}


async def test_expired_tokens_are_refused_beyond_the_leeway(sign, verifier):
    now = int(time.time())
    assert (await verifier.verify(sign({"exp": now - 20}))).subject == "alice"  # within 30 s of skew
    assert await refusal(verifier, sign({"exp": now - 60})) == (Reason.EXPIRED, "the token has expired")


async def test_tokens_not_yet_valid_are_refused(sign, verifier):
    now = int(time.time())
    assert (await verifier.verify(sign({"nbf": now + 20}))).subject == "alice"
    assert await refusal(verifier, sign({"nbf": now + 120})) == (
        Reason.NOT_YET_VALID,
        "the token is not valid yet",
    )
    assert await refusal(verifier, sign({"iat": now + 120})) == (
        Reason.CLAIMS,
        "the token's iat claim is missing or not valid",
    )


async def test_a_token_for_another_audience_is_refused(sign, verifier):
    expected = (Reason.AUDIENCE, "the token is not meant for this service (audience)")
    assert await refusal(verifier, sign({"aud": "other-service"})) == expected
    assert await refusal(verifier, sign({"aud": ["other", "another"]})) == expected
    assert (await verifier.verify(sign({"aud": ["other", AUDIENCE]}))).subject == "alice"


async def test_a_token_from_another_issuer_is_refused(sign, verifier):
    assert await refusal(verifier, sign({"iss": "https://evil.example"})) == (
        Reason.ISSUER,
        "the token's issuer is not accepted",
    )


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "exp"])
async def test_required_claims_must_be_present(sign, verifier, claim: str):
    assert await refusal(verifier, sign({claim: None})) == (
        Reason.CLAIMS,
        f"the token lacks required claims: {claim}",
    )


async def test_every_missing_claim_is_named(sign, verifier):
    assert await refusal(verifier, sign({"sub": None, "exp": None})) == (
        Reason.CLAIMS,
        "the token lacks required claims: exp, sub",
    )


@pytest.mark.parametrize("claims", [{"sub": 7}, {"exp": "tomorrow"}, {"exp": True}, {"iss": ["a"]}])
async def test_claims_of_the_wrong_type_are_refused(sign, verifier, claims: dict):
    reason, _ = await refusal(verifier, sign(claims))
    assert reason is (Reason.ISSUER if "iss" in claims else Reason.CLAIMS)


async def test_alg_none_is_refused(sign, verifier, issuer):
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": issuer.kid}).encode())
    payload = segments(sign())[1]
    assert await refusal(verifier, f"{header}.{payload}.") == ALGORITHM_REFUSED


async def test_hs256_signed_with_the_public_key_is_refused(issuer, verifier):
    # The classic confusion: the public key, which anyone can fetch, used as an HMAC secret (by hand:
    # joserfc itself refuses to load a public key as an oct key).
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "roles": ["admin"], "exp": now + 60}
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode())
    signing_input = f"{header}.{b64(json.dumps(claims).encode())}"
    for secret in (issuer.public_key.as_pem(private=False), json.dumps(issuer.jwks()["keys"][0]).encode()):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert await refusal(verifier, f"{signing_input}.{b64(mac)}") == ALGORITHM_REFUSED


async def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(issuer, verifier):
    stranger = ECKey.generate_key("P-256")
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": now + 60}
    forged = jwt.encode({"alg": "ES256", "kid": issuer.kid}, claims, stranger, algorithms=["ES256"])
    assert await refusal(verifier, forged) == (Reason.SIGNATURE, "the token's signature is not valid")


@pytest.mark.parametrize(
    ("key", "alg"),
    [(RSAKey.generate_key(2048), "RS256"), (OKPKey.generate_key("Ed25519"), "Ed25519")],
)
async def test_an_algorithm_that_does_not_fit_the_key_is_refused(issuer, verifier, key, alg):
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": now + 60}
    forged = jwt.encode({"alg": alg, "kid": issuer.kid}, claims, key, algorithms=[alg])
    assert await refusal(verifier, forged) == (
        Reason.ALGORITHM,
        "the token's algorithm does not match its key",
    )


async def test_a_tampered_payload_is_refused(sign, verifier):
    header, payload, signature = segments(sign())
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["admin"]
    tampered = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
    assert await refusal(verifier, tampered) == (Reason.SIGNATURE, "the token's signature is not valid")


async def test_a_tampered_signature_is_refused(sign, verifier):
    header, payload, signature = segments(sign())
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    assert await refusal(verifier, f"{header}.{payload}.{b64(bytes(raw))}") == (
        Reason.SIGNATURE,
        "the token's signature is not valid",
    )
    assert await refusal(verifier, f"{header}.{payload}.") == (
        Reason.SIGNATURE,
        "the token's signature is not valid",
    )


async def test_a_tampered_header_is_refused(sign, verifier, issuer):
    _, payload, signature = segments(sign())
    header = b64(json.dumps({"alg": "ES256", "kid": issuer.kid, "typ": "at+jwt"}).encode())
    assert await refusal(verifier, f"{header}.{payload}.{signature}") == (
        Reason.SIGNATURE,
        "the token's signature is not valid",
    )


async def test_a_key_the_token_brings_along_is_never_trusted(issuer, verifier):
    mallory = ECKey.generate_key("P-256")
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "roles": ["admin"], "exp": now + 60}
    for header in (
        {"jwk": dict(mallory.as_dict(private=False))},
        {"jku": "https://mallory.example/jwks.json"},
    ):
        forged = jwt.encode(
            {"alg": "ES256", "kid": issuer.kid} | header, claims, mallory, algorithms=["ES256"]
        )
        assert await refusal(verifier, forged) == (Reason.SIGNATURE, "the token's signature is not valid")


async def test_unknown_or_critical_header_members_are_refused(sign, verifier, issuer):
    _, payload, signature = segments(sign())
    for header in (
        {"alg": "ES256", "kid": issuer.kid, "x-role": "admin"},
        {"alg": "ES256", "kid": issuer.kid, "crit": ["exp"], "exp": 1},
        {"alg": "ES256", "kid": 7},
    ):
        token = f"{b64(json.dumps(header).encode())}.{payload}.{signature}"
        assert await refusal(verifier, token) == (Reason.MALFORMED, "the token's header is not accepted")


async def test_an_unknown_or_missing_kid_is_refused(sign, verifier):
    expected = (Reason.UNKNOWN_KEY, "the token's signing key (kid) is not known")
    assert await refusal(verifier, sign(header={"kid": "someone-else"})) == expected
    assert await refusal(verifier, sign(header={"kid": None})) == expected


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "eyJhbGciOiJFUzI1NiJ9", "é.é.é", "x" * 9000, "!!!.!!!.!!!"],
)
async def test_text_that_is_not_a_jwt_is_refused(verifier, token: str):
    assert await refusal(verifier, token) == (Reason.MALFORMED, "the bearer token is not a JWT")


async def test_a_roles_claim_that_is_not_a_list_of_strings_is_refused(sign, verifier):
    for roles in ("admin", [1], {"admin": True}):
        assert await refusal(verifier, sign({"roles": roles})) == (
            Reason.CLAIMS,
            "the token's roles claim is not a list of strings",
        )


async def test_roles_outside_the_grammar_grant_nothing(sign, verifier):
    verified = await verifier.verify(sign({"roles": ["offline_access", "clerk:land", "Admin"]}))
    assert verified.roles == frozenset({"clerk:land"})
    assert (await verifier.verify(sign({"roles": None}))).roles == frozenset()


async def test_claims_nested_too_deep_are_refused_before_decoding(sign, verifier):
    deep = sign({"extra": json.loads("[" * 20 + "]" * 20)})
    assert await refusal(verifier, deep) == (Reason.MALFORMED, "the token's claims are not a JSON object")
