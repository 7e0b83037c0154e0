"""Verified ballots written together. The ballots of an election whose verification ends in the same turn of
the event loop (a verified micro-batch, `verification.py`) are written by one writer of the log's group
commit (`AgencyWrites.write_many`): one query reads the election's state and what the database already knows
of their tracking codes and pseudonyms, the pseudonym rule and the replay rule are applied to each ballot in
order (the database's ballots first, then the earlier ballots of the same write), and the accepted ballots'
rows go in one INSERT, their entries in one executemany. Each ballot still gets its own outcome: a refused
ballot writes nothing and does not disturb the others.

Should the unique indexes refuse the write (another process wrote one of the same ballots, or the same
pseudonym's, between the query and the commit), each ballot is written again alone by the one-ballot path
(`casting.BallotBox.cast_alone`), whose refusal then names the rule it breaks."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from sqlalchemy import insert, literal, literal_column, null, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.canonical import Encoded
from govgraph.agencies.elections import states as st
from govgraph.agencies.elections.service import ballots, elections
from govgraph.agencies.elections.verification import CheckedBallot
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event, Written
from govgraph.federation.errors import BadUserInput, Conflict, NotFound

BALLOT_CAST = "govgraph.elections.BallotCast/v1"
VOTER_ROLE = "voter"  # casting needs no login: a ballot's actor is this role and its own tracking code
MAX_WRITE = 256  # ballots per writer: bounds one statement's parameters
# The current-ballot condition as the bare column, the partial index's own WHERE: SQLAlchemy writes the
# column alone in a condition as `current = 1`, which SQLite does not take to imply `current`, so the index
# `elections_one_current_ballot` would go unused.
CURRENT = literal_column("elections_ballot.current")

Alone = Callable[[CheckedBallot], Coroutine[Any, Any, Written]]


def voter(tracking_code: str) -> Actor:
    return Actor(VOTER_ROLE, f"voter:{tracking_code}")


def replayed(code: str) -> BadUserInput:
    return BadUserInput(f"Ballot {code} was cast already: a replayed ballot is refused.")


def voted_already(election: str) -> Conflict:
    return Conflict(f"This pseudonym has voted already in election {election} (revoting policy SINGLE).")


def cast_event(election: str, item: CheckedBallot, replaced: str | None) -> Event:
    fields = {
        "election": election,
        "trackingCode": item.tracking_code,
        "ballot": Encoded(item.document, item.canonical),  # written once already, for its tracking code
        "eligibility": item.eligibility,
        "replaces": replaced,
    }
    return Event(BALLOT_CAST, fields)


class BallotWrites:
    """Queues one election's verified ballots; writes those queued in one turn of the loop together."""

    def __init__(self, writes: AgencyWrites, election: str, policy: str, alone: Alone) -> None:
        self.writes, self.election, self.policy, self.alone = writes, election, policy, alone
        self.waiting: list[tuple[CheckedBallot, asyncio.Future[Written]]] = []
        self.tasks: set[asyncio.Task] = set()  # held: the loop keeps tasks only weakly

    async def cast(self, item: CheckedBallot) -> Written:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Written] = loop.create_future()
        if not self.waiting:  # after the callbacks already scheduled: the rest of a verified batch
            loop.call_soon(self._flush)
        self.waiting.append((item, future))
        return await future

    def _flush(self) -> None:
        while self.waiting:
            taken, self.waiting = self.waiting[:MAX_WRITE], self.waiting[MAX_WRITE:]
            task = asyncio.get_running_loop().create_task(self._write(taken))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _write(self, taken: list[tuple[CheckedBallot, asyncio.Future[Written]]]) -> None:
        items = [item for item, _ in taken]
        try:
            outcomes: Sequence[Written | Exception] = await self.writes.write_many(
                [voter(item.tracking_code) for item in items], self._rows(items)
            )
        except IntegrityError:  # raced by another process: each ballot alone names its refusal
            outcomes = [await self._alone(item) for item in items]
        except Exception as exc:  # e.g. the database unreachable: every caller hears of it
            outcomes = [exc] * len(items)
        for (_, future), outcome in zip(taken, outcomes, strict=True):
            if future.done():  # its caller gave up
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _alone(self, item: CheckedBallot) -> Written | Exception:
        try:
            return await self.alone(item)
        except Exception as exc:
            return exc

    def _rows(self, items: list[CheckedBallot]) -> Callable[[AsyncConnection, int], Any]:
        election, single = self.election, self.policy == st.SINGLE

        async def rows(connection: AsyncConnection, index: int) -> list[Change | Exception]:
            state, codes, current = await _known(connection, election, items)
            try:
                st.require_state(election, state, st.OPEN, action="casting a ballot")
            except Conflict as refusal:
                return [refusal] * len(items)
            outcomes: list[Change | Exception] = []
            written: dict[str, dict] = {}  # tracking code -> its row, for this write's own replacements
            replaced_before: list[str] = []  # current ballots already in the database that are replaced
            for item in items:
                if item.tracking_code in codes:
                    outcomes.append(replayed(item.tracking_code))
                    continue
                replaced = None if item.pseudonym is None else current.get(item.pseudonym)
                if replaced is not None and single:
                    outcomes.append(voted_already(election))
                    continue
                if replaced is not None:
                    if replaced in written:
                        written[replaced]["current"] = False
                    else:
                        replaced_before.append(replaced)
                if item.pseudonym is not None:
                    current[item.pseudonym] = item.tracking_code
                codes.add(item.tracking_code)
                position = index + len(written)
                written[item.tracking_code] = {
                    "election_id": election,
                    "tracking_code": item.tracking_code,
                    "ledger_index": position,
                    "pseudonym": item.pseudonym,
                    "current": True,
                    "spoiled": False,
                    "ballot": item.document,
                    "eligibility": item.eligibility,
                }
                result = {"trackingCode": item.tracking_code, "ledgerIndex": position, "replaced": replaced}
                outcomes.append(Change(result, [cast_event(election, item, replaced)]))
            if replaced_before:
                await connection.execute(
                    update(ballots)
                    .where(ballots.c.election_id == election, ballots.c.tracking_code.in_(replaced_before))
                    .values(current=False)
                )
            if written:
                await connection.execute(insert(ballots), list(written.values()))
            return outcomes

        return rows


async def _known(
    connection: AsyncConnection, election: str, items: list[CheckedBallot]
) -> tuple[str, set[str], dict[str, str]]:
    """In one statement: the election's state (NOT_FOUND if none), which of the items' tracking codes it has
    already, and the current ballot of each of their pseudonyms that has one. Each part reads its own index
    (the election's key, the ballots' key, the partial index of current ballots), whatever the election's
    size: an OR of the two ballot look-ups would read every ballot of the election."""
    codes = [item.tracking_code for item in items]
    pseudonyms = [item.pseudonym for item in items if item.pseudonym is not None]
    parts = [
        select(literal("state").label("kind"), elections.c.state.label("value"), null().label("code")).where(
            elections.c.id == election
        ),
        select(literal("code"), ballots.c.tracking_code, ballots.c.tracking_code).where(
            ballots.c.election_id == election, ballots.c.tracking_code.in_(codes)
        ),
    ]
    if pseudonyms:
        parts.append(
            select(literal("current"), ballots.c.pseudonym, ballots.c.tracking_code).where(
                ballots.c.election_id == election, ballots.c.pseudonym.in_(pseudonyms), CURRENT
            )
        )
    found = (await connection.execute(union_all(*parts))).all()
    states = [row.value for row in found if row.kind == "state"]
    if not states:
        raise NotFound(f"No election {election}.")
    known = {row.value for row in found if row.kind == "code"}
    current = {row.value: row.code for row in found if row.kind == "current"}
    return states[0], known, current


_queues: weakref.WeakKeyDictionary[AgencyWrites, dict[tuple[str, str], BallotWrites]] = (
    weakref.WeakKeyDictionary()
)


def queue_for(writes: AgencyWrites, election: str, policy: str, alone: Alone) -> BallotWrites:
    """The process's queue of verified ballots for `election` on `writes` (`alone`: the one-ballot path)."""
    per_writes = _queues.setdefault(writes, {})
    queue = per_writes.get((election, policy))
    if queue is None:
        if len(per_writes) >= 64:  # a few elections are open at once; callers choose the ids
            per_writes.clear()
        queue = per_writes[(election, policy)] = BallotWrites(writes, election, policy, alone)
    return queue
