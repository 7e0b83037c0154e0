"""The election commission's official steps: create an election, name its trustees, start the key ceremony,
open and close voting, publish the result. Each is one transaction of the elections ledger (rows and entry
together), checked against the election's state inside it: a step from the wrong state is CONFLICT."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from govgraph.agencies.elections import public
from govgraph.agencies.elections import states as st
from govgraph.agencies.elections.models import BallotRow, ElectionRow, TrusteeRow
from govgraph.agencies.identity.rolls import issued_count
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event
from govgraph.federation.errors import BadUserInput, Conflict, InvalidProof, NotFound
from zk.ballot import ElectionContext, Manifest, TrusteeIdentity
from zk.elgamal import Ciphertext
from zk.errors import InvalidParameters, MalformedInput
from zk.record import closing_hash, closing_statement
from zk.tally import Aggregate, DecryptionShare, aggregate_from_json, aggregate_to_json, tally
from zk.trustees import joint_public_key, qualified_trustees
from zk.wire import commitment_from_hex, element_to_hex

AGENCY = "elections"
OFFICIAL = "official:elections"
TRUSTEE = "trustee"
ELECTION_CREATED = "govgraph.elections.ElectionCreated/v1"
TRUSTEE_ADDED = "govgraph.elections.TrusteeAdded/v1"
STATE_CHANGED = "govgraph.elections.StateChanged/v1"
MAX_TRUSTEE_NAME = 100

elections = ElectionRow.__table__  # type: ignore[attr-defined]
trustees = TrusteeRow.__table__  # type: ignore[attr-defined]
ballots = BallotRow.__table__  # type: ignore[attr-defined]
# Elections this process read as OPEN, per writes: (when, the row); casting trusts it for a moment
# (casting.OPEN_FOR), and closeVoting forgets its election here at once.
seen_open: weakref.WeakKeyDictionary[AgencyWrites, dict[str, tuple[float, RowMapping]]] = (
    weakref.WeakKeyDictionary()
)


async def load_election(connection: AsyncConnection, election: str) -> RowMapping:
    row = (await connection.execute(select(elections).where(elections.c.id == election))).mappings().first()
    if row is None:
        raise NotFound(f"No election {election}.")
    return row


async def load_trustees(connection: AsyncConnection, election: str) -> list[RowMapping]:
    query = select(trustees).where(trustees.c.election_id == election).order_by(trustees.c.trustee_index)
    return list((await connection.execute(query)).mappings().all())


def _draft_manifest(document: object) -> Manifest:
    """A manifest as createElection accepts it: zk.ballot's format, whose trustees may still be empty
    (addTrustee names them) and whose threshold is checked when the ceremony starts."""
    if not isinstance(document, dict):
        raise BadUserInput("The manifest must be a JSON object.")
    probe = dict(document)
    if probe.get("trustees") == []:  # checked with one stand-in trustee: the real ones come later
        probe["trustees"] = [{"id": "stand-in", "name": "stand-in"}]
        probe["threshold"] = 1
    try:
        manifest = Manifest.from_json(probe)
    except MalformedInput as exc:
        raise BadUserInput(f"Invalid manifest: {exc}") from None
    return manifest


def changed(election: str, before: str, after: str, **details: Any) -> Event:
    return Event(STATE_CHANGED, {"election": election, "from": before, "to": after, **details})


def paged_by_ledger_index(election: str) -> ColumnElement[bool]:
    """`election_id = ?` for the queries that page an election's ballots by ledger index (`ledger_index > ?
    ORDER BY ledger_index LIMIT n`): they read the index `elections_ballot_in_ledger_order` (election_id,
    ledger_index) from `after` and stop at the page's end, rather than every ballot of the election sorted
    again for each page (quadratic over an election)."""
    return ballots.c.election_id == election


def counted_ballots_page(election: str, after: int, limit: int) -> Select:
    """Up to `limit` counted ballots (ledger index and ballot) after ledger index `after`, in ledger order."""
    return (
        select(ballots.c.ledger_index, ballots.c.ballot)
        .where(
            paged_by_ledger_index(election),
            ballots.c.current,
            ballots.c.spoiled.is_(False),
            ballots.c.ledger_index > after,
        )
        .order_by(ballots.c.ledger_index)
        .limit(limit)
    )


CLOSE_PAGE = 500  # counted ballots read at a time to sum them when voting closes


async def stored_aggregate(connection: AsyncConnection, context: ElectionContext, election: str) -> Aggregate:
    """The sum of the counted ballots' ciphertexts, read CLOSE_PAGE ballots at a time (never all of them at
    once). Only the ciphertexts are decoded, on the curve only: every stored ballot was decoded strictly (its
    points in the prime-order subgroup) and verified when it was cast, and the trustees and auditors
    recompute this sum from strictly decoded ballots before they rely on it."""
    group = context.group
    sums = {
        c.id: [[group.identity(), group.identity()] for _ in c.options] for c in context.manifest.contests
    }
    after = -1
    while True:
        page = (await connection.execute(counted_ballots_page(election, after, CLOSE_PAGE))).all()
        for _, document in page:
            for contest in document["contests"]:
                row = sums[contest["contest_id"]]
                for acc, selection in zip(row, contest["selections"], strict=True):
                    ciphertext = selection["ciphertext"]
                    for k, part in enumerate(("alpha", "beta")):
                        point = commitment_from_hex(group, ciphertext[part], part, allow_identity=True)
                        acc[k] = group.add(acc[k], point)
        if len(page) < CLOSE_PAGE:
            return {cid: tuple(Ciphertext(a, b) for a, b in row) for cid, row in sums.items()}
        after = page[-1].ledger_index


class ElectionOfficials:
    """The officials' mutations (official:elections)."""

    def __init__(self, writes: AgencyWrites) -> None:
        self.writes = writes

    async def create_election(
        self,
        actor: Actor,
        manifest: object,
        revoting: str | None,
        key: str | None,
        roll_key: Callable[[str], Awaitable[bytes | None]],
    ) -> Mapping[str, Any]:
        """`roll_key(roll id)`: the identity bureau's issuer key for the roll, the one the manifest must name
        (None: the bureau has published none)."""
        checked = _draft_manifest(manifest)
        assert isinstance(manifest, dict)
        roll = checked.electoral_roll
        expected = None if roll is None else await roll_key(roll.id)
        if roll is not None and expected is None:
            raise BadUserInput(
                f"The identity bureau has published no issuer key for electoral roll {roll.id} yet "
                "(ask it: `rollIssuer`)."
            )
        if roll is not None and roll.issuer_public_key != expected:
            assert expected is not None
            raise BadUserInput(
                f"The manifest's electoral roll {roll.id} must name the identity bureau's issuer key for it, "
                f"{expected.hex()} (see `rollIssuer`)."
            )
        policy = revoting or st.POLICY_OF_RULE.get(checked.revoting)
        if policy not in st.REVOTING_RULE:
            raise BadUserInput(
                "The revoting policy is SINGLE or LAST_COUNTS (manifest revoting none or last-wins)."
            )
        document = {**checked.to_json(), "revoting": st.REVOTING_RULE[policy]}
        if manifest.get("trustees") == []:
            document["trustees"], document["threshold"] = [], manifest.get("threshold", 1)
        election = checked.election_id

        async def rows(connection: AsyncConnection, index: int) -> Change:
            known = await connection.execute(select(elections.c.id).where(elections.c.id == election))
            if known.first() is not None:
                raise Conflict(f"Election {election} exists already.")
            await connection.execute(
                insert(elections).values(
                    id=election, state=st.DRAFT, revoting=policy, manifest=document, ledger_index=index
                )
            )
            for position, trustee in enumerate(document["trustees"], start=1):
                await connection.execute(
                    insert(trustees).values(
                        election_id=election,
                        trustee_id=trustee["id"],
                        trustee_index=position,
                        name=trustee["name"],
                    )
                )
            event = Event(
                ELECTION_CREATED,
                {"election": election, "manifest": document, "revoting": policy, "state": st.DRAFT},
            )
            return Change({"election": election}, [event])

        await self.writes.write(
            actor, "createElection", {"manifest": document, "revoting": policy}, rows, key
        )
        return {"election": election}

    async def add_trustee(
        self, actor: Actor, election: str, trustee_id: str, name: str, subject: str | None, key: str | None
    ) -> None:
        if not 0 < len(name) <= MAX_TRUSTEE_NAME or not name.isprintable():
            raise BadUserInput(f"A trustee's name is 1..{MAX_TRUSTEE_NAME} printable characters.")
        if subject is not None and (not 0 < len(subject) <= MAX_TRUSTEE_NAME or not subject.isprintable()):
            raise BadUserInput(f"A trustee's subject is 1..{MAX_TRUSTEE_NAME} printable characters.")
        try:
            TrusteeIdentity.from_json({"id": trustee_id, "name": name})
        except MalformedInput as exc:
            raise BadUserInput(f"Invalid trustee: {exc}") from None

        async def rows(connection: AsyncConnection, index: int) -> Change:
            row = await load_election(connection, election)
            st.require_state(election, row["state"], st.DRAFT, action="adding a trustee")
            manifest = dict(row["manifest"])
            if any(t["id"] == trustee_id for t in manifest["trustees"]):
                raise Conflict(f"Election {election} has a trustee {trustee_id} already.")
            manifest["trustees"] = [*manifest["trustees"], {"id": trustee_id, "name": name}]
            position = len(manifest["trustees"])
            await connection.execute(
                update(elections).where(elections.c.id == election).values(manifest=manifest)
            )
            await connection.execute(
                insert(trustees).values(
                    election_id=election,
                    trustee_id=trustee_id,
                    trustee_index=position,
                    name=name,
                    subject=subject,
                )
            )
            fields = {"election": election, "trustee": trustee_id, "index": position, "name": name}
            return Change({"trustee": trustee_id}, [Event(TRUSTEE_ADDED, fields)])

        arguments = {"election": election, "trustee": trustee_id, "name": name, "subject": subject}
        await self.writes.write(actor, "addTrustee", arguments, rows, key)

    async def start_key_ceremony(self, actor: Actor, election: str, key: str | None) -> None:
        async def rows(connection: AsyncConnection, index: int) -> Change:
            row = await load_election(connection, election)
            st.transition(election, row["state"], st.KEY_CEREMONY)
            try:
                manifest = Manifest.from_json(row["manifest"])
            except MalformedInput as exc:
                raise Conflict(f"Election {election} cannot start its key ceremony: {exc}.") from None
            await _set_state(connection, election, st.KEY_CEREMONY)
            event = changed(
                election,
                row["state"],
                st.KEY_CEREMONY,
                manifestHash=manifest.hash().hex(),
                manifest=row["manifest"],
            )
            return Change({"election": election}, [event])

        await self.writes.write(actor, "startKeyCeremony", {"election": election}, rows, key)

    async def open_voting(self, actor: Actor, election: str, key: str | None) -> None:
        async def rows(connection: AsyncConnection, index: int) -> Change:
            row = await load_election(connection, election)
            st.transition(election, row["state"], st.OPEN)
            manifest = public.manifest_of(row["manifest"])
            ceremony = public.ceremony_of(manifest)
            listed = await load_trustees(connection, election)
            waiting = [t["trustee_id"] for t in listed if t["complaints"] is None]
            if waiting:
                raise Conflict(
                    f"Election {election}'s key ceremony is not finished: trustee(s) {', '.join(waiting)} "
                    "have not checked their shares."
                )
            reveals = {t["trustee_index"]: public.reveal_of(ceremony, t["reveal"]) for t in listed}
            hashes = {t["trustee_index"]: t["commitment_hash"] for t in listed}
            complaints = [c for t in listed for c in public.complaints_of(ceremony, t["complaints"])]
            answers = [a for t in listed for a in public.answers_of(ceremony, t["answers"] or [])]
            qualified = qualified_trustees(ceremony, reveals, hashes, complaints, answers)
            if len(qualified) < ceremony.t:
                raise Conflict(
                    f"Election {election} has {len(qualified)} qualified trustees, below its threshold "
                    f"{ceremony.t}: it cannot open."
                )
            joint = element_to_hex(public.group(), joint_public_key(ceremony, reveals, qualified))
            await connection.execute(
                update(elections)
                .where(elections.c.id == election)
                .values(state=st.OPEN, joint_key=joint, qualified=qualified)
            )
            event = changed(election, row["state"], st.OPEN, jointKey=joint, qualified=qualified)
            return Change({"election": election}, [event])

        await self.writes.write(actor, "openVoting", {"election": election}, rows, key)

    async def close_voting(self, actor: Actor, election: str, key: str | None) -> None:
        async def rows(connection: AsyncConnection, index: int) -> Change:
            row = await load_election(connection, election)
            st.transition(election, row["state"], st.CLOSED)
            context = public.context_of(row["manifest"], row["joint_key"])
            cast = (
                await connection.execute(
                    select(ballots.c.tracking_code, ballots.c.current, ballots.c.spoiled)
                    .where(ballots.c.election_id == election)
                    .order_by(ballots.c.ledger_index)
                )
            ).all()
            counted = [b.tracking_code for b in cast if b.current and not b.spoiled]
            statement = closing_statement(counted, [b.tracking_code for b in cast if b.spoiled])
            aggregate = aggregate_to_json(
                context.group, await stored_aggregate(connection, context, election)
            )
            issued = await roll_size(connection, context.manifest)
            await connection.execute(
                update(elections)
                .where(elections.c.id == election)
                .values(state=st.CLOSED, closing=statement, aggregate=aggregate, credentials_issued=issued)
            )
            event = changed(
                election,
                row["state"],
                st.CLOSED,
                closing=statement,
                aggregate=aggregate,
                credentialsIssued=issued,
            )
            return Change({"election": election}, [event])

        await self.writes.write(actor, "closeVoting", {"election": election}, rows, key)
        seen_open.get(self.writes, {}).pop(election, None)

    async def publish_result(self, actor: Actor, election: str, key: str | None) -> None:
        async def rows(connection: AsyncConnection, index: int) -> Change:
            row = await load_election(connection, election)
            st.transition(election, row["state"], st.PUBLISHED)
            context = public.context_of(row["manifest"], row["joint_key"])
            manifest = context.manifest
            ceremony = public.ceremony_of(manifest)
            listed = await load_trustees(connection, election)
            reveals = {t["trustee_index"]: public.reveal_of(ceremony, t["reveal"]) for t in listed}
            keys = public.verification_keys(ceremony, reveals, row["qualified"])
            shares = [
                DecryptionShare.from_json(context, t["decryption_share"], ceremony.n)
                for t in listed
                if t["decryption_share"] is not None
            ]
            aggregate = aggregate_from_json(context, row["aggregate"])
            counted = row["closing"]["counted"]["ballots"]
            try:
                result = tally(
                    context,
                    aggregate,
                    shares,
                    keys,
                    ceremony.t,
                    max(counted, 1),
                    closing=closing_hash(row["closing"]),
                )
            except InvalidParameters as exc:
                raise Conflict(f"Election {election} cannot publish: {exc}.") from None
            except Exception as exc:  # DiscreteLogNotFound: shares that verify but do not decrypt
                raise InvalidProof(
                    f"Election {election}'s shares do not decrypt the totals: {exc}."
                ) from None
            counts = {c.id: dict(zip(c.options, result.counts[c.id], strict=True)) for c in manifest.contests}
            await connection.execute(
                update(elections)
                .where(elections.c.id == election)
                .values(state=st.PUBLISHED, result=counts, used_trustees=result.used_trustees)
            )
            event = changed(
                election, row["state"], st.PUBLISHED, result=counts, trustees=result.used_trustees
            )
            return Change({"election": election}, [event])

        await self.writes.write(actor, "publishResult", {"election": election}, rows, key)


async def _set_state(connection: AsyncConnection, election: str, state: str) -> None:
    await connection.execute(update(elections).where(elections.c.id == election).values(state=state))


async def roll_size(connection: AsyncConnection, manifest: Manifest) -> int | None:
    """The number of credentials the identity bureau has issued for the manifest's roll (None without one)."""
    if manifest.electoral_roll is None:
        return None
    return await issued_count(connection, manifest.electoral_roll.id)
