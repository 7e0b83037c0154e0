"""The welfare office's demo data for `make run`: two programmes created through the office's own
`create_programme` (the service function behind `createProgramme`), so their whole eligibility rules are
ProgrammeCreated entries on the welfare ledger. Each has its idempotency key, so a second start appends
nothing. Every field is fixed (no date relative to today): a replay's arguments are those of the first run.

No claims: a claim is a wallet's verified presentation of a credential the issuer signed for a citizen, and
the verifier that checks it starts after the seed. Making one here would mean a wallet inside the service
answering its own request, which shows nothing a real claim shows."""

from __future__ import annotations

import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.welfare.rules import ProgrammeDefinition
from govgraph.agencies.welfare.service import WelfareService
from govgraph.agencies.writes import DEMO_SEED, AgencyWrites
from govgraph.credentials.configurations import CITIZEN_V1, standard_configurations


def _citizen_rule(*claims: dict) -> dict:
    """DCQL for one citizen credential with these claims (no pseudonym: the office adds it)."""
    return {
        "credentials": [
            {
                "id": "citizen",
                "format": "govgraph_bbs",
                "meta": {"schema": CITIZEN_V1},
                "claims": list(claims),
            }
        ]
    }


DEMO_PROGRAMMES = (
    ProgrammeDefinition(
        id="heating-allowance",
        title="Winter heating allowance",
        description="A one-off payment towards the heating costs of households on a low income living in "
        "Northfield or Riverside.",
        eligibility=_citizen_rule(
            {"path": ["household_income"], "predicate": {"op": "<", "value": 40000}},
            {"path": ["residence"], "values": ["Northfield", "Riverside"]},
        ),
        amount=15000,
        currency="EUR",
        period="winter-2026",
        starts_on=datetime.date(2026, 11, 1),
        ends_on=datetime.date(2027, 3, 31),
    ),
    ProgrammeDefinition(
        id="fuel-hardship-grant",
        title="Fuel hardship grant",
        description="Help for adults on a very low income who cannot pay their fuel bills; one programme of "
        "the hardship group per person and year.",
        eligibility=_citizen_rule(
            {"path": ["household_income"], "predicate": {"op": "<", "value": 25000}},
            {"path": ["birth_date"], "predicate": {"op": "<=", "value": "2008-12-31"}},
        ),
        amount=30000,
        currency="EUR",
        period="2027",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2027, 11, 30),
        exclusion_group="hardship",
    ),
)


async def seed(sessions: async_sessionmaker[AsyncSession], writes: AgencyWrites | None) -> None:
    """Create the demo programmes, each with its own idempotency key, checked against the credential
    configurations the verifier is started with."""
    service = WelfareService(sessions, writes)
    for programme in DEMO_PROGRAMMES:
        await service.create_programme(
            DEMO_SEED, programme, f"demo-seed/{programme.id}", configurations=standard_configurations()
        )
