"""Every welfare mutation refuses bad input with a typed error (its `extensions.code` and message) and appends
nothing to any ledger, over real HTTP: programmes with bad ids, amounts, currencies, periods, dates or
eligibility rules; claims on unknown or closed programmes, unanswered, rejected or expired presentations;
payment runs that are empty, repeat a claim, overpay, predate the claim or pay a claim twice (all or none);
and callers without the role; and Hypothesis over the ids the public mutations take."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.wallet.presentation import fetch, post
from govgraph.wallet.store import present
from govgraph.wallet.transport import Http
from tests.support.mutations import ledger_sizes
from tests.support.welfare_flows import (
    CREATE,
    ENROLMENTS,
    OPEN,
    PAY,
    answer_in_process,
    claim,
    create,
    eligibility,
    open_claim,
    programme_input,
)

pytestmark = pytest.mark.e2e
OPEN_ANY = "mutation ($id: ID!) { openClaim(programme: $id) { id } }"
SUBMIT_ANY = "mutation ($id: ID!) { submitClaim(invitation: $id) { id } }"
TODAY = dt.datetime.now(dt.UTC).date()


def refused(office, query: str, variables: dict, token: str | None) -> tuple[str, str]:
    """The single error of a refused mutation, after checking that no ledger grew."""
    before = ledger_sizes(office.database)
    body = office.service.graphql(query, variables, token)
    assert body.get("data") is None and len(body["errors"]) == 1, body
    assert ledger_sizes(office.database) == before
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


def with_pseudonym() -> dict:
    rule = eligibility(TODAY)
    rule["credentials"][0]["pseudonym"] = {"context": "welfare/mine/1"}
    return rule


def unknown_attribute() -> dict:
    rule = eligibility(TODAY)
    rule["credentials"][0]["claims"][0]["path"] = ["shoe_size"]
    return rule


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"id": "Bad_Id"},
            "A programme id is 1-48 lower-case letters, digits and inner hyphens (not 'exclusion').",
        ),
        (
            {"id": "exclusion"},
            "A programme id is 1-48 lower-case letters, digits and inner hyphens (not 'exclusion').",
        ),
        ({"title": "  "}, "The title is 1..200 printable characters, got '  '."),
        ({"description": "a\nb"}, "The description is 1..2000 printable characters, got 'a\\nb'."),
        ({"amount": 0}, "The amount is 1..2147483647 minor units of the currency."),
        ({"amount": -5}, "The amount is 1..2147483647 minor units of the currency."),
        ({"currency": "eur"}, "The currency is an ISO 4217 code of three capital letters, e.g. EUR."),
        ({"period": "2026/12"}, "A period is 1-32 letters, digits, dots and inner hyphens, e.g. 2026-12."),
        ({"startsOn": "2026-12-31", "endsOn": "2026-12-01"}, "The programme ends before it starts."),
        (
            {"exclusionGroup": "A B"},
            "An exclusion group is 1-48 lower-case letters, digits and inner hyphens.",
        ),
        (
            {"eligibility": {"credentials": []}},
            "eligibility: dcql.credentials must list exactly one credential query",
        ),
        ({"eligibility": "income < 10"}, "eligibility: dcql must be a JSON object"),
        (
            {"eligibility": unknown_attribute()},
            "eligibility: claims[0].path: the schema has no attribute 'shoe_size'",
        ),
        (
            {"eligibility": with_pseudonym()},
            "eligibility: leave out the pseudonym: the office asks for welfare/<programme>/<period>",
        ),
    ],
)
def test_create_programme_refuses_bad_input(office, changes: dict, message: str) -> None:
    variables = {"input": programme_input("refused", office.today, **changes)}
    assert refused(office, CREATE, variables, office.official) == ("BAD_USER_INPUT", message)


def test_create_programme_refuses_a_taken_id_and_callers_without_the_role(office) -> None:
    create(office.service, office.official, "taken", office.today)
    variables = {"input": programme_input("taken", office.today)}
    assert refused(office, CREATE, variables, office.official) == (
        "CONFLICT",
        "Programme taken exists already.",
    )
    variables = {"input": programme_input("other", office.today)}
    assert refused(office, CREATE, variables, office.payer) == (
        "FORBIDDEN",
        "this operation requires the role official:welfare",
    )
    assert refused(office, CREATE, variables, None) == (
        "UNAUTHENTICATED",
        "authentication required: send a bearer token or an API key",
    )


def test_open_claim_refuses_unknown_and_closed_programmes(office) -> None:
    assert refused(office, OPEN, {"programme": "nowhere"}, None) == ("NOT_FOUND", "No programme nowhere.")
    assert refused(office, OPEN, {"programme": "x" * 65}, None) == (
        "BAD_USER_INPUT",
        "An id must be 1..64 characters.",
    )
    later = office.today + dt.timedelta(days=10)
    create(
        office.service,
        office.official,
        "later",
        office.today,
        startsOn=later.isoformat(),
        endsOn=later.isoformat(),
    )
    assert refused(office, OPEN, {"programme": "later"}, None) == (
        "BAD_USER_INPUT",
        f"Programme later takes claims from {later} to {later}.",
    )


def request_id(uri: str) -> str:
    return httpx.URL(httpx.URL(uri).params["request_uri"]).path.rsplit("/", 1)[1]


def test_submit_claim_refuses_unknown_rejected_and_expired_presentations(office) -> None:
    service = office.service
    create(service, office.official, "strict", office.today)
    submit_query = "mutation ($id: ID!) { submitClaim(invitation: $id) { id } }"
    assert refused(office, submit_query, {"id": "inv_nope"}, None) == (
        "NOT_FOUND",
        "No claim invitation inv_nope.",
    )

    # A presentation made for one invitation's request, posted as the answer to another's: wrong_nonce.
    mine, other = open_claim(service, "strict"), open_claim(service, "strict")
    adult = office.citizen("adult")
    with Http() as http:
        ask = fetch(adult, mine["requestUri"], http)
        _, presentation = present(adult, ask.request_json)
        swapped = dataclasses.replace(ask, state=request_id(other["requestUri"]))
        assert post(swapped, json.loads(presentation), http).failure == "wrong_nonce"
    assert refused(office, submit_query, {"id": other["id"]}, None) == (
        "INVALID_PROOF",
        "The presentation was rejected: wrong_nonce.",
    )

    late = open_claim(service, "strict")
    service.expire_request(request_id(late["requestUri"]))
    assert refused(office, submit_query, {"id": late["id"]}, None) == (
        "BAD_USER_INPUT",
        "The claim's presentation request expired: open a new claim.",
    )


@pytest.fixture(scope="module")
def claims(office) -> list[str]:
    """Two accepted claims on programme `payable` (benefit 12550), unpaid."""
    create(office.service, office.official, "payable", office.today)
    made = []
    with Http() as http:
        for name in ("payee-1", "payee-2"):
            body = claim(office.service, office.citizen(name), "payable", http)
            made.append(body["data"]["submitClaim"]["id"])
    return made


def test_record_payments_refuses_bad_runs_and_pays_nothing(office, claims: list[str]) -> None:
    first, second = claims
    today = office.today.isoformat()
    cases = [
        ([], ("BAD_USER_INPUT", "Record 1..256 payments at a time, not 0.")),
        (
            [{"claim": first, "paidOn": today}, {"claim": first, "paidOn": today}],
            ("BAD_USER_INPUT", "The same claim appears twice in the run."),
        ),
        ([{"claim": "clm_nope", "paidOn": today}], ("NOT_FOUND", "No claim clm_nope.")),
        (
            [{"claim": first, "paidOn": today, "amount": 12_551}],
            ("BAD_USER_INPUT", f"A payment of claim {first} is 1..12550 minor units of EUR."),
        ),
        (
            [{"claim": first, "paidOn": today, "amount": 0}],
            ("BAD_USER_INPUT", f"A payment of claim {first} is 1..12550 minor units of EUR."),
        ),
        (
            [{"claim": first, "paidOn": "2000-01-01"}],
            ("BAD_USER_INPUT", f"Claim {first} was made on {today}: it cannot be paid before."),
        ),
    ]
    for run, expected in cases:
        assert refused(office, PAY, {"input": run}, office.official) == expected, run
    assert refused(office, PAY, {"input": [{"claim": first, "paidOn": today}]}, office.clerk) == (
        "FORBIDDEN",
        "this operation requires the role official:welfare or service:*",
    )
    # One claim paid; a run of the other claim and the paid one is refused whole.
    office.service.data(PAY, {"input": [{"claim": first, "paidOn": today}]}, office.official)
    run = [{"claim": second, "paidOn": today}, {"claim": first, "paidOn": today}]
    assert refused(office, PAY, {"input": run}, office.payer) == (
        "CONFLICT",
        f"Claim {first} is paid already.",
    )
    held = office.service.graphql(
        "query ($id: ID!) { claim(id: $id) { payments { reference } } }", {"id": second}, None
    )
    assert held["data"]["claim"]["payments"] == []


def test_enrolments_refuse_a_bad_group(office) -> None:
    variables = {"group": "Not A Group", "period": "2026-W", "pseudonym": "abc"}
    body = office.service.graphql(ENROLMENTS, variables, office.official)
    assert [(e["extensions"]["code"], e["message"]) for e in body["errors"]] == [
        ("BAD_USER_INPUT", "Give an exclusion group, a period and a pseudonym (base64url).")
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80), st.sampled_from([OPEN_ANY, SUBMIT_ANY]))
def test_any_id_given_to_the_public_mutations_is_refused_with_a_typed_error(
    office, identifier, query
) -> None:
    code, _ = refused(office, query, {"id": identifier}, None)
    assert code in {"NOT_FOUND", "BAD_USER_INPUT"}


def test_the_public_mutations_refuse_a_bad_idempotency_key(office) -> None:
    create(office.service, office.official, "keyed", office.today)
    message = "An idempotency key is 1..128 printable ASCII characters without spaces."
    assert refused(office, OPEN, {"programme": "keyed", "key": "has space"}, None) == (
        "BAD_USER_INPUT",
        message,
    )
    invitation = open_claim(office.service, "keyed")
    submit_keyed = (
        "mutation ($id: ID!, $key: String) { submitClaim(invitation: $id, idempotencyKey: $key) { id } }"
    )
    with Http() as http:
        answer_in_process(office.citizen("adult"), invitation, http)
    variables = {"id": invitation["id"], "key": "k" * 129}
    assert refused(office, submit_keyed, variables, None) == ("BAD_USER_INPUT", message)
