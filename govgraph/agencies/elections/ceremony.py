"""The trustees' steps (role `trustee`), each checked on upload and acknowledged with its ledger entry, or
refused with the reason: join (box key), commit (commitment hash), share (reveal and sealed shares), complain
(the result of checking one's shares), answer (disclose a disputed share), decrypt (a decryption share with
its proofs, which moves a closed election to TALLYING)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.elections import public
from govgraph.agencies.elections import states as st
from govgraph.agencies.elections.service import changed, elections, load_election, load_trustees, trustees
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event
from govgraph.federation.errors import BadUserInput, Conflict, Forbidden, InvalidProof, NotFound
from zk.errors import MalformedInput
from zk.record import closing_hash
from zk.tally import DecryptionShare, aggregate_from_json, verify_decryption_share
from zk.trustees import verify_reveal, verify_share

STEP_EVENT = {
    "join": "govgraph.elections.TrusteeJoined/v1",
    "commit": "govgraph.elections.TrusteeCommitted/v1",
    "share": "govgraph.elections.TrusteeRevealed/v1",
    "complain": "govgraph.elections.TrusteeChecked/v1",
    "answer": "govgraph.elections.ComplaintsAnswered/v1",
    "decrypt": "govgraph.elections.DecryptionShareAccepted/v1",
}
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SEALED_MAX = 512  # hex digits of one sealed share (48 bytes of box overhead + a small plaintext)


@dataclass(frozen=True)
class Acknowledged:
    election: str
    trustee: str
    step: str
    ledger_index: int
    message: str


def _check_list(value: object, what: str, limit: int = 255) -> list:
    if not isinstance(value, list) or len(value) > limit:
        raise BadUserInput(f"{what} must be a JSON list of at most {limit} items.")
    return value


class TrusteeSteps:
    def __init__(self, writes: AgencyWrites) -> None:
        self.writes = writes

    async def _step(
        self,
        actor: Actor,
        election: str,
        trustee: str,
        step: str,
        arguments: Mapping[str, Any],
        check,
        key: str | None,
    ) -> Acknowledged:
        """Run `check(connection, election_row, trustee_row, all_trustees)`, which returns the trustee's new
        values, the event's own fields, the acknowledgement's message and any extra events."""
        actor_hash = self.writes.keyed_hash("actor", actor.identity)
        message = ""

        async def rows(connection: AsyncConnection, index: int) -> Change:
            nonlocal message
            row = await load_election(connection, election)
            listed = await load_trustees(connection, election)
            mine = next((t for t in listed if t["trustee_id"] == trustee), None)
            if mine is None:
                raise NotFound(f"Election {election} has no trustee {trustee}.")
            _may_act(mine, actor, actor_hash, joining=step == "join")
            values, fields, message, extra = await check(connection, row, mine, listed)
            values = {"actor": actor_hash, **values}
            await connection.execute(
                update(trustees)
                .where(trustees.c.election_id == election, trustees.c.trustee_id == trustee)
                .values(**values)
            )
            event = Event(STEP_EVENT[step], {"election": election, "trustee": trustee, **fields})
            return Change({"message": message, "ledgerIndex": index}, [event, *extra])

        written = await self.writes.write(
            actor, f"trustee.{step}", {"election": election, "trustee": trustee, **arguments}, rows, key
        )
        return Acknowledged(
            election,
            trustee,
            step,
            written.result["ledgerIndex"],  # a retry with the idempotency key: the first upload's entry
            written.result["message"],
        )

    async def join(
        self, actor: Actor, election: str, trustee: str, box_key: str, key: str | None
    ) -> Acknowledged:
        if not isinstance(box_key, str) or not _HEX64.fullmatch(box_key):
            raise BadUserInput("boxKey must be an X25519 public key: 64 lower-case hex digits.")

        async def check(connection, row, mine, listed):
            st.require_state(election, row["state"], st.KEY_CEREMONY, action="joining the key ceremony")
            if mine["box_key"] is not None:
                raise Conflict(f"Trustee {trustee} has joined election {election} already.")
            index = mine["trustee_index"]
            return {"box_key": box_key}, {"index": index, "boxKey": box_key}, f"joined as trustee {index}", []

        return await self._step(actor, election, trustee, "join", {"boxKey": box_key}, check, key)

    async def commit(
        self, actor: Actor, election: str, trustee: str, commitment: str, key: str | None
    ) -> Acknowledged:
        if not isinstance(commitment, str) or not _HEX64.fullmatch(commitment):
            raise BadUserInput("The commitment hash must be 64 lower-case hex digits (SHA-256).")

        async def check(connection, row, mine, listed):
            st.require_state(election, row["state"], st.KEY_CEREMONY, action="committing")
            if mine["box_key"] is None:
                raise Conflict(f"Trustee {trustee} must join before committing.")
            if mine["commitment_hash"] is not None:
                raise Conflict(f"Trustee {trustee} has committed already.")
            waiting = len([t for t in listed if t["commitment_hash"] is None]) - 1
            return (
                {"commitment_hash": commitment},
                {"commitmentHash": commitment},
                f"commitment recorded; {waiting} trustee(s) still to commit",
                [],
            )

        return await self._step(actor, election, trustee, "commit", {"hash": commitment}, check, key)

    async def share(
        self, actor: Actor, election: str, trustee: str, reveal: object, sealed: object, key: str | None
    ) -> Acknowledged:
        items = _check_list(sealed, "sealedShares")

        async def check(connection, row, mine, listed):
            st.require_state(election, row["state"], st.KEY_CEREMONY, action="revealing")
            missing = [t["trustee_id"] for t in listed if t["commitment_hash"] is None]
            if missing:
                raise Conflict(
                    f"Nobody reveals before every trustee has committed: waiting for {', '.join(missing)}."
                )
            if mine["reveal"] is not None:
                raise Conflict(f"Trustee {trustee} has revealed already.")
            ceremony = public.ceremony_of(public.manifest_of(row["manifest"]))
            parsed = public.reveal_of(ceremony, reveal)
            index = mine["trustee_index"]
            if parsed.trustee != index:
                raise BadUserInput(f"The reveal names trustee index {parsed.trustee}, not {index}.")
            if not verify_reveal(ceremony, parsed, mine["commitment_hash"]):
                raise InvalidProof(
                    f"Trustee {trustee}'s reveal fails: it does not match its commitment hash or its proof "
                    "of knowledge does not verify."
                )
            shares = _sealed_shares(items, index, {t["trustee_index"] for t in listed})
            return (
                {"reveal": parsed.to_json(ceremony.group), "sealed_shares": shares},
                {"reveal": parsed.to_json(ceremony.group), "sealedShares": shares},
                f"reveal verified; {len(shares)} sealed share(s) recorded",
                [],
            )

        return await self._step(
            actor, election, trustee, "share", {"reveal": reveal, "sealed": sealed}, check, key
        )

    async def complain(
        self, actor: Actor, election: str, trustee: str, complaints: object, key: str | None
    ) -> Acknowledged:
        items = _check_list(complaints, "complaints")

        async def check(connection, row, mine, listed):
            st.require_state(election, row["state"], st.KEY_CEREMONY, action="checking shares")
            missing = [t["trustee_id"] for t in listed if t["reveal"] is None]
            if missing:
                raise Conflict(
                    f"Shares are checked once every trustee has revealed: waiting for {', '.join(missing)}."
                )
            if mine["complaints"] is not None:
                raise Conflict(f"Trustee {trustee} has reported its check already.")
            ceremony = public.ceremony_of(public.manifest_of(row["manifest"]))
            try:
                parsed = public.complaints_of(ceremony, items)
            except MalformedInput as exc:
                raise BadUserInput(f"Invalid complaint: {exc}") from None
            index = mine["trustee_index"]
            if any(c.accuser != index or c.accused == index for c in parsed):
                raise BadUserInput(f"Trustee {index} complains only as accuser, about another trustee.")
            documents = [c.to_json() for c in parsed]
            text = "no complaints" if not documents else f"{len(documents)} complaint(s) recorded"
            return {"complaints": documents}, {"complaints": documents}, text, []

        return await self._step(actor, election, trustee, "complain", {"complaints": complaints}, check, key)

    async def answer(
        self, actor: Actor, election: str, trustee: str, answers: object, key: str | None
    ) -> Acknowledged:
        items = _check_list(answers, "answers")

        async def check(connection, row, mine, listed):
            st.require_state(election, row["state"], st.KEY_CEREMONY, action="answering complaints")
            ceremony = public.ceremony_of(public.manifest_of(row["manifest"]))
            try:
                parsed = public.answers_of(ceremony, items)
            except MalformedInput as exc:
                raise BadUserInput(f"Invalid answer: {exc}") from None
            index = mine["trustee_index"]
            reveal = public.reveal_of(ceremony, mine["reveal"])
            for answer in parsed:
                if answer.dealer != index:
                    raise BadUserInput(f"Trustee {index} answers only complaints against itself.")
                if not verify_share(ceremony, reveal, answer.recipient, answer.share):
                    raise InvalidProof(
                        f"The disclosed share for trustee {answer.recipient} does not match trustee "
                        f"{index}'s commitments."
                    )
            documents = [*(mine["answers"] or []), *(a.to_json(ceremony.group) for a in parsed)]
            return {"answers": documents}, {"answers": documents}, f"{len(parsed)} answer(s) verified", []

        return await self._step(actor, election, trustee, "answer", {"answers": answers}, check, key)

    async def decrypt(
        self, actor: Actor, election: str, trustee: str, share: object, key: str | None
    ) -> Acknowledged:
        async def check(connection, row, mine, listed):
            st.require_state(election, row["state"], st.CLOSED, st.TALLYING, action="a decryption share")
            index = mine["trustee_index"]
            if index not in row["qualified"]:
                raise Conflict(f"Trustee {trustee} is not among the qualified trustees.")
            if mine["decryption_share"] is not None:
                raise Conflict(f"Trustee {trustee} has submitted its decryption share already.")
            context = public.context_of(row["manifest"], row["joint_key"])
            ceremony = public.ceremony_of(context.manifest)
            try:
                parsed = DecryptionShare.from_json(context, share, ceremony.n)
            except MalformedInput as exc:
                raise BadUserInput(f"Invalid decryption share: {exc}") from None
            if parsed.trustee != index:
                raise BadUserInput(f"The share names trustee index {parsed.trustee}, not {index}.")
            reveals = {t["trustee_index"]: public.reveal_of(ceremony, t["reveal"]) for t in listed}
            keys = public.verification_keys(ceremony, reveals, row["qualified"])
            aggregate = aggregate_from_json(context, row["aggregate"])
            if not verify_decryption_share(
                context, keys[index], aggregate, parsed, closing=closing_hash(row["closing"])
            ):
                raise InvalidProof(
                    f"Trustee {trustee}'s decryption share fails its Chaum-Pedersen proof against its "
                    "verification key, the aggregate and the closing statement: refused, not counted."
                )
            document = parsed.to_json(context.group)
            extra = []
            if row["state"] == st.CLOSED:
                await connection.execute(
                    update(elections).where(elections.c.id == election).values(state=st.TALLYING)
                )
                extra.append(changed(election, st.CLOSED, st.TALLYING))
            valid = len([t for t in listed if t["decryption_share"] is not None]) + 1
            text = f"decryption share verified; {valid} of {ceremony.t} needed"
            return {"decryption_share": document}, {"share": document}, text, extra

        return await self._step(actor, election, trustee, "decrypt", {"share": share}, check, key)


def _may_act(mine: RowMapping, actor: Actor, actor_hash: str, *, joining: bool) -> None:
    """Who may act as a trustee: the subject the official named (if any), and after joining, the principal
    that joined."""
    if mine["subject"] is not None and actor.identity != f"bearer:{mine['subject']}":
        raise Forbidden(f"Only the subject named for trustee {mine['trustee_id']} may act as it.")
    if not joining and mine["actor"] is not None and mine["actor"] != actor_hash:
        raise Forbidden(f"Trustee {mine['trustee_id']} was joined by someone else.")


def _sealed_shares(items: list, dealer: int, indexes: set[int]) -> list[dict]:
    """One sealed share from `dealer` to every other trustee, as published."""
    shares, seen = [], set()
    for position, item in enumerate(items):
        if not isinstance(item, dict) or sorted(item) != ["dealer", "recipient", "sealed"]:
            raise BadUserInput(f"sealedShares[{position}] must be {{dealer, recipient, sealed}}.")
        recipient, sealed = item["recipient"], item["sealed"]
        if item["dealer"] != dealer or type(recipient) is not int or recipient not in indexes - {dealer}:
            raise BadUserInput(f"sealedShares[{position}] must go from trustee {dealer} to another trustee.")
        if recipient in seen:
            raise BadUserInput(f"sealedShares has two shares for trustee {recipient}.")
        if (
            not isinstance(sealed, str)
            or len(sealed) > _SEALED_MAX
            or not re.fullmatch(r"(?:[0-9a-f]{2})+", sealed)
        ):
            raise BadUserInput(f"sealedShares[{position}].sealed must be lower-case hex.")
        seen.add(recipient)
        shares.append({"dealer": dealer, "recipient": recipient, "sealed": sealed})
    if seen != indexes - {dealer}:
        raise BadUserInput(
            f"Trustee {dealer} must seal one share to each of the {len(indexes) - 1} other trustees."
        )
    return sorted(shares, key=lambda s: s["recipient"])
