"""Ballot verification off the event loop. Ballots of one election arriving together are decoded and verified
as a micro-batch: their 0/1 and limit proofs in one random linear combination, their eligibility proofs in one
`EligibilityBatch`; a failing batch is checked ballot by ballot to name the bad ones. The arkworks calls hold
the GIL, so batches go to the app's verification worker processes (`govgraph.credentials.verification`, shared
with presentations; as many batches in flight as workers) when the app runs them, else to one thread. Workers
get plain JSON in and give plain results out."""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govgraph.agencies.elections import public
from govgraph.agencies.elections.ballot_input import BallotInput, decode_cast
from govgraph.agencies.writes import AgencyWrites
from govgraph.federation.errors import BadUserInput, InvalidProof
from zk.ballot import ElectionContext, limit_equations, selection_equations, verify_ballot
from zk.eligibility import EligibilityBatch, suite_for
from zk.errors import MalformedInput
from zk.sigma import BatchVerifier

MAX_BATCH = 64  # ballots per micro-batch: bounds the wait of the last one
# A batch costs less per ballot the larger it is (its msm and pairing are shared: about 3.0 ms a ballot in
# batches of 8, 2.5 in batches of 16, 2.3 in batches of 32), so a free worker waits up to GATHER seconds for
# FILL ballots before it takes fewer: under load the batches stay large, and a lone ballot waits 5 ms.
FILL = 16
GATHER = 0.005


@dataclass(frozen=True)
class CheckedBallot:
    """A ballot whose proofs verified: its JSON and that JSON's RFC 8785 bytes, its tracking code, pseudonym
    and eligibility proof."""

    document: dict
    canonical: bytes
    tracking_code: str
    pseudonym: str | None
    eligibility: dict | None


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
    """For each decoded ballot, None when all its proofs verify, else the failing check."""
    valid = _validity(context, items)
    roll = context.manifest.electoral_roll
    eligible = [True] * len(items)
    if roll is not None:
        statement = _statement(context.manifest.election_id, roll.id, roll.issuer_public_key)
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


@functools.lru_cache(maxsize=64)
def _statement(election: str, roll: str, issuer_key: bytes) -> EligibilityBatch:
    """What every eligibility proof of an election shares, computed once per process (a few elections)."""
    return EligibilityBatch(suite_for(public.group().backend), issuer_key, roll, election)


def check_documents(manifest: dict, joint_key: str, documents: Sequence[object]) -> list[tuple]:
    """Each castBallot document decoded and verified with the others (in a worker): ("ok", document, its
    canonical bytes, tracking code, pseudonym, eligibility) or (error code, message)."""
    context = public.context_of(manifest, joint_key)
    decoded: list[BallotInput | BadUserInput] = []
    for document in documents:
        try:
            decoded.append(decode_cast(context, document))
        except BadUserInput as exc:
            decoded.append(exc)
    reasons = iter(verify_batch(context, [item for item in decoded if isinstance(item, BallotInput)]))
    answers: list[tuple] = []
    for item in decoded:
        if isinstance(item, BadUserInput):
            answers.append(("BAD_USER_INPUT", str(item)))
        elif (reason := next(reasons)) is not None:
            answers.append(("INVALID_PROOF", f"Ballot refused: {reason}."))
        else:
            proof = None if item.eligibility is None else item.eligibility.to_json()
            answers.append(("ok", item.document, item.canonical, item.tracking_code, item.pseudonym, proof))
    return answers


def _answer(result: tuple) -> CheckedBallot | Exception:
    if result[0] == "ok":
        return CheckedBallot(*result[1:])
    return BadUserInput(result[1]) if result[0] == "BAD_USER_INPUT" else InvalidProof(result[1])


class _Batcher:
    """Collects the documents of one election arriving together and checks them, a batch per worker."""

    def __init__(self, manifest: dict, joint_key: str, pool: Any) -> None:
        self.manifest, self.joint_key = manifest, joint_key
        self.pool = pool if pool is not None and pool.workers > 0 else None
        self.slots = asyncio.Semaphore(1 if self.pool is None else self.pool.workers)
        self.pending: list[tuple[object, asyncio.Future]] = []
        self.arrived = asyncio.Event()  # set at every arrival: wakes a batch that waits to fill
        self.tasks: set[asyncio.Task] = set()  # held: the loop keeps tasks only weakly
        self.draining = False

    async def check(self, document: object) -> CheckedBallot | Exception:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((document, future))
        self.arrived.set()
        if not self.draining:
            self.draining = True
            self._spawn(self._drain())
        return await future

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _drain(self) -> None:
        try:
            while self.pending:
                await self.slots.acquire()
                await self._fill()
                taken, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                self._spawn(self._run(taken))
        finally:
            self.draining = False

    async def _fill(self) -> None:
        """Wait until FILL ballots are pending, or GATHER seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GATHER
        while len(self.pending) < FILL and (left := deadline - loop.time()) > 0:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except TimeoutError:
                return

    async def _run(self, taken: list[tuple[object, asyncio.Future]]) -> None:
        try:
            documents = [document for document, _ in taken]
            try:
                answers = [_answer(a) for a in await self._checked(documents)]
            except Exception:  # a decoder bug: each ballot alone, so one cannot fail the others
                answers = [await self._alone(document) for document in documents]
            for (_, future), answer in zip(taken, answers, strict=True):
                if not future.done():
                    future.set_result(answer)
        finally:
            self.slots.release()

    async def _checked(self, documents: list[object]) -> list[tuple]:
        arguments = (self.manifest, self.joint_key, documents)
        if self.pool is None:
            return await asyncio.to_thread(check_documents, *arguments)
        return await self.pool.run(check_documents, *arguments)

    async def _alone(self, document: object) -> CheckedBallot | Exception:
        try:
            return _answer((await self._checked([document]))[0])
        except Exception as exc:  # never leaves a caller waiting; the app's error masking hides the detail
            return exc


_batchers: weakref.WeakKeyDictionary[AgencyWrites, dict[tuple, _Batcher]] = weakref.WeakKeyDictionary()


async def check_ballot(
    writes: AgencyWrites, manifest: dict, joint_key: str, document: object, pool: Any = None
) -> CheckedBallot:
    """The ballot checked in the next micro-batch of its election (on `pool`, a VerificationPool, when
    given); BAD_USER_INPUT or INVALID_PROOF naming the failing check otherwise."""
    per_writes = _batchers.setdefault(writes, {})
    key = (manifest["election_id"], joint_key, id(pool))
    batcher = per_writes.get(key)
    if batcher is None or batcher.pool is not (pool if pool is not None and pool.workers > 0 else None):
        batcher = per_writes[key] = _Batcher(manifest, joint_key, pool)
    answer = await batcher.check(document)
    if isinstance(answer, Exception):
        raise answer
    return answer
