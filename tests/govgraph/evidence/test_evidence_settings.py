"""The evidence settings: GOVGRAPH_TSA_URL (unset: the embedded TSA) and GOVGRAPH_OTS_CALENDARS (unset or
empty: no anchoring), checked at start-up like every other setting."""

from __future__ import annotations

import pytest

from govgraph.config import ConfigError, Settings


def test_by_default_the_embedded_tsa_stamps_and_nothing_is_anchored() -> None:
    settings = Settings.from_env({"GOVGRAPH_DATA": "/tmp/x"})
    assert (settings.tsa_url, settings.ots_calendars) == (None, ())


def test_a_tsa_and_calendars_are_read_as_urls() -> None:
    settings = Settings.from_env(
        {
            "GOVGRAPH_DATA": "/tmp/x",
            "GOVGRAPH_TSA_URL": "https://tsa.example/rfc3161/",
            "GOVGRAPH_OTS_CALENDARS": " https://a.pool.opentimestamps.org, https://b.pool.opentimestamps.org ,",  # noqa: E501
        }
    )
    assert settings.tsa_url == "https://tsa.example/rfc3161"
    assert settings.ots_calendars == (
        "https://a.pool.opentimestamps.org",
        "https://b.pool.opentimestamps.org",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("GOVGRAPH_TSA_URL", "ftp://tsa.example"), ("GOVGRAPH_OTS_CALENDARS", "https://a.example,calendar")],
)
def test_a_value_that_is_not_a_url_stops_start_up(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"GOVGRAPH_DATA": "/tmp/x", name: value})
    assert name in str(refused.value)
