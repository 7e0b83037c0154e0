"""Revocation at claim time, end to end over real HTTP: a programme whose rule asks for the revocable citizen
credential accepts a holder's claim; once the identity clerk revokes the credential (revokeCredentials
through the gateway) and the wallet has refreshed, the holder's next claim is INVALID_PROOF with
`extensions.cause` "revoked", whether the presentation comes inside submitClaim or by direct_post first,
and nothing is appended to the welfare ledger."""

from __future__ import annotations

from govgraph.credentials.configurations import REVOCABLE_CITIZEN_V1
from govgraph.wallet.issuance import receive
from govgraph.wallet.presentation import answer, fetch
from govgraph.wallet.revocation import refresh
from govgraph.wallet.transport import Http
from tests.support.credential_flows import OFFER, years_ago
from tests.support.mutations import ledger_sizes
from tests.support.welfare_flows import create, eligibility, open_claim, submit, vp_tokens

REVOKE = """mutation Revoke($citizen: ID!, $schema: String!, $reason: String!) {
  revokeCredentials(citizenId: $citizen, schema: $schema, reason: $reason) { epoch revoked } }"""
REVOKED = ("INVALID_PROOF", "The presentation was rejected: revoked.", "revoked")


def errors_of(body: dict) -> list[tuple]:
    return [(e["extensions"]["code"], e["message"], e["extensions"].get("cause")) for e in body["errors"]]


def test_a_revoked_credential_cannot_claim(office) -> None:
    service, today = office.service, office.today
    rule = eligibility(today)
    rule["credentials"][0]["meta"]["schema"] = REVOCABLE_CITIZEN_V1
    for name in ("revocable-before", "revocable-after"):
        assert create(service, office.official, name, today, eligibility=rule)["id"] == name
    citizen = service.enrol(office.clerk, years_ago(today, 30), "Riverside", 21_000)
    offer = service.data(OFFER, {"citizen": citizen, "schema": REVOCABLE_CITIZEN_V1}, office.clerk)
    holder = office.tmp / "revocable.wallet.json"
    receive(holder, offer["createCredentialOffer"]["offerUri"], offer["createCredentialOffer"]["txCode"])

    with Http() as http:
        before = open_claim(service, "revocable-before")
        accepted = submit(service, before["id"], presentations=vp_tokens(holder, before, http))
        assert "errors" not in accepted, accepted

        revoked = service.graphql(
            REVOKE, {"citizen": citizen, "schema": REVOCABLE_CITIZEN_V1, "reason": "fraud"}, office.clerk
        )
        assert revoked["data"]["revokeCredentials"]["revoked"] == 1, revoked
        refreshed = refresh(holder, service.url, http)
        assert [item.revoked_in is not None for item in refreshed] == [True]
        size = ledger_sizes(office.database)["welfare"]

        # the presentation inside submitClaim
        inside = open_claim(service, "revocable-after")
        assert errors_of(submit(service, inside["id"], presentations=vp_tokens(holder, inside, http))) == [
            REVOKED
        ]
        # the OpenID4VP path: the verifier rejects the direct_post, submitClaim says why
        posted = open_claim(service, "revocable-after")
        _, reply = answer(holder, fetch(holder, posted["requestUri"], http), http)
        assert (reply.accepted, reply.failure) == (False, "revoked")
        assert errors_of(submit(service, posted["id"])) == [REVOKED]

    assert ledger_sizes(office.database)["welfare"] == size
