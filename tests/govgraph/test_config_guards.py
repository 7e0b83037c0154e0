"""The slow-client and subgraph-secret settings: defaults, parsing, and refusals that name the variable (and
never echo the secret)."""

from __future__ import annotations

import pytest

from govgraph.config import ConfigError, Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.header_timeout, settings.body_timeout, settings.max_connections) == (10.0, 30.0, 1000)
    assert settings.subgraph_secret is None


def test_values_are_read() -> None:
    settings = Settings.from_env(
        {
            "GOVGRAPH_HEADER_TIMEOUT": "2.5",
            "GOVGRAPH_BODY_TIMEOUT": " 60 ",
            "GOVGRAPH_MAX_CONNECTIONS": "50",
            "GOVGRAPH_SUBGRAPH_SECRET": "0123456789abcdef",
        }
    )
    assert (settings.header_timeout, settings.body_timeout, settings.max_connections) == (2.5, 60.0, 50)
    assert settings.subgraph_secret == "0123456789abcdef"
    assert "0123456789abcdef" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("GOVGRAPH_HEADER_TIMEOUT", "0", "a number of seconds above 0 and at most 3600"),
        ("GOVGRAPH_HEADER_TIMEOUT", "nan", "a number of seconds above 0 and at most 3600"),
        ("GOVGRAPH_BODY_TIMEOUT", "inf", "a number of seconds above 0 and at most 3600"),
        ("GOVGRAPH_BODY_TIMEOUT", "1e3", "a number of seconds above 0 and at most 3600"),
        ("GOVGRAPH_BODY_TIMEOUT", "3600.5", "a number of seconds above 0 and at most 3600"),
        ("GOVGRAPH_BODY_TIMEOUT", "-1", "a number of seconds above 0 and at most 3600"),
        ("GOVGRAPH_MAX_CONNECTIONS", "0", "a whole number from 1 to 1000000"),
        ("GOVGRAPH_MAX_CONNECTIONS", "1000001", "a whole number from 1 to 1000000"),
        ("GOVGRAPH_MAX_CONNECTIONS", "9" * 5000, "a whole number from 1 to 1000000"),
        ("GOVGRAPH_MAX_CONNECTIONS", "١٢", "a whole number from 1 to 1000000"),
    ],
)
def test_invalid_values_name_the_variable(variable: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({variable: value})
    assert refused.value.variable == variable
    assert str(refused.value) == f"{variable}={value!r} is invalid: expected {expected}"


@pytest.mark.parametrize("secret", ["short-secret", "sixteen chars\n..", "non-ascii-é-0123456789", "   "])
def test_an_unusable_secret_is_refused_without_being_echoed(secret: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"GOVGRAPH_SUBGRAPH_SECRET": secret})
    assert str(refused.value) == (
        "GOVGRAPH_SUBGRAPH_SECRET='<redacted>' is invalid: expected at least 16 printable ASCII characters"
    )
