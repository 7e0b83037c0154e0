"""Why an authentication was refused: the reasons counted in `govgraph_auth_failures_total` and the error
that carries one (an UNAUTHENTICATED error whose message is safe to show: it never quotes a credential)."""

from __future__ import annotations

from enum import StrEnum

from govgraph.federation.errors import Unauthenticated


class Reason(StrEnum):
    """The `reason` label of govgraph_auth_failures_total: a closed set, so the label stays bounded."""

    MALFORMED = "malformed"  # the header, the token or the key cannot be read at all
    ALGORITHM = "algorithm"  # alg none, HS*, or an algorithm that does not fit the key
    SIGNATURE = "signature"
    UNKNOWN_KEY = "unknown_key"  # no signing key with the token's kid
    KEYS_UNAVAILABLE = "keys_unavailable"  # the external provider's JWKS could not be fetched
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUER = "issuer"
    AUDIENCE = "audience"
    CLAIMS = "claims"  # a required claim missing or of the wrong type, iat in the future
    API_KEY_UNKNOWN = "api_key_unknown"
    API_KEY_REVOKED = "api_key_revoked"


class AuthenticationFailed(Unauthenticated):
    """Credentials were sent and refused (no credentials at all is the anonymous principal, not this)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
