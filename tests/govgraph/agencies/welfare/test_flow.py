"""The welfare office end to end over real HTTP (/graphql of a real `govgraph serve`): an official creates
a programme whose rule is on the ledger; a citizen enrolled by the identity bureau receives a credential and
claims with `govgraph wallet present`, without an account; a payment run pays the claim; the claimant finds
the payment by its reference; a second claim, a claim by an ineligible citizen, and a claim in another
programme of the same exclusion group are refused; the ledger holds pseudonyms and references,
never an identity."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.govgraph.agencies.welfare.standards import giving_errors, iati_errors
from tests.support.credential_flows import wallet
from tests.support.mutations import ledger_sizes
from tests.support.welfare_flows import (
    CLAIM,
    ENROLMENTS,
    PAY,
    PAYMENT,
    answer_with_cli,
    claim,
    create,
    eligibility,
    open_claim,
    submit,
)

pytestmark = pytest.mark.e2e


def error_of(body: dict) -> tuple[str, str]:
    assert body.get("data") is None and len(body["errors"]) == 1, body
    return body["errors"][0]["extensions"]["code"], body["errors"][0]["message"]


def test_a_citizen_claims_without_an_account_and_is_paid(office) -> None:
    service, today = office.service, office.today
    adult = office.citizen("cli-claimant", cli=True)  # `govgraph wallet receive`: the credential over OID4VCI
    programme = create(service, office.official, "winter-heating", today)
    assert programme["eligibility"] == eligibility(today)
    assert (programme["claimContext"], programme["exclusionContext"]) == (
        f"welfare/winter-heating/{programme['period']}",
        None,
    )
    assert programme["claimCount"] == 0 and programme["ledgerEntry"]["ledger"] == "welfare"
    before = ledger_sizes(office.database)["welfare"]

    invitation = open_claim(service, "winter-heating")
    assert invitation["exclusionRequestUri"] is None
    assert ledger_sizes(office.database)["welfare"] == before  # opening a claim appends nothing
    pending = submit(service, invitation["id"])
    assert error_of(pending) == (
        "BAD_USER_INPUT",
        "Answer the claim's presentation request with your wallet first.",
    )
    answer_with_cli(adult, invitation)
    body = submit(service, invitation["id"])
    assert "errors" not in body, body
    made = body["data"]["submitClaim"]
    assert made["programme"] == {"id": "winter-heating"} and made["payments"] == []
    assert made["claimedOn"] == today.isoformat()
    assert made["ledgerEntry"] == {"ledger": "welfare", "index": str(before)}

    paid_on = today.isoformat()
    payments = service.data(PAY, {"input": [{"claim": made["id"], "paidOn": paid_on}]}, office.payer)
    [payment] = payments["recordPayments"]
    assert (payment["amount"], payment["currency"], payment["paidOn"]) == (12_550, "EUR", paid_on)
    assert payment["reference"].startswith("pay_") and payment["claim"] == {"id": made["id"]}
    assert payment["ledgerEntry"] == {"ledger": "welfare", "index": str(before + 1)}

    # The claimant shows the reference (no token needed) and finds the claim with its payment.
    shown = service.graphql(PAYMENT, {"reference": payment["reference"]}, None)["data"]["payment"]
    assert shown["claim"] == {"id": made["id"], "programme": {"id": "winter-heating"}}
    held = service.graphql(CLAIM, {"id": made["id"]}, None)["data"]["claim"]
    assert held["programme"] == {"id": "winter-heating", "claimCount": 1}
    assert held["payments"] == [
        {"reference": payment["reference"], "amount": 12_550, "currency": "EUR", "paidOn": paid_on}
    ]

    entries = [json.loads(entry) for entry in service.ledger_entries("welfare")]
    created, accepted, recorded = (
        entries[int(programme["ledgerEntry"]["index"])],
        entries[before],
        entries[before + 1],
    )
    assert created["type"] == "govgraph.welfare.ProgrammeCreated/v1"
    assert created["eligibility"] == eligibility(today) and created["amount"] == 12_550
    assert created["actor"]["role"] == "official:welfare"
    assert {k: v for k, v in accepted.items() if k not in ("actor", "time")} == {
        "type": "govgraph.welfare.ClaimAccepted/v1",
        "programme": "winter-heating",
        "period": programme["period"],
        "claim": made["id"],
        "pseudonym": made["pseudonym"],
    }
    assert accepted["actor"]["role"] == "claimant"
    assert {k: v for k, v in recorded.items() if k not in ("actor", "time")} == {
        "type": "govgraph.welfare.PaymentRecorded/v1",
        "programme": "winter-heating",
        "claim": made["id"],
        "payment": payment["reference"],
        "amount": 12_550,
        "currency": "EUR",
        "paidOn": paid_on,
    }
    assert recorded["actor"]["role"] == "service:payments"
    # No identity anywhere: the claim and payment hold not even the district the presentation disclosed,
    # and no entry holds the citizen's id, name or income.
    raw = service.ledger_entries("welfare")
    assert b"Riverside" not in raw[before] + raw[before + 1]
    for secret in (b"21000", b"Citizen", b"cit_"):
        assert secret not in b"".join(raw)

    # The programme's disbursements, published: the standards' validators accept both documents.
    package = httpx.get(service.url + "/welfare/programmes/winter-heating/360giving.json").json()
    assert giving_errors(package) == []
    [grant] = package["grants"]
    assert (grant["amountAwarded"], grant["amountDisbursed"], grant["currency"]) == (125.5, 125.5, "EUR")
    assert grant["disbursementTransaction"][0]["id"] == payment["reference"]
    assert grant["recipientIndividual"]["name"] == "Individual Recipient"
    activity = httpx.get(service.url + "/welfare/programmes/winter-heating/iati.xml")
    assert iati_errors(activity.content) == []
    assert payment["reference"].encode() in activity.content


def test_a_second_claim_of_the_same_person_is_refused(office) -> None:
    service = office.service
    adult = office.citizen("adult")
    create(service, office.official, "rent-relief", office.today)
    first = claim(service, adult, "rent-relief")
    assert "errors" not in first, first
    before = ledger_sizes(office.database)["welfare"]
    again = claim(service, adult, "rent-relief")
    assert error_of(again) == (
        "CONFLICT",
        "This person has claimed programme rent-relief for 2026-W already.",
    )
    assert ledger_sizes(office.database)["welfare"] == before


def test_an_ineligible_citizens_wallet_refuses_and_nothing_is_claimed(office) -> None:
    service = office.service
    wealthy = office.citizen("wealthy", income=90_000)
    create(service, office.official, "fuel-grant", office.today)
    invitation = open_claim(service, "fuel-grant")
    done = wallet(wealthy, "present", invitation["requestUri"], "--yes")
    assert done.returncode == 1
    assert "household_income" in done.stdout + done.stderr
    before = ledger_sizes(office.database)["welfare"]
    assert error_of(submit(service, invitation["id"]))[0] == "BAD_USER_INPUT"
    assert ledger_sizes(office.database)["welfare"] == before


def test_an_exclusion_group_pays_a_person_once_per_period(office) -> None:
    service, today = office.service, office.today
    adult = office.citizen("adult")
    for name in ("child-benefit-a", "child-benefit-b"):
        made = create(service, office.official, name, today, exclusionGroup="child-benefit")
        assert made["exclusionContext"] == "welfare/exclusion/child-benefit/2026-W"
    first = claim(service, adult, "child-benefit-a")
    assert "errors" not in first, first
    entry = json.loads(
        service.ledger_entries("welfare")[int(first["data"]["submitClaim"]["ledgerEntry"]["index"])]
    )
    group_pseudonym = entry["exclusion"]["pseudonym"]
    assert entry["exclusion"]["group"] == "child-benefit" and group_pseudonym != entry["pseudonym"]

    before = ledger_sizes(office.database)["welfare"]
    second = claim(service, adult, "child-benefit-b")
    assert error_of(second) == (
        "CONFLICT",
        "This person is enrolled in programme child-benefit-a of exclusion group child-benefit for 2026-W.",
    )
    assert ledger_sizes(office.database)["welfare"] == before

    # The Integrated Beneficiary Registry's question, by the group's pseudonym only.
    variables = {"group": "child-benefit", "period": "2026-W", "pseudonym": group_pseudonym}
    assert service.data(ENROLMENTS, variables, office.official)["enrolments"] == [{"id": "child-benefit-a"}]
    variables["pseudonym"] = entry["pseudonym"]  # the programme's pseudonym is not the group's
    assert service.data(ENROLMENTS, variables, office.payer)["enrolments"] == []
    refused = service.graphql(ENROLMENTS, variables, office.clerk)
    assert error_of(refused) == (
        "FORBIDDEN",
        "this operation requires the role official:welfare or service:*",
    )
