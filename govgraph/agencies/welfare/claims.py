"""Claims without an account: `open_claim` asks the verifier for the presentation(s) a programme's rule
requires (the programme's pseudonym, and the exclusion group's when it has one); the citizen answers, either
with their wallet by OpenID4VP direct_post and then `submit_claim`, or by handing the presentation(s) to
`submit_claim` itself (one request: verified there, and the answer recorded in the claim's transaction).
`submit_claim` records the claim in one write-path transaction, where the database's unique indexes refuse a
second claim of the same pseudonym (and a second enrolment in the exclusion group) however many arrive at
once."""

from __future__ import annotations

import asyncio
import datetime
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.welfare.models import ClaimRow, EnrolmentRow, InvitationRow, ProgrammeRow
from govgraph.agencies.welfare.rules import claim_context, claim_query, exclusion_context
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event
from govgraph.credentials.dcql import DcqlError
from govgraph.credentials.verifier import (
    EXPIRED,
    VERIFIED,
    CheckedAnswer,
    CreatedRequest,
    Rejected,
    Verifier,
)
from govgraph.federation.errors import BadUserInput, Conflict, InvalidProof

# Who the welfare office's presentation requests belong to: only the office reads their results.
REQUESTED_BY = "agency:welfare"
CLAIM_ACCEPTED = "govgraph.welfare.ClaimAccepted/v1"
_invitations = InvitationRow.__table__  # type: ignore[attr-defined]
_claims = ClaimRow.__table__  # type: ignore[attr-defined]
_enrolments = EnrolmentRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Invitation:
    """An opened claim: the request(s) to answer with the wallet, then `submitClaim(invitation)`."""

    id: str
    programme_id: str
    request: CreatedRequest
    exclusion_request: CreatedRequest | None


def claimant(invitation_id: str) -> Actor:
    """Who writes a claim: an anonymous claimant, known only by the invitation they answered (so idempotency
    keys are scoped to one invitation and the entry's actor hash names no one)."""
    return Actor("claimant", f"invitation:{invitation_id}")


OPENER = Actor("claimant", "anonymous")


def _open(programme: ProgrammeRow, today: datetime.date) -> None:
    if not programme.starts_on <= today <= programme.ends_on:
        raise BadUserInput(
            f"Programme {programme.id} takes claims from {programme.starts_on} to {programme.ends_on}."
        )


async def open_claim(
    writes: AgencyWrites,
    verifier: Verifier,
    programme: ProgrammeRow,
    idempotency_key: str | None,
    today: datetime.date,
) -> Invitation | str:
    """The programme's presentation request(s), stored with an invitation, in one transaction (nothing is
    appended to the ledger). Returns the invitation, or its id when an idempotency key replays."""
    _open(programme, today)
    purpose = f"Claim for welfare programme {programme.id} ({programme.period})"
    try:
        new = verifier.new_request(
            claim_query(programme.eligibility, claim_context(programme.id, programme.period)), purpose
        )
        exclusion = None
        if programme.exclusion_group is not None:
            context = exclusion_context(programme.exclusion_group, programme.period)
            exclusion = verifier.new_request(
                claim_query(programme.eligibility, context), purpose + f": exclusion group {context}"
            )
    except DcqlError as exc:  # the verifier no longer knows the programme's credential
        raise BadUserInput(f"Programme {programme.id} cannot be claimed now: {exc}") from None
    invitation_id = "inv_" + secrets.token_urlsafe(12)

    async def rows(connection: AsyncConnection, _index: int) -> Change:
        request = await verifier.store_request(connection, new, REQUESTED_BY)
        other = (
            None if exclusion is None else await verifier.store_request(connection, exclusion, REQUESTED_BY)
        )
        await connection.execute(
            insert(_invitations).values(
                id=invitation_id,
                programme_id=programme.id,
                request_id=request.id,
                exclusion_request_id=None if other is None else other.id,
                created_at=time.time(),
            )
        )
        return Change(
            {"invitation": invitation_id}, [], rows=Invitation(invitation_id, programme.id, request, other)
        )

    written = await writes.write(OPENER, "openClaim", {"programme": programme.id}, rows, idempotency_key)
    return written.rows if written.rows is not None else written.result["invitation"]


async def invitation_requests(verifier: Verifier, row: InvitationRow) -> Invitation:
    """An invitation read back (an idempotent replay): its requests' URIs and deadlines."""
    request = await verifier.created_request(row.request_id)
    assert request is not None  # stored with the invitation
    other = None
    if row.exclusion_request_id is not None:
        other = await verifier.created_request(row.exclusion_request_id)
    return Invitation(row.id, row.programme_id, request, other)


EXPIRED_MESSAGE = "The claim's presentation request expired: open a new claim."


def rejected(cause: str | None) -> InvalidProof:
    """INVALID_PROOF for a rejected presentation, its cause (the verifier's: revoked, stale_witness,
    predicate_failed, expired, ...) in `extensions.cause` as well as in the message."""
    cause = cause or "rejected"
    return InvalidProof(f"The presentation was rejected: {cause}.", extensions={"cause": cause})


async def _verified(verifier: Verifier, request_id: str, context: str) -> str:
    """The pseudonym a verified answer to `request_id` proved for `context`; the typed refusal otherwise."""
    outcome = await verifier.result(request_id, REQUESTED_BY)
    assert outcome is not None  # the office made the request
    if outcome.status == "PENDING":
        raise BadUserInput("Answer the claim's presentation request with your wallet first.")
    if outcome.status == EXPIRED:
        raise BadUserInput(EXPIRED_MESSAGE)
    if outcome.status != VERIFIED:
        raise rejected(outcome.failure)
    return _pseudonym(outcome.pseudonym, outcome.context, context)


def _pseudonym(pseudonym: str | None, proved_for: str | None, context: str) -> str:
    if pseudonym is None or proved_for != context:
        raise InvalidProof(f"The presentation proves no pseudonym for {context}.")
    return pseudonym


@dataclass(frozen=True)
class Answer:
    """What a request of the claim was answered with: the pseudonym, and the answer to record with the
    claim when it came with submitClaim (None: recorded by the verifier at direct_post)."""

    pseudonym: str
    checked: CheckedAnswer | None = None


async def _answered(verifier: Verifier, request_id: str, context: str, vp_token: str | None) -> Answer:
    """The answer to one of the claim's requests: `vp_token` verified here when the request still waits for
    it, else the verifier's recorded result (the wallet answered by direct_post)."""
    if vp_token is not None:
        try:
            checked = await verifier.check_answer(request_id, REQUESTED_BY, vp_token)
        except Rejected as exc:
            raise BadUserInput(EXPIRED_MESSAGE) if exc.cause == "expired" else rejected(exc.cause) from None
        if checked is not None:
            return Answer(_pseudonym(checked.pseudonym, checked.context, context), checked)
    return Answer(await _verified(verifier, request_id, context))


async def submit_claim(
    writes: AgencyWrites,
    verifier: Verifier,
    invitation: InvitationRow,
    programme: ProgrammeRow,
    idempotency_key: str | None,
    today: datetime.date,
    vp_tokens: tuple[str | None, str | None] = (None, None),
) -> ClaimRow | str:
    """Record the claim the invitation's verified presentation(s) make: a ClaimAccepted entry with the
    programme's pseudonym (and the exclusion group's), never an identity. `vp_tokens`: the answers to the
    programme's request and the exclusion group's, when the claimant hands them over here rather than by
    direct_post; they are verified now and recorded in the claim's transaction. CONFLICT for a second claim
    of the same pseudonym, a second enrolment in the exclusion group and period, or an invitation claimed
    before. Returns the claim, or its id when an idempotency key replays."""
    _open(programme, today)
    group = programme.exclusion_group
    grouped = invitation.exclusion_request_id is not None and group is not None
    if vp_tokens[1] is not None and not grouped:
        raise BadUserInput(f"Programme {programme.id} has no exclusion group: give one presentation.")
    context = claim_context(programme.id, programme.period)
    if grouped:
        assert group is not None and invitation.exclusion_request_id is not None
        answer, group_answer = await asyncio.gather(
            _answered(verifier, invitation.request_id, context, vp_tokens[0]),
            _answered(
                verifier,
                invitation.exclusion_request_id,
                exclusion_context(group, programme.period),
                vp_tokens[1],
            ),
        )
    else:
        answer, group_answer = await _answered(verifier, invitation.request_id, context, vp_tokens[0]), None
    pseudonym = answer.pseudonym
    group_pseudonym = None if group_answer is None else group_answer.pseudonym
    checked = [a.checked for a in (answer, group_answer) if a is not None and a.checked is not None]
    claim_id = "clm_" + secrets.token_urlsafe(12)
    arguments = {"invitation": invitation.id}

    async def rows(connection: AsyncConnection, index: int) -> Change:
        for one in checked:  # the answers handed over with the claim: recorded with it, or not at all
            if not await verifier.record_answer(connection, one):
                raise Conflict("The claim's presentation request has been answered already.")
        # Read first for a precise refusal; the unique indexes below refuse what a concurrent writer in
        # another process commits in between.
        # (An answer recorded just now was PENDING: no claim of this invitation can exist yet.)
        await _refuse_duplicates(
            connection, invitation, programme, pseudonym, group_pseudonym, answered_here=bool(checked)
        )
        claim = ClaimRow(
            id=claim_id,
            programme_id=programme.id,
            invitation_id=invitation.id,
            pseudonym=pseudonym,
            claimed_on=today,
            ledger_index=index,
        )
        await connection.execute(insert(_claims).values(**claim.model_dump()))
        fields: dict = {
            "programme": programme.id,
            "period": programme.period,
            "claim": claim_id,
            "pseudonym": pseudonym,
        }
        if group_pseudonym is not None:
            await connection.execute(
                insert(_enrolments).values(
                    exclusion_group=group,
                    period=programme.period,
                    pseudonym=group_pseudonym,
                    programme_id=programme.id,
                    claim_id=claim_id,
                )
            )
            fields["exclusion"] = {"group": group, "pseudonym": group_pseudonym}
        return Change({"claim": claim_id}, [Event(CLAIM_ACCEPTED, fields)], rows=claim)

    try:
        written = await writes.write(claimant(invitation.id), "submitClaim", arguments, rows, idempotency_key)
    except IntegrityError:
        raise Conflict("This claim was made already (by a concurrent request).") from None
    return written.rows if written.rows is not None else written.result["claim"]


async def _refuse_duplicates(
    connection: AsyncConnection,
    invitation: InvitationRow,
    programme: ProgrammeRow,
    pseudonym: str,
    group_pseudonym: str | None,
    *,
    answered_here: bool = False,
) -> None:
    if not answered_here:
        used = await connection.execute(select(_claims.c.id).where(_claims.c.invitation_id == invitation.id))
        if used.first() is not None:
            raise Conflict("This invitation has been claimed already.")
    same = await connection.execute(
        select(_claims.c.id).where(_claims.c.programme_id == programme.id, _claims.c.pseudonym == pseudonym)
    )
    if same.first() is not None:
        raise Conflict(f"This person has claimed programme {programme.id} for {programme.period} already.")
    if group_pseudonym is not None:
        enrolled = await connection.execute(
            select(_enrolments.c.programme_id).where(
                _enrolments.c.exclusion_group == programme.exclusion_group,
                _enrolments.c.period == programme.period,
                _enrolments.c.pseudonym == group_pseudonym,
            )
        )
        other = enrolled.first()
        if other is not None:
            raise Conflict(
                f"This person is enrolled in programme {other[0]} of exclusion group "
                f"{programme.exclusion_group} for {programme.period}."
            )
