"""Credentials for tests against real servers: tokens and API keys made by the real `govgraph token issue` and
`govgraph apikey` commands, the tokens a service must refuse (each with its reason and message), and the
refusal counters of a /metrics page."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import EMBEDDED_TOKEN_AUDIENCE, EMBEDDED_TOKEN_ISSUER

ANONYMOUS_MESSAGE = "authentication required: send a bearer token or an API key"
FORBIDDEN_MESSAGE = re.compile(r"this operation requires the role [a-z]+(:[a-z0-9._*-]+)?( or \S+)*")
REGISTER_PARCEL = """mutation Register($input: RegisterParcelInput!) {
  registerParcel(input: $input) { id locality }
}"""
WWW_AUTHENTICATE = 'Bearer realm="govgraph", error="invalid_token"'
ALGORITHM_MESSAGE = (
    "the token's algorithm is not accepted: expected ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, "
    "PS512, Ed25519"
)


def govgraph(data_dir: Path, *args: str) -> str:
    """Run the real `govgraph ARGS...` over `data_dir` and return what it printed on stdout."""
    environment = {**os.environ, "GOVGRAPH_DATA": str(data_dir)}
    for name in ("GOVGRAPH_AUTH_ISSUER", "GOVGRAPH_AUTH_AUDIENCE", "GOVGRAPH_AUTH_JWKS_URL"):
        environment.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "govgraph", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def issue_token(data_dir: Path, subject: str, *roles: str, ttl: int = 600) -> str:
    """`govgraph token issue --sub SUBJECT --role ROLE ...`: a token from the embedded issuer's key."""
    arguments = ["token", "issue", "--sub", subject, "--ttl", str(ttl)]
    for role in roles:
        arguments += ["--role", role]
    return govgraph(data_dir, *arguments).strip()


def create_api_key(data_dir: Path, name: str, *roles: str) -> str:
    """`govgraph apikey create --name NAME --role ROLE ...`: the key, printed once."""
    arguments = ["apikey", "create", "--name", name]
    for role in roles:
        arguments += ["--role", role]
    return govgraph(data_dir, *arguments).strip()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Refused:
    """A credential a service must refuse: why (the metrics reason) and with which message."""

    name: str
    headers: dict[str, str]
    reason: str
    message: str


def _b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def refused_tokens(data_dir: Path) -> list[Refused]:
    """Tokens the service over `data_dir` must refuse: expired, for another audience, from another issuer,
    `alg: none`, a signature over other claims, signed by an unknown key, and a header that is no bearer."""
    key = data_dir / "auth" / "issuer.jwk"

    def issuer(*, issuer: str = EMBEDDED_TOKEN_ISSUER, audience: str = EMBEDDED_TOKEN_AUDIENCE, **kwargs):
        return EmbeddedIssuer.load_or_create(
            kwargs.pop("path", key), issuer=issuer, audience=audience, **kwargs
        )

    now = int(time.time())
    claims = {
        "iss": EMBEDDED_TOKEN_ISSUER,
        "aud": EMBEDDED_TOKEN_AUDIENCE,
        "sub": "mallory",
        "roles": ["clerk:land", "clerk:identity", "admin"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    real = issuer()
    header, _payload, signature = real.issue("mallory", ["auditor"], 600).split(".")
    return [
        Refused(
            "expired",
            bearer(issuer(clock=lambda: time.time() - 7200).issue("mallory", ["clerk:land"], 60)),
            "expired",
            "the token has expired",
        ),
        Refused(
            "wrong audience",
            bearer(issuer(audience="another-service").issue("mallory", ["clerk:land"])),
            "audience",
            "the token is not meant for this service (audience)",
        ),
        Refused(
            "wrong issuer",
            bearer(issuer(issuer="https://idp.example").issue("mallory", ["clerk:land"])),
            "issuer",
            "the token's issuer is not accepted",
        ),
        Refused(
            "alg none",
            bearer(_b64({"alg": "none", "kid": real.kid}) + "." + _b64(claims) + "."),
            "algorithm",
            ALGORITHM_MESSAGE,
        ),
        Refused(
            "tampered claims",
            bearer(f"{header}.{_b64(claims)}.{signature}"),
            "signature",
            "the token's signature is not valid",
        ),
        Refused(
            "unknown key",
            bearer(issuer(path=data_dir / "other-issuer.jwk").issue("mallory", ["clerk:land"])),
            "unknown_key",
            "the token's signing key (kid) is not known",
        ),
        Refused(
            "basic scheme",
            {"Authorization": "Basic bWFsbG9yeTpzZWNyZXQ="},
            "malformed",
            "the Authorization header must be 'Bearer <token>'",
        ),
    ]


def auth_failures(metrics_page: str) -> dict[str, float]:
    """govgraph_auth_failures_total by reason, from a /metrics page."""
    counts = {}
    for line in metrics_page.splitlines():
        if line.startswith('govgraph_auth_failures_total{reason="'):
            labels, _, value = line.rpartition(" ")
            counts[labels.split('"')[1]] = float(value)
    return counts
