"""Disbursement transparency: each programme's claims and payments served as a 360Giving package that the
360Giving 1.4 package schema accepts (pseudonymous recipientIndividual, one id per beneficiary per programme)
and as IATI 2.03 activity XML that the IATI XSD accepts, over real HTTP; and, for any programme, claims and
payments Hypothesis draws, both exports valid."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from govgraph.agencies.welfare.exports import (
    INDIVIDUAL,
    giving_package,
    iati_activity,
    major_units,
    recipient_id,
)
from govgraph.agencies.welfare.models import ClaimRow, PaymentRow, ProgrammeRow
from govgraph.wallet.transport import Http
from tests.govgraph.agencies.welfare.standards import giving_errors, iati_errors, iati_should_fail
from tests.support.welfare_flows import PAY, claim, create

E2E = pytest.mark.e2e


@pytest.fixture(scope="module")
def published(office) -> dict:
    """A programme with two claims, one of them paid, and an empty one."""
    service = office.service
    create(service, office.official, "energy-support", office.today, currency="GBP", amount=30_000)
    create(service, office.official, "unclaimed", office.today)
    claims = []
    with Http() as http:
        for name in ("first", "second"):
            body = claim(service, office.citizen(name), "energy-support", http)
            assert "errors" not in body, body
            claims.append(body["data"]["submitClaim"])
    paid = service.data(
        PAY,
        {"input": [{"claim": claims[0]["id"], "paidOn": office.today.isoformat(), "amount": 29_999}]},
        office.payer,
    )["recordPayments"][0]
    return {"claims": claims, "payment": paid}


@E2E
def test_a_programme_is_published_as_a_valid_360giving_package(office, published) -> None:
    response = httpx.get(office.service.url + "/welfare/programmes/energy-support/360giving.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    package = response.json()
    assert giving_errors(package) == []
    first, second = published["claims"]
    grants = {grant["id"]: grant for grant in package["grants"]}
    assert set(grants) == {
        f"360G-XI-GOVGRAPH-WELFARE-{first['id']}",
        f"360G-XI-GOVGRAPH-WELFARE-{second['id']}",
    }
    paid = grants[f"360G-XI-GOVGRAPH-WELFARE-{first['id']}"]
    assert (paid["currency"], paid["amountAwarded"], paid["amountDisbursed"]) == ("GBP", 300, 299.99)
    assert paid["disbursementTransaction"] == [
        {
            "id": published["payment"]["reference"],
            "amount": 299.99,
            "transactionDate": office.today.isoformat(),
        }
    ]
    assert "amountDisbursed" not in grants[f"360G-XI-GOVGRAPH-WELFARE-{second['id']}"]
    recipients = [grant["recipientIndividual"] for grant in package["grants"]]
    assert [r["name"] for r in recipients] == [INDIVIDUAL, INDIVIDUAL]
    assert len({r["id"] for r in recipients}) == 2  # one id per beneficiary
    text = response.text
    for identity in ("Riverside", "Citizen", "cit_", first["pseudonym"]):
        assert identity not in text


@E2E
def test_a_programme_is_published_as_valid_iati_activity_xml(office, published) -> None:
    response = httpx.get(office.service.url + "/welfare/programmes/energy-support/iati.xml")
    assert response.status_code == 200 and response.headers["content-type"] == "application/xml"
    assert iati_errors(response.content) == []
    activity = etree.fromstring(response.content).find("iati-activity")
    assert activity.get("default-currency") == "GBP"
    assert activity.findtext("iati-identifier") == "XI-GOVGRAPH-WELFARE-energy-support-2026-W"
    [transaction] = activity.findall("transaction")
    assert transaction.get("ref") == published["payment"]["reference"]
    assert transaction.find("transaction-type").get("code") == "3"
    assert transaction.findtext("value") == "299.99"
    empty = httpx.get(office.service.url + "/welfare/programmes/unclaimed/iati.xml")
    assert empty.status_code == 200 and iati_errors(empty.content) == []
    assert etree.fromstring(empty.content).find("iati-activity").findall("transaction") == []


@E2E
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/welfare/programmes/nope/360giving.json", "no such programme"),
        ("/welfare/programmes/nope/iati.xml", "no such programme"),
        ("/welfare/programmes/" + "x" * 65 + "/iati.xml", "no such programme"),
        (
            "/welfare/programmes/unclaimed/360giving.json",
            "the programme has no accepted claims yet: a 360Giving package needs a grant",
        ),
    ],
)
def test_unknown_or_empty_programmes_are_not_found(office, published, path: str, message: str) -> None:
    response = httpx.get(office.service.url + path)
    assert (response.status_code, response.json()) == (404, {"error": "not_found", "message": message})


def test_the_validators_refuse_what_the_standards_refuse() -> None:
    assert giving_errors({"grants": [{"id": "x", "recipientIndividual": {"id": "p"}}]}) != []
    assert giving_errors({"grants": [], "version": "1.4"}) != []
    assert iati_errors(iati_should_fail("01-empty-activity.xml").read_bytes()) != []


SLUGS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=40)
DAYS = st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))


@st.composite
def programmes(draw) -> tuple[ProgrammeRow, list[ClaimRow], list[PaymentRow]]:
    starts = draw(DAYS)
    currency = draw(st.sampled_from(["EUR", "GBP", "JPY", "KWD", "CLF", "USD"]))
    amount = draw(st.integers(1, 2**31 - 1))
    programme = ProgrammeRow(
        id=draw(SLUGS),
        title=draw(TEXT),
        description=draw(TEXT),
        eligibility="{}",
        amount=amount,
        currency=currency,
        period=draw(st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True)),
        starts_on=starts,
        ends_on=starts + dt.timedelta(days=draw(st.integers(0, 400))),
        created_on=starts,
    )
    pseudonyms = draw(st.lists(st.binary(min_size=1, max_size=48), min_size=1, max_size=6, unique=True))
    claims = [
        ClaimRow(
            id=f"clm_{i}",
            programme_id=programme.id,
            invitation_id=f"inv_{i}",
            pseudonym=pseudonym.hex(),
            claimed_on=draw(DAYS),
        )
        for i, pseudonym in enumerate(pseudonyms)
    ]
    payments = [
        PaymentRow(
            reference=f"pay_{i}",
            claim_id=row.id,
            programme_id=programme.id,
            amount=draw(st.integers(1, amount)),
            currency=currency,
            paid_on=draw(DAYS),
        )
        for i, row in enumerate(claims)
        if draw(st.booleans())
    ]
    return programme, claims, payments


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    programmes(), st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 1, 1), timezones=st.just(dt.UTC))
)
def test_any_programme_exports_valid_documents(drawn, generated: dt.datetime) -> None:
    programme, claims, payments = drawn
    package = json.loads(json.dumps(giving_package(programme, claims, payments, generated.date())))
    assert giving_errors(package) == []
    ids = [grant["recipientIndividual"]["id"] for grant in package["grants"]]
    assert ids == [recipient_id(programme, row.pseudonym) for row in claims] and len(set(ids)) == len(ids)
    document = iati_activity(programme, payments, generated)
    assert iati_errors(document) == []
    values = [element.text for element in etree.fromstring(document).iter("value")]
    assert values == [str(major_units(p.amount, p.currency)) for p in payments]


def test_a_programme_without_claims_has_no_package() -> None:
    programme = ProgrammeRow(
        id="p", title="t", description="d", eligibility="{}", amount=1, currency="EUR", period="1",
        starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 2, 1), created_on=dt.date(2026, 1, 1),
    )  # fmt: skip
    with pytest.raises(ValueError, match="programme p has no accepted claims to publish"):
        giving_package(programme, [], [], dt.date(2026, 1, 2))
