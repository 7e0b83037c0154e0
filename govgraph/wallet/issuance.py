"""The wallet's side of OpenID4VCI 1.0, pre-authorized code flow: open an offer (by reference or by
value), read the issuer's metadata, trade the pre-authorized code and the PIN for an access token, get a
c_nonce, send the blind-issuance commitment with its c_nonce-bound proof, and keep the credential."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from govgraph.credentials.configurations import FORMAT
from govgraph.credentials.issuer import (
    AUTHORIZATION_SERVER_PATH,
    METADATA_PATH,
    OFFER_SCHEME,
    PRE_AUTHORIZED_GRANT,
)
from govgraph.credentials.possession import PROOF_TYPE, prove_possession
from govgraph.wallet.store import WalletError, keep_pending, store
from govgraph.wallet.transport import Http, check_url
from zk import credential as zkc
from zk.curve import Backend
from zk.errors import ZkError
from zk.json_input import describe, load_json
from zk.wire import b64url, canonical_json, from_b64url

MAX_URI = 4096


@dataclass(frozen=True)
class Received:
    credential_id: str
    configuration: str
    issuer: str


def read_offer_uri(uri: str, http: Http) -> dict[str, Any]:
    """The credential offer object an openid-credential-offer:// URI carries or points to."""
    if not isinstance(uri, str) or len(uri) > MAX_URI or not uri.startswith(OFFER_SCHEME):
        raise WalletError(f"not a credential offer URI (expected {OFFER_SCHEME}?credential_offer_uri=...)")
    try:
        parameters = dict(parse_qsl(urlsplit(uri).query, strict_parsing=True, max_num_fields=4))
    except ValueError:
        raise WalletError("the credential offer URI's query is not valid") from None
    if "credential_offer_uri" in parameters and "credential_offer" not in parameters:
        offer = http.get_json(
            check_url(parameters["credential_offer_uri"], "credential_offer_uri"), "the issuer"
        )
    elif "credential_offer" in parameters and "credential_offer_uri" not in parameters:
        try:
            offer = load_json(parameters["credential_offer"], what="credential_offer", strict=True)
        except ZkError as exc:
            raise WalletError(str(exc)) from None
    else:
        raise WalletError("the URI needs exactly one of credential_offer_uri and credential_offer")
    if not isinstance(offer, dict):
        raise WalletError("the credential offer is not a JSON object")
    return offer


def _offer_fields(offer: dict[str, Any]) -> tuple[str, str, str, dict]:
    """(credential_issuer, configuration id, pre-authorized code, tx_code description)."""
    issuer = check_url(offer.get("credential_issuer"), "credential_issuer")
    ids = offer.get("credential_configuration_ids")
    if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], str):
        raise WalletError("this wallet takes offers of exactly one credential configuration")
    grants = offer.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, dict) else None
    if not isinstance(grant, dict) or not isinstance(grant.get("pre-authorized_code"), str):
        raise WalletError("the offer has no pre-authorized code (only that flow is supported)")
    tx_code = grant.get("tx_code", {})
    return issuer, ids[0], grant["pre-authorized_code"], tx_code if isinstance(tx_code, dict) else {}


def _configuration(metadata: Any, issuer: str, configuration: str) -> tuple[zkc.Schema, str, bytes, str]:
    """(schema, current key id, its public key, credential endpoint) from the issuer metadata."""
    if not isinstance(metadata, dict) or metadata.get("credential_issuer") != issuer:
        raise WalletError("the issuer's metadata names another credential_issuer")
    supported = metadata.get("credential_configurations_supported")
    entry = supported.get(configuration) if isinstance(supported, dict) else None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        raise WalletError(f"the issuer does not offer {describe(configuration)} in the {FORMAT} format")
    keys = entry.get("issuer_keys")
    current = (
        [k for k in keys if isinstance(k, dict) and k.get("status") == "current"]
        if isinstance(keys, list)
        else []
    )
    if len(current) != 1:
        raise WalletError("the issuer's metadata does not name one current key")
    try:
        schema = zkc.Schema.from_json(entry.get("schema"))
        public_key = from_b64url(current[0].get("public_key"), "issuer public key", length=96)
    except ZkError as exc:
        raise WalletError(f"the issuer's metadata is not valid: {exc}") from None
    if zkc.issuer_key_id(public_key) != current[0].get("kid") or schema.name != configuration:
        raise WalletError("the issuer's metadata is inconsistent (key id or schema name)")
    return (
        schema,
        current[0]["kid"],
        public_key,
        check_url(metadata.get("credential_endpoint"), "credential_endpoint"),
    )


def receive(
    path: Path, offer_uri: str, tx_code: str, *, http: Http | None = None, backend: Backend | None = None
) -> Received:
    """Run the whole pre-authorized code flow and keep the credential in the wallet at `path`."""
    own = http is None
    http = http or Http()
    try:
        return _receive(path, offer_uri, tx_code, http, backend)
    finally:
        if own:
            http.close()


def _receive(path: Path, offer_uri: str, tx_code: str, http: Http, backend: Backend | None) -> Received:
    issuer, configuration, code, tx = _offer_fields(read_offer_uri(offer_uri, http))
    length = tx.get("length")
    if tx and isinstance(length, int) and len(tx_code) != length:
        raise WalletError(f"the PIN has {length} digits")
    metadata = http.get_json(issuer + METADATA_PATH, "the issuer")
    schema, kid, public_key, credential_endpoint = _configuration(metadata, issuer, configuration)
    server = http.get_json(issuer + AUTHORIZATION_SERVER_PATH, "the issuer")
    if not isinstance(server, dict) or server.get("issuer") != issuer:
        raise WalletError("the authorization server metadata names another issuer")
    token_endpoint = check_url(server.get("token_endpoint"), "token_endpoint")
    answer = http.request(
        "POST",
        token_endpoint,
        data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": tx_code},
    )
    if answer.status != 200:
        raise answer.refusal("the issuer")
    token = answer.json("the token response")
    if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
        raise WalletError("the token response holds no access token")
    nonce_endpoint = check_url(metadata.get("nonce_endpoint"), "nonce_endpoint")
    answer = http.request("POST", nonce_endpoint)
    if answer.status != 200:
        raise answer.refusal("the issuer")
    nonce_answer = answer.json("the nonce response")
    c_nonce = nonce_answer.get("c_nonce") if isinstance(nonce_answer, dict) else None
    if not isinstance(c_nonce, str):
        raise WalletError("the nonce response holds no c_nonce")
    try:
        offer = zkc.CredentialOffer(schema, kid, public_key, from_b64url(c_nonce, "c_nonce"))
    except ZkError as exc:
        raise WalletError(f"the issuer's c_nonce cannot bind a request: {exc}") from None
    request, pending = zkc.request_credential(offer, backend=backend)
    keep_pending(path, pending)  # the holder's secrets are kept before anything is sent
    proof = {
        "nonce": c_nonce,
        "commitment": b64url(request.commitment),
        "binding": b64url(prove_possession(pending, issuer, c_nonce, backend=backend)),
    }
    answer = http.request(
        "POST",
        credential_endpoint,
        content=canonical_json(
            {"credential_configuration_id": configuration, "proofs": {PROOF_TYPE: [proof]}}
        ),
        headers={"Authorization": f"Bearer {token['access_token']}", "Content-Type": "application/json"},
    )
    if answer.status != 200:
        raise answer.refusal("the issuer")
    body = answer.json("the credential response")
    credentials = body.get("credentials") if isinstance(body, dict) else None
    if not isinstance(credentials, list) or len(credentials) != 1 or not isinstance(credentials[0], dict):
        raise WalletError("the credential response does not hold one credential")
    credential = credentials[0].get("credential")
    return Received(store(path, canonical_json(credential), backend=backend), configuration, issuer)
