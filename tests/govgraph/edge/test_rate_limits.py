"""Token buckets without HTTP, on a clock the test moves: burst, refusal, refill, and who is counted."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from govgraph.federation.principal import ANONYMOUS, AuthMethod, Principal
from govgraph.federation.rate_limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_refuses_then_refills() -> None:
    clock = Clock()
    registry = CollectorRegistry()
    limiter = RateLimiter([("address", 3, 3.0)], registry=registry, clock=clock)
    assert [limiter.check(ANONYMOUS, "10.0.0.1") for _ in range(3)] == [None, None, None]
    refused = limiter.check(ANONYMOUS, "10.0.0.1")
    assert refused is not None and refused.kind == "address"
    assert refused.retry_after == 1.0 and refused.retry_after_seconds == 1
    assert limiter.check(ANONYMOUS, "10.0.0.2") is None  # another address, another bucket
    clock.now += 0.5
    assert limiter.check(ANONYMOUS, "10.0.0.1").retry_after == 0.5
    clock.now += 0.5
    assert limiter.check(ANONYMOUS, "10.0.0.1") is None
    assert registry.get_sample_value("govgraph_rate_limited_total", {"kind": "address"}) == 2.0
    assert registry.get_sample_value("govgraph_rate_limited_total", {"kind": "api_key"}) == 0.0


def test_keys_and_subjects_are_counted_apart_and_roles_raise_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter([("api_key", 1, 10.0), ("bearer", 2, 10.0), ("role:auditor", 4, 10.0)], clock=clock)
    ci = Principal("ci", method=AuthMethod.API_KEY)
    alice = Principal("alice", method=AuthMethod.BEARER)
    auditor = Principal("bob", frozenset({"auditor"}), method=AuthMethod.BEARER)
    assert limiter.check(ci, "a") is None
    assert limiter.check(ci, "b").kind == "api_key"  # the key, wherever it calls from
    assert [limiter.check(alice, "a") is None for _ in range(3)] == [True, True, False]
    assert [limiter.check(auditor, "a") is None for _ in range(5)] == [True, True, True, True, False]
    # An API key named `alice` is not the token subject `alice`.
    assert limiter.check(Principal("alice", method=AuthMethod.API_KEY), "a") is None
    assert limiter.check(ANONYMOUS, "a") is None  # no address rule: anonymous callers are not limited


def test_buckets_are_bounded() -> None:
    limiter = RateLimiter([("address", 1, 60.0)], clock=Clock(), max_buckets=2)
    for address in ("a", "b", "c"):
        assert limiter.check(ANONYMOUS, address) is None
    assert list(limiter.buckets) == [("address", "b"), ("address", "c")]
