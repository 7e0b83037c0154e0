"""Rate limits at the gateway: a token bucket per API key, per token subject and per client address.

A rule allows `count` requests per `period` seconds: the bucket holds at most `count` tokens (the burst) and
refills at count/period tokens a second; each request takes one. Who is counted: an anonymous caller by its
client address, an API key by its name, a bearer token by its subject. An authenticated caller gets the most
generous `role:<name>` rule among its roles, else its kind's rule (`api_key`, `bearer`); a kind without a
rule is not limited. A refused request answers 429 with `Retry-After` (whole seconds until a token is back)
and one GraphQL error coded RATE_LIMITED; each refusal counts in `govgraph_rate_limited_total{kind}`.

A gateway that does not authenticate callers (`govgraph gateway` over remote subgraphs) cannot know a
subject or roles: `check_presented` counts a presented credential by the SHA-256 of the header's value
(`X-API-Key` under the `api_key` rule, `Authorization` under the `bearer` rule), unverified, and every
request, credential or not, also against its address's bucket, so that made-up credentials do not mint
fresh buckets. Role rules have no effect there.

Buckets live in this process (replicas each keep their own), at most MAX_BUCKETS of them: the least
recently used go first, and a bucket idle for a whole period is full again anyway."""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from govgraph.federation.errors import ErrorCode
from govgraph.federation.principal import AuthMethod, Principal

MAX_BUCKETS = 100_000
KINDS = ("address", "api_key", "bearer")
Rule = tuple[str, int, float]
"""(who, count, period seconds): who is `address`, `api_key`, `bearer` or `role:<name>`."""


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    rate: float  # tokens a second
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """0.0 if a token was taken, else the seconds until one is back."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass(frozen=True, slots=True)
class Limited:
    """A refused request: which kind of bucket ran dry, and when to try again."""

    kind: str
    retry_after: float

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after))

    def body(self) -> dict:
        return {
            "errors": [
                {
                    "message": f"Rate limit reached: retry in {self.retry_after_seconds} s.",
                    "extensions": {
                        "code": ErrorCode.RATE_LIMITED.value,
                        "retryAfter": self.retry_after_seconds,
                    },
                }
            ]
        }


class RateLimiter:
    """Token buckets for `rules`; `registry` gets the refusal counter; `clock` is monotonic seconds."""

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = MAX_BUCKETS,
    ) -> None:
        self.kinds = {who: (count, period) for who, count, period in rules if who in KINDS}
        self.roles = {who[5:]: (count, period) for who, count, period in rules if who.startswith("role:")}
        self.clock = clock
        self.max_buckets = max_buckets
        self.buckets: OrderedDict[tuple[str, str], TokenBucket] = OrderedDict()
        self.refused = Counter(
            "govgraph_rate_limited",
            "Requests refused by a rate limit, by the kind of bucket that ran dry.",
            ("kind",),
            registry=registry,
        )
        for kind in KINDS:
            self.refused.labels(kind)  # every kind shows, at 0, before the first refusal

    def check(self, principal: Principal, address: str | None) -> Limited | None:
        """Take a token for the caller; None when it may go on, else the refusal (counted)."""
        if principal.authenticated and principal.subject is not None:
            kind = AuthMethod(principal.method).value
            rule = self._role_rule(principal.roles) or self.kinds.get(kind)
            return self._take(kind, principal.subject, rule)
        return self._take("address", address or "unknown", self.kinds.get("address"))

    def check_presented(self, headers: Mapping[str, str], address: str | None) -> Limited | None:
        """For a gateway that authenticates nobody: a token from the address's bucket, then one from the
        presented credential's (keyed by the hash of the header's value: not a verified subject)."""
        limited = self._take("address", address or "unknown", self.kinds.get("address"))
        if limited is not None:
            return limited
        for kind, header in (("api_key", "x-api-key"), ("bearer", "authorization")):
            value = headers.get(header)
            if value is not None:
                digest = hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()
                return self._take(kind, "sha256:" + digest, self.kinds.get(kind))
        return None

    def _take(self, kind: str, who: str, rule: tuple[int, float] | None) -> Limited | None:
        if rule is None:
            return None
        count, period = rule
        now = self.clock()
        key = (kind, who)
        bucket = self.buckets.get(key)
        if bucket is None or bucket.capacity != count or bucket.rate != count / period:
            bucket = TokenBucket(capacity=count, rate=count / period, tokens=count, updated=now)
            self.buckets[key] = bucket
            while len(self.buckets) > self.max_buckets:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(key)
        wait = bucket.take(now)
        if wait == 0.0:
            return None
        self.refused.labels(kind).inc()
        return Limited(kind, wait)

    def _role_rule(self, roles: frozenset[str]) -> tuple[int, float] | None:
        matching = [self.roles[role] for role in roles if role in self.roles]
        return max(matching, key=lambda rule: (rule[0] / rule[1], rule[0])) if matching else None
