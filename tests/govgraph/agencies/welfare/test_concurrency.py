"""One claim per person per programme and period, under concurrency: one citizen answers 50 invitations of
one programme (50 verified presentations of the same pseudonym), then 50 submitClaim requests race over real
HTTP; exactly one is accepted, the other 49 are CONFLICT, and the welfare ledger grows by one entry. And
idempotency keys: a retried submitClaim or openClaim returns the first answer and appends nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from govgraph.wallet.transport import Http
from tests.support.mutations import ledger_sizes
from tests.support.welfare_flows import OPEN, SUBMIT, answer_in_process, claim, create, open_claim, submit

pytestmark = pytest.mark.e2e
RACERS = 50


async def race(url: str, invitations: list[str]) -> list[dict]:
    async with httpx.AsyncClient(timeout=120) as client:

        async def one(invitation: str) -> dict:
            response = await client.post(url, json={"query": SUBMIT, "variables": {"invitation": invitation}})
            assert response.status_code == 200, response.text
            return response.json()

        return await asyncio.gather(*(one(invitation) for invitation in invitations))


def test_fifty_concurrent_claims_of_one_pseudonym_accept_exactly_one(office) -> None:
    service = office.service
    adult = office.citizen("racer")
    create(service, office.official, "race", office.today)
    invitations = [open_claim(service, "race") for _ in range(RACERS)]
    with Http() as http:
        for invitation in invitations:
            answer_in_process(adult, invitation, http)
    before = ledger_sizes(office.database)["welfare"]

    bodies = asyncio.run(race(service.url + "/graphql", [invitation["id"] for invitation in invitations]))

    accepted = [body["data"]["submitClaim"] for body in bodies if "errors" not in body]
    refused = [body["errors"] for body in bodies if "errors" in body]
    assert len(accepted) == 1 and len(refused) == RACERS - 1
    assert {(errors[0]["extensions"]["code"], len(errors)) for errors in refused} == {("CONFLICT", 1)}
    assert {errors[0]["message"] for errors in refused} <= {
        "This person has claimed programme race for 2026-W already.",
        "This claim was made already (by a concurrent request).",
    }
    assert ledger_sizes(office.database)["welfare"] == before + 1
    assert accepted[0]["ledgerEntry"]["index"] == str(before)


def test_a_retried_submit_claim_returns_the_first_claim_and_appends_nothing(office) -> None:
    service = office.service
    create(service, office.official, "retry", office.today)
    invitation = open_claim(service, "retry")
    with Http() as http:
        answer_in_process(office.citizen("retrier"), invitation, http)
    first = submit(service, invitation["id"], key="claim-retry-1")["data"]["submitClaim"]
    size = ledger_sizes(office.database)["welfare"]
    again = submit(service, invitation["id"], key="claim-retry-1")["data"]["submitClaim"]
    assert again == first
    assert ledger_sizes(office.database)["welfare"] == size
    # Without the key, the invitation has answered already.
    body = submit(service, invitation["id"])
    assert [(e["extensions"]["code"], e["message"]) for e in body["errors"]] == [
        ("CONFLICT", "This invitation has been claimed already.")
    ]


def test_a_retried_open_claim_returns_the_same_invitation(office) -> None:
    service = office.service
    create(service, office.official, "reopen", office.today)
    variables = {"programme": "reopen", "key": "open-9f1c2a"}
    first = service.graphql(OPEN, variables, None)["data"]["openClaim"]
    assert service.graphql(OPEN, variables, None)["data"]["openClaim"] == first
    other = service.graphql(OPEN, {"programme": "retry", "key": "open-9f1c2a"}, None)
    assert [(e["extensions"]["code"], e["message"]) for e in other["errors"]] == [
        ("CONFLICT", "This idempotency key was used for another operation or other input.")
    ]
    assert "errors" not in claim(service, office.citizen("retrier"), "reopen")
