"""Enrolment in the base registry on a real SQLite file, without GraphQL: the record lands in the bureau's
private table, the ledger gets a keyed hash of the new citizen id and nothing else about them, bad input is
refused with the field's name, and a retry with the same idempotency key enrols nobody twice."""

from __future__ import annotations

import dataclasses
import datetime
import json

import pytest
from sqlalchemy import select

from govgraph.agencies.identity.models import CitizenRecordRow
from govgraph.agencies.identity.service import Enrolment, IdentityService
from govgraph.agencies.writes import Actor
from govgraph.federation.errors import BadUserInput, Conflict

CLERK = Actor("clerk:identity", "api_key:front-desk")
TODAY = datetime.date(2026, 1, 15)
DORA = Enrolment("Dora", "Marsh", datetime.date(2001, 8, 30), "Eastgate", "NL", 52000)
DEMO_ENTRIES = 3


def identity(storage) -> IdentityService:
    return IdentityService(storage.sessions, storage.writes["identity"])


async def entries(storage) -> list[bytes]:
    log = storage.logs["identity"]
    next_index, _ = await log.state()
    return await log.entries(DEMO_ENTRIES, next_index)


async def records(storage) -> dict[str, tuple]:
    async with storage.sessions() as session:
        rows = (await session.exec(select(CitizenRecordRow))).scalars().all()
    return {
        row.citizen_id: (row.given_name, row.family_name, row.birth_date, row.residence, row.household_income)
        for row in rows
    }


async def test_an_enrolment_keeps_the_record_private_and_puts_a_keyed_hash_on_the_ledger(storage) -> None:
    citizen = await identity(storage).enrol(CLERK, DORA, today=TODAY)
    assert citizen.id.startswith("cit_") and len(citizen.id) == 20
    assert (citizen.enrolled_by, citizen.ledger_index) == ("identity-bureau", 3)
    assert (await records(storage))[citizen.id] == (
        "Dora",
        "Marsh",
        datetime.date(2001, 8, 30),
        "Eastgate",
        52000,
    )
    [data] = await entries(storage)
    entry = json.loads(data)
    hashing = storage.writes["identity"]
    assert sorted(entry) == ["actor", "citizen", "time", "type"]
    assert (entry["type"], entry["citizen"], entry["actor"]) == (
        "govgraph.identity.CitizenEnrolled/v1",
        hashing.keyed_hash("citizen", citizen.id),
        {"role": "clerk:identity", "id": hashing.keyed_hash("actor", "api_key:front-desk")},
    )
    for secret in (b"Dora", b"Marsh", b"2001", b"Eastgate", b"52000", citizen.id.encode(), b"front-desk"):
        assert secret not in data


async def test_names_are_trimmed_and_kept_as_given(storage) -> None:
    enrolment = Enrolment("  Émile ", "Ng-O'Brien", datetime.date(1950, 1, 1), "Riverside", "BE", 0)
    citizen = await identity(storage).enrol(CLERK, enrolment, today=TODAY)
    assert (await records(storage))[citizen.id][:2] == ("Émile", "Ng-O'Brien")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"given_name": " "}, "`givenName` must be 1..100 printable characters."),
        ({"family_name": "x" * 101}, "`familyName` must be 1..100 printable characters."),
        ({"family_name": "Marsh\u202e"}, "`familyName` must be 1..100 printable characters."),
        ({"birth_date": datetime.date(2026, 1, 16)}, "`birthDate` must lie between 1900-01-01 and today."),
        ({"birth_date": datetime.date(1899, 12, 31)}, "`birthDate` must lie between 1900-01-01 and today."),
        (
            {"residence": "Atlantis"},
            "`residence` must be a district: Eastgate, Hillcrest, Northfield, Riverside.",
        ),
        ({"citizenship": "nl"}, "`citizenship` must be an ISO 3166-1 alpha-2 country code, e.g. NL."),
        ({"citizenship": "NLD"}, "`citizenship` must be an ISO 3166-1 alpha-2 country code, e.g. NL."),
        ({"household_income": -1}, "`householdIncome` must lie in 0..1000000000."),
        ({"household_income": 1_000_000_001}, "`householdIncome` must lie in 0..1000000000."),
    ],
)
async def test_bad_enrolments_are_bad_user_input_and_append_nothing(storage, changes, message) -> None:
    with pytest.raises(BadUserInput) as refused:
        await identity(storage).enrol(CLERK, dataclasses.replace(DORA, **changes), today=TODAY)
    assert str(refused.value) == message
    assert await entries(storage) == []


async def test_a_retry_enrols_nobody_twice_and_other_input_under_the_key_is_conflict(storage) -> None:
    first = await identity(storage).enrol(CLERK, DORA, "enrol-dora", today=TODAY)
    again = await identity(storage).enrol(CLERK, DORA, "enrol-dora", today=TODAY)
    assert again.id == first.id
    with pytest.raises(Conflict):
        await identity(storage).enrol(
            CLERK,
            Enrolment("Dora", "Marsh", DORA.birth_date, "Eastgate", "NL", 52001),
            "enrol-dora",
            today=TODAY,
        )
    assert len(await entries(storage)) == 1
    assert len(await records(storage)) == 4  # the three demo citizens and Dora, once


async def test_an_id_enrolled_already_is_conflict(storage) -> None:
    with pytest.raises(Conflict, match=r"^Citizen cit_5b0e2f7c1a9d4e83 is enrolled already\.$"):
        await identity(storage).enrol(CLERK, DORA, citizen_id="cit_5b0e2f7c1a9d4e83", today=TODAY)
    assert await entries(storage) == []
