"""Voter registration by presentation: an official defines a roll's rule (district, citizenship, election
day); a voter asks to register with its commitment to a pseudonym secret and gets an OpenID4VP request (the
verifier's machinery) for a citizen credential that discloses that citizenship and residence, proves age >= 18
on election day without disclosing the birth date, and shows the credential's pseudonym for the roll; once
the presentation verified, the roll credential is blind-signed over the stored commitment. One per pseudonym
(so one per citizen credential) per roll; the commission learns no citizen id, and nothing reaches a ledger
but the roll's rule."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.elections.models import ElectoralRollRow, RegistrationRow
from govgraph.agencies.elections.roll import check_roll_id, issue_for, roll_authority
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event
from govgraph.federation.errors import BadUserInput, Conflict, InvalidProof, NotFound

ROLL_DEFINED = "govgraph.elections.RollDefined/v1"
CITIZEN_SCHEMA = "govgraph.identity.citizen/v1"
_COUNTRY = re.compile(r"[A-Z]{2}")
_HEX = re.compile(r"(?:[0-9a-f]{2}){1,1024}")
rolls = ElectoralRollRow.__table__  # type: ignore[attr-defined]
registrations = RegistrationRow.__table__  # type: ignore[attr-defined]


def pseudonym_context(roll: str) -> str:
    return f"govgraph-roll/{roll}"


def requested_by(roll: str) -> str:
    """Who the verifier's requests for this roll belong to: only the commission reads their results."""
    return f"elections:roll:{roll}"


def eighteen_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 18)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 18, day=28)


def roll_dcql(row: Any) -> dict:
    """The presentation a roll asks for (DCQL with govgraph's predicate and pseudonym extensions)."""
    adult = eighteen_before(dt.date.fromisoformat(row["election_day"])).isoformat()
    return {
        "credentials": [
            {
                "id": "citizen",
                "format": "govgraph_bbs",
                "meta": {"schema": CITIZEN_SCHEMA},
                "claims": [
                    {"path": ["citizenship"], "values": [row["citizenship"]]},
                    {"path": ["residence"], "values": [row["district"]]},
                    {"path": ["birth_date"], "predicate": {"op": "<=", "value": adult}},
                ],
                "pseudonym": {"context": pseudonym_context(row["id"])},
            }
        ]
    }


async def load_roll(connection: AsyncConnection, roll: str) -> Any:
    row = (await connection.execute(select(rolls).where(rolls.c.id == roll))).mappings().first()
    if row is None:
        raise NotFound(f"No electoral roll {roll} is defined for registration by presentation.")
    return row


async def roll_rule(engine: Any, roll: str) -> Any:
    """The roll's rule, None for a roll whose voters a clerk registers."""
    async with engine.connect() as connection:
        return (await connection.execute(select(rolls).where(rolls.c.id == roll))).mappings().first()


async def define_roll(
    writes: AgencyWrites,
    actor: Actor,
    roll: str,
    district: str,
    citizenship: str,
    election_day: dt.date,
    key: str | None,
) -> None:
    check_roll_id(roll)
    if not 0 < len(district) <= 100 or not district.isprintable():
        raise BadUserInput("`district` is 1..100 printable characters (a residence, e.g. Northfield).")
    if not _COUNTRY.fullmatch(citizenship):
        raise BadUserInput("`citizenship` is a two-letter country code, e.g. NL.")
    fields = {
        "roll": roll,
        "district": district,
        "citizenship": citizenship,
        "electionDay": election_day.isoformat(),
    }

    async def rows(connection: AsyncConnection, index: int) -> Change:
        known = await connection.execute(select(rolls.c.id).where(rolls.c.id == roll))
        if known.first() is not None:
            raise Conflict(f"Electoral roll {roll} is defined already.")
        await connection.execute(
            insert(rolls).values(
                id=roll,
                district=district,
                citizenship=citizenship,
                election_day=election_day.isoformat(),
                ledger_index=index,
            )
        )
        return Change({"roll": roll}, [Event(ROLL_DEFINED, fields)])

    await writes.write(actor, "defineElectoralRoll", fields, rows, key)


async def request_registration(
    writes: AgencyWrites, verifier: Any, roll: str, commitment: str, key: str | None
) -> dict:
    """A presentation request for the roll's rule, with `commitment` kept for the credential."""
    check_roll_id(roll)
    if not isinstance(commitment, str) or not _HEX.fullmatch(commitment):
        raise BadUserInput("The commitment is lower-case hex (the voter's commit_with_nym output).")
    voter = Actor("voter", f"voter:commitment:{hashlib.sha256(commitment.encode()).hexdigest()}")

    async def rows(connection: AsyncConnection, index: int) -> Change:
        row = await load_roll(connection, roll)
        new = verifier.new_request(roll_dcql(row), f"registration on electoral roll {roll}")
        created = await verifier.store_request(connection, new, requested_by(roll))
        await connection.execute(
            insert(registrations).values(presentation_id=created.id, roll_id=roll, commitment=commitment)
        )
        result = {
            "presentationId": created.id,
            "requestUri": created.request_uri,
            "expiresAt": created.expires_at,
        }
        return Change(result, [])

    written = await writes.write(
        voter, "requestRollRegistration", {"roll": roll, "commitment": commitment}, rows, key
    )
    return dict(written.result)


async def register_with_presentation(
    writes: AgencyWrites, verifier: Any, presentation: str, key: str | None
) -> dict:
    """The roll credential over the registration's commitment, once its presentation verified."""
    async with writes.log.engine.connect() as connection:
        pending = (
            (
                await connection.execute(
                    select(registrations).where(registrations.c.presentation_id == presentation)
                )
            )
            .mappings()
            .first()
        )
    if pending is None:
        raise NotFound(f"No registration for presentation {presentation}.")
    roll = pending["roll_id"]
    outcome = await verifier.result(presentation, requested_by(roll))
    if outcome is None:
        raise NotFound(f"No registration for presentation {presentation}.")
    if outcome.status == "PENDING":
        raise Conflict(f"Presentation {presentation} has not been answered yet.")
    if outcome.status != "VERIFIED":
        raise InvalidProof(
            f"Presentation {presentation} is {outcome.status} ({outcome.failure}): no roll credential."
        )
    if outcome.pseudonym is None or outcome.context != pseudonym_context(roll):
        raise InvalidProof(f"Presentation {presentation} shows no pseudonym for roll {roll}.")
    member = writes.keyed_hash("roll-member", f"{roll}\x00pseudonym\x00{outcome.pseudonym}")
    voter = Actor("voter", f"voter:presentation:{presentation}")

    async def rows(connection: AsyncConnection, index: int) -> Change:
        claimed = await connection.execute(
            update(registrations)
            .where(registrations.c.presentation_id == presentation, registrations.c.issued.is_(False))
            .values(issued=True)
        )
        if claimed.rowcount != 1:
            raise Conflict(f"Presentation {presentation} has been used for a roll credential already.")
        return Change(await issue_for(connection, writes, roll, member, pending["commitment"]), [])

    written = await writes.write(voter, "registerVoter", {"presentation": presentation}, rows, key)
    return {**written.result, "issuerPublicKey": roll_authority(writes, roll).public_key.hex()}
