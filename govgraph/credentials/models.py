"""The credential layer's tables: open credential offers (the transaction code only
hashed), single-use c_nonces, presentation requests with their results (only what
was disclosed, the predicates that held and the pseudonym; never a proof's hidden values),
and the revocation registry's handles and epochs."""

from __future__ import annotations

from sqlalchemy import Column, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class CredentialsTable(SQLModel, registry=registry()):
    """Base of the credential layer's tables: their own metadata, created by the app."""


class CredentialOfferRow(CredentialsTable, table=True):
    __tablename__ = "credentials_offer"

    id: str = Field(primary_key=True)  # in the credential_offer_uri: random, unguessable
    # The pre-authorized code: no more secret than the offer id, whose offer object carries it.
    code: str = Field(index=True, unique=True)
    tx_code_hash: str  # the transaction code (the PIN), hashed with the code
    configuration: str
    citizen_id: str
    # Who made the offer (a principal's actor, e.g. bearer:alice): the issuance entry is theirs.
    offered_by: str
    created_at: float
    expires_at: float
    # offered -> redeemed (token issued) -> issued; or locked (too many wrong PINs); or withdrawn (offered or
    # redeemed when a revocation of the citizen's credentials of the configuration ran)
    state: str = Field(default="offered", index=True)
    attempts: int = 0  # wrong transaction codes so far
    key_id: str | None = None  # the issuer key the credential was signed with
    ledger_index: int | None = None  # the issuance's ledger entry


class NonceRow(CredentialsTable, table=True):
    __tablename__ = "credentials_nonce"

    value: str = Field(primary_key=True)
    expires_at: float = Field(index=True)


class PresentationRequestRow(CredentialsTable, table=True):
    __tablename__ = "credentials_presentation_request"

    id: str = Field(primary_key=True)  # also the OID4VP `state`
    requested_by: str = Field(index=True)  # the creator's actor: only they read the result
    purpose: str
    dcql: str = Field(sa_column=Column(Text, nullable=False))  # the completed DCQL query, canonical JSON
    request: str = Field(sa_column=Column(Text, nullable=False))  # the zk PresentationRequest, canonical
    created_at: float
    expires_at: float
    # PENDING -> VERIFIED | REJECTED (the first answer); EXPIRED once unanswered past expires_at
    status: str = Field(default="PENDING")
    failure: str | None = None
    disclosed: str | None = None  # canonical JSON of the disclosed claims
    predicates: str | None = None  # canonical JSON list of the statements that held
    pseudonym: str | None = None
    answered_at: float | None = None


class RevocationHandleRow(CredentialsTable, table=True):
    """Which citizen each revocable credential's handle belongs to: private to the issuer, never on a ledger
    (a handle on the ledger, with its citizen, would tell whose credential a revocation batch removed)."""

    __tablename__ = "credentials_revocation_handle"

    handle: str = Field(primary_key=True)  # base64url of the scalar
    configuration: str
    citizen_id: str = Field(index=True)
    revoked_epoch: int | None = None


class RevocationEpochRow(CredentialsTable, table=True):
    """One revocation batch of a configuration's accumulator (epoch 0 is the key file's initial value)."""

    __tablename__ = "credentials_revocation_epoch"

    configuration: str = Field(primary_key=True)
    epoch: int = Field(primary_key=True)
    accumulator: str  # base64url of the value
    update: str = Field(sa_column=Column(Text, nullable=False))  # zk.accumulator.UpdateData, canonical JSON
    published_at: float
    ledger_index: int | None = None  # the identity ledger's RevocationEpoch entry


metadata = CredentialsTable.metadata
