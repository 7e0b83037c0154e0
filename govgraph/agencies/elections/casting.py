"""Casting and spoiling ballots (anonymous, no login). A ballot is accepted only after its own proofs verified
(in a micro-batch with the ballots arriving with it: `verification.py`). Then one write per ballot: the
pseudonym rule is enforced in the write's transaction, backed by a unique index (one current ballot per
pseudonym), and the ballot is appended to the elections ledger."""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.elections import public
from govgraph.agencies.elections import states as st
from govgraph.agencies.elections.ballot_input import decode_spoil
from govgraph.agencies.elections.ballot_writes import (
    CURRENT,
    cast_event,
    queue_for,
    replayed,
    voted_already,
    voter,
)
from govgraph.agencies.elections.service import ballots, elections, load_election, seen_open
from govgraph.agencies.elections.verification import CheckedBallot, check_ballot
from govgraph.agencies.writes import AgencyWrites, Change, Event, Written
from govgraph.federation.errors import Conflict, InvalidProof, NotFound
from zk.ballot import reencrypts_to, verify_ballot

BALLOT_SPOILED = "govgraph.elections.BallotSpoiled/v1"
# How long a process takes an election it read as OPEN to be still open before verifying a ballot (its
# manifest, joint key and revoting policy no longer change once voting opens): one read a second rather
# than one a ballot. The write's transaction checks the state again, so a ballot arriving just after
# closeVoting (in another process) is refused there.
OPEN_FOR = 1.0
# The read of an election's row in flight, per writes and election: when OPEN_FOR runs out under load,
# every ballot arriving meanwhile waits for that one read instead of taking a connection of its own (32
# concurrent casts used to open up to 15 connections at once, beyond the pool's 5 kept).
_reading: weakref.WeakKeyDictionary[AgencyWrites, dict[str, asyncio.Future]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class CastResult:
    tracking_code: str
    ledger_index: int
    replaced: str | None = None


class BallotBox:
    """`pool`: the app's verification pool (govgraph.credentials.verification), None: one thread."""

    def __init__(self, writes: AgencyWrites, pool: Any = None) -> None:
        self.writes = writes
        self.pool = pool

    async def _open(self, election: str) -> Any:
        """The election's row, if it is OPEN: read at most once per OPEN_FOR seconds by this process, one
        read at a time (the callers arriving during a read share it); CONFLICT if it is not OPEN."""
        seen = seen_open.get(self.writes, {}).get(election)
        if seen is not None and time.monotonic() - seen[0] < OPEN_FOR:
            return seen[1]
        reading = _reading.setdefault(self.writes, {})
        read = reading.get(election)
        if read is None:
            read = reading[election] = asyncio.ensure_future(self._read_open(election))
            read.add_done_callback(lambda _: reading.pop(election, None))
        return await asyncio.shield(read)  # a caller that gives up does not cancel the others' read

    async def _read_open(self, election: str) -> Any:
        async with self.writes.log.engine.connect() as connection:
            row = await load_election(connection, election)
        st.require_state(election, row["state"], st.OPEN, action="casting a ballot")
        known = seen_open.setdefault(self.writes, {})
        if len(known) >= 64:  # a few elections are open at once; callers choose the ids
            known.clear()
        known[election] = (time.monotonic(), row)
        return row

    async def cast(self, election: str, document: Any, key: str | None = None) -> CastResult:
        """Verify the ballot (in a micro-batch), then write it: with the other ballots verified with it
        (`ballot_writes`), or alone when it comes with an idempotency key."""
        row = await self._open(election)
        policy = row["revoting"]
        item = await check_ballot(self.writes, row["manifest"], row["joint_key"], document, self.pool)
        if key is not None:
            return _result((await self.cast_alone(election, policy, item, key)).result)

        async def alone(checked: CheckedBallot) -> Written:
            return await self.cast_alone(election, policy, checked, None)

        written = await queue_for(self.writes, election, policy, alone).cast(item)
        return _result(written.result)

    async def cast_alone(self, election: str, policy: str, item: CheckedBallot, key: str | None) -> Written:
        """Write one verified ballot in a writer of its own."""
        replaced: str | None = None

        async def rows(connection: AsyncConnection, index: int) -> Change:
            nonlocal replaced
            earlier = await _open_and_earlier(connection, election, item.tracking_code, item.pseudonym)
            replaced = None
            if item.pseudonym is not None:
                if earlier is not None and policy == st.SINGLE:
                    raise voted_already(election)
                if earlier is not None:
                    replaced = earlier
                    await connection.execute(
                        update(ballots)
                        .where(ballots.c.election_id == election, ballots.c.tracking_code == replaced)
                        .values(current=False)
                    )
            await connection.execute(
                insert(ballots).values(
                    election_id=election,
                    tracking_code=item.tracking_code,
                    ledger_index=index,
                    pseudonym=item.pseudonym,
                    current=True,
                    spoiled=False,
                    ballot=item.document,
                    eligibility=item.eligibility,
                )
            )
            result = {"trackingCode": item.tracking_code, "ledgerIndex": index, "replaced": replaced}
            return Change(result, [cast_event(election, item, replaced)])

        try:
            return await self.writes.write(
                voter(item.tracking_code), "castBallot", {"election": election}, rows, key
            )
        except IntegrityError:  # a unique index, should the checks above have been raced: say which rule
            async with self.writes.log.engine.connect() as connection:
                earlier = await _open_and_earlier(connection, election, item.tracking_code, item.pseudonym)
            if earlier is not None and policy == st.SINGLE:
                raise voted_already(election) from None
            raise Conflict(
                f"Another ballot of this pseudonym was cast at the same moment in election {election}: "
                "cast this one again."
            ) from None

    async def spoil(self, election: str, document: Any, key: str | None = None) -> CastResult:
        """A Benaloh challenge: the ballot is checked, its opening must re-encrypt it, and it is published as
        spoiled (never counted)."""
        row = await self._open(election)
        context = public.context_of(row["manifest"], row["joint_key"])
        item = await asyncio.to_thread(decode_spoil, context, document)
        assert item.opening is not None
        if not await asyncio.to_thread(verify_ballot, context, item.ballot):
            raise InvalidProof("Ballot refused: V6/V7 validity proofs fail.")
        if not await asyncio.to_thread(reencrypts_to, context, item.ballot, item.opening):
            raise InvalidProof(
                "Spoiled ballot refused: V10 its opening does not re-encrypt to its ciphertexts."
            )
        opening = item.opening.to_json(context.group)

        async def rows(connection: AsyncConnection, index: int) -> Change:
            await _still_open(connection, election)
            await _not_replayed(connection, election, item.tracking_code)
            await connection.execute(
                insert(ballots).values(
                    election_id=election,
                    tracking_code=item.tracking_code,
                    ledger_index=index,
                    pseudonym=None,
                    current=False,
                    spoiled=True,
                    ballot=item.document,
                    opening=opening,
                )
            )
            fields = {
                "election": election,
                "trackingCode": item.tracking_code,
                "ballot": item.document,
                "opening": opening,
            }
            result = {"trackingCode": item.tracking_code, "ledgerIndex": index, "replaced": None}
            return Change(result, [Event(BALLOT_SPOILED, fields)])

        written = await self.writes.write(
            voter(item.tracking_code), "spoilBallot", {"election": election}, rows, key
        )
        return _result(written.result)


def _result(result: Any) -> CastResult:
    return CastResult(result["trackingCode"], result["ledgerIndex"], result["replaced"])


async def _still_open(connection: AsyncConnection, election: str) -> None:
    state = (await connection.execute(select(elections.c.state).where(elections.c.id == election))).scalar()
    if state is None:
        raise NotFound(f"No election {election}.")
    st.require_state(election, state, st.OPEN, action="casting a ballot")


async def _open_and_earlier(
    connection: AsyncConnection, election: str, code: str, pseudonym: str | None
) -> Any:
    """In one query: the election still OPEN (else CONFLICT), the ballot not cast before (a replay is
    BAD_USER_INPUT), and the pseudonym's current ballot (None if none)."""
    same = ballots.c.tracking_code == code
    if pseudonym is not None:  # each side of the OR on its own index (ballot_writes.CURRENT)
        same = or_(same, and_(ballots.c.pseudonym == pseudonym, CURRENT))
    joined = elections.outerjoin(ballots, and_(ballots.c.election_id == elections.c.id, same))
    query = select(elections.c.state, ballots.c.tracking_code).select_from(joined)
    found = (await connection.execute(query.where(elections.c.id == election))).all()
    if not found:
        raise NotFound(f"No election {election}.")
    st.require_state(election, found[0].state, st.OPEN, action="casting a ballot")
    codes = [row.tracking_code for row in found if row.tracking_code is not None]
    if code in codes:
        raise replayed(code)
    return codes[0] if codes else None


async def _not_replayed(connection: AsyncConnection, election: str, code: str) -> None:
    known = await connection.execute(
        select(ballots.c.tracking_code).where(
            ballots.c.election_id == election, ballots.c.tracking_code == code
        )
    )
    if known.first() is not None:
        raise replayed(code)
