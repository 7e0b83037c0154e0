"""The election commission's demo data for `make run`: one municipal election in DRAFT, created and given its
three trustees (threshold 2) through the officials' own steps (`create_election`, `add_trustee`: the service
functions behind `createElection` and `addTrustee`), so an ElectionCreated and three TrusteeAdded entries are
on the elections ledger. Each step has its idempotency key, so a second start appends nothing. Every field is
fixed, except the electoral roll's issuer key, the identity bureau's for that roll (derived from the bureau's
secret: stable per data directory, so a replay's arguments are those of the first run).

It stays in DRAFT: the key ceremony is the trustees' own work (each one's secret polynomial and box key
exist only on that trustee's machine), so the seed cannot honestly run it, nor open voting after it."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.elections.service import ElectionOfficials
from govgraph.agencies.identity import rolls
from govgraph.agencies.writes import DEMO_SEED, AgencyWrites

log = logging.getLogger("govgraph.elections.demo")

DEMO_ELECTION = "northfield-2027-municipal"
DEMO_ROLL = "northfield-2027"
DEMO_THRESHOLD = 2
# (trustee id, name, the only token subject that may act as it)
DEMO_TRUSTEES = (
    ("town-clerk", "Northfield Town Clerk", "trustee-town-clerk"),
    ("voters-league", "Northfield League of Voters", "trustee-voters-league"),
    ("university", "University of Northfield, School of Computing", "trustee-university"),
)
DEMO_CONTESTS = (
    {
        "id": "library-referendum",
        "title": "Referendum: should the council fund the new Riverside public library from the 2027 budget?",
        "options": ["yes", "no"],
        "min_selections": 0,
        "max_selections": 1,
    },
    {
        "id": "council-ward-3",
        "title": "Town council, ward 3: elect up to three councillors",
        "options": ["amara-osei", "ben-hughes", "chen-li", "dora-novak", "emil-sorensen"],
        "min_selections": 0,
        "max_selections": 3,
    },
)


def _roll_key(bureau: AgencyWrites):
    async def key(roll: str) -> bytes:
        return await rolls.publish_key(bureau, roll)

    return key


async def demo_manifest(bureau: AgencyWrites) -> dict:
    """The draft manifest (zk.ballot's format), trustees still to be named, naming the roll by the identity
    bureau's issuer key for it."""
    return {
        "election_id": DEMO_ELECTION,
        "title": "Northfield municipal elections, 7 March 2027",
        "contests": [dict(contest) for contest in DEMO_CONTESTS],
        "trustees": [],
        "threshold": DEMO_THRESHOLD,
        "revoting": "last-wins",
        "electoral_roll": {
            "id": DEMO_ROLL,
            "issuer_public_key": (await _roll_key(bureau)(DEMO_ROLL)).hex(),
        },
    }


async def seed(sessions: async_sessionmaker[AsyncSession], writes: AgencyWrites | None) -> None:
    """Create the demo election and add its trustees, each step with its own idempotency key. Its manifest
    names the identity bureau's key for the demo roll: where the bureau runs in another process (the
    commission served alone), nothing is seeded."""
    if writes is None:
        raise RuntimeError("no write path for elections: the app starts one per agency with a ledger")
    bureau = rolls.bureau_on(writes.log.engine)
    if bureau is None:
        log.info("no identity bureau in this process: the demo election is not seeded")
        return
    officials = ElectionOfficials(writes)
    await officials.create_election(
        DEMO_SEED,
        await demo_manifest(bureau),
        None,
        f"demo-seed/{DEMO_ELECTION}",
        _roll_key(bureau),
    )
    for trustee, name, subject in DEMO_TRUSTEES:
        await officials.add_trustee(
            DEMO_SEED, DEMO_ELECTION, trustee, name, subject, f"demo-seed/{DEMO_ELECTION}/{trustee}"
        )
