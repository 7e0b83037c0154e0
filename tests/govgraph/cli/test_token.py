"""`govgraph token issue` through typer's CliRunner: a token from the embedded issuer's key in the data
directory (created on first use, mode 0600) that the issuer's own verifier accepts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.auth.tokens import TokenVerifier
from govgraph.cli import app


@pytest.fixture
def run(data_dir: Path):
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None):
        return runner.invoke(app, ["token", *args], env={"GOVGRAPH_DATA": str(data_dir), **(env or {})})

    return invoke


def verify(data_dir: Path, token: str):
    issuer = EmbeddedIssuer.load_or_create(
        data_dir / "auth" / "issuer.jwk", issuer="govgraph://embedded", audience="govgraph"
    )
    return asyncio.run(TokenVerifier(issuer, issuer="govgraph://embedded", audience="govgraph").verify(token))


def test_issue_prints_a_token_the_service_accepts(run, data_dir: Path):
    result = run("issue", "--sub", "alice", "--role", "clerk:land", "--role", "auditor", "--ttl", "120")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.count(".") == 2
    key_path = data_dir / "auth" / "issuer.jwk"
    assert key_path.stat().st_mode & 0o777 == 0o600
    verified = verify(data_dir, token)
    assert (verified.subject, verified.roles) == ("alice", frozenset({"clerk:land", "auditor"}))
    assert verified.claims["exp"] - verified.claims["iat"] == 120
    # The key is reused, not replaced.
    key = key_path.read_text()
    assert run("issue", "--sub", "bob", "--role", "trustee").exit_code == 0
    assert key_path.read_text() == key
    assert json.loads(key)["kty"] == "EC"


def test_the_default_lifetime_is_an_hour(run, data_dir: Path):
    token = run("issue", "--sub", "alice", "--role", "auditor").stdout.strip()
    claims = verify(data_dir, token).claims
    assert claims["exp"] - claims["iat"] == 3600


def test_a_bad_role_ends_with_one_line(run, data_dir: Path):
    result = run("issue", "--sub", "alice", "--role", "root")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "govgraph token: 'root' is not a role: expected admin, trustee, auditor, clerk:<agency>, "
        "official:<agency> or service:<name> (lower case)\n"
    )


def test_role_and_sub_are_required_and_ttl_positive(run):
    assert run("issue", "--sub", "alice").exit_code == 2
    assert run("issue", "--role", "auditor").exit_code == 2
    assert run("issue", "--sub", "alice", "--role", "auditor", "--ttl", "0").exit_code == 2


def test_with_an_external_provider_the_embedded_issuer_is_off(run, data_dir: Path):
    external = {
        "GOVGRAPH_AUTH_ISSUER": "https://id.example.gov",
        "GOVGRAPH_AUTH_AUDIENCE": "api",
        "GOVGRAPH_AUTH_JWKS_URL": "https://id.example.gov/certs",
    }
    result = run("issue", "--sub", "alice", "--role", "auditor", env=external)
    assert result.exit_code == 2
    assert result.stderr == (
        "govgraph token: tokens come from the external provider https://id.example.gov "
        "(GOVGRAPH_AUTH_ISSUER); the embedded issuer is off\n"
    )
    assert not (data_dir / "auth").exists()
