"""The public board's reads: an election's state and published data, its ballots a page at a time (or one
by tracking code), its turnout."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from govgraph.agencies.elections.service import ballots, elections, load_election, paged_by_ledger_index
from govgraph.federation.errors import BadUserInput, NotFound
from govgraph.ledger.models import LedgerCheckpoint, LedgerLog

MAX_PAGE = 100


async def election_row(engine: AsyncEngine, election: str) -> RowMapping | None:
    async with engine.connect() as connection:
        try:
            return await load_election(connection, election)
        except NotFound:
            return None


async def turnout(engine: AsyncEngine, election: str) -> int:
    """Ballots that count now: one per pseudonym (spoiled and replaced ballots excluded)."""
    query = (
        select(func.count())
        .select_from(ballots)
        .where(ballots.c.election_id == election, ballots.c.current, ballots.c.spoiled.is_(False))
    )
    async with engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def ballot_page(
    engine: AsyncEngine, election: str, first: int, after: int | None
) -> tuple[list[RowMapping], bool]:
    """Up to `first` ballots (cast and spoiled) with a ledger index above `after`, in ledger order, and
    whether more follow."""
    if not 0 <= first <= MAX_PAGE:
        raise BadUserInput(f"`first` must lie in 0..{MAX_PAGE}, got {first}.")
    async with engine.connect() as connection:
        rows = list(
            (await connection.execute(ballot_page_query(election, first + 1, after))).mappings().all()
        )
    return rows[:first], len(rows) > first


def ballot_page_query(election: str, limit: int, after: int | None) -> Select:
    """Up to `limit` ballots of the election (cast and spoiled) after ledger index `after`, in ledger
    order."""
    query = select(ballots).where(paged_by_ledger_index(election))
    if after is not None:
        query = query.where(ballots.c.ledger_index > after)
    return query.order_by(ballots.c.ledger_index).limit(limit)


async def last_ledger_index(engine: AsyncEngine, election: str) -> int | None:
    """The ledger index of the election's latest ballot on the board (cast or spoiled), if any."""
    query = select(func.max(ballots.c.ledger_index)).where(ballots.c.election_id == election)
    async with engine.connect() as connection:
        return (await connection.execute(query)).scalar_one()


async def checkpointed_size(engine: AsyncEngine, ledger: str) -> int:
    """How many entries of `ledger` its latest signed checkpoint covers (0 before the first)."""
    query = (
        select(func.max(LedgerCheckpoint.size))
        .join(LedgerLog, LedgerCheckpoint.log_id == LedgerLog.id)  # type: ignore[arg-type]
        .where(LedgerLog.name == ledger)
    )
    async with engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one() or 0)


async def ballot_by_code(engine: AsyncEngine, election: str, code: str) -> RowMapping | None:
    if not isinstance(code, str) or len(code) != 64:
        raise BadUserInput("A tracking code is 64 hex digits.")
    query = select(ballots).where(ballots.c.election_id == election, ballots.c.tracking_code == code)
    async with engine.connect() as connection:
        return (await connection.execute(query)).mappings().first()


async def election_ids(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return [
            row.id
            for row in (await connection.execute(select(elections.c.id).order_by(elections.c.id))).all()
        ]
