"""The election commission's GraphQL types: the public board (Election, its ballots, turnout, result), the
officials' and trustees' mutations, anonymous casting and spoiling, electoral rolls (their rules; the identity
bureau issues their credentials: govgraph.agencies.identity.roll_schema), and the `turnout` subscription.
Resolvers are thin: the rules are in service, ceremony, casting, registration and board."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncGenerator, Awaitable, Callable
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from govgraph.agencies.elections import board, registration
from govgraph.agencies.elections import states as st
from govgraph.agencies.elections.casting import BallotBox
from govgraph.agencies.elections.ceremony import TrusteeSteps
from govgraph.agencies.elections.models import ElectionsTable
from govgraph.agencies.elections.outputs import (
    BoardBallot,
    CastReceipt,
    ElectionTrustee,
    ElectoralRoll,
    TrusteeAck,
)
from govgraph.agencies.elections.service import AGENCY, OFFICIAL, TRUSTEE, ElectionOfficials
from govgraph.agencies.identity import rolls
from govgraph.agencies.ids import check_id
from govgraph.agencies.ledger_links import LedgerEntry, ledger_entry
from govgraph.agencies.writes import Actor, AgencyWrites, writes_for
from govgraph.auth.permissions import requires_role
from govgraph.federation.errors import NotFound

TURNOUT_POLL_SECONDS = 0.25
METADATA = ElectionsTable.metadata


def _writes(info: Info) -> AgencyWrites:
    writes = writes_for(info.context, AGENCY)
    if writes is None:
        raise RuntimeError("no write path for elections: the app starts one per agency with a ledger")
    return writes


def _engine(info: Info):
    return _writes(info).log.engine


ElectionState = strawberry.enum(
    Enum("ElectionState", {s: s for s in st.STATES}), description="Where an election stands."
)
RevotingPolicy = strawberry.enum(
    Enum("RevotingPolicy", {st.SINGLE: st.SINGLE, st.LAST_COUNTS: st.LAST_COUNTS}),
    description="SINGLE: a pseudonym's second ballot is refused; LAST_COUNTS: it replaces the first.",
)


@strawberry.federation.type(keys=["id"], description="An election on the public board.")
class Election:
    id: strawberry.ID
    row: strawberry.Private[Any]

    @strawberry.field
    def state(self) -> ElectionState:  # type: ignore[valid-type]
        return ElectionState(self.row["state"])

    @strawberry.field
    def revoting(self) -> RevotingPolicy:  # type: ignore[valid-type]
        return RevotingPolicy(self.row["revoting"])

    @strawberry.field(description="The manifest (zk.ballot's format); fixed when the key ceremony starts.")
    def manifest(self) -> JSON:
        return self.row["manifest"]

    @strawberry.field(description="The joint election key (hex, uncompressed G1), once voting opened.")
    def joint_key(self) -> str | None:
        return self.row["joint_key"]

    @strawberry.field(description="The qualified trustees' indexes, once voting opened.")
    def qualified_trustees(self) -> list[int] | None:
        return self.row["qualified"]

    @strawberry.field(description="The closing statement (counted and spoiled ballots), once voting closed.")
    def closing(self) -> JSON | None:
        return self.row["closing"]

    @strawberry.field(description="The encrypted totals, once voting closed.")
    def aggregate(self) -> JSON | None:
        return self.row["aggregate"]

    @strawberry.field(description="Contest id -> option id -> count, once published.")
    def result(self) -> JSON | None:
        return self.row["result"]

    @strawberry.field(description="Ballots that count now: one per pseudonym.")
    async def turnout(self, info: Info) -> int:
        return await board.turnout(_engine(info), self.id)

    @strawberry.field(description="The trustees and their public messages.")
    async def trustees(self, info: Info) -> list[ElectionTrustee]:
        from govgraph.agencies.elections.service import load_trustees

        async with _engine(info).connect() as connection:
            listed = await load_trustees(connection, self.id)
        return [
            ElectionTrustee(
                id=t["trustee_id"],
                index=t["trustee_index"],
                name=t["name"],
                joined=t["box_key"] is not None,
                box_key=t["box_key"],
                commitment_hash=t["commitment_hash"],
                reveal=t["reveal"],
                sealed_shares=t["sealed_shares"],
                complaints=t["complaints"],
                answers=t["answers"],
                decryption_share=t["decryption_share"],
            )
            for t in listed
        ]

    @strawberry.field(
        description=f"Up to `first` (0..{board.MAX_PAGE}) ballots, cast and spoiled, with a ledger index "
        "above "
        "`after`, in ledger order."
    )
    async def ballots(self, info: Info, first: int = 50, after: int | None = None) -> list[BoardBallot]:
        rows, _ = await board.ballot_page(_engine(info), self.id, first, after)
        return [BoardBallot.from_row(row) for row in rows]

    @strawberry.field(description="The ballot with this tracking code (cast or spoiled), if any.")
    async def ballot(self, info: Info, tracking_code: str) -> BoardBallot | None:
        row = await board.ballot_by_code(_engine(info), self.id, tracking_code)
        return None if row is None else BoardBallot.from_row(row)

    @strawberry.field(description="The ElectionCreated entry on the elections ledger.")
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.row["ledger_index"])

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Election | None:
        row = await board.election_row(_engine(info), check_id(id))
        return None if row is None else cls(id=strawberry.ID(row["id"]), row=row)


async def _election(info: Info, election: str) -> Election:
    found = await Election.resolve_reference(info, strawberry.ID(election))
    if found is None:
        raise NotFound(f"No election {election}.")
    return found


@strawberry.type
class Query:
    @strawberry.field
    async def election(self, info: Info, id: strawberry.ID) -> Election | None:
        return await Election.resolve_reference(info, id)

    @strawberry.field(description="Every election's id.")
    async def election_ids(self, info: Info) -> list[str]:
        return await board.election_ids(_engine(info))

    @strawberry.field(
        description="Electoral roll `id`: the identity bureau's issuer key a manifest names, size and rule."
    )
    async def electoral_roll(self, info: Info, id: strawberry.ID) -> ElectoralRoll:
        roll = registration.check_roll_id(str(id))
        rule = await registration.roll_rule(_engine(info), roll)
        async with _engine(info).connect() as connection:
            size = await rolls.issued_count(connection, roll)
        key = await _roll_key(info)(roll)
        return ElectoralRoll(
            id=roll,
            issuer_public_key=None if key is None else key.hex(),
            size=size,
            district=None if rule is None else rule["district"],
            citizenship=None if rule is None else rule["citizenship"],
            election_day=None if rule is None else datetime.date.fromisoformat(rule["election_day"]),
        )


def _roll_key(info: Info) -> Callable[[str], Awaitable[bytes | None]]:
    """The identity bureau's issuer key of a roll: from the bureau when it runs in this process, else as it
    published it on the shared database (None before it did)."""
    bureau = writes_for(info.context, rolls.AGENCY)

    async def key(roll: str) -> bytes | None:
        if bureau is not None:
            return await rolls.publish_key(bureau, roll)
        async with _engine(info).connect() as connection:
            return await rolls.published_key(connection, roll)

    return key


def _verify_pool(info: Info) -> Any:
    """The app's verification pool (GOVGRAPH_VERIFY_WORKERS processes), which ballots share; None without."""
    return getattr(info.context.services, "pool", None)


def _official(info: Info) -> Actor:
    return Actor.acting(info.context.principal, OFFICIAL)


def _trustee(info: Info) -> Actor:
    return Actor.acting(info.context.principal, TRUSTEE)


_OFFICIAL = [requires_role(OFFICIAL)]
_TRUSTEE = [requires_role(TRUSTEE)]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create an election in DRAFT from a manifest (zk.ballot's format; its trustees "
        "may be empty, for addTrustee). official:elections.",
        extensions=_OFFICIAL,
    )
    async def create_election(
        self,
        info: Info,
        manifest: JSON,
        revoting: RevotingPolicy | None = None,
        idempotency_key: str | None = None,  # type: ignore[valid-type]
    ) -> Election:
        writes = _writes(info)
        created = await ElectionOfficials(writes).create_election(
            _official(info),
            manifest,
            None if revoting is None else revoting.value,
            idempotency_key,
            _roll_key(info),
        )
        return await _election(info, created["election"])

    @strawberry.mutation(
        description="Name a trustee (DRAFT only); `subject`: the token subject who alone may act as it.",
        extensions=_OFFICIAL,
    )
    async def add_trustee(
        self,
        info: Info,
        election_id: strawberry.ID,
        trustee_id: strawberry.ID,
        name: str,
        subject: str | None = None,
        idempotency_key: str | None = None,
    ) -> Election:
        await ElectionOfficials(_writes(info)).add_trustee(
            _official(info), str(election_id), str(trustee_id), name, subject, idempotency_key
        )
        return await _election(info, str(election_id))

    @strawberry.mutation(description="DRAFT -> KEY_CEREMONY: the manifest is fixed.", extensions=_OFFICIAL)
    async def start_key_ceremony(
        self, info: Info, election_id: strawberry.ID, idempotency_key: str | None = None
    ) -> Election:
        await ElectionOfficials(_writes(info)).start_key_ceremony(
            _official(info), str(election_id), idempotency_key
        )
        return await _election(info, str(election_id))

    @strawberry.mutation(
        description="KEY_CEREMONY -> OPEN: the qualified trustees and the joint key.", extensions=_OFFICIAL
    )
    async def open_voting(
        self, info: Info, election_id: strawberry.ID, idempotency_key: str | None = None
    ) -> Election:
        await ElectionOfficials(_writes(info)).open_voting(_official(info), str(election_id), idempotency_key)
        return await _election(info, str(election_id))

    @strawberry.mutation(
        description="OPEN -> CLOSED: the closing statement and the aggregate.", extensions=_OFFICIAL
    )
    async def close_voting(
        self, info: Info, election_id: strawberry.ID, idempotency_key: str | None = None
    ) -> Election:
        await ElectionOfficials(_writes(info)).close_voting(
            _official(info), str(election_id), idempotency_key
        )
        return await _election(info, str(election_id))

    @strawberry.mutation(
        description="TALLYING -> PUBLISHED: combine threshold valid decryption shares.", extensions=_OFFICIAL
    )
    async def publish_result(
        self, info: Info, election_id: strawberry.ID, idempotency_key: str | None = None
    ) -> Election:
        await ElectionOfficials(_writes(info)).publish_result(
            _official(info), str(election_id), idempotency_key
        )
        return await _election(info, str(election_id))

    @strawberry.mutation(
        description="Key ceremony: join with the trustee's X25519 box key (hex).", extensions=_TRUSTEE
    )
    async def join_ceremony(
        self,
        info: Info,
        election_id: strawberry.ID,
        trustee_id: strawberry.ID,
        box_key: str,
        idempotency_key: str | None = None,
    ) -> TrusteeAck:
        ack = await TrusteeSteps(_writes(info)).join(
            _trustee(info), str(election_id), str(trustee_id), box_key, idempotency_key
        )
        return TrusteeAck.of(ack)

    @strawberry.mutation(
        description="Key ceremony round 1: the hash of the trustee's coefficient commitments.",
        extensions=_TRUSTEE,
    )
    async def commit_ceremony(
        self,
        info: Info,
        election_id: strawberry.ID,
        trustee_id: strawberry.ID,
        commitment_hash: str,
        idempotency_key: str | None = None,
    ) -> TrusteeAck:
        ack = await TrusteeSteps(_writes(info)).commit(
            _trustee(info), str(election_id), str(trustee_id), commitment_hash, idempotency_key
        )
        return TrusteeAck.of(ack)

    @strawberry.mutation(
        description="Key ceremony round 2: the reveal (checked against the commitment) and one sealed "
        "share per other trustee.",
        extensions=_TRUSTEE,
    )
    async def reveal_ceremony(
        self,
        info: Info,
        election_id: strawberry.ID,
        trustee_id: strawberry.ID,
        reveal: JSON,
        sealed_shares: JSON,
        idempotency_key: str | None = None,
    ) -> TrusteeAck:
        ack = await TrusteeSteps(_writes(info)).share(
            _trustee(info), str(election_id), str(trustee_id), reveal, sealed_shares, idempotency_key
        )
        return TrusteeAck.of(ack)

    @strawberry.mutation(
        description="Key ceremony round 3: the complaints from checking one's shares (empty: all good).",
        extensions=_TRUSTEE,
    )
    async def report_share_check(
        self,
        info: Info,
        election_id: strawberry.ID,
        trustee_id: strawberry.ID,
        complaints: JSON,
        idempotency_key: str | None = None,
    ) -> TrusteeAck:
        ack = await TrusteeSteps(_writes(info)).complain(
            _trustee(info), str(election_id), str(trustee_id), complaints, idempotency_key
        )
        return TrusteeAck.of(ack)

    @strawberry.mutation(
        description="Key ceremony round 4: disclose the shares disputed by complaints against this trustee.",
        extensions=_TRUSTEE,
    )
    async def answer_complaints(
        self,
        info: Info,
        election_id: strawberry.ID,
        trustee_id: strawberry.ID,
        answers: JSON,
        idempotency_key: str | None = None,
    ) -> TrusteeAck:
        ack = await TrusteeSteps(_writes(info)).answer(
            _trustee(info), str(election_id), str(trustee_id), answers, idempotency_key
        )
        return TrusteeAck.of(ack)

    @strawberry.mutation(
        description="Tally: the trustee's decryption share with its proofs (verified on upload).",
        extensions=_TRUSTEE,
    )
    async def submit_decryption_share(
        self,
        info: Info,
        election_id: strawberry.ID,
        trustee_id: strawberry.ID,
        share: JSON,
        idempotency_key: str | None = None,
    ) -> TrusteeAck:
        ack = await TrusteeSteps(_writes(info)).decrypt(
            _trustee(info), str(election_id), str(trustee_id), share, idempotency_key
        )
        return TrusteeAck.of(ack)

    @strawberry.mutation(
        description="Public: cast a ballot (no login): every proof is verified, the pseudonym rule "
        "applied, the ballot appended to the elections ledger."
    )
    async def cast_ballot(
        self, info: Info, election_id: strawberry.ID, ballot: JSON, idempotency_key: str | None = None
    ) -> CastReceipt:
        return CastReceipt.of(
            await BallotBox(_writes(info), _verify_pool(info)).cast(
                check_id(election_id), ballot, idempotency_key
            )
        )

    @strawberry.mutation(
        description="Public: spoil a ballot (Benaloh challenge): published with its opening, never counted."
    )
    async def spoil_ballot(
        self, info: Info, election_id: strawberry.ID, ballot: JSON, idempotency_key: str | None = None
    ) -> CastReceipt:
        return CastReceipt.of(
            await BallotBox(_writes(info)).spoil(check_id(election_id), ballot, idempotency_key)
        )

    @strawberry.mutation(
        description="Define a roll whose voters register by presentation: the residence (district) and "
        "citizenship to disclose, and the election day on which age >= 18 is proved (official:elections).",
        extensions=_OFFICIAL,
    )
    async def define_electoral_roll(
        self,
        info: Info,
        id: strawberry.ID,
        district: str,
        citizenship: str,
        election_day: datetime.date,
        idempotency_key: str | None = None,
    ) -> ElectoralRoll:
        writes = _writes(info)
        await registration.define_roll(
            writes, _official(info), str(id), district, citizenship, election_day, idempotency_key
        )
        return await Query().electoral_roll(info, id)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The election's turnout, now and at every change (until it is published)."
    )
    async def turnout(self, info: Info, election_id: strawberry.ID) -> AsyncGenerator[int, None]:
        engine = _engine(info)
        election = check_id(election_id)
        if await board.election_row(engine, election) is None:
            raise NotFound(f"No election {election}.")
        last = -1
        while True:
            now = await board.turnout(engine, election)
            if now != last:
                last = now
                yield now
            row = await board.election_row(engine, election)
            if row is not None and row["state"] == st.PUBLISHED:
                return
            await asyncio.sleep(TURNOUT_POLL_SECONDS)

    @strawberry.subscription(
        description="Each ballot that reaches the board from now on (cast or spoiled), in ledger order, "
        "once a signed checkpoint covers its ledger entry, until the election is published."
    )
    async def ballots_cast(self, info: Info, election_id: strawberry.ID) -> AsyncGenerator[BoardBallot, None]:
        engine = _engine(info)
        election = check_id(election_id)
        if await board.election_row(engine, election) is None:
            raise NotFound(f"No election {election}.")
        after = await board.last_ledger_index(engine, election)
        while True:
            # A ballot is announced once a signed checkpoint covers its entry: its ledgerEntry then resolves
            # (leafHash, receipt) for every subscriber, and never names an entry the ledger does not serve.
            covered = await board.checkpointed_size(engine, AGENCY)
            rows, more = await board.ballot_page(engine, election, board.MAX_PAGE, after)
            rows = [row for row in rows if row["ledger_index"] < covered]
            for row in rows:
                after = row["ledger_index"]
                yield BoardBallot.from_row(row)
            if more and rows:
                continue
            row = await board.election_row(engine, election)
            if row is not None and row["state"] == st.PUBLISHED:
                return
            await asyncio.sleep(TURNOUT_POLL_SECONDS)


TYPES: list[type] = [Election]
