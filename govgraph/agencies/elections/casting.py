"""Casting and spoiling ballots (anonymous, no login). Concurrent ballots of an election are verified as a
micro-batch (one random linear combination for their validity proofs, one for their eligibility proofs; a
failing batch is checked ballot by ballot to name the bad ones), so each ballot is accepted only after its own
proofs verified. Then one write per ballot: the pseudonym rule is enforced in the write's transaction, backed
by a unique index (one current ballot per pseudonym), and the ballot is appended to the elections ledger."""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.elections import public
from govgraph.agencies.elections import states as st
from govgraph.agencies.elections.ballot_input import BallotInput, decode_cast, decode_spoil
from govgraph.agencies.elections.service import ballots, load_election
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event
from govgraph.federation.errors import BadUserInput, Conflict, InvalidProof
from zk.ballot import ElectionContext, limit_equations, reencrypts_to, selection_equations, verify_ballot
from zk.eligibility import EligibilityBatch, suite_for
from zk.errors import MalformedInput
from zk.sigma import BatchVerifier

BALLOT_CAST = "govgraph.elections.BallotCast/v1"
BALLOT_SPOILED = "govgraph.elections.BallotSpoiled/v1"
VOTER_ROLE = (
    "voter"  # casting needs no login: a ballot's actor is its own tracking code (for idempotency keys)
)
MAX_BATCH = 64  # ballots per micro-batch: bounds the wait of the last one


@dataclass(frozen=True)
class CastResult:
    tracking_code: str
    ledger_index: int
    replaced: str | None = None


def _validity(context: ElectionContext, items: Sequence[BallotInput]) -> list[bool]:
    batch = BatchVerifier(context.group)
    try:
        for item in items:
            batch.add(selection_equations(context, item.ballot) + limit_equations(context, item.ballot))
        if batch.verify():
            return [True] * len(items)
    except MalformedInput:
        pass
    return [verify_ballot(context, item.ballot) for item in items]


def verify_batch(context: ElectionContext, items: Sequence[BallotInput]) -> list[str | None]:
    """For each ballot, None when all its proofs verify, else the failing check."""
    valid = _validity(context, items)
    roll = context.manifest.electoral_roll
    eligible = [True] * len(items)
    if roll is not None:
        statement = _eligibility(context)
        checked = [(i, item) for i, item in enumerate(items) if valid[i]]
        verdicts = statement.verify([(item.tracking_code, item.eligibility) for _, item in checked])
        for (i, _), ok in zip(checked, verdicts, strict=True):
            eligible[i] = ok
    reasons: list[str | None] = []
    for ok, fit in zip(valid, eligible, strict=True):
        if not ok:
            reasons.append(
                "V6/V7 validity proofs: a selection is not proven to be 0 or 1, or a contest's number of "
                "selections is not proven to be within its limits"
            )
        elif not fit:
            reasons.append(
                "V8 eligibility: the proof is not a valid credential of the election's roll, for this "
                "election and this tracking code"
            )
        else:
            reasons.append(None)
    return reasons


def _eligibility(context: ElectionContext) -> EligibilityBatch:
    roll = context.manifest.electoral_roll
    assert roll is not None
    return _statement(context.manifest.election_id, roll.id, roll.issuer_public_key)


@functools.lru_cache(maxsize=64)
def _statement(election: str, roll: str, issuer_key: bytes) -> EligibilityBatch:
    """What every eligibility proof of an election shares, computed once per process (a few elections)."""
    return EligibilityBatch(suite_for(public.group().backend), issuer_key, roll, election)


def decode_and_verify(context: ElectionContext, documents: Sequence[object]) -> list[BallotInput | Exception]:
    """Each document decoded (its BadUserInput kept) and, when it decoded, verified with the others: the
    ballot, or the refusal (InvalidProof naming the failing check)."""
    decoded: list[BallotInput | Exception] = []
    for document in documents:
        try:
            decoded.append(decode_cast(context, document))
        except BadUserInput as exc:
            decoded.append(exc)
    items = [item for item in decoded if isinstance(item, BallotInput)]
    reasons = iter(verify_batch(context, items))
    answers: list[BallotInput | Exception] = []
    for item in decoded:
        if isinstance(item, BallotInput) and (reason := next(reasons)) is not None:
            answers.append(InvalidProof(f"Ballot refused: {reason}."))
        else:
            answers.append(item)
    return answers


class _Batcher:
    """Collects the ballot documents of one election context arriving together, and decodes and verifies
    them in one call on a worker thread (off the event loop)."""

    def __init__(self, context: ElectionContext) -> None:
        self.context = context
        self.pending: list[tuple[object, asyncio.Future]] = []
        self.running = False
        self.task: asyncio.Task | None = None

    async def verify(self, item: object) -> BallotInput | Exception:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((item, future))
        if not self.running:
            self.running = True
            self.task = asyncio.get_running_loop().create_task(self._drain())  # held: tasks are weakly kept
        return await future

    async def _drain(self) -> None:
        try:
            while self.pending:
                taken, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                documents = [document for document, _ in taken]
                try:
                    answers = await asyncio.to_thread(decode_and_verify, self.context, documents)
                except Exception:  # a decoder bug: each ballot alone, so one cannot fail the others
                    answers = [await self._alone(document) for document in documents]
                for (_, future), answer in zip(taken, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
        finally:
            self.running = False

    async def _alone(self, document: object) -> BallotInput | Exception:
        try:
            return (await asyncio.to_thread(decode_and_verify, self.context, [document]))[0]
        except Exception as exc:  # never leaves a caller waiting; the app's error masking hides the detail
            return exc


_batchers: weakref.WeakKeyDictionary[AgencyWrites, dict[int, _Batcher]] = weakref.WeakKeyDictionary()


def _batcher(writes: AgencyWrites, context: ElectionContext) -> _Batcher:
    per_writes = _batchers.setdefault(writes, {})
    found = per_writes.get(id(context))
    if found is None or found.context is not context:
        found = per_writes[id(context)] = _Batcher(context)
    return found


class BallotBox:
    def __init__(self, writes: AgencyWrites) -> None:
        self.writes = writes

    async def _context(self, election: str) -> tuple[ElectionContext, str]:
        async with self.writes.log.engine.connect() as connection:
            row = await load_election(connection, election)
        st.require_state(election, row["state"], st.OPEN, action="casting a ballot")
        return public.context_of(row["manifest"], row["joint_key"]), row["revoting"]

    async def cast(self, election: str, document: Any, key: str | None = None) -> CastResult:
        context, policy = await self._context(election)
        item = await _batcher(self.writes, context).verify(document)
        if isinstance(item, Exception):
            raise item
        replaced: str | None = None

        async def rows(connection: AsyncConnection, index: int) -> Change:
            nonlocal replaced
            await _still_open(connection, election)
            await _not_replayed(connection, election, item.tracking_code)
            replaced = None
            if item.pseudonym is not None:
                earlier = (
                    await connection.execute(
                        select(ballots.c.tracking_code).where(
                            ballots.c.election_id == election,
                            ballots.c.pseudonym == item.pseudonym,
                            ballots.c.current,
                        )
                    )
                ).first()
                if earlier is not None and policy == st.SINGLE:
                    raise Conflict(
                        f"This pseudonym has voted already in election {election} (revoting policy SINGLE)."
                    )
                if earlier is not None:
                    replaced = earlier.tracking_code
                    await connection.execute(
                        update(ballots)
                        .where(ballots.c.election_id == election, ballots.c.tracking_code == replaced)
                        .values(current=False)
                    )
            eligibility = None if item.eligibility is None else item.eligibility.to_json()
            await connection.execute(
                insert(ballots).values(
                    election_id=election,
                    tracking_code=item.tracking_code,
                    ledger_index=index,
                    pseudonym=item.pseudonym,
                    current=True,
                    spoiled=False,
                    ballot=item.document,
                    eligibility=eligibility,
                )
            )
            fields = {
                "election": election,
                "trackingCode": item.tracking_code,
                "ballot": item.document,
                "eligibility": eligibility,
                "replaces": replaced,
            }
            result = {"trackingCode": item.tracking_code, "ledgerIndex": index, "replaced": replaced}
            return Change(result, [Event(BALLOT_CAST, fields)])

        try:
            written = await self.writes.write(_voter(item), "castBallot", {"election": election}, rows, key)
        except IntegrityError:  # the unique index, should the checks above have been raced
            raise Conflict(f"This pseudonym has voted already in election {election}.") from None
        return _result(written.result)

    async def spoil(self, election: str, document: Any, key: str | None = None) -> CastResult:
        """A Benaloh challenge: the ballot is checked, its opening must re-encrypt it, and it is published as
        spoiled (never counted)."""
        context, _ = await self._context(election)
        item = decode_spoil(context, document)
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

        written = await self.writes.write(_voter(item), "spoilBallot", {"election": election}, rows, key)
        return _result(written.result)


def _voter(item: BallotInput) -> Actor:
    return Actor(VOTER_ROLE, f"voter:{item.tracking_code}")


def _result(result: Any) -> CastResult:
    return CastResult(result["trackingCode"], result["ledgerIndex"], result["replaced"])


async def _still_open(connection: AsyncConnection, election: str) -> None:
    row = await load_election(connection, election)
    st.require_state(election, row["state"], st.OPEN, action="casting a ballot")


async def _not_replayed(connection: AsyncConnection, election: str, code: str) -> None:
    known = await connection.execute(
        select(ballots.c.tracking_code).where(
            ballots.c.election_id == election, ballots.c.tracking_code == code
        )
    )
    if known.first() is not None:
        raise BadUserInput(f"Ballot {code} was cast already: a replayed ballot is refused.")
