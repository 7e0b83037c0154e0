"""A claim in one request: `submitClaim(invitation, presentation, exclusionPresentation)` verifies the
wallet's vp_token(s) itself and records the answer with the claim in one transaction, over real HTTP through
the gateway. One claim per pseudonym under 50 concurrent one-request claims; a bad, foreign or replayed
presentation is refused with a typed code and appends nothing; the direct_post path still works beside it."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.wallet.transport import Http
from tests.support.mutations import ledger_sizes
from tests.support.welfare_flows import (
    SUBMIT,
    answer_in_process,
    create,
    open_claim,
    submit,
    vp_tokens,
)

pytestmark = pytest.mark.e2e
RACERS = 50


@pytest.fixture(scope="module", autouse=True)
def fuzzed_programme(office) -> None:
    create(office.service, office.official, "one-shot-fuzz", office.today)


def request_rows(office, invitation_id: str) -> list[tuple]:
    """(status, failure, pseudonym is set) of the invitation's presentation requests, programme's first."""
    with sqlite3.connect(office.database) as db:
        ids = db.execute(
            "SELECT request_id, exclusion_request_id FROM welfare_invitation WHERE id = ?", (invitation_id,)
        ).fetchone()
        return [
            db.execute(
                "SELECT status, failure, pseudonym IS NOT NULL FROM credentials_presentation_request "
                "WHERE id = ?",
                (request_id,),
            ).fetchone()
            for request_id in ids
            if request_id is not None
        ]


def errors_of(body: dict) -> list[tuple]:
    return [(e["extensions"]["code"], e["message"], e["extensions"].get("cause")) for e in body["errors"]]


def test_a_claim_with_its_presentation_is_verified_and_recorded_in_one_request(office) -> None:
    service = office.service
    create(service, office.official, "one-shot", office.today)
    invitation = open_claim(service, "one-shot")
    with Http() as http:
        tokens = vp_tokens(office.citizen("one-shot"), invitation, http)
    assert tokens[1] is None
    before = ledger_sizes(office.database)["welfare"]

    body = submit(service, invitation["id"], key="one-shot-1", presentations=tokens)

    assert "errors" not in body, body
    claim = body["data"]["submitClaim"]
    assert claim["programme"] == {"id": "one-shot"} and claim["ledgerEntry"]["index"] == str(before)
    assert ledger_sizes(office.database)["welfare"] == before + 1
    entry = json.loads(service.ledger_entries("welfare")[before])
    assert (entry["type"], entry["claim"], entry["pseudonym"]) == (
        "govgraph.welfare.ClaimAccepted/v1",
        claim["id"],
        claim["pseudonym"],
    )
    # the answer is recorded with the claim, as direct_post records it
    assert request_rows(office, invitation["id"]) == [("VERIFIED", None, 1)]
    # a retry with the key (the answer lost on the way back) returns the same claim
    retried = submit(service, invitation["id"], key="one-shot-1", presentations=tokens)
    assert retried == body
    # the same presentation again without it: the request has answered, the invitation is claimed
    again = submit(service, invitation["id"], presentations=tokens)
    assert errors_of(again) == [("CONFLICT", "This invitation has been claimed already.", None)]
    assert ledger_sizes(office.database)["welfare"] == before + 1


def test_bad_and_foreign_presentations_are_invalid_proof_and_append_nothing(office) -> None:
    service = office.service
    create(service, office.official, "one-shot-bad", office.today)
    first, second, third = (open_claim(service, "one-shot-bad") for _ in range(3))
    with Http() as http:
        foreign, _ = vp_tokens(office.citizen("one-shot-bad"), first, http)
    before = ledger_sizes(office.database)

    # an answer to another invitation's request: its nonce is not this request's
    body = submit(service, second["id"], presentations=(foreign, None))
    assert errors_of(body) == [
        ("INVALID_PROOF", "The presentation was rejected: wrong_nonce.", "wrong_nonce")
    ]
    assert request_rows(office, second["id"]) == [("REJECTED", "wrong_nonce", 0)]
    # not JSON at all
    body = submit(service, third["id"], presentations=("{not json", None))
    assert errors_of(body) == [("INVALID_PROOF", "The presentation was rejected: malformed.", "malformed")]
    # the request is spent: a good answer afterwards is refused with the recorded cause
    assert errors_of(submit(service, third["id"], presentations=(foreign, None))) == [
        ("INVALID_PROOF", "The presentation was rejected: malformed.", "malformed")
    ]
    # a second presentation for a programme without an exclusion group
    body = submit(service, first["id"], presentations=(foreign, foreign))
    assert errors_of(body) == [
        ("BAD_USER_INPUT", "Programme one-shot-bad has no exclusion group: give one presentation.", None)
    ]
    assert ledger_sizes(office.database) == before
    assert request_rows(office, first["id"]) == [("PENDING", None, 0)]
    # the untouched invitation still claims with its own answer
    assert "errors" not in submit(service, first["id"], presentations=(foreign, None))


def test_an_exclusion_group_claim_carries_both_presentations_in_one_request(office) -> None:
    service = office.service
    for name in ("one-shot-x", "one-shot-y"):
        create(service, office.official, name, office.today, exclusionGroup="one-shot-group")
    citizen = office.citizen("one-shot-grouped")
    with Http() as http:
        x = open_claim(service, "one-shot-x")
        accepted = submit(service, x["id"], presentations=vp_tokens(citizen, x, http))
        y = open_claim(service, "one-shot-y")
        refused = submit(service, y["id"], presentations=vp_tokens(citizen, y, http))
    assert "errors" not in accepted, accepted
    assert request_rows(office, x["id"]) == [("VERIFIED", None, 1), ("VERIFIED", None, 1)]
    assert errors_of(refused) == [
        (
            "CONFLICT",
            "This person is enrolled in programme one-shot-x of exclusion group one-shot-group for 2026-W.",
            None,
        )
    ]
    # refused whole: neither answer of the second claim is recorded
    assert request_rows(office, y["id"]) == [("PENDING", None, 0), ("PENDING", None, 0)]


def test_a_presentation_given_after_direct_post_uses_the_recorded_answer(office) -> None:
    service = office.service
    create(service, office.official, "one-shot-posted", office.today)
    citizen = office.citizen("one-shot-posted")
    invitation = open_claim(service, "one-shot-posted")
    with Http() as http:
        answer_in_process(citizen, invitation, http)  # the OpenID4VP path: direct_post first
        stale = vp_tokens(citizen, open_claim(service, "one-shot-posted"), http)
    body = submit(service, invitation["id"], presentations=stale)
    assert "errors" not in body, body
    assert request_rows(office, invitation["id"]) == [("VERIFIED", None, 1)]


async def race(url: str, bodies: list[dict]) -> list[dict]:
    async with httpx.AsyncClient(timeout=120) as client:

        async def one(body: dict) -> dict:
            response = await client.post(url, json=body)
            assert response.status_code == 200, response.text
            return response.json()

        return await asyncio.gather(*(one(body) for body in bodies))


def test_fifty_concurrent_one_request_claims_of_one_pseudonym_accept_exactly_one(office) -> None:
    service = office.service
    create(service, office.official, "one-shot-race", office.today)
    citizen = office.citizen("one-shot-racer")
    invitations = [open_claim(service, "one-shot-race") for _ in range(RACERS)]
    with Http() as http:
        bodies = [
            {
                "query": SUBMIT,
                "variables": {"invitation": item["id"], "presentation": vp_tokens(citizen, item, http)[0]},
            }
            for item in invitations
        ]
    before = ledger_sizes(office.database)["welfare"]

    answers = asyncio.run(race(service.url + "/graphql", bodies))

    accepted = [body["data"]["submitClaim"] for body in answers if "errors" not in body]
    refused = [body["errors"] for body in answers if "errors" in body]
    assert len(accepted) == 1 and len(refused) == RACERS - 1
    assert {(errors[0]["extensions"]["code"], len(errors)) for errors in refused} == {("CONFLICT", 1)}
    assert {errors[0]["message"] for errors in refused} <= {
        "This person has claimed programme one-shot-race for 2026-W already.",
        "This claim was made already (by a concurrent request).",
    }
    assert ledger_sizes(office.database)["welfare"] == before + 1
    # only the accepted claim's answer is recorded; the refused ones rolled back with their claims
    statuses = [request_rows(office, item["id"])[0][0] for item in invitations]
    assert sorted(statuses) == ["PENDING"] * (RACERS - 1) + ["VERIFIED"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
            ),
            max_leaves=8,
        ).map(json.dumps),
        st.just('{"citizen": [{}]}'),
    )
)
def test_any_text_as_the_presentation_is_a_typed_refusal(office, text: str) -> None:
    service = office.service
    invitation = open_claim(service, "one-shot-fuzz")
    before = ledger_sizes(office.database)["welfare"]
    body = submit(service, invitation["id"], presentations=(text, None))
    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["cause"]) == ("INVALID_PROOF", "malformed"), body
    assert ledger_sizes(office.database)["welfare"] == before
    assert request_rows(office, invitation["id"]) == [("REJECTED", "malformed", 0)]
