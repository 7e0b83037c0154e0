"""The wallet's side of OpenID4VP 1.0 with DCQL: fetch a request by reference (client identifier prefix
`redirect_uri:`, so an unsigned request object whose response URI is the client id), work out what the
answer would disclose and prove, and post the presentation to the verifier with direct_post."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from govgraph.credentials.configurations import CredentialConfiguration
from govgraph.credentials.dcql import CredentialQuery, DcqlError, parse_dcql
from govgraph.credentials.verifier import CLIENT_ID_PREFIX, REQUEST_OBJECT_TYPE, REQUEST_SCHEME, SELF_ISSUED
from govgraph.wallet.store import Plan, WalletError, load
from govgraph.wallet.store import plan as plan_from_file
from govgraph.wallet.store import present as present_from_file
from govgraph.wallet.transport import Http, check_url, origin
from zk.credential.issuance import nonce_from_json
from zk.curve import Backend
from zk.errors import ZkError
from zk.json_input import describe, load_json, printable
from zk.wire import canonical_json, from_b64url

MAX_URI = 4096
MAX_REQUEST_OBJECT = 128 * 1024
CLOCK_SKEW = 60


@dataclass(frozen=True)
class Ask:
    """A verifier's request, read and checked: whom to answer, and the zk request the answer proves."""

    verifier: str  # the client id
    response_uri: str
    state: str
    purpose: str
    query: CredentialQuery
    request_json: bytes  # the zk PresentationRequest, canonical

    def lines(self) -> list[str]:
        return [
            f"verifier {printable(self.response_uri)}",
            f"purpose: {printable(self.purpose)}",
        ]


@dataclass(frozen=True)
class VerifierAnswer:
    accepted: bool
    status: int
    error: str | None = None
    description: str | None = None
    failure: str | None = None  # the verifier's cause, when it rejected the presentation


def read_request_uri(uri: str) -> tuple[str, str]:
    """(client_id, request_uri) of an openid4vp:// URI."""
    if not isinstance(uri, str) or len(uri) > MAX_URI or not uri.startswith(REQUEST_SCHEME):
        raise WalletError(
            f"not a presentation request URI (expected {REQUEST_SCHEME}?client_id=...&request_uri=...)"
        )
    try:
        parameters = dict(parse_qsl(urlsplit(uri).query, strict_parsing=True, max_num_fields=8))
    except ValueError:
        raise WalletError("the presentation request URI's query is not valid") from None
    if "client_id" not in parameters or "request_uri" not in parameters:
        raise WalletError("the URI needs client_id and request_uri (requests by value are not taken)")
    return parameters["client_id"], check_url(parameters["request_uri"], "request_uri")


def _request_object(text: str) -> dict[str, Any]:
    """The claims of an unsigned request object: header exactly {alg: none, typ: oauth-authz-req+jwt}, an
    empty signature, claims decoded strictly."""
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[2] != "":
        raise WalletError(
            "the request object is not an unsigned JWT (redirect_uri client ids send none other)"
        )
    try:
        header = load_json(from_b64url(parts[0], "request object header", max_length=1024), strict=True)
        claims = load_json(
            from_b64url(parts[1], "request object", max_length=MAX_REQUEST_OBJECT), strict=True
        )
    except ZkError as exc:
        raise WalletError(f"the request object is not valid: {exc}") from None
    if header != {"alg": "none", "typ": REQUEST_OBJECT_TYPE} or not isinstance(claims, dict):
        raise WalletError("the request object's header is not {alg: none, typ: oauth-authz-req+jwt}")
    return claims


def fetch(path: Path, uri: str, http: Http) -> Ask:
    """Fetch and check the request `uri` names, and build the zk request from a credential of the wallet."""
    client_id, request_uri = read_request_uri(uri)
    answer = http.request("GET", request_uri, headers={"Accept": f"application/{REQUEST_OBJECT_TYPE}"})
    if answer.status != 200:
        raise answer.refusal("the verifier")
    try:
        text = answer.body.decode("ascii")
    except UnicodeDecodeError:
        raise WalletError("the request object is not ASCII") from None
    claims = _request_object(text)
    return _ask(path, client_id, request_uri, claims)


def _ask(path: Path, client_id: str, request_uri: str, claims: dict[str, Any]) -> Ask:
    response_uri = check_url(claims.get("response_uri"), "response_uri")
    if claims.get("client_id") != client_id or client_id != CLIENT_ID_PREFIX + response_uri:
        raise WalletError("the client_id must be redirect_uri:<response_uri> and match the URI's")
    if origin(response_uri) != origin(request_uri):
        raise WalletError("the response URI is not on the request's host")
    if claims.get("response_type") != "vp_token" or claims.get("response_mode") != "direct_post":
        raise WalletError("only response_type vp_token with response_mode direct_post is supported")
    if claims.get("aud") != SELF_ISSUED:
        raise WalletError(f"the request object's aud is not {SELF_ISSUED}")
    expires = claims.get("exp")
    if type(expires) is not int or expires + CLOCK_SKEW < time.time():
        raise WalletError("the request has expired")
    state, nonce, purpose = claims.get("state"), claims.get("nonce"), claims.get("govgraph_purpose", "")
    if not isinstance(state, str) or not isinstance(nonce, str) or not isinstance(purpose, str):
        raise WalletError("the request's state, nonce or purpose is not text")
    dcql = claims.get("dcql_query")
    meta = _meta(dcql)
    held = [h for h in load(path).credentials if h.credential.schema.id == meta.get("schema_id")]
    if not held:
        raise WalletError(
            f"no credential in this wallet has the requested schema ({describe(meta.get('schema'))})"
        )
    schema = held[0].credential.schema
    known = {schema.name: CredentialConfiguration(schema.name, schema, schema.name, dt.timedelta(0))}
    try:
        query, _ = parse_dcql(dcql, known, completed=True)
        request = query.presentation_request(schema, nonce_from_json(nonce, "nonce"))
    except (DcqlError, ZkError) as exc:
        raise WalletError(f"the verifier's query cannot be answered: {exc}") from None
    return Ask(client_id, response_uri, state, purpose, query, canonical_json(request.to_json()))


def _meta(dcql: Any) -> dict[str, Any]:
    try:
        meta = dcql["credentials"][0]["meta"]
    except (TypeError, KeyError, IndexError):
        raise WalletError("the request's dcql_query has no credential query with meta") from None
    if not isinstance(meta, dict):
        raise WalletError("the request's dcql_query meta is not an object")
    return meta


def plan(path: Path, ask: Ask, chosen_id: str | None = None) -> Plan:
    """What the answer would disclose and prove (WalletError when no credential satisfies the request)."""
    chosen = plan_from_file(path, ask.request_json, chosen_id)
    for claim in ask.query.claims:
        if claim.values is not None and chosen.disclosed.get(claim.name) not in claim.values:
            raise WalletError(f"the credential's {claim.name} is not one of the values the verifier accepts")
    return chosen


def answer(
    path: Path, ask: Ask, http: Http, chosen_id: str | None = None, *, backend: Backend | None = None
) -> tuple[Plan, VerifierAnswer]:
    """Present (the wallet refuses a request its credential does not satisfy) and post the answer."""
    plan(path, ask, chosen_id)
    chosen, presentation = present_from_file(path, ask.request_json, chosen_id, backend=backend)
    return chosen, post(ask, json.loads(presentation), http)


def vp_token(
    path: Path, ask: Ask, chosen_id: str | None = None, *, backend: Backend | None = None
) -> tuple[Plan, str]:
    """The answer as a vp_token, not posted: for a verifier that takes it inside its own API (the welfare
    office's `submitClaim(presentation:)`) rather than by direct_post. The same checks as `answer`."""
    plan(path, ask, chosen_id)
    chosen, presentation = present_from_file(path, ask.request_json, chosen_id, backend=backend)
    return chosen, token_of(ask, json.loads(presentation))


def token_of(ask: Ask, presentation: Any) -> str:
    """The vp_token carrying one presentation (a zk Presentation JSON object) for the request's query."""
    return canonical_json({ask.query.id: [presentation]}).decode()


def post(ask: Ask, presentation: Any, http: Http) -> VerifierAnswer:
    """Send a presentation (a zk Presentation JSON object) to the verifier's response URI."""
    vp_token = token_of(ask, presentation)
    response = http.request("POST", ask.response_uri, data={"vp_token": vp_token, "state": ask.state})
    if response.status == 200:
        return VerifierAnswer(True, 200)
    try:
        body = load_json(response.body, what="the verifier's answer", max_bytes=64 * 1024)
    except ZkError:
        body = None
    if not isinstance(body, dict):
        return VerifierAnswer(False, response.status)
    text = {
        k: v if isinstance(v, str) else None
        for k, v in body.items()
        if k in ("error", "error_description", "govgraph_failure")
    }
    return VerifierAnswer(
        False, response.status, text.get("error"), text.get("error_description"), text.get("govgraph_failure")
    )
