"""A small cache of verified bearer tokens: a token that passed every check is not verified again for a few
seconds (the embedded gateway's check and each in-process subgraph fetch of one request, a client's next
requests), while every request is still authenticated against the cache.

Only successes are kept, keyed by the token's exact text, each until the earlier of CACHE_SECONDS after its
verification and its own `exp` (never past it: an expired token goes through the full check again, which
refuses it). Refusals are never cached: each is checked, counted and logged. The cost is bounded: a signing
key withdrawn from a provider's JWKS stops a token it signed within CACHE_SECONDS, not at once. API keys are
not cached here at all: their revocation takes effect on the next request."""

from __future__ import annotations

from collections import OrderedDict

from govgraph.auth.tokens import TokenVerifier, VerifiedToken

CACHE_SECONDS = 10.0
MAX_TOKENS = 1024


class CachedTokenVerifier:
    """`verifier`, remembering up to `size` verified tokens (least recently used dropped first) for at most
    `seconds` each, and never past their `exp`. Time comes from the verifier's clock."""

    def __init__(self, verifier: TokenVerifier, *, seconds: float = CACHE_SECONDS, size: int = MAX_TOKENS):
        self.verifier = verifier
        self.seconds = seconds
        self.size = size
        self._verified: OrderedDict[str, tuple[VerifiedToken, float]] = OrderedDict()

    async def verify(self, token: str) -> VerifiedToken:
        """The token's subject and roles, as TokenVerifier.verify gives them; raises as it does."""
        now = self.verifier.clock()
        cached = self._verified.get(token)
        if cached is not None:
            verified, until = cached
            if now < until:
                self._verified.move_to_end(token)
                return verified
            del self._verified[token]
        verified = await self.verifier.verify(token)
        expires = verified.claims.get("exp")
        if isinstance(expires, (int, float)) and not isinstance(expires, bool):
            until = min(now + self.seconds, float(expires))
            if until > now and self.size > 0:
                self._verified[token] = (verified, until)
                if len(self._verified) > self.size:
                    self._verified.popitem(last=False)
        return verified
