"""The issuer's and the verifier's HTTP endpoints refuse bad requests with the spec's codes (OID4VCI 1.0
section 6.3 and 8.3.1, RFC 6750, OID4VP 1.0), exactly; and hypothesis-drawn requests to every endpoint never
get a 500."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.credentials.configurations import CITIZEN
from govgraph.credentials.issuer import PRE_AUTHORIZED_GRANT
from govgraph.credentials.possession import PROOF_TYPE, prove_possession
from tests.support.credential_flows import CITIZEN as CITIZEN_ID
from tests.support.credential_flows import adult_and_residence, years_ago
from zk import credential as zkc
from zk.wire import b64url, from_b64url

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def redeemed(desk) -> dict:
    """An offer whose access token has been issued: its token and what a request needs."""
    citizen = desk.service.enrol(desk.clerk, years_ago(desk.today, 35))
    offer = desk.service.offer(desk.clerk, citizen)
    url = httpx.URL(offer["offerUri"]).params["credential_offer_uri"]
    code = httpx.get(url).json()["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    token = httpx.post(
        desk.service.url + "/credentials/token",
        data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": offer["txCode"]},
    ).json()
    metadata = httpx.get(desk.service.url + "/.well-known/openid-credential-issuer").json()
    return {"token": token["access_token"], "metadata": metadata, "code": code}


def nonce(desk) -> str:
    return httpx.post(desk.service.url + "/credentials/nonce").json()["c_nonce"]


def proof_for(desk, redeemed, c_nonce: str, *, bound_nonce: str | None = None) -> dict:
    key = redeemed["metadata"]["credential_configurations_supported"][CITIZEN_ID]["issuer_keys"][0]
    offer = zkc.CredentialOffer(
        CITIZEN.schema, key["kid"], from_b64url(key["public_key"], "pk"), from_b64url(c_nonce, "n")
    )
    request, pending = zkc.request_credential(offer)
    binding = prove_possession(pending, desk.service.url, bound_nonce or c_nonce)
    return {"nonce": c_nonce, "commitment": b64url(request.commitment), "binding": b64url(binding)}


def credential(desk, token: str, body) -> httpx.Response:
    return httpx.post(
        desk.service.url + "/credentials/credential",
        content=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["error_description"]


def test_the_metadata_declares_the_format_and_every_key(desk) -> None:
    metadata = httpx.get(desk.service.url + "/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == desk.service.url
    assert metadata["credential_endpoint"] == desk.service.url + "/credentials/credential"
    assert metadata["nonce_endpoint"] == desk.service.url + "/credentials/nonce"
    citizen = metadata["credential_configurations_supported"][CITIZEN_ID]
    assert citizen["format"] == "govgraph_bbs"
    assert citizen["schema"] == CITIZEN.schema.to_json()
    assert [k["status"] for k in citizen["issuer_keys"]] == ["current"]
    assert (
        zkc.issuer_key_id(from_b64url(citizen["issuer_keys"][0]["public_key"], "pk"))
        == (citizen["issuer_keys"][0]["kid"])
    )
    assert list(citizen["proof_types_supported"]) == [PROOF_TYPE]
    server = httpx.get(desk.service.url + "/.well-known/oauth-authorization-server").json()
    assert server["token_endpoint"] == desk.service.url + "/credentials/token"


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({}, (400, "invalid_request", "grant_type is missing")),
        (
            {"grant_type": "authorization_code"},
            (400, "unsupported_grant_type", f"only {PRE_AUTHORIZED_GRANT} is supported"),
        ),
        ({"grant_type": PRE_AUTHORIZED_GRANT}, (400, "invalid_request", "pre-authorized_code is missing")),
        (
            {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": "x"},
            (400, "invalid_request", "this offer requires the tx_code the clerk gave with it"),
        ),
        (
            {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": "nope", "tx_code": "123456"},
            (
                400,
                "invalid_grant",
                "the pre-authorized code is not valid (unknown, already used, or expired)",
            ),
        ),
    ],
)
def test_the_token_endpoint_refuses_with_the_spec_codes(desk, form, expected) -> None:
    response = httpx.post(
        desk.service.url + "/credentials/token",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error_of(response) == expected


def test_a_parameter_sent_twice_is_invalid_request(desk) -> None:
    response = httpx.post(
        desk.service.url + "/credentials/token",
        content=b"grant_type=a&grant_type=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error_of(response) == (400, "invalid_request", "the parameter 'grant_type' is sent more than once")


def test_the_credential_endpoint_wants_a_valid_access_token(desk) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
        response = httpx.post(desk.service.url + "/credentials/credential", json={}, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def test_the_credential_endpoint_refuses_with_the_spec_codes(desk, redeemed) -> None:
    token = redeemed["token"]
    good = proof_for(desk, redeemed, nonce(desk))
    cases = [
        ([], (400, "invalid_credential_request", "the credential request must be a JSON object")),
        (
            {"credential_configuration_id": "other/v1", "proofs": {}},
            (400, "unknown_credential_configuration", "no credential configuration 'other/v1'"),
        ),
        (
            {"credential_configuration_id": CITIZEN_ID},
            (400, "invalid_proof", f"the request carries no proofs ({PROOF_TYPE} is required)"),
        ),
        (
            {"credential_configuration_id": CITIZEN_ID, "proofs": {"jwt": ["x"]}},
            (400, "invalid_proof", f"proofs must hold exactly one proof type, {PROOF_TYPE}"),
        ),
        (
            {
                "credential_configuration_id": CITIZEN_ID,
                "proofs": {PROOF_TYPE: [{**good, "nonce": "unknown"}]},
            },
            (400, "invalid_nonce", "the c_nonce is unknown, used or expired: get a new one"),
        ),
    ]
    for body, expected in cases:
        assert error_of(credential(desk, token, body)) == expected, body
    # bound to another c_nonce than the one it names
    fresh = nonce(desk)
    mismatched = proof_for(desk, redeemed, fresh, bound_nonce=nonce(desk))
    body = {"credential_configuration_id": CITIZEN_ID, "proofs": {PROOF_TYPE: [mismatched]}}
    assert error_of(credential(desk, token, body)) == (
        400,
        "invalid_proof",
        "the proof does not bind the commitment to this c_nonce",
    )
    # a c_nonce answers once: the one just used is gone
    again = {"credential_configuration_id": CITIZEN_ID, "proofs": {PROOF_TYPE: [{**mismatched}]}}
    assert error_of(credential(desk, token, again))[1] == "invalid_nonce"


def test_one_access_token_gets_one_credential(desk) -> None:
    citizen = desk.service.enrol(desk.clerk, years_ago(desk.today, 45))
    offer = desk.service.offer(desk.clerk, citizen)
    url = httpx.URL(offer["offerUri"]).params["credential_offer_uri"]
    code = httpx.get(url).json()["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    token = httpx.post(
        desk.service.url + "/credentials/token",
        data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": offer["txCode"]},
    ).json()["access_token"]
    metadata = httpx.get(desk.service.url + "/.well-known/openid-credential-issuer").json()
    context = {"metadata": metadata}
    first = {
        "credential_configuration_id": CITIZEN_ID,
        "proofs": {PROOF_TYPE: [proof_for(desk, context, nonce(desk))]},
    }
    response = credential(desk, token, first)
    assert response.status_code == 200, response.text
    issued = zkc.Credential.from_json(response.json()["credentials"][0]["credential"])
    assert issued.attributes["birth_date"] == years_ago(desk.today, 45)
    second = {
        "credential_configuration_id": CITIZEN_ID,
        "proofs": {PROOF_TYPE: [proof_for(desk, context, nonce(desk))]},
    }
    assert error_of(credential(desk, token, second)) == (
        400,
        "credential_request_denied",
        "this offer's credential has been issued already",
    )


def test_the_response_endpoint_refuses_what_it_cannot_take(desk) -> None:
    url = desk.service.url + "/presentations/response"
    empty = httpx.post(url, content=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert error_of(empty) == (400, "invalid_request", "state is missing")
    assert error_of(httpx.post(url, data={"state": "nope", "vp_token": "{}"})) == (
        400,
        "invalid_request",
        "no presentation request has this state",
    )
    ask = desk.service.ask(desk.official, adult_and_residence(desk.today))
    state = httpx.URL(httpx.URL(ask["requestUri"]).params["request_uri"]).path.rsplit("/", 1)[1]
    assert error_of(httpx.post(url, data={"state": state})) == (400, "invalid_request", "vp_token is missing")
    response = httpx.post(url, data={"state": state, "vp_token": '{"citizen": [1.5]}'})
    assert response.json()["govgraph_failure"] == "malformed"
    assert desk.service.result(desk.official, ask["id"])["failure"] == "malformed"


# --- never a 500 -----------------------------------------------------------------------------------------
TEXT = st.text(max_size=40)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
FORM_KEYS = st.sampled_from(
    ["grant_type", "pre-authorized_code", "tx_code", "state", "vp_token", "error", "x", ""]
)
FORM_VALUES = st.one_of(TEXT, st.just(PRE_AUTHORIZED_GRANT), JSON.map(json.dumps))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(pairs=st.lists(st.tuples(FORM_KEYS, FORM_VALUES), max_size=5), raw=st.binary(max_size=64))
def test_hypothesis_form_endpoints_never_answer_500(desk, pairs, raw) -> None:
    for path in ("/credentials/token", "/presentations/response"):
        for response in (
            httpx.post(desk.service.url + path, data=dict(pairs)),
            httpx.post(
                desk.service.url + path,
                content=raw,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
        ):
            assert response.status_code < 500, response.text
            assert "error" in response.json() or response.json() == {}


@FUZZ
@given(
    body=st.one_of(
        JSON,
        st.fixed_dictionaries(
            {"credential_configuration_id": st.one_of(st.just(CITIZEN_ID), TEXT), "proofs": JSON}
        ),
        st.fixed_dictionaries(
            {
                "credential_configuration_id": st.just(CITIZEN_ID),
                "proofs": st.fixed_dictionaries(
                    {
                        PROOF_TYPE: st.lists(
                            st.dictionaries(st.sampled_from(["nonce", "commitment", "binding"]), JSON)
                        )
                    }
                ),
            }
        ),
    ),
    raw=st.binary(max_size=64),
)
def test_hypothesis_credential_requests_never_answer_500(desk, redeemed, body, raw) -> None:
    response = credential(desk, redeemed["token"], body)
    assert response.status_code < 500 and "error" in response.json(), response.text
    response = httpx.post(
        desk.service.url + "/credentials/credential",
        content=raw,
        headers={"Authorization": f"Bearer {redeemed['token']}", "Content-Type": "application/json"},
    )
    assert response.status_code < 500, response.text


@FUZZ
@given(segment=st.text(min_size=1, max_size=80), authorization=TEXT)
def test_hypothesis_paths_and_tokens_never_answer_500(desk, segment, authorization) -> None:
    for path in ("/credentials/offers/", "/presentations/requests/"):
        response = httpx.get(desk.service.url + path + quote(segment, safe=""))
        assert response.status_code < 500, response.text
    try:
        response = httpx.post(
            desk.service.url + "/credentials/credential", json={}, headers={"Authorization": authorization}
        )
    except (httpx.LocalProtocolError, UnicodeEncodeError):
        return  # not a header httpx can send
    # The HTTP server itself answers 400 to a header with control characters.
    assert response.status_code == (401 if authorization.isprintable() else 400)


@FUZZ
@given(
    dcql=st.one_of(
        JSON,
        st.builds(
            lambda claims: {
                "credentials": [
                    {"id": "q", "format": "govgraph_bbs", "meta": {"schema": CITIZEN_ID}, "claims": claims}
                ]
            },
            st.lists(
                st.dictionaries(st.sampled_from(["path", "predicate", "values", "id"]), JSON), max_size=3
            ),
        ),
    ),
    purpose=TEXT,
)
def test_hypothesis_presentation_requests_are_coded_errors(desk, dcql, purpose) -> None:
    body = desk.service.graphql(
        "mutation($d: JSON!, $p: String!) { createPresentationRequest(dcql: $d, purpose: $p) { id } }",
        {"d": dcql, "p": purpose},
        desk.official,
    )
    for error in body.get("errors", []):
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
