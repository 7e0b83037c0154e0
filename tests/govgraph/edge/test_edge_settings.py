"""The edge's settings as read from the environment: what each accepts, and the one line naming the
variable for what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from govgraph.config import ConfigError, Settings


def settings(**env: str) -> Settings:
    return Settings.from_env({"GOVGRAPH_DATA": "/tmp/govgraph-edge-settings", **env})


def test_the_defaults_allow_no_origin_and_limit_and_trace_nothing() -> None:
    chosen = settings()
    assert chosen.cors_origins == ()
    assert (chosen.cors_credentials, chosen.cors_max_age) == (False, 600)
    assert (chosen.trusted_documents, chosen.trusted_documents_only) == (None, False)
    assert chosen.rate_limits == ()
    assert (chosen.otel_endpoint, chosen.otel_service_name) == (None, "govgraph")


def test_the_edge_settings_are_read() -> None:
    chosen = settings(
        GOVGRAPH_CORS_ORIGINS=" https://app.example.org, http://localhost:5173 ,http://[::1]:8080",
        GOVGRAPH_CORS_CREDENTIALS="true",
        GOVGRAPH_CORS_MAX_AGE="3600",
        GOVGRAPH_TRUSTED_DOCUMENTS="/srv/manifest.json",
        GOVGRAPH_TRUSTED_DOCUMENTS_ONLY="on",
        GOVGRAPH_RATE_LIMITS="address=60/1m, api_key=600/1m,bearer=5/0.5s,role:clerk=100/1h",
        OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318/",
        OTEL_SERVICE_NAME="govgraph-eu-1",
    )
    assert chosen.cors_origins == ("https://app.example.org", "http://localhost:5173", "http://[::1]:8080")
    assert (chosen.cors_credentials, chosen.cors_max_age) == (True, 3600)
    assert str(chosen.trusted_documents) == "/srv/manifest.json" and chosen.trusted_documents_only
    assert chosen.rate_limits == (
        ("address", 60, 60.0),
        ("api_key", 600, 60.0),
        ("bearer", 5, 0.5),
        ("role:clerk", 100, 3600.0),
    )
    assert (chosen.otel_endpoint, chosen.otel_service_name) == ("http://collector:4318", "govgraph-eu-1")
    assert settings(
        GOVGRAPH_OTEL_ENDPOINT="http://a:4318", OTEL_EXPORTER_OTLP_ENDPOINT="http://b:4318"
    ).otel_endpoint == ("http://a:4318")


@pytest.mark.parametrize(
    ("env", "variable", "expected"),
    [
        (
            {"GOVGRAPH_CORS_ORIGINS": "*", "GOVGRAPH_CORS_CREDENTIALS": "true"},
            "GOVGRAPH_CORS_CREDENTIALS",
            "credentials are allowed only for listed origins",
        ),
        ({"GOVGRAPH_CORS_ORIGINS": "https://app.example.org/"}, "GOVGRAPH_CORS_ORIGINS", "origins like"),
        ({"GOVGRAPH_CORS_ORIGINS": "app.example.org"}, "GOVGRAPH_CORS_ORIGINS", "origins like"),
        ({"GOVGRAPH_CORS_ORIGINS": "*,https://a.example"}, "GOVGRAPH_CORS_ORIGINS", "either * alone"),
        ({"GOVGRAPH_CORS_MAX_AGE": "-1"}, "GOVGRAPH_CORS_MAX_AGE", "from 0 to 86400"),
        ({"GOVGRAPH_CORS_MAX_AGE": "90000"}, "GOVGRAPH_CORS_MAX_AGE", "from 0 to 86400"),
        (
            {"GOVGRAPH_TRUSTED_DOCUMENTS_ONLY": "1"},
            "GOVGRAPH_TRUSTED_DOCUMENTS_ONLY",
            "GOVGRAPH_TRUSTED_DOCUMENTS set",
        ),
        ({"GOVGRAPH_RATE_LIMITS": "address=60"}, "GOVGRAPH_RATE_LIMITS", "who=count/period"),
        ({"GOVGRAPH_RATE_LIMITS": "everyone=60/1m"}, "GOVGRAPH_RATE_LIMITS", "who=count/period"),
        ({"GOVGRAPH_RATE_LIMITS": "address=0/1m"}, "GOVGRAPH_RATE_LIMITS", "a count of at least 1"),
        ({"GOVGRAPH_RATE_LIMITS": "address=1/0s"}, "GOVGRAPH_RATE_LIMITS", "a period above 0"),
        ({"GOVGRAPH_RATE_LIMITS": "address=1/1s,address=2/1s"}, "GOVGRAPH_RATE_LIMITS", "each who once"),
        (
            {"GOVGRAPH_OTEL_ENDPOINT": "collector:4318"},
            "GOVGRAPH_OTEL_ENDPOINT",
            "an http:// or https:// URL",
        ),
        ({"OTEL_SERVICE_NAME": "two words"}, "OTEL_SERVICE_NAME", "a name of letters"),
    ],
)
def test_an_unusable_edge_setting_is_refused_naming_the_variable(
    env: dict, variable: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected.replace("*", r"\*")) as raised:
        settings(**env)
    assert raised.value.variable == variable


@hyp_settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_any_text_is_read_or_refused_as_a_config_error(rules: str, origins: str) -> None:
    for name, value in (("GOVGRAPH_RATE_LIMITS", rules), ("GOVGRAPH_CORS_ORIGINS", origins)):
        try:
            chosen = settings(**{name: value})
        except ConfigError as error:
            assert error.variable == name
            continue
        assert all(count >= 1 and period > 0 for _who, count, period in chosen.rate_limits)
        assert all(origin == "*" or "://" in origin for origin in chosen.cors_origins)


def test_blank_manifest_and_endpoint_are_unset_as_compose_passes_them() -> None:
    chosen = settings(
        GOVGRAPH_TRUSTED_DOCUMENTS=" ",
        GOVGRAPH_OTEL_ENDPOINT="",
        OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318",
    )
    assert chosen.trusted_documents is None
    assert chosen.otel_endpoint == "http://collector:4318"  # the standard variable still counts
    with pytest.raises(ConfigError, match="GOVGRAPH_TRUSTED_DOCUMENTS set too"):
        settings(GOVGRAPH_TRUSTED_DOCUMENTS="", GOVGRAPH_TRUSTED_DOCUMENTS_ONLY="true")
