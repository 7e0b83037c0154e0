from pathlib import Path

import pytest

from govgraph.config import ConfigError, Settings


def test_defaults_put_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"GOVGRAPH_DATA": str(tmp_path)})
    assert settings.data_dir == tmp_path
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/govgraph.db"
    assert (settings.host, settings.port, settings.zk_backend, settings.log_level, settings.environment) == (
        "127.0.0.1",
        8000,
        "arkworks",
        "info",
        "development",
    )
    assert settings.production is False
    assert settings.gateway_deduplicate is True


def test_remote_witnesses_are_agency_and_submission_prefix_pairs() -> None:
    settings = Settings.from_env(
        {
            "GOVGRAPH_WITNESSES": " identity=http://identity:4101/ledgers/identity/witness/, courts=https://c.example/w"
        }
    )
    assert settings.witnesses == (
        ("identity", "http://identity:4101/ledgers/identity/witness"),
        ("courts", "https://c.example/w"),
    )
    assert Settings.from_env({}).witnesses == ()


def test_the_credential_issuer_a_verifier_trusts_is_a_url() -> None:
    settings = Settings.from_env({"GOVGRAPH_CREDENTIAL_ISSUER": " http://identity:4101/ "})
    assert settings.credential_issuer == "http://identity:4101"
    assert Settings.from_env({}).credential_issuer is None


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "GOVGRAPH_DATA": "/srv/gg",
            "GOVGRAPH_DATABASE_URL": "postgresql+asyncpg://u:p@db/gg",
            "GOVGRAPH_HOST": "0.0.0.0",
            "GOVGRAPH_PORT": "9001",
            "GOVGRAPH_ZK_BACKEND": "PyEcc",
            "GOVGRAPH_LOG_LEVEL": "DEBUG",
            "GOVGRAPH_ENV": "production",
            "GOVGRAPH_GATEWAY_DEDUPLICATE": "Off",
        }
    )
    assert settings.data_dir == Path("/srv/gg")
    assert settings.database_url == "postgresql+asyncpg://u:p@db/gg"
    assert (settings.host, settings.port, settings.zk_backend, settings.log_level) == (
        "0.0.0.0",
        9001,
        "pyecc",
        "debug",
    )
    assert settings.production is True
    assert settings.gateway_deduplicate is False


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GOVGRAPH_PORT", "notaport"),
        ("GOVGRAPH_PORT", "70000"),
        ("GOVGRAPH_PORT", "-1"),
        ("GOVGRAPH_ZK_BACKEND", "blst"),
        ("GOVGRAPH_LOG_LEVEL", "loud"),
        ("GOVGRAPH_ENV", "staging"),
        ("GOVGRAPH_DATABASE_URL", "mysql://x/y"),
        ("GOVGRAPH_DATABASE_URL", "sqlite:///sync-driver.db"),
        ("GOVGRAPH_DATA", "  "),
        ("GOVGRAPH_GATEWAY_DEDUPLICATE", "sometimes"),
        ("GOVGRAPH_WITNESSES", "land"),
        ("GOVGRAPH_WITNESSES", "land=ftp://x/ledgers/land/witness"),
        ("GOVGRAPH_WITNESSES", "Land=http://x/w"),
        ("GOVGRAPH_WITNESSES", "land=http://a/w,land=http://b/w"),
        ("GOVGRAPH_CREDENTIAL_ISSUER", "identity:4101"),
        ("GOVGRAPH_CREDENTIAL_ISSUER", "http://identity:4101/?x=1"),
    ],
)
def test_invalid_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({variable: value})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}={value!r} is invalid: expected ")
    assert "\n" not in str(caught.value)
