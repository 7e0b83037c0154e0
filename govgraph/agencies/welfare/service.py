"""The welfare office's rules: programmes (their eligibility rule on the ledger), claims (claims.py), payment
runs, the exclusion groups' "enrolled elsewhere?" question, and the reads behind the GraphQL fields and the
disbursement exports."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, insert
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.welfare import claims
from govgraph.agencies.welfare.models import ClaimRow, EnrolmentRow, InvitationRow, PaymentRow, ProgrammeRow
from govgraph.agencies.welfare.rules import SLUG, ProgrammeDefinition
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event
from govgraph.credentials.configurations import CredentialConfiguration
from govgraph.credentials.verifier import Verifier
from govgraph.federation.dataloaders import by_key, grouped_by_key
from govgraph.federation.errors import BadUserInput, Conflict, NotFound

AGENCY = "welfare"
OFFICIAL = "official:welfare"
PROGRAMME_CREATED = "govgraph.welfare.ProgrammeCreated/v1"
PAYMENT_RECORDED = "govgraph.welfare.PaymentRecorded/v1"
MAX_PROGRAMMES = 100
MAX_PAYMENTS = 256  # payments one run may carry
_programmes = ProgrammeRow.__table__  # type: ignore[attr-defined]
_payments = PaymentRow.__table__  # type: ignore[attr-defined]
_invitations = InvitationRow.__table__  # type: ignore[attr-defined]
_INVITATION_AND_PROGRAMME = (
    sql_select(
        *[c.label("i_" + c.name) for c in _invitations.c], *[c.label("p_" + c.name) for c in _programmes.c]
    )
    .join_from(_invitations, _programmes, _programmes.c.id == _invitations.c.programme_id)
    .where(_invitations.c.id == bindparam("invitation"))
)


@dataclass(frozen=True)
class PaymentOrder:
    """One payment of a run: the claim, the day paid, and the amount (default: the programme's benefit)."""

    claim_id: str
    paid_on: datetime.date
    amount: int | None = None


class WelfareService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writes: AgencyWrites | None = None,
        verifier: Verifier | None = None,
    ) -> None:
        self.sessions = sessions
        self.writes = writes
        self.verifier = verifier

    def _writes(self) -> AgencyWrites:
        if self.writes is None:
            raise RuntimeError(f"no write path for {AGENCY}: the app starts one per agency with a ledger")
        return self.writes

    def _verifier(self) -> Verifier:
        if self.verifier is None:
            raise RuntimeError("the welfare office needs the credential verifier (govgraph serve)")
        return self.verifier

    # -- programmes --------------------------------------------------------------------------------------

    async def create_programme(
        self,
        actor: Actor,
        definition: ProgrammeDefinition,
        idempotency_key: str | None = None,
        *,
        today: datetime.date | None = None,
        configurations: Mapping[str, CredentialConfiguration] | None = None,
    ) -> ProgrammeRow:
        """Create a programme and record its whole rule in a ProgrammeCreated entry; CONFLICT if the id is
        taken. The rule is checked against `configurations` (default: the verifier's; the demo seed, which
        runs before the verifier starts, gives the standard ones the verifier is started with)."""
        if configurations is None:
            configurations = self._verifier().configurations
        checked = definition.checked(configurations)
        created_on = today or utc_today()
        fields = checked.event_fields()

        async def rows(connection: AsyncConnection, index: int) -> Change:
            row = ProgrammeRow(
                id=definition.id,
                title=definition.title.strip(),
                description=definition.description.strip(),
                eligibility=checked.eligibility,
                amount=definition.amount,
                currency=definition.currency,
                period=definition.period,
                starts_on=definition.starts_on,
                ends_on=definition.ends_on,
                exclusion_group=definition.exclusion_group,
                created_on=created_on,
                ledger_index=index,
            )
            await connection.execute(insert(_programmes).values(**row.model_dump()))
            return Change({"programme": row.id}, [Event(PROGRAMME_CREATED, fields)], rows=row)

        try:
            written = await self._writes().write(actor, "createProgramme", fields, rows, idempotency_key)
        except IntegrityError:
            raise Conflict(f"Programme {definition.id} exists already.") from None
        if written.rows is not None:
            return written.rows
        return await self.programme(written.result["programme"])

    async def programme(self, programme_id: str) -> ProgrammeRow:
        row = (await self.programmes_by_ids([programme_id]))[0]
        if row is None:
            raise NotFound(f"No programme {programme_id}.")
        return row

    async def programmes_by_ids(self, ids: Sequence[str]) -> list[ProgrammeRow | None]:
        async with self.sessions() as session:
            rows = (await session.exec(select(ProgrammeRow).where(col(ProgrammeRow.id).in_(ids)))).all()
        return by_key(list(rows), ids, key=lambda row: row.id)

    async def programmes(self, first: int) -> list[ProgrammeRow]:
        if not 0 <= first <= MAX_PROGRAMMES:
            raise BadUserInput(f"`first` must lie in 0..{MAX_PROGRAMMES}, got {first}.")
        async with self.sessions() as session:
            rows = await session.exec(select(ProgrammeRow).order_by(ProgrammeRow.id).limit(first))
            return list(rows.all())

    # -- claims ------------------------------------------------------------------------------------------

    async def open_claim(
        self, programme_id: str, idempotency_key: str | None = None, *, today: datetime.date | None = None
    ) -> claims.Invitation:
        programme = await self.programme(programme_id)
        verifier = self._verifier()
        opened = await claims.open_claim(
            self._writes(), verifier, programme, idempotency_key, today or utc_today()
        )
        if isinstance(opened, claims.Invitation):
            return opened
        return await claims.invitation_requests(verifier, await self._invitation(opened))

    async def _invitation(self, invitation_id: str) -> InvitationRow:
        async with self.sessions() as session:
            row = await session.get(InvitationRow, invitation_id)
        if row is None:
            raise NotFound(f"No claim invitation {invitation_id}.")
        return row

    async def submit_claim(
        self,
        invitation_id: str,
        idempotency_key: str | None = None,
        *,
        today: datetime.date | None = None,
        vp_tokens: tuple[str | None, str | None] = (None, None),
    ) -> ClaimRow:
        # The claim path's hot read: one round trip, a statement built once, no ORM session.
        async with self._writes().log.engine.connect() as connection:
            found = (
                await connection.execute(_INVITATION_AND_PROGRAMME, {"invitation": invitation_id})
            ).first()
        if found is None:
            raise NotFound(f"No claim invitation {invitation_id}.")
        values = found._asdict()
        invitation = InvitationRow(**{c.name: values["i_" + c.name] for c in _invitations.c})
        programme = ProgrammeRow(**{c.name: values["p_" + c.name] for c in _programmes.c})
        made = await claims.submit_claim(
            self._writes(),
            self._verifier(),
            invitation,
            programme,
            idempotency_key,
            today or utc_today(),
            vp_tokens,
        )
        if isinstance(made, ClaimRow):
            return made
        return await self.claim(made)

    async def claim(self, claim_id: str) -> ClaimRow:
        row = (await self.claims_by_ids([claim_id]))[0]
        if row is None:
            raise NotFound(f"No claim {claim_id}.")
        return row

    async def claims_by_ids(self, ids: Sequence[str]) -> list[ClaimRow | None]:
        async with self.sessions() as session:
            rows = (await session.exec(select(ClaimRow).where(col(ClaimRow.id).in_(ids)))).all()
        return by_key(list(rows), ids, key=lambda row: row.id)

    async def claims_of(self, programme_id: str) -> list[ClaimRow]:
        async with self.sessions() as session:
            rows = await session.exec(
                select(ClaimRow).where(ClaimRow.programme_id == programme_id).order_by(ClaimRow.ledger_index)
            )
            return list(rows.all())

    async def claim_counts(self, programme_ids: Sequence[str]) -> list[int]:
        async with self.sessions() as session:
            rows = await session.exec(
                select(ClaimRow.programme_id, func.count())
                .where(col(ClaimRow.programme_id).in_(programme_ids))
                .group_by(ClaimRow.programme_id)
            )
            counts = dict(rows.all())
        return [counts.get(programme_id, 0) for programme_id in programme_ids]

    async def enrolments(self, group: str, period: str, pseudonym: str) -> list[ProgrammeRow]:
        """The Integrated Beneficiary Registry's "enrolled" question, asked by the exclusion group's
        pseudonym: the programmes of `group` the holder of `pseudonym` is enrolled in for `period`."""
        if not SLUG.fullmatch(group) or not 0 < len(period) <= 32 or not 0 < len(pseudonym) <= 128:
            raise BadUserInput("Give an exclusion group, a period and a pseudonym (base64url).")
        async with self.sessions() as session:
            rows = await session.exec(
                select(ProgrammeRow)
                .join(EnrolmentRow, col(EnrolmentRow.programme_id) == ProgrammeRow.id)
                .where(
                    EnrolmentRow.exclusion_group == group,
                    EnrolmentRow.period == period,
                    EnrolmentRow.pseudonym == pseudonym,
                )
                .order_by(ProgrammeRow.id)
            )
            return list(rows.all())

    # -- payments ----------------------------------------------------------------------------------------

    async def record_payments(
        self, actor: Actor, orders: Sequence[PaymentOrder], idempotency_key: str | None = None
    ) -> list[PaymentRow]:
        """A payment run: one payment per claim (CONFLICT for a claim paid before), each with a
        PaymentRecorded entry (programme, claim, reference, amount, date: no identity), all or none."""
        if not 0 < len(orders) <= MAX_PAYMENTS:
            raise BadUserInput(f"Record 1..{MAX_PAYMENTS} payments at a time, not {len(orders)}.")
        if len({order.claim_id for order in orders}) < len(orders):
            raise BadUserInput("The same claim appears twice in the run.")
        found = await self.claims_by_ids([order.claim_id for order in orders])
        missing = [order.claim_id for order, row in zip(orders, found, strict=True) if row is None]
        if missing:
            raise NotFound(f"No claim {missing[0]}.")
        programmes = {
            row.id: row
            for row in await self.programmes_by_ids(sorted({row.programme_id for row in found if row}))
            if row is not None
        }
        payments = []
        for order, claim in zip(orders, found, strict=True):
            assert claim is not None
            programme = programmes[claim.programme_id]
            amount = programme.amount if order.amount is None else order.amount
            if not 0 < amount <= programme.amount:
                raise BadUserInput(
                    f"A payment of claim {claim.id} is 1..{programme.amount} minor units "
                    f"of {programme.currency}."
                )
            if order.paid_on < claim.claimed_on:
                raise BadUserInput(
                    f"Claim {claim.id} was made on {claim.claimed_on}: it cannot be paid before."
                )
            payments.append(
                PaymentRow(
                    reference="pay_" + secrets.token_urlsafe(12),
                    claim_id=claim.id,
                    programme_id=programme.id,
                    amount=amount,
                    currency=programme.currency,
                    paid_on=order.paid_on,
                )
            )
        arguments = {
            "payments": [
                {"claim": o.claim_id, "paidOn": o.paid_on.isoformat(), "amount": o.amount} for o in orders
            ]
        }

        async def rows(connection: AsyncConnection, index: int) -> Change:
            claim_ids = [payment.claim_id for payment in payments]
            paid = await connection.execute(
                sql_select(_payments.c.claim_id).where(_payments.c.claim_id.in_(claim_ids))
            )
            first = paid.first()
            if first is not None:
                raise Conflict(f"Claim {first[0]} is paid already.")
            events = []
            for offset, payment in enumerate(payments):
                payment.ledger_index = index + offset
                await connection.execute(insert(_payments).values(**payment.model_dump()))
                events.append(Event(PAYMENT_RECORDED, _payment_fields(payment)))
            return Change({"payments": [p.reference for p in payments]}, events, rows=payments)

        try:
            written = await self._writes().write(actor, "recordPayments", arguments, rows, idempotency_key)
        except IntegrityError:
            raise Conflict("One of these claims was paid by a concurrent run.") from None
        if written.rows is not None:
            return list(written.rows)
        read = await self.payments_by_references(list(written.result["payments"]))
        return [row for row in read if row is not None]

    async def payments_by_references(self, references: Sequence[str]) -> list[PaymentRow | None]:
        async with self.sessions() as session:
            rows = (
                await session.exec(select(PaymentRow).where(col(PaymentRow.reference).in_(references)))
            ).all()
        return by_key(list(rows), references, key=lambda row: row.reference)

    async def payments_by_claims(self, claim_ids: Sequence[str]) -> list[list[PaymentRow]]:
        async with self.sessions() as session:
            rows = (
                await session.exec(select(PaymentRow).where(col(PaymentRow.claim_id).in_(claim_ids)))
            ).all()
        return grouped_by_key(list(rows), claim_ids, key=lambda row: row.claim_id)

    async def payments_of(self, programme_id: str) -> list[PaymentRow]:
        async with self.sessions() as session:
            rows = await session.exec(
                select(PaymentRow)
                .where(PaymentRow.programme_id == programme_id)
                .order_by(PaymentRow.ledger_index)
            )
            return list(rows.all())


def utc_today() -> datetime.date:
    """The day in UTC: programmes open and close, and claims are dated, on UTC days (as the verifier's
    presentation requests are)."""
    return datetime.datetime.now(datetime.UTC).date()


def _payment_fields(payment: PaymentRow) -> dict:
    return {
        "programme": payment.programme_id,
        "claim": payment.claim_id,
        "payment": payment.reference,
        "amount": payment.amount,
        "currency": payment.currency,
        "paidOn": payment.paid_on.isoformat(),
    }
