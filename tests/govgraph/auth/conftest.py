"""Fixtures of the auth tests: the embedded issuer over a real key file, a verifier for it, and a signer that
makes tokens with any header and claims using that key file (to build the refused kinds)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.auth.tokens import TokenVerifier

ISSUER = "govgraph://embedded"
AUDIENCE = "govgraph"


@pytest.fixture
def key_path(data_dir: Path) -> Path:
    return data_dir / "auth" / "issuer.jwk"


@pytest.fixture
def issuer(key_path: Path) -> EmbeddedIssuer:
    return EmbeddedIssuer.load_or_create(key_path, issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture
def verifier(issuer: EmbeddedIssuer) -> TokenVerifier:
    return TokenVerifier(issuer, issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture
def sign(issuer: EmbeddedIssuer, key_path: Path):
    """sign(claims overrides, header overrides) -> a token signed with the issuer's key file; None removes."""
    private = ECKey.import_key(json.loads(key_path.read_text()))

    def make(claims: dict | None = None, header: dict | None = None) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "roles": ["clerk:land"], "iat": now}
        body |= {"nbf": now, "exp": now + 600}
        body |= claims or {}
        head = {"alg": "ES256", "kid": issuer.kid} | (header or {})
        return jwt.encode(
            {k: v for k, v in head.items() if v is not None},
            {k: v for k, v in body.items() if v is not None},
            private,
            algorithms=["ES256"],
        )

    return make
