"""The courts' rules for evidence notarization: a document's SHA-256 (never the document), its media type
and a case reference are checked, recorded as a row and an EvidenceNotarized entry in one transaction of
the courts ledger, and answered with an evidence receipt (inclusion proof, cosigned checkpoint, RFC 3161
token)."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.courts.models import NotarizationRow
from govgraph.agencies.courts.notary import Notary, ReceiptUnavailable
from govgraph.agencies.writes import Actor, AgencyWrites, Change, Event
from govgraph.evidence.receipt import ENTRY_TYPE, EvidenceReceipt
from govgraph.federation.errors import BadUserInput, NotFound, ServiceUnavailable
from zk.json_input import load_json

AGENCY = "courts"
CLERK = "clerk:courts"
MAX_FOUND = 100  # notarizations one look-up by hash returns
# RFC 6838 section 4.2 restricted-name, type "/" subtype, without parameters
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
CASE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,63}")

_notarizations = NotarizationRow.__table__  # type: ignore[attr-defined]


class ReceiptPending(ServiceUnavailable):
    """The notarization is recorded but its receipt could not be made now (the TSA or the sequencer is
    late): SERVICE_UNAVAILABLE with `retryable: true` and the notarization's index in
    `extensions.notarization` (a UInt64 string). A retry with the same idempotency key returns the same
    notarization with its receipt, and `evidenceReceipt(index)` returns the receipt once its token exists."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message, extensions={"notarization": str(index)})


@dataclass(frozen=True, slots=True)
class Notarization:
    index: int
    sha256: bytes
    media_type: str | None
    case_ref: str | None
    notarized_at: str  # the entry's time: the ledger's word, not a second clock reading

    @classmethod
    def of(cls, row: NotarizationRow, entry: bytes) -> Notarization:
        digest = base64.b64decode(row.sha256)
        moment = load_json(entry, what="ledger entry", max_depth=4, strict=True)["time"]
        return cls(row.ledger_index, digest, row.media_type, row.case_ref, moment)


@dataclass(frozen=True, slots=True)
class Notarized:
    notarization: Notarization
    receipt: EvidenceReceipt


def check_request(
    sha256: bytes, media_type: str | None, case_ref: str | None
) -> tuple[str | None, str | None]:
    """The media type (lower case) and case reference as recorded; BAD_USER_INPUT says what is wrong."""
    if len(sha256) != 32:
        raise BadUserInput(f"`sha256` must be the 32 bytes of a SHA-256 hash, not {len(sha256)}.")
    if media_type is not None:
        # ASCII first: str.lower maps some non-ASCII letters to ASCII ones (KELVIN SIGN to k)
        media_type = media_type.lower() if media_type.isascii() else ""
        if not MEDIA_TYPE.fullmatch(media_type):
            raise BadUserInput(
                "`mediaType` must be a media type such as application/pdf (RFC 6838), no parameters."
            )
    if case_ref is not None and not CASE_REF.fullmatch(case_ref):
        raise BadUserInput("`caseRef` must be 1..64 characters: letters, digits and . _ / : - (not first).")
    return media_type, case_ref


class CourtsService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writes: AgencyWrites | None = None,
        notary: Notary | None = None,
    ) -> None:
        self.sessions = sessions
        self.writes = writes
        self.notary = notary

    async def notarize(
        self,
        actor: Actor,
        sha256: bytes,
        media_type: str | None = None,
        case_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Notarized:
        """Record the hash (one EvidenceNotarized entry) and return its receipt once a signed, cosigned and
        time-stamped checkpoint covers it."""
        writes, notary = _require(self.writes, self.notary)
        row = await self.record(actor, sha256, media_type, case_ref, idempotency_key)
        try:
            receipt = await notary.receipt(writes.log, row.ledger_index)
        except ReceiptUnavailable as exc:
            raise ReceiptPending(
                f"Notarization {row.ledger_index} is recorded but its receipt is not ready ({exc}); retry "
                "with the same idempotencyKey, or ask evidenceReceipt(index) later.",
                row.ledger_index,
            ) from None
        return Notarized(Notarization.of(row, receipt.ledger.entry), receipt)

    async def record(
        self,
        actor: Actor,
        sha256: bytes,
        media_type: str | None = None,
        case_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> NotarizationRow:
        """The write of a notarization (row and EvidenceNotarized entry in one transaction), without waiting
        for its receipt: `notarize` waits, the demo seed does not (its receipts are made when asked for)."""
        writes = _require_writes(self.writes)
        media_type, case_ref = check_request(sha256, media_type, case_ref)
        digest = base64.b64encode(sha256).decode()
        fields = {"sha256": digest}
        if media_type is not None:
            fields["mediaType"] = media_type
        if case_ref is not None:
            fields["caseRef"] = case_ref

        async def rows(connection: AsyncConnection, index: int) -> Change:
            values = {"ledger_index": index, "sha256": digest, "media_type": media_type, "case_ref": case_ref}
            await connection.execute(insert(_notarizations).values(**values))
            return Change({"index": index}, [Event(ENTRY_TYPE, fields)], rows=NotarizationRow(**values))

        written = await writes.write(actor, "notarize", fields, rows, idempotency_key)
        index = int(written.result["index"])
        row = written.rows if written.rows is not None else (await self.by_indexes([index]))[0]
        assert row is not None  # committed by this write or by the one it replays
        return row

    async def receipt(self, index: int) -> Notarized:
        """The receipt of notarization `index` (NOT_FOUND when there is none)."""
        writes, notary = _require(self.writes, self.notary)
        row = (await self.by_indexes([index]))[0]
        if row is None:
            raise NotFound(f"There is no notarization {index}.")
        try:
            receipt = await notary.receipt(writes.log, index, wait=5.0)
        except ReceiptUnavailable as exc:
            raise ReceiptPending(f"The receipt of notarization {index} is not ready: {exc}.", index) from None
        return Notarized(Notarization.of(row, receipt.ledger.entry), receipt)

    async def by_indexes(self, indexes: Sequence[int]) -> list[NotarizationRow | None]:
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(NotarizationRow).where(col(NotarizationRow.ledger_index).in_(indexes))
                )
            ).all()
        found = {row.ledger_index: row for row in rows}
        return [found.get(index) for index in indexes]

    async def by_hash(self, sha256: bytes) -> list[Notarization]:
        """Every notarization of this hash, oldest first (at most MAX_FOUND)."""
        writes, _notary = _require(self.writes, self.notary)
        if len(sha256) != 32:
            raise BadUserInput(f"`sha256` must be the 32 bytes of a SHA-256 hash, not {len(sha256)}.")
        digest = base64.b64encode(sha256).decode()
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(NotarizationRow)
                    .where(NotarizationRow.sha256 == digest)
                    .order_by(NotarizationRow.ledger_index)
                    .limit(MAX_FOUND)
                )
            ).all()
        return [Notarization.of(row, await writes.log.entry(row.ledger_index)) for row in rows]


def _require_writes(writes: AgencyWrites | None) -> AgencyWrites:
    if writes is None:
        raise RuntimeError(f"no write path for {AGENCY}: the app starts one per agency with a ledger")
    return writes


def _require(writes: AgencyWrites | None, notary: Notary | None) -> tuple[AgencyWrites, Notary]:
    if writes is None or notary is None:
        raise RuntimeError(
            f"no write path or notary for {AGENCY}: the app starts them with the courts ledger"
        )
    return writes, notary
