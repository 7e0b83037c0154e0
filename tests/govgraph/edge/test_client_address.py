"""Whose address a request is: the TCP peer unless it is a listed proxy, then X-Forwarded-For read from the
right past every trusted hop; the settings that list the proxies and the SSE keep-alive interval."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govgraph.config import ConfigError, Settings
from govgraph.federation.client_address import ClientAddresses

PROXIES = ClientAddresses(["10.0.0.0/8", "2001:db8::/32"])


def test_nothing_is_trusted_by_default() -> None:
    assert ClientAddresses().of("10.0.0.5", ["203.0.113.9"]) == "10.0.0.5"
    assert Settings.from_env({"GOVGRAPH_DATA": "/tmp/gg"}).trusted_proxies == ()


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("192.0.2.1", ["203.0.113.9"], "192.0.2.1"),  # not a proxy: its header is the client's own words
        ("10.0.0.5", [], "10.0.0.5"),  # a proxy that says nothing
        ("10.0.0.5", ["203.0.113.9"], "203.0.113.9"),
        ("10.0.0.5", ["198.51.100.1, 203.0.113.9"], "203.0.113.9"),  # the client's own claim is ignored
        ("10.0.0.5", ["203.0.113.9, 10.1.1.1"], "203.0.113.9"),  # two proxies deep
        ("10.0.0.5", ["203.0.113.9", "10.1.1.1"], "203.0.113.9"),  # repeated headers read as one list
        ("10.0.0.5", ["not-an-address, 10.1.1.1"], "10.1.1.1"),  # stops at the proxy that wrote nonsense
        ("10.0.0.5", ["203.0.113.9:4711"], "10.0.0.5"),  # a port is not an address
        ("10.0.0.5", [" 2001:DB8:0:0::1 , 2001:db9::7 "], "2001:db9::7"),
        ("::ffff:10.0.0.5", ["203.0.113.9"], "203.0.113.9"),  # an IPv4 proxy seen over IPv6
        (None, ["203.0.113.9"], None),
    ],
)
def test_forwarded_for_is_believed_from_trusted_proxies_only(
    peer: str | None, forwarded_for: list[str], client: str | None
) -> None:
    assert PROXIES.of(peer, forwarded_for) == client


@given(st.lists(st.text(max_size=60), max_size=5))
def test_any_header_gives_the_peer_or_an_address(forwarded_for: list[str]) -> None:
    client = PROXIES.of("10.0.0.5", forwarded_for)
    assert client is not None
    ipaddress.ip_address(client)  # never a string the client wrote that is not an address


def test_the_settings_read_proxies_and_keepalive_or_name_the_fault() -> None:
    chosen = Settings.from_env(
        {
            "GOVGRAPH_DATA": "/tmp/gg",
            "GOVGRAPH_TRUSTED_PROXIES": " 10.1.2.3/8, ::1 ",
            "GOVGRAPH_SSE_KEEPALIVE": "5",
        }
    )
    assert chosen.trusted_proxies == ("10.0.0.0/8", "::1/128")
    assert chosen.sse_keepalive == 5.0
    assert Settings.from_env({"GOVGRAPH_DATA": "/tmp/gg"}).sse_keepalive == 12.0
    with pytest.raises(ConfigError, match="GOVGRAPH_TRUSTED_PROXIES.*IP addresses or CIDR blocks"):
        Settings.from_env({"GOVGRAPH_DATA": "/tmp/gg", "GOVGRAPH_TRUSTED_PROXIES": "lb.internal"})
    with pytest.raises(ConfigError, match="GOVGRAPH_SSE_KEEPALIVE"):
        Settings.from_env({"GOVGRAPH_DATA": "/tmp/gg", "GOVGRAPH_SSE_KEEPALIVE": "0"})
