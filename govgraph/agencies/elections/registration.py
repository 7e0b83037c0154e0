"""Electoral rolls as the commission defines them: an official sets a roll's rule (district, citizenship,
election day; a RollDefined entry), and the presentation a voter must make to register on it (roll_dcql): a
citizen credential that discloses that citizenship and residence, proves age >= 18 on election day without
disclosing the birth date, and shows the credential's pseudonym for the roll. The identity bureau issues the
roll credentials against that rule (govgraph.agencies.identity.rolls); the commission learns no voter."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.elections.models import ElectoralRollRow
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event
from govgraph.federation.errors import BadUserInput, Conflict, NotFound

ROLL_DEFINED = "govgraph.elections.RollDefined/v1"
CITIZEN_SCHEMA = "govgraph.identity.citizen/v1"
_COUNTRY = re.compile(r"[A-Z]{2}")
_ROLL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
rolls = ElectoralRollRow.__table__  # type: ignore[attr-defined]


def check_roll_id(roll: str) -> str:
    if not isinstance(roll, str) or not _ROLL_ID.fullmatch(roll):
        raise BadUserInput(
            "A roll id is 1..64 letters, digits, '.', '_' or '-', starting with a letter or digit."
        )
    return roll


def pseudonym_context(roll: str) -> str:
    return f"govgraph-roll/{roll}"


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
    """The roll's rule, None for a roll whose voters a clerk of the identity bureau registers."""
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
