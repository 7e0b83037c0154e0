"""Bearer JWT verification with joserfc: an asymmetric signature by a known key, then `iss`, `aud`, `exp`,
`nbf` (small leeway), `sub` and the `roles` claim.

The order matters: the header is read only to pick the algorithm and the key, the signature is checked
before a single claim is decoded, and the claims are decoded by the one bounded JSON loader."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from joserfc import jws
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwk import Key
from joserfc.jwt import JWTClaimsRegistry

from govgraph.auth.failures import AuthenticationFailed, Reason
from govgraph.auth.roles import is_role
from govgraph.federation.principal import AuthMethod, Principal
from zk.errors import MalformedInput
from zk.json_input import load_json

# Asymmetric only: an HMAC algorithm would let anyone holding the (public) verification key sign, and
# `none` signs nothing. EdDSA is named by its RFC 9864 form, Ed25519.
ALLOWED_ALGORITHMS = (
    "ES256",
    "ES384",
    "ES512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "Ed25519",
)
LEEWAY_SECONDS = 30  # clock skew tolerated on exp, nbf and iat
MAX_TOKEN_LENGTH = 8192
MAX_CLAIMS_DEPTH = 8
ROLES_CLAIM = "roles"
# Checks headers strictly: a member it does not know, or a `crit` it does not understand, is refused.
REGISTRY = jws.JWSRegistry(algorithms=ALLOWED_ALGORITHMS)
_CLAIM_REASONS = {"iss": Reason.ISSUER, "aud": Reason.AUDIENCE, "nbf": Reason.NOT_YET_VALID}


class KeySource(Protocol):
    """Where the verification key for a token's `kid` comes from (the embedded issuer, a remote JWKS).
    Raises AuthenticationFailed (UNKNOWN_KEY, KEYS_UNAVAILABLE) when there is none."""

    async def key_for(self, kid: str | None) -> Key: ...


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    subject: str
    roles: frozenset[str]
    claims: dict[str, Any]

    def principal(self) -> Principal:
        return Principal(subject=self.subject, roles=self.roles, method=AuthMethod.BEARER)


class TokenVerifier:
    """Verifies compact JWS JWTs for one issuer and one audience."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: int = LEEWAY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.clock = clock

    async def verify(self, token: str) -> VerifiedToken:
        """The token's subject and govgraph roles (roles of other systems an external provider lists are
        ignored: they grant nothing here). Raises AuthenticationFailed with the reason."""
        if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise AuthenticationFailed(Reason.MALFORMED, "the bearer token is not a JWT")
        try:
            signed = jws.extract_compact(token.encode("ascii"), registry=REGISTRY)
        except (JoseError, ValueError):
            raise AuthenticationFailed(Reason.MALFORMED, "the bearer token is not a JWT") from None
        header = signed.headers()
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise AuthenticationFailed(
                Reason.ALGORITHM,
                "the token's algorithm is not accepted: expected " + ", ".join(ALLOWED_ALGORITHMS),
            )
        if "b64" in header:
            # RFC 7797 unencoded payloads are not for JWTs (RFC 7797 section 7).
            raise AuthenticationFailed(Reason.MALFORMED, "the bearer token is not a JWT")
        try:
            REGISTRY.check_header(header)
        except JoseError:
            raise AuthenticationFailed(Reason.MALFORMED, "the token's header is not accepted") from None
        # Only the kid picks the key: a key the token brings along (jwk, jku, x5c) is never trusted.
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationFailed(Reason.MALFORMED, "the token's kid is not a string")
        key = await self.keys.key_for(kid)
        declared = key.get("alg")
        if declared is not None and declared != algorithm:
            raise AuthenticationFailed(Reason.ALGORITHM, "the token's algorithm does not match its key")
        try:
            valid = jws.validate_compact(signed, key, registry=REGISTRY)
        except JoseError:  # e.g. an RSA algorithm named for an EC key
            raise AuthenticationFailed(
                Reason.ALGORITHM, "the token's algorithm does not match its key"
            ) from None
        if not valid:
            raise AuthenticationFailed(Reason.SIGNATURE, "the token's signature is not valid")
        return self._check_claims(signed.payload)

    def _check_claims(self, payload: bytes) -> VerifiedToken:
        try:
            claims = load_json(payload, what="the token's claims", max_depth=MAX_CLAIMS_DEPTH)
        except MalformedInput:
            raise AuthenticationFailed(Reason.MALFORMED, "the token's claims are not a JSON object") from None
        if not isinstance(claims, dict):
            raise AuthenticationFailed(Reason.MALFORMED, "the token's claims are not a JSON object")
        registry = JWTClaimsRegistry(
            now=int(self.clock()),
            leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise AuthenticationFailed(Reason.EXPIRED, "the token has expired") from None
        except MissingClaimError as error:
            missing = ", ".join(error.claim.split(","))
            raise AuthenticationFailed(Reason.CLAIMS, f"the token lacks required claims: {missing}") from None
        except ClaimError as error:
            reason = _CLAIM_REASONS.get(error.claim, Reason.CLAIMS)
            raise AuthenticationFailed(reason, _claim_message(reason, error.claim)) from None
        roles = claims.get(ROLES_CLAIM, [])
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise AuthenticationFailed(Reason.CLAIMS, "the token's roles claim is not a list of strings")
        return VerifiedToken(
            subject=claims["sub"], roles=frozenset(role for role in roles if is_role(role)), claims=claims
        )


def _claim_message(reason: Reason, claim: str) -> str:
    if reason is Reason.ISSUER:
        return "the token's issuer is not accepted"
    if reason is Reason.AUDIENCE:
        return "the token is not meant for this service (audience)"
    if reason is Reason.NOT_YET_VALID:
        return "the token is not valid yet"
    return f"the token's {claim} claim is missing or not valid"
