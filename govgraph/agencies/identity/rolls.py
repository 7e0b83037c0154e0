"""The identity bureau as issuer of electoral-roll credentials: one zk.eligibility BBS credential (over the
roll's name, with a pseudonym secret only the voter knows) per voter per roll, blind-signed under the bureau's
issuer key for that roll (derived from the bureau's secret: stable, no key file).

The election commission defines a roll (its rule: district, citizenship, election day; `defineElectoralRoll`,
on the elections ledger) and names the bureau's key for it in a manifest; the bureau issues. A voter asks to
register with its commitment and answers an OpenID4VP request for its citizen credential (citizenship and
residence disclosed and equal to the rule's, age >= 18 on election day proved, the credential's pseudonym for
the roll shown); once that presentation verified, the bureau blind-signs the stored commitment. On a roll
without a rule, a clerk of the bureau vouches instead (`clerk:identity`). Who is on a roll is kept as keyed
hashes (of the pseudonym, or of the citizen id) in the bureau's private table, never served and on no ledger;
their number is the roll's public size."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.elections.registration import (
    check_roll_id,
    load_roll,
    pseudonym_context,
    roll_dcql,
)
from govgraph.agencies.identity.models import RollIssuerRow, RollMemberRow, RollRegistrationRow
from govgraph.agencies.ids import check_id
from govgraph.agencies.writes import Actor, AgencyWrites, Change
from govgraph.federation.errors import BadUserInput, Conflict, InvalidProof, NotFound
from zk.ballot import election_group
from zk.curve import get_backend
from zk.eligibility import RollAuthority, suite_for
from zk.errors import ZkError

AGENCY = "identity"
CLERK = "clerk:identity"
BACKEND = "arkworks"  # roll credentials live in BLS12-381, as the elections that check them
_HEX = re.compile(r"(?:[0-9a-f]{2}){1,1024}")
members = RollMemberRow.__table__  # type: ignore[attr-defined]
registrations = RollRegistrationRow.__table__  # type: ignore[attr-defined]
issuers = RollIssuerRow.__table__  # type: ignore[attr-defined]
# The bureau's write path per database engine in this process: for the commission's demo seed, which names
# the bureau's key for its roll in the demo manifest (the app seeds the bureau first).
_bureaus: weakref.WeakKeyDictionary[Any, AgencyWrites] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Issued:
    """What the voter's wallet needs to finish issuance (zk.eligibility.finish_enrolment)."""

    roll: str
    issuer_public_key: str  # hex
    signature: str  # hex
    signer_nym_entropy: str  # hex, 32 bytes


def requested_by(roll: str) -> str:
    """Who the verifier's requests for this roll belong to: only the bureau's roll issuer reads them."""
    return f"identity:roll:{roll}"


@functools.lru_cache(maxsize=64)
def _issuer(key_material: bytes, roll: str) -> RollAuthority:
    return RollAuthority(suite_for(election_group(get_backend(BACKEND)).backend), roll, key_material)


def roll_issuer(writes: AgencyWrites, roll: str) -> RollAuthority:
    """The bureau's issuer for `roll` (`writes`: the identity bureau's write path, whose secret keys it)."""
    return _issuer(writes.keyed_digest("roll-key", check_roll_id(roll)), roll)


def issuer_public_key(writes: AgencyWrites, roll: str) -> bytes:
    return roll_issuer(writes, roll).public_key


async def publish_key(writes: AgencyWrites, roll: str) -> bytes:
    """The bureau's issuer key for `roll`, published (once) for the commission to read (`published_key`)."""
    key = issuer_public_key(writes, roll)
    async with writes.log.engine.connect() as connection:
        known = await published_key(connection, roll)
    if known is None:
        try:
            async with writes.log.engine.begin() as connection:
                await connection.execute(insert(issuers).values(roll_id=roll, public_key=key.hex()))
        except IntegrityError:  # published meanwhile by another request: the same key
            pass
    return key


async def published_key(connection: AsyncConnection, roll: str) -> bytes | None:
    """The issuer key the bureau published for `roll`, None before it did."""
    query = select(issuers.c.public_key).where(issuers.c.roll_id == roll)
    found = (await connection.execute(query)).scalar()
    return None if found is None else bytes.fromhex(found)


def know_bureau(writes: AgencyWrites) -> None:
    _bureaus[writes.log.engine] = writes


def bureau_on(engine: Any) -> AgencyWrites | None:
    """The identity bureau's write path over `engine` in this process (`know_bureau`), None without one."""
    return _bureaus.get(engine)


async def issued_count(connection: AsyncConnection, roll: str) -> int:
    """How many roll credentials the bureau has issued for `roll`: the roll's public size."""
    query = select(func.count()).select_from(members).where(members.c.roll_id == roll)
    return int((await connection.execute(query)).scalar_one())


def _commitment(commitment: object) -> str:
    if not isinstance(commitment, str) or not _HEX.fullmatch(commitment):
        raise BadUserInput("The commitment is lower-case hex (the voter's commit_with_nym output).")
    return commitment


async def _issue(
    connection: AsyncConnection, writes: AgencyWrites, roll: str, member: str, commitment: str
) -> dict:
    """On the write's transaction: refuse a second credential for `member` (a keyed hash), record it, and
    blind-sign `commitment`."""
    known = await connection.execute(
        select(members.c.member).where(members.c.roll_id == roll, members.c.member == member)
    )
    if known.first() is not None:
        raise Conflict(f"This voter holds a credential of roll {roll} already.")
    issuer = roll_issuer(writes, roll)
    entropy = secrets.randbelow(election_group(get_backend(BACKEND)).order - 1) + 1
    try:
        signature = issuer.issue(bytes.fromhex(commitment), entropy)
    except ZkError as exc:
        raise InvalidProof(f"The commitment's proof fails: {exc}.") from None
    await connection.execute(insert(members).values(roll_id=roll, member=member))
    return {
        "roll": roll,
        "issuerPublicKey": issuer.public_key.hex(),
        "signature": signature.hex(),
        "signerNymEntropy": f"{entropy:064x}",
    }


def _issued(result: Any) -> Issued:
    return Issued(result["roll"], result["issuerPublicKey"], result["signature"], result["signerNymEntropy"])


async def register_by_clerk(
    writes: AgencyWrites, actor: Actor, roll: str, citizen: str, commitment: str, key: str | None
) -> Issued:
    """Blind-sign the voter's commitment on a clerk's word that the citizen is eligible: once per citizen and
    roll (CONFLICT for a second), INVALID_PROOF when the commitment's proof fails; not for a roll whose rule
    asks for a presentation. No ledger entry: the roll is private."""
    check_roll_id(roll)
    check_id(citizen)
    _commitment(commitment)
    member = writes.keyed_hash("roll-member", f"{roll}\x00citizen\x00{citizen}")
    await publish_key(writes, roll)

    async def rows(connection: AsyncConnection, index: int) -> Change:
        try:
            await load_roll(connection, roll)
        except NotFound:
            return Change(await _issue(connection, writes, roll, member, commitment), [])
        raise Conflict(f"Roll {roll} registers voters by presentation only (requestRollRegistration).")

    arguments = {"roll": roll, "citizen": member, "commitment": commitment}
    try:
        written = await writes.write(actor, "registerVoterByClerk", arguments, rows, key)
    except IntegrityError:
        raise Conflict(f"This voter holds a credential of roll {roll} already.") from None
    return _issued(written.result)


async def request_registration(
    writes: AgencyWrites, verifier: Any, roll: str, commitment: str, key: str | None
) -> dict:
    """A presentation request for the roll's rule, with `commitment` kept for the credential."""
    check_roll_id(roll)
    _commitment(commitment)
    voter = Actor("voter", f"voter:commitment:{hashlib.sha256(commitment.encode()).hexdigest()}")
    await publish_key(writes, roll)

    async def rows(connection: AsyncConnection, index: int) -> Change:
        rule = await load_roll(connection, roll)
        new = verifier.new_request(roll_dcql(rule), f"registration on electoral roll {roll}")
        created = await verifier.store_request(connection, new, requested_by(roll))
        await connection.execute(
            insert(registrations).values(presentation_id=created.id, roll_id=roll, commitment=commitment)
        )
        result = {
            "presentationId": created.id,
            "requestUri": created.request_uri,
            "expiresAt": created.expires_at,
        }
        return Change(result, [])

    written = await writes.write(
        voter, "requestRollRegistration", {"roll": roll, "commitment": commitment}, rows, key
    )
    return dict(written.result)


async def register_with_presentation(
    writes: AgencyWrites, verifier: Any, presentation: str, key: str | None
) -> Issued:
    """The roll credential over the registration's commitment, once its presentation verified: one per
    pseudonym (so one per citizen credential) and roll."""
    async with writes.log.engine.connect() as connection:
        query = select(registrations).where(registrations.c.presentation_id == presentation)
        pending = (await connection.execute(query)).mappings().first()
    if pending is None:
        raise NotFound(f"No registration for presentation {presentation}.")
    roll = pending["roll_id"]
    outcome = await verifier.result(presentation, requested_by(roll))
    if outcome is None:
        raise NotFound(f"No registration for presentation {presentation}.")
    if outcome.status == "PENDING":
        raise Conflict(f"Presentation {presentation} has not been answered yet.")
    if outcome.status != "VERIFIED":
        raise InvalidProof(
            f"Presentation {presentation} is {outcome.status} ({outcome.failure}): no roll credential."
        )
    if outcome.pseudonym is None or outcome.context != pseudonym_context(roll):
        raise InvalidProof(f"Presentation {presentation} shows no pseudonym for roll {roll}.")
    member = writes.keyed_hash("roll-member", f"{roll}\x00pseudonym\x00{outcome.pseudonym}")
    voter = Actor("voter", f"voter:presentation:{presentation}")

    async def rows(connection: AsyncConnection, index: int) -> Change:
        claimed = await connection.execute(
            update(registrations)
            .where(registrations.c.presentation_id == presentation, registrations.c.issued.is_(False))
            .values(issued=True)
        )
        if claimed.rowcount != 1:
            raise Conflict(f"Presentation {presentation} has been used for a roll credential already.")
        return Change(await _issue(connection, writes, roll, member, pending["commitment"]), [])

    try:
        written = await writes.write(voter, "registerVoter", {"presentation": presentation}, rows, key)
    except IntegrityError:
        raise Conflict(f"This voter holds a credential of roll {roll} already.") from None
    return _issued(written.result)
