"""The cache of verified bearer tokens: a verified token is not verified again for a few seconds, never past
its own exp, refusals are never remembered, and the cache holds a bounded number of tokens."""

from __future__ import annotations

import time

import pytest

from govgraph.auth.failures import AuthenticationFailed, Reason
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.auth.token_cache import CACHE_SECONDS, CachedTokenVerifier
from govgraph.auth.tokens import TokenVerifier, VerifiedToken
from tests.govgraph.auth.conftest import AUDIENCE, ISSUER


class CountingVerifier(TokenVerifier):
    """The real verifier on a clock the test moves, counting full verifications."""

    def __init__(self, issuer: EmbeddedIssuer) -> None:
        self.now = time.time()
        super().__init__(issuer, issuer=ISSUER, audience=AUDIENCE, clock=lambda: self.now)
        self.verified = 0

    async def verify(self, token: str) -> VerifiedToken:
        self.verified += 1
        return await super().verify(token)


@pytest.fixture
def counting(issuer: EmbeddedIssuer) -> CountingVerifier:
    return CountingVerifier(issuer)


async def test_a_verified_token_is_verified_once_within_the_cache_time(issuer, counting):
    cached = CachedTokenVerifier(counting)
    token = issuer.issue("alice", ["clerk:land"], ttl=600)
    first = await cached.verify(token)
    counting.now += CACHE_SECONDS - 0.5
    assert await cached.verify(token) is first
    assert counting.verified == 1
    counting.now += 1.0
    again = await cached.verify(token)
    assert (again.subject, again.roles, counting.verified) == ("alice", frozenset({"clerk:land"}), 2)


async def test_a_cached_token_is_checked_again_from_its_exp(issuer, counting):
    cached = CachedTokenVerifier(counting, seconds=3600)
    token = issuer.issue("alice", ["clerk:land"], ttl=60)
    exp = (await cached.verify(token)).claims["exp"]
    counting.now = exp - 0.5
    await cached.verify(token)
    assert counting.verified == 1
    counting.now = exp + counting.leeway + 1  # the full check refuses it
    with pytest.raises(AuthenticationFailed) as refused:
        await cached.verify(token)
    assert (refused.value.reason, str(refused.value)) == (Reason.EXPIRED, "the token has expired")
    assert counting.verified == 2


async def test_refusals_are_not_remembered(issuer, counting):
    cached = CachedTokenVerifier(counting)
    token = issuer.issue("alice", ["clerk:land"], ttl=600)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for attempt in (1, 2):
        with pytest.raises(AuthenticationFailed) as refused:
            await cached.verify(tampered)
        assert (refused.value.reason, str(refused.value)) == (
            Reason.SIGNATURE,
            "the token's signature is not valid",
        )
        assert counting.verified == attempt
    await cached.verify(token)
    assert counting.verified == 3


async def test_the_cache_is_bounded_and_drops_the_least_recently_used(issuer, counting):
    cached = CachedTokenVerifier(counting, size=2)
    first, second, third = (issuer.issue(name, ["auditor"], ttl=600) for name in ("a", "b", "c"))
    for token in (first, second, first, third):  # third pushes out second, the least recently used
        await cached.verify(token)
    assert counting.verified == 3
    await cached.verify(first)
    await cached.verify(third)
    assert counting.verified == 3
    await cached.verify(second)
    assert counting.verified == 4
