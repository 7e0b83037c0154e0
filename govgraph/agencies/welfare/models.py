"""The welfare office's tables. A programme is a public record (its eligibility rule is a DCQL query); a claim
names its claimant only by the pseudonym of the programme's context, so the database itself refuses a second
claim of one person on one programme (a unique index), and a second enrolment within an exclusion group and
period. Payments are per claim. No table holds a name, a citizen id or a disclosed attribute."""

from __future__ import annotations

import datetime

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class WelfareTable(SQLModel, registry=registry()):
    """Base of the welfare tables: their own metadata, so the app creates exactly the agencies it mounts."""


class ProgrammeRow(WelfareTable, table=True):
    __tablename__ = "welfare_programme"

    id: str = Field(primary_key=True)
    title: str
    description: str
    eligibility: str  # the DCQL query (canonical JSON) a claimant's presentation must satisfy
    amount: int  # the benefit in minor units of `currency`
    currency: str
    period: str  # the label claims are counted in (welfare/<programme>/<period>)
    starts_on: datetime.date
    ends_on: datetime.date
    exclusion_group: str | None = None
    created_on: datetime.date
    ledger_index: int | None = None  # the ProgrammeCreated entry


class InvitationRow(WelfareTable, table=True):
    """An opened claim: the verifier's presentation request(s) the claimant answers with their wallet."""

    __tablename__ = "welfare_invitation"

    id: str = Field(primary_key=True)
    programme_id: str = Field(foreign_key="welfare_programme.id", index=True)
    request_id: str  # the verifier's request: the programme's rule and the programme's pseudonym
    exclusion_request_id: str | None = None  # the exclusion group's pseudonym, when the programme has one
    created_at: float


class ClaimRow(WelfareTable, table=True):
    __tablename__ = "welfare_claim"
    # One claim per person per programme and period, whatever the code above does.
    __table_args__ = (UniqueConstraint("programme_id", "pseudonym", name="welfare_one_claim_per_pseudonym"),)

    id: str = Field(primary_key=True)
    programme_id: str = Field(foreign_key="welfare_programme.id", index=True)
    invitation_id: str = Field(unique=True)  # an invitation answers once
    pseudonym: str  # base64url, in context welfare/<programme>/<period>
    claimed_on: datetime.date
    ledger_index: int | None = None  # the ClaimAccepted entry


class EnrolmentRow(WelfareTable, table=True):
    """A claimant enrolled in an exclusion group for a period, by the group's pseudonym: the Integrated
    Beneficiary Registry's "enrolled" record, without a name or an id."""

    __tablename__ = "welfare_enrolment"
    __table_args__ = (
        UniqueConstraint("exclusion_group", "period", "pseudonym", name="welfare_one_enrolment_per_group"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exclusion_group: str
    period: str
    pseudonym: str  # base64url, in context welfare/exclusion/<group>/<period>
    programme_id: str = Field(foreign_key="welfare_programme.id")
    claim_id: str = Field(foreign_key="welfare_claim.id", unique=True)


class PaymentRow(WelfareTable, table=True):
    __tablename__ = "welfare_payment"

    reference: str = Field(primary_key=True)  # what the claimant can show: pay_<random>
    claim_id: str = Field(foreign_key="welfare_claim.id", unique=True)  # one payment per claim and period
    programme_id: str = Field(foreign_key="welfare_programme.id", index=True)
    amount: int
    currency: str
    paid_on: datetime.date
    ledger_index: int | None = None  # the PaymentRecorded entry
