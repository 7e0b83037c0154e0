"""Idempotency keys on the credential mutations, over real HTTP against a real `govgraph serve`: a retry of
createCredentialOffer with the same key and input is the first offer (its URI, its PIN, which still redeems
it, and its deadline) and creates nothing; a retry of createPresentationRequest is the first request; the
same key with other input is CONFLICT; keys are each caller's own."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from govgraph.credentials.issuer import PRE_AUTHORIZED_GRANT
from tests.support.credential_flows import CITIZEN, adult_and_residence, years_ago
from tests.support.mutations import ledger_sizes

pytestmark = pytest.mark.e2e

OFFER = """mutation ($citizen: ID!, $schema: String!, $key: String) {
  createCredentialOffer(citizenId: $citizen, schema: $schema, idempotencyKey: $key) {
    offerUri txCode expiresAt } }"""
ASK = """mutation ($dcql: JSON!, $purpose: String!, $key: String) {
  createPresentationRequest(dcql: $dcql, purpose: $purpose, idempotencyKey: $key) {
    id requestUri expiresAt } }"""
OTHER_INPUT = "This idempotency key was used for another operation or other input."
BAD_KEY = "An idempotency key is 1..128 printable ASCII characters without spaces."
TABLES = ("credentials_offer", "credentials_presentation_request", "agency_idempotency_keys")


def stored(desk) -> dict[str, int]:
    """Rows of the credential tables and the idempotency records, and every ledger's size."""
    database = desk.service.data_dir / "govgraph.db"
    with sqlite3.connect(database) as connection:
        rows = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}
    return {**rows, **{f"ledger {name}": size for name, size in ledger_sizes(database).items()}}


def only_error(body: dict) -> tuple[str, str, list]:
    assert body.get("data") is None and len(body["errors"]) == 1, body
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"], error["path"]


def redeem(offer: dict, tx_code: str) -> httpx.Response:
    """The token request for the offer's pre-authorized code and `tx_code`."""
    offer_object = httpx.get(httpx.URL(offer["offerUri"]).params["credential_offer_uri"], timeout=10).json()
    code = offer_object["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    token_url = offer_object["credential_issuer"] + "/credentials/token"
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": tx_code}
    return httpx.post(token_url, data=form, timeout=10)


def test_a_retried_offer_is_the_first_offer_and_creates_nothing(desk) -> None:
    service = desk.service
    citizen, other = (service.enrol(desk.clerk, years_ago(desk.today, age)) for age in (40, 41))
    variables = {"citizen": citizen, "schema": CITIZEN, "key": "offer-1"}
    first = service.data(OFFER, variables, desk.clerk)["createCredentialOffer"]
    before = stored(desk)
    again = service.data(OFFER, variables, desk.clerk)["createCredentialOffer"]
    assert again == first
    assert stored(desk) == before
    # The replayed PIN is the offer's own, and a retry after the offer was used still answers the first offer.
    assert redeem(again, again["txCode"]).status_code == 200
    assert service.data(OFFER, variables, desk.clerk)["createCredentialOffer"] == first
    refused = service.graphql(OFFER, {**variables, "citizen": other}, desk.clerk)
    assert only_error(refused) == ("CONFLICT", OTHER_INPUT, ["createCredentialOffer"])
    assert stored(desk) == before


def test_offers_without_a_key_are_new_each_time_and_keys_are_each_clerks_own(desk) -> None:
    service = desk.service
    citizen = service.enrol(desk.clerk, years_ago(desk.today, 35))
    variables = {"citizen": citizen, "schema": CITIZEN}
    unkeyed = [service.data(OFFER, variables, desk.clerk)["createCredentialOffer"] for _ in range(2)]
    assert unkeyed[0]["offerUri"] != unkeyed[1]["offerUri"]
    mine = service.data(OFFER, {**variables, "key": "shared-key"}, desk.clerk)["createCredentialOffer"]
    before = stored(desk)
    colleague = service.token("clerk-cy", "clerk:identity")
    theirs = service.data(OFFER, {**variables, "key": "shared-key"}, colleague)["createCredentialOffer"]
    assert theirs["offerUri"] != mine["offerUri"]
    after = stored(desk)
    assert (after["credentials_offer"], after["agency_idempotency_keys"]) == (
        before["credentials_offer"] + 1,
        before["agency_idempotency_keys"] + 1,
    )
    for offer in (*unkeyed, mine, theirs):
        assert len(offer["txCode"]) == 6 and offer["txCode"].isdigit()
        assert redeem(offer, offer["txCode"]).status_code == 200


def test_a_retried_presentation_request_is_the_first_request_and_creates_nothing(desk) -> None:
    service = desk.service
    dcql = adult_and_residence(desk.today)
    variables = {"dcql": dcql, "purpose": "benefit check", "key": "ask-1"}
    first = service.data(ASK, variables, desk.official)["createPresentationRequest"]
    before = stored(desk)
    assert service.data(ASK, variables, desk.official)["createPresentationRequest"] == first
    # The verifier's own subgraph answers the same caller's retry the same way.
    direct = httpx.post(
        service.url + "/subgraphs/verifier/graphql",
        json={"query": ASK, "variables": variables},
        headers={"Authorization": f"Bearer {desk.official}"},
        timeout=30,
    ).json()
    assert direct == {"data": {"createPresentationRequest": first}}
    assert stored(desk) == before
    assert service.result(desk.official, first["id"])["status"] == "PENDING"
    for changed in (
        {"purpose": "another check"},
        {"dcql": adult_and_residence(desk.today, context="benefit-2026")},
    ):
        refused = service.graphql(ASK, {**variables, **changed}, desk.official)
        assert only_error(refused) == ("CONFLICT", OTHER_INPUT, ["createPresentationRequest"])
    assert stored(desk) == before
    # Another caller's ask-1 is another request.
    theirs = service.data(ASK, variables, desk.clerk)["createPresentationRequest"]
    assert theirs["id"] != first["id"]
    assert stored(desk)["credentials_presentation_request"] == before["credentials_presentation_request"] + 1


@pytest.mark.parametrize("field", ["createCredentialOffer", "createPresentationRequest"])
@pytest.mark.parametrize("key", ["", "two words", "x" * 129, "naïve"])
def test_a_malformed_key_is_bad_user_input_and_creates_nothing(desk, field: str, key: str) -> None:
    query, variables = {
        "createCredentialOffer": (OFFER, {"citizen": "cit_5b0e2f7c1a9d4e83", "schema": CITIZEN}),
        "createPresentationRequest": (ASK, {"dcql": adult_and_residence(desk.today), "purpose": "x"}),
    }[field]
    before = stored(desk)
    body = desk.service.graphql(query, {**variables, "key": key}, desk.clerk)
    assert only_error(body) == ("BAD_USER_INPUT", BAD_KEY, [field])
    assert stored(desk) == before
