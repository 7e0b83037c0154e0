"""The client's address, as rate limits count it: the TCP peer, or behind trusted proxies the address they
saw, taken from `X-Forwarded-For`.

`X-Forwarded-For` is whatever the client wrote plus what each proxy appended, so it is believed only from a
listed proxy (GOVGRAPH_TRUSTED_PROXIES), and read from the right: while the hop we stand on is a trusted
proxy, step to the address it says it received the request from. The first hop that is not a trusted
proxy is the client; a hop that is not an IP address stops the walk at the trusted proxy that wrote it
(its requests then share that proxy's bucket, never a value the client chose). Nothing is trusted by
default: without listed proxies the header is ignored."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks (`10.0.0.0/8`, `::1`); ValueError names the first that is neither."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items)


class ClientAddresses:
    """Finds the client's address of a request that reached us from `peer` through `trusted` proxies."""

    def __init__(self, trusted: Sequence[str | Network] = ()) -> None:
        self.trusted = tuple(
            item if not isinstance(item, str) else ipaddress.ip_network(item, strict=False)
            for item in trusted
        )

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.trusted)

    def of(self, peer: str | None, forwarded_for: Sequence[str]) -> str | None:
        """The client's address; `forwarded_for` holds the request's X-Forwarded-For values, in order."""
        if peer is None or not self.trusted or not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
        address = peer
        for hop in reversed(hops):
            if not self._is_trusted(address):
                break
            try:
                address = str(ipaddress.ip_address(hop))
            except ValueError:
                break
        return address
