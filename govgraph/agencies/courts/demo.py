"""The courts' demo data for `make run`: three exhibits of a fictional civil case notarized by their SHA-256
through the write path, each with its idempotency key, so a second start appends nothing. The exhibits are
fixed byte strings (DEMO_EXHIBITS): anyone can hash them again and find their notarizations. Their
receipts (inclusion proof, cosigned checkpoint, RFC 3161 token) are not waited for at start-up:
`evidenceReceipt(index)` makes them when first asked for."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.courts.service import CourtsService
from govgraph.agencies.writes import DEMO_SEED, AgencyWrites

DEMO_CASE = "DEMO-CV-2026-0042"


@dataclass(frozen=True)
class Exhibit:
    name: str  # the idempotency key's suffix
    content: bytes  # the document itself; only its SHA-256 reaches the ledger
    media_type: str

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.content).digest()


DEMO_EXHIBITS = (
    Exhibit(
        "exhibit-a",
        b"Exhibit A. Tenancy agreement for 14 Canal Street, Northfield, signed on 2 January 2026.\n",
        "text/plain",
    ),
    Exhibit(
        "exhibit-b",
        b"Exhibit B. Inspection report: damp in the north wall of the living room, 9 February 2026.\n",
        "text/plain",
    ),
    Exhibit(
        "exhibit-c",
        b'{"exhibit":"C","kind":"invoice","number":"INV-2026-117","total":{"amount":84000,"currency":"EUR"}}',
        "application/json",
    ),
)


async def seed(sessions: async_sessionmaker[AsyncSession], writes: AgencyWrites | None) -> None:
    """Notarize the demo exhibits' hashes (no receipts waited for), each with its own idempotency key."""
    service = CourtsService(sessions, writes)
    for exhibit in DEMO_EXHIBITS:
        await service.record(
            DEMO_SEED, exhibit.sha256, exhibit.media_type, DEMO_CASE, f"demo-seed/{exhibit.name}"
        )
