"""The credential issuer (OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow): its
metadata, offers by reference, the token endpoint, the nonce endpoint and the credential endpoint, over
`zk.credential`'s blind issuance. HTTP lives in issuer_http.py; the citizen registry and the ledger entry
come from the identity bureau through `Registry`."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.auth.failures import AuthenticationFailed
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.auth.tokens import TokenVerifier
from govgraph.credentials.configurations import FORMAT, CredentialConfiguration
from govgraph.credentials.keys import IssuerKeys, KeySet
from govgraph.credentials.oauth import ProtocolError, invalid_request
from govgraph.credentials.offers import (
    ISSUED,
    REDEEMED,
    WITHDRAWN,
    IssuedAlready,
    NewOffer,
    OfferBook,
    Redemption,
)
from govgraph.credentials.possession import PROOF_TYPE, verify_possession
from govgraph.credentials.revocation import RevocationRegistry
from zk import credential as zkc
from zk.credential.issuance import COMMITMENT_LENGTH
from zk.curve import Backend
from zk.errors import ZkError
from zk.json_input import describe
from zk.wire import b64url, from_b64url

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://"
METADATA_PATH = "/.well-known/openid-credential-issuer"
AUTHORIZATION_SERVER_PATH = "/.well-known/oauth-authorization-server"
OFFER_PATH = "/credentials/offers/{offer_id}"
TOKEN_PATH = "/credentials/token"
NONCE_PATH = "/credentials/nonce"
CREDENTIAL_PATH = "/credentials/credential"
REVOCATION_PATH = "/credentials/revocation"
ACCESS_TOKEN_TTL = 300
MAX_CODE_LENGTH = 128

Claim = Callable[[AsyncConnection], Awaitable[int]]


class Registry(Protocol):
    """The base registry credentials are issued from (the identity bureau)."""

    async def attributes(self, citizen_id: str, configuration: str) -> Mapping[str, Any] | None:
        """The citizen's attribute values for `configuration` (all but `expires`), None if unknown."""

    async def record_issuance(self, offered_by: str, configuration: str, key_id: str, claim: Claim) -> int:
        """Append the issuance's ledger entry (no attribute value: the configuration, the key id and the
        count `claim` returns) in one transaction with `claim`, acting as `offered_by`; its index."""


@dataclass(frozen=True)
class CreatedOffer:
    offer_id: str
    offer_uri: str  # openid-credential-offer://?credential_offer_uri=...
    credential_offer_uri: str
    tx_code: str
    expires_at: float


class Issuer:
    """One credential issuer identified by `base_url` (its metadata is at base_url + METADATA_PATH)."""

    def __init__(
        self,
        base_url: str,
        configurations: Mapping[str, CredentialConfiguration],
        keys: IssuerKeys,
        offers: OfferBook,
        token_key_path: Path,
        registry: Registry,
        *,
        backend: Backend | None = None,
        clock: Callable[[], float] = time.time,
        revocation: RevocationRegistry | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.revocation = revocation
        self.configurations = dict(configurations)
        self.key_sets: dict[str, KeySet] = {c: keys.load_or_create(c) for c in self.configurations}
        self.offers = offers
        self.registry = registry
        self.backend = backend
        self.clock = clock
        self.tokens = EmbeddedIssuer.load_or_create(
            token_key_path, issuer=self.base_url, audience=self.base_url, clock=clock
        )
        self.verifier = TokenVerifier(self.tokens, issuer=self.base_url, audience=self.base_url, clock=clock)

    def url(self, path: str) -> str:
        return self.base_url + path

    def trusted_keys(self) -> dict[str, bytes]:
        """Every key id this issuer has signed with -> its public key (what verifiers accept)."""
        return {kid: pk for keys in self.key_sets.values() for kid, pk in keys.public_keys().items()}

    # --- metadata -------------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """Credential issuer metadata (OID4VCI 1.0 section 12.2), with our format's parameters: the zk
        schema and every issuer key (the current one first), each with its key id."""
        return {
            "credential_issuer": self.base_url,
            "credential_endpoint": self.url(CREDENTIAL_PATH),
            "nonce_endpoint": self.url(NONCE_PATH),
            "display": [{"name": "govgraph identity bureau", "locale": "en"}],
            "credential_configurations_supported": {
                cid: self._configuration_metadata(configuration)
                for cid, configuration in self.configurations.items()
            },
        }

    def _configuration_metadata(self, configuration: CredentialConfiguration) -> dict[str, Any]:
        keys = self.key_sets[configuration.id]
        out = {
            "format": FORMAT,
            "schema": configuration.schema.to_json(),
            "schema_id": configuration.schema.id,
            "issuer_keys": [
                {
                    "kid": stored.kid,
                    "public_key": b64url(stored.key.public_key),
                    "status": "current" if i == 0 else "retired",
                }
                for i, stored in enumerate(keys.keys)
            ],
            "cryptographic_binding_methods_supported": ["govgraph_bbs_holder_secret"],
            "credential_signing_alg_values_supported": ["BBS-BLS12-381-SHA-256"],
            "proof_types_supported": {PROOF_TYPE: {"proof_signing_alg_values_supported": ["BBS-BLIND"]}},
            "credential_metadata": {
                "display": [{"name": configuration.display_name, "locale": "en"}],
                "claims": configuration.claims(),
            },
        }
        if self.revocation is not None and self.revocation.revocable(configuration.id):
            # where wallets fetch the epochs' update data, and the accumulator key witnesses verify under
            out["revocation"] = {
                "accumulator_public_key": b64url(self.revocation.public_key(configuration.id)),
                # epoch 0's value (later ones are in the updates): verifiers in other processes need it
                "initial_accumulator": b64url(self.revocation.accumulators[configuration.id].initial.value),
                "updates_endpoint": self.url(REVOCATION_PATH),
            }
        return out

    async def revocation_updates(self, configuration: Any, since: Any) -> dict[str, Any]:
        """The update data of a revocable configuration's epochs after `since` (a page at a time) and its
        latest epoch: what `govgraph wallet refresh` applies to its witnesses."""
        if not isinstance(configuration, str) or self.revocation is None:
            raise invalid_request("configuration is missing")
        if not self.revocation.revocable(configuration):
            raise invalid_request("this configuration is not revocable")
        if not isinstance(since, str) or not since.isdigit() or len(since) > 15:
            raise invalid_request("since must be an epoch number")
        latest, updates = await self.revocation.updates_since(configuration, int(since))
        return {"configuration": configuration, "latest": latest, "updates": updates}

    def authorization_server_metadata(self) -> dict[str, Any]:
        """RFC 8414 metadata: the issuer is its own authorization server, for the pre-authorized flow."""
        return {
            "issuer": self.base_url,
            "token_endpoint": self.url(TOKEN_PATH),
            "grant_types_supported": [PRE_AUTHORIZED_GRANT],
            "pre-authorized_grant_anonymous_access_supported": True,
            "response_types_supported": [],
        }

    # --- offers ---------------------------------------------------------------------------------------
    async def create_offer(
        self,
        citizen_id: str,
        configuration: str,
        offered_by: str,
        *,
        pin: Callable[[str], str] | None = None,
        connection: AsyncConnection | None = None,
    ) -> CreatedOffer:
        """An offer for the citizen (the caller checked the citizen exists and the configuration is ours);
        `pin` and `connection` as OfferBook.create takes them."""
        new: NewOffer = await self.offers.create(
            configuration, citizen_id, offered_by, pin=pin, connection=connection
        )
        return self.created_offer(new.id, new.tx_code, new.expires_at)

    def created_offer(self, offer_id: str, tx_code: str, expires_at: float) -> CreatedOffer:
        """What the clerk is given for an offer: its URI (by reference), its PIN and its deadline."""
        offer_url = self.url(OFFER_PATH.format(offer_id=offer_id))
        return CreatedOffer(
            offer_id,
            f"{OFFER_SCHEME}?credential_offer_uri={quote(offer_url, safe='')}",
            offer_url,
            tx_code,
            expires_at,
        )

    async def offer_object(self, offer_id: str) -> dict[str, Any] | None:
        """The credential offer (OID4VCI 1.0 section 4.1.1) while it can be redeemed, else None."""
        offer = await self.offers.open_offer(offer_id)
        if offer is None:
            return None
        return {
            "credential_issuer": self.base_url,
            "credential_configuration_ids": [offer.configuration],
            "grants": {
                PRE_AUTHORIZED_GRANT: {
                    "pre-authorized_code": offer.code,
                    "tx_code": {
                        "input_mode": "numeric",
                        "length": 6,
                        "description": "The PIN the identity bureau's clerk gave you",
                    },
                }
            },
        }

    # --- token endpoint -------------------------------------------------------------------------------
    async def token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """The token response (RFC 6749 section 5.1) for a pre-authorized code and its transaction code,
        or ProtocolError with `unsupported_grant_type`, `invalid_request` or `invalid_grant`."""
        grant = form.get("grant_type")
        if grant is None:
            raise invalid_request("grant_type is missing")
        if grant != PRE_AUTHORIZED_GRANT:
            raise ProtocolError("unsupported_grant_type", f"only {PRE_AUTHORIZED_GRANT} is supported")
        code = form.get("pre-authorized_code")
        if not code:
            raise invalid_request("pre-authorized_code is missing")
        tx_code = form.get("tx_code")
        if tx_code is None:
            raise invalid_request("this offer requires the tx_code the clerk gave with it")
        if len(code) > MAX_CODE_LENGTH or len(tx_code) > MAX_CODE_LENGTH:
            raise ProtocolError("invalid_grant", "the pre-authorized code or the tx_code is not valid")
        outcome, offer, left = await self.offers.redeem(code, tx_code)
        if outcome == Redemption.WRONG_TX_CODE:
            raise ProtocolError(
                "invalid_grant",
                f"the tx_code is wrong ({left} attempts left)"
                if left
                else "the tx_code is wrong; the offer is now locked: ask the clerk for a new one",
            )
        if outcome != Redemption.REDEEMED or offer is None:
            raise ProtocolError(
                "invalid_grant", "the pre-authorized code is not valid (unknown, already used, or expired)"
            )
        token = self.tokens.issue(offer.id, [], ttl=ACCESS_TOKEN_TTL)
        return {"access_token": token, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_TTL}

    async def nonce(self) -> dict[str, str]:
        return {"c_nonce": await self.offers.new_nonce()}

    # --- credential endpoint --------------------------------------------------------------------------
    async def offer_for_token(self, authorization: str | None) -> str:
        """The offer id an access token was issued for; `invalid_token` (401) otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _invalid_token("send the access token as Authorization: Bearer")
        try:
            verified = await self.verifier.verify(token.strip())
        except AuthenticationFailed:
            raise _invalid_token("the access token is not valid") from None
        return verified.subject

    async def credential(self, offer_id: str, body: Any) -> dict[str, Any]:
        """The credential response (OID4VCI 1.0 section 8.3) for a credential request, or ProtocolError
        with `invalid_credential_request`, `unknown_credential_configuration`, `invalid_proof`,
        `invalid_nonce` or `credential_request_denied`."""
        configuration, proof = _read_request(body, self.configurations)
        offer = await self.offers.get(offer_id)
        if offer is None or offer.configuration != configuration.id:
            raise ProtocolError("invalid_credential_request", "the access token is for another credential")
        if offer.state != REDEEMED:
            raise _not_issuable(offer.state)
        nonce, commitment, binding = _read_proof(proof)
        if not await self.offers.use_nonce(nonce):
            raise ProtocolError("invalid_nonce", "the c_nonce is unknown, used or expired: get a new one")
        if not verify_possession(commitment, binding, self.base_url, nonce, backend=self.backend):
            raise ProtocolError("invalid_proof", "the proof does not bind the commitment to this c_nonce")
        keys = self.key_sets[configuration.id]
        issuer_key = keys.current
        zk_offer = zkc.CredentialOffer(
            configuration.schema, issuer_key.key_id, issuer_key.public_key, from_b64url(nonce, "c_nonce")
        )
        attributes = await self.registry.attributes(offer.citizen_id, configuration.id)
        if attributes is None:
            raise ProtocolError("credential_request_denied", "the citizen is not in the registry")
        today = dt.datetime.fromtimestamp(self.clock(), dt.UTC).date()
        values = {**attributes, zkc.EXPIRES: configuration.expires(today)}
        accumulator = {}
        if configuration.schema.revocable:
            assert (
                self.revocation is not None
            )  # start_credentials gives an issuer of revocable ones its registry
            accumulator = {
                "accumulator_key": self.revocation.accumulators[configuration.id].key,
                "accumulator": await self.revocation.latest(configuration.id),
            }
        try:
            issued = zkc.issue_credential(
                issuer_key,
                zk_offer,
                zkc.CredentialRequest(zk_offer.nonce, commitment),
                values,
                backend=self.backend,
                **accumulator,
            )
        except ZkError as exc:
            raise ProtocolError("invalid_proof", f"the commitment is not valid: {exc}") from None
        claim = self.offers.claim(offer.id, issuer_key.key_id)
        if issued.revocation is not None:
            claim = self._recording_handle(
                claim, configuration.id, offer.citizen_id, issued.revocation.handle
            )
        try:
            index = await self.registry.record_issuance(
                offer.offered_by, configuration.id, issuer_key.key_id, claim
            )
        except IssuedAlready:  # issued by a concurrent request, or withdrawn by a revocation meanwhile
            current = await self.offers.get(offer.id)
            raise _not_issuable(current.state if current is not None else ISSUED) from None
        await self.offers.set_ledger_index(offer.id, index)
        return {"credentials": [{"credential": issued.to_json()}]}

    def _recording_handle(self, claim: Claim, configuration: str, citizen_id: str, handle: int) -> Claim:
        """`claim`, then the handle's owner recorded on the same transaction (so a revocation finds it)."""
        assert self.revocation is not None

        async def claim_and_record(connection: AsyncConnection) -> int:
            count = await claim(connection)
            await self.revocation.record_handle(connection, configuration, citizen_id, handle)
            return count

        return claim_and_record


def _not_issuable(state: str) -> ProtocolError:
    if state == WITHDRAWN:
        return ProtocolError(
            "credential_request_denied",
            "this offer was withdrawn by a revocation of the citizen's credentials: ask for a new one",
        )
    return ProtocolError("credential_request_denied", "this offer's credential has been issued already")


def _invalid_token(description: str) -> ProtocolError:
    # RFC 6750 section 3.1
    return ProtocolError(
        "invalid_token",
        description,
        status=401,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


def _read_request(
    body: Any, configurations: Mapping[str, CredentialConfiguration]
) -> tuple[CredentialConfiguration, Any]:
    if not isinstance(body, dict):
        raise ProtocolError("invalid_credential_request", "the credential request must be a JSON object")
    unknown = set(body) - {"credential_configuration_id", "credential_identifier", "proofs"}
    if unknown:
        raise ProtocolError(
            "invalid_credential_request", f"unknown parameters: {', '.join(sorted(map(describe, unknown)))}"
        )
    if "credential_identifier" in body:
        raise ProtocolError(
            "invalid_credential_request", "this issuer issues by credential_configuration_id only"
        )
    cid = body.get("credential_configuration_id")
    if not isinstance(cid, str):
        raise ProtocolError("invalid_credential_request", "credential_configuration_id is missing")
    if cid not in configurations:
        raise ProtocolError(
            "unknown_credential_configuration", f"no credential configuration {describe(cid)}"
        )
    if "proofs" not in body:
        raise ProtocolError("invalid_proof", f"the request carries no proofs ({PROOF_TYPE} is required)")
    return configurations[cid], body["proofs"]


def _read_proof(proofs: Any) -> tuple[str, bytes, bytes]:
    """(c_nonce, commitment_with_proof, binding) of the one `govgraph_bbs_commitment` proof."""
    if not isinstance(proofs, dict) or set(proofs) != {PROOF_TYPE}:
        raise ProtocolError("invalid_proof", f"proofs must hold exactly one proof type, {PROOF_TYPE}")
    items = proofs[PROOF_TYPE]
    if not isinstance(items, list) or len(items) != 1:
        raise ProtocolError("invalid_proof", "exactly one proof: one credential per offer")
    proof = items[0]
    if not isinstance(proof, dict) or set(proof) != {"nonce", "commitment", "binding"}:
        raise ProtocolError("invalid_proof", "a proof has exactly the fields nonce, commitment and binding")
    nonce = proof["nonce"]
    if not isinstance(nonce, str) or not 0 < len(nonce) <= MAX_CODE_LENGTH:
        raise ProtocolError("invalid_nonce", "the proof's nonce is not a c_nonce of this issuer")
    try:
        commitment = from_b64url(proof["commitment"], "commitment", length=COMMITMENT_LENGTH)
        binding = from_b64url(proof["binding"], "binding", length=COMMITMENT_LENGTH)
    except ZkError as exc:
        raise ProtocolError("invalid_proof", str(exc)) from None
    return nonce, commitment, binding
