"""Electoral rolls: the commission blind-issues one roll credential per voter (zk.eligibility's BBS
credential with a pseudonym secret only the voter knows), on a clerk's word that the citizen is eligible. Who
is on a roll
is kept only as keyed hashes in a private table (never served, never on a ledger); the roll's size is public.
Each roll's issuer key is derived from the agency's secret, so it is stable and needs no key file."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govgraph.agencies.elections import public
from govgraph.agencies.elections.models import ElectoralRollRow
from govgraph.agencies.elections.service import roll_members
from govgraph.agencies.ids import check_id
from govgraph.agencies.writes import Actor, AgencyWrites, Change
from govgraph.federation.errors import BadUserInput, Conflict, InvalidProof
from zk.eligibility import RollAuthority, suite_for
from zk.errors import ZkError

CLERK = "clerk:identity"  # the identity bureau's clerk vouches that the citizen is eligible
_ROLL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_MAX_COMMITMENT_HEX = 2048
rolls = ElectoralRollRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Issued:
    roll: str
    signature: str  # hex
    signer_nym_entropy: str  # hex, 32 bytes


def check_roll_id(roll: str) -> str:
    if not isinstance(roll, str) or not _ROLL_ID.fullmatch(roll):
        raise BadUserInput(
            "A roll id is 1..64 letters, digits, '.', '_' or '-', starting with a letter or digit."
        )
    return roll


@functools.lru_cache(maxsize=64)
def _authority(key_material: bytes, roll: str) -> RollAuthority:
    return RollAuthority(suite_for(public.group().backend), roll, key_material)


def roll_authority(writes: AgencyWrites, roll: str) -> RollAuthority:
    return _authority(writes.keyed_digest("roll-key", check_roll_id(roll)), roll)


async def roll_count(engine: AsyncEngine, roll: str) -> int:
    async with engine.connect() as connection:
        query = select(func.count()).select_from(roll_members).where(roll_members.c.roll_id == roll)
        return int((await connection.execute(query)).scalar_one())


async def issue_for(
    connection: AsyncConnection, writes: AgencyWrites, roll: str, member: str, commitment: str
) -> dict:
    """On the write's transaction: refuse a second credential for `member` (a keyed hash), record it, and
    blind-sign `commitment`; the result the voter needs to finish issuance."""
    known = await connection.execute(
        select(roll_members.c.citizen).where(roll_members.c.roll_id == roll, roll_members.c.citizen == member)
    )
    if known.first() is not None:
        raise Conflict(f"This voter holds a credential of roll {roll} already.")
    entropy = secrets.randbelow(public.group().order - 1) + 1
    try:
        signature = roll_authority(writes, roll).issue(bytes.fromhex(commitment), entropy)
    except ZkError as exc:
        raise InvalidProof(f"The commitment's proof fails: {exc}.") from None
    await connection.execute(insert(roll_members).values(roll_id=roll, citizen=member))
    return {"roll": roll, "signature": signature.hex(), "signerNymEntropy": f"{entropy:064x}"}


async def register_voter(
    writes: AgencyWrites, actor: Actor, roll: str, citizen: str, commitment: str, key: str | None
) -> Issued:
    """Blind-sign the voter's commitment to its pseudonym secret on a clerk's word: once per citizen and roll
    (CONFLICT for a second), INVALID_PROOF when the commitment's proof fails. Not for a roll defined for
    registration by presentation. No ledger entry: the roll is private."""
    check_roll_id(roll)
    check_id(citizen)
    if (
        not isinstance(commitment, str)
        or len(commitment) > _MAX_COMMITMENT_HEX
        or not re.fullmatch(r"(?:[0-9a-f]{2})+", commitment)
    ):
        raise BadUserInput("The commitment is lower-case hex (the voter's commit_with_nym output).")
    member = writes.keyed_hash("roll-member", f"{roll}\x00{citizen}")

    async def rows(connection: AsyncConnection, index: int) -> Change:
        defined = await connection.execute(select(rolls.c.id).where(rolls.c.id == roll))
        if defined.first() is not None:
            raise Conflict(f"Roll {roll} registers voters by presentation only (requestRollRegistration).")
        return Change(await issue_for(connection, writes, roll, member, commitment), [])

    arguments = {"roll": roll, "citizen": member, "commitment": commitment}
    try:
        written = await writes.write(actor, "registerVoterByClerk", arguments, rows, key)
    except IntegrityError:
        raise Conflict(f"This voter holds a credential of roll {roll} already.") from None
    result = written.result
    return Issued(result["roll"], result["signature"], result["signerNymEntropy"])
