"""The election commission's GraphQL output types beside `Election`: ballots on the board, trustees and
their messages, rolls, and what casting, trustee uploads and voter registration answer."""

from __future__ import annotations

import datetime

import strawberry
from sqlalchemy.engine import RowMapping
from strawberry.scalars import JSON

from govgraph.agencies.elections.casting import CastResult
from govgraph.agencies.elections.ceremony import Acknowledged
from govgraph.agencies.elections.service import AGENCY
from govgraph.agencies.ledger_links import LedgerEntry, ledger_entry


@strawberry.type(description="A ballot on the public board, as cast (or spoiled), for anyone to re-verify.")
class BoardBallot:
    tracking_code: str
    ledger_index: int
    ballot: JSON
    eligibility: JSON | None
    spoiled: bool = strawberry.field(description="A Benaloh-challenged ballot: published, never counted.")
    opening: JSON | None = strawberry.field(description="A spoiled ballot's plaintext and nonces.")
    counted: bool = strawberry.field(description="Counts now (not spoiled, not replaced under LAST_COUNTS).")

    @strawberry.field(description="The elections ledger's entry holding this ballot.")
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @classmethod
    def from_row(cls, row: RowMapping) -> BoardBallot:
        return cls(
            tracking_code=row["tracking_code"],
            ledger_index=row["ledger_index"],
            ballot=row["ballot"],
            eligibility=row["eligibility"],
            spoiled=row["spoiled"],
            opening=row["opening"],
            counted=row["current"] and not row["spoiled"],
        )


@strawberry.type(description="A trustee of an election and its public key-ceremony and tally messages.")
class ElectionTrustee:
    id: str
    index: int
    name: str
    joined: bool
    box_key: str | None
    commitment_hash: str | None
    reveal: JSON | None
    sealed_shares: JSON | None
    complaints: JSON | None
    answers: JSON | None
    decryption_share: JSON | None


@strawberry.type(
    description="An electoral roll: the identity bureau's issuer key for it, how many hold a credential "
    "(issued by the bureau), and its rule when the commission defined one."
)
class ElectoralRoll:
    id: str
    issuer_public_key: str | None = strawberry.field(
        description="The identity bureau's BBS issuer key for this roll (hex), which a manifest names; null "
        "until the bureau has published it (its `rollIssuer`)."
    )
    size: int = strawberry.field(description="How many hold a credential of this roll (who, is not public).")
    district: str | None = strawberry.field(description="Registration by presentation: the residence.")
    citizenship: str | None = strawberry.field(description="Registration by presentation: the citizenship.")
    election_day: datetime.date | None = strawberry.field(description="Age >= 18 is proved for this day.")


@strawberry.type(description="What a voter keeps: the tracking code and the ledger entry holding the ballot.")
class CastReceipt:
    tracking_code: str
    ledger_index: int
    replaced: str | None = strawberry.field(
        description="The tracking code this ballot replaced (LAST_COUNTS)."
    )

    @strawberry.field(
        description="The elections ledger's entry; its receipt once a cosigned checkpoint covers it."
    )
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @classmethod
    def of(cls, result: CastResult) -> CastReceipt:
        return cls(
            tracking_code=result.tracking_code, ledger_index=result.ledger_index, replaced=result.replaced
        )


@strawberry.type(description="A trustee's upload, acknowledged: it verified and is on the elections ledger.")
class TrusteeAck:
    election: str
    trustee: str
    step: str
    ledger_index: int
    message: str

    @classmethod
    def of(cls, ack: Acknowledged) -> TrusteeAck:
        return cls(
            election=ack.election,
            trustee=ack.trustee,
            step=ack.step,
            ledger_index=ack.ledger_index,
            message=ack.message,
        )
