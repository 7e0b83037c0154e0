"""The auth settings: the embedded issuer by default, an external provider only with all three variables,
each validated with a message naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from govgraph.config import ConfigError, Settings

EXTERNAL = {
    "GOVGRAPH_AUTH_ISSUER": "https://id.example.gov/realms/gov",
    "GOVGRAPH_AUTH_AUDIENCE": "govgraph-api",
    "GOVGRAPH_AUTH_JWKS_URL": "https://id.example.gov/realms/gov/protocol/openid-connect/certs",
}


def test_the_embedded_issuer_is_the_default(tmp_path: Path):
    settings = Settings.from_env({"GOVGRAPH_DATA": str(tmp_path)})
    assert (settings.auth_issuer, settings.auth_audience, settings.auth_jwks_url) == (None, None, None)
    assert settings.auth_external is False
    assert (settings.token_issuer, settings.token_audience) == ("govgraph://embedded", "govgraph")
    assert settings.auth_issuer_key_path == tmp_path / "auth" / "issuer.jwk"


def test_an_external_provider_takes_all_three_variables(tmp_path: Path):
    settings = Settings.from_env({"GOVGRAPH_DATA": str(tmp_path), "GOVGRAPH_ENV": "production", **EXTERNAL})
    assert settings.auth_external is True
    assert settings.token_issuer == "https://id.example.gov/realms/gov"
    assert settings.token_audience == "govgraph-api"
    assert settings.auth_jwks_url == EXTERNAL["GOVGRAPH_AUTH_JWKS_URL"]


@pytest.mark.parametrize("missing", sorted(EXTERNAL))
def test_an_external_provider_needs_every_variable(tmp_path: Path, missing: str):
    env = {"GOVGRAPH_DATA": str(tmp_path), **{k: v for k, v in EXTERNAL.items() if k != missing}}
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    assert refused.value.variable == missing
    assert str(refused.value) == (
        f"{missing}='<unset>' is invalid: expected a value: GOVGRAPH_AUTH_ISSUER, GOVGRAPH_AUTH_AUDIENCE, "
        "GOVGRAPH_AUTH_JWKS_URL are set together"
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("GOVGRAPH_AUTH_ISSUER", "  ", "a non-empty value"),
        ("GOVGRAPH_AUTH_AUDIENCE", "gov\x00graph", "printable text of at most 1024 characters"),
        ("GOVGRAPH_AUTH_JWKS_URL", "ftp://id.example.gov/certs", "an https:// or http:// URL"),
        ("GOVGRAPH_AUTH_JWKS_URL", "https://user@id.example.gov/certs", "an https:// or http:// URL"),
        ("GOVGRAPH_AUTH_JWKS_URL", "https:///certs", "an https:// or http:// URL"),
    ],
)
def test_external_values_are_validated(tmp_path: Path, variable: str, value: str, expected: str):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"GOVGRAPH_DATA": str(tmp_path), **EXTERNAL, variable: value})
    assert refused.value.variable == variable
    assert str(refused.value).endswith(f"is invalid: expected {expected}")


def test_production_fetches_keys_over_https_only(tmp_path: Path):
    env = {**EXTERNAL, "GOVGRAPH_AUTH_JWKS_URL": "http://127.0.0.1:8080/certs"}
    assert Settings.from_env({"GOVGRAPH_DATA": str(tmp_path), **env}).auth_jwks_url == (
        "http://127.0.0.1:8080/certs"
    )
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"GOVGRAPH_DATA": str(tmp_path), "GOVGRAPH_ENV": "production", **env})
    assert str(refused.value) == (
        "GOVGRAPH_AUTH_JWKS_URL='http://127.0.0.1:8080/certs' is invalid: expected an https:// URL"
    )
