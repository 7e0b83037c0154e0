"""The procurement office's demo data for `make run`: one tender process (planning, tender, award, contract,
implementation) published as OCDS 1.1.5 releases through the write path, each with its idempotency key, so
a second run appends nothing. The award goes to the only bidder after an eight-day tender period: the demo
shows two red flags."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.procurement.service import ProcurementService
from govgraph.agencies.writes import DEMO_SEED, AgencyWrites

DEMO_OCID = "ocds-gvgr01-0001"
_BUYER = {"id": "GG-PROC-1", "name": "Northfield District Council"}
_SUPPLIER = {"id": "GG-CO-77", "name": "Riverside Paving Ltd"}
_VALUE = {"amount": 180000, "currency": "EUR"}


def _release(number: int, tag: str, date: str, **fields: Any) -> dict[str, Any]:
    return {
        "ocid": DEMO_OCID,
        "id": f"{DEMO_OCID}-{number:02d}-{tag}",
        "date": date,
        "tag": [tag],
        "initiationType": "tender",
        **fields,
    }


_PARTIES = [
    {**_BUYER, "roles": ["buyer", "procuringEntity"]},
    {**_SUPPLIER, "roles": ["tenderer", "supplier"]},
]
DEMO_RELEASES = (
    _release(
        1,
        "planning",
        "2026-01-05T09:00:00Z",
        parties=[{**_BUYER, "roles": ["buyer"]}],
        buyer=_BUYER,
        planning={"rationale": "Resurfacing of the Northfield cycle lanes.", "budget": {"amount": _VALUE}},
    ),
    _release(
        2,
        "tender",
        "2026-02-01T09:00:00Z",
        parties=[{**_BUYER, "roles": ["buyer", "procuringEntity"]}],
        tender={
            "id": f"{DEMO_OCID}-tender",
            "title": "Northfield cycle lane resurfacing",
            "status": "active",
            "procurementMethod": "open",
            "mainProcurementCategory": "works",
            "value": _VALUE,
            "tenderPeriod": {"startDate": "2026-02-01T09:00:00Z", "endDate": "2026-02-09T17:00:00Z"},
            "procuringEntity": _BUYER,
        },
    ),
    _release(
        3,
        "award",
        "2026-02-20T12:00:00Z",
        parties=_PARTIES,
        tender={
            "id": f"{DEMO_OCID}-tender",
            "status": "complete",
            "numberOfTenderers": 1,
            "tenderers": [_SUPPLIER],
        },
        awards=[
            {
                "id": f"{DEMO_OCID}-award-1",
                "status": "active",
                "date": "2026-02-20T12:00:00Z",
                "value": {"amount": 176500, "currency": "EUR"},
                "suppliers": [_SUPPLIER],
            }
        ],
    ),
    _release(
        4,
        "contract",
        "2026-03-02T10:00:00Z",
        contracts=[
            {
                "id": f"{DEMO_OCID}-contract-1",
                "awardID": f"{DEMO_OCID}-award-1",
                "status": "active",
                "value": {"amount": 176500, "currency": "EUR"},
                "dateSigned": "2026-03-02T10:00:00Z",
            }
        ],
    ),
    _release(
        5,
        "implementation",
        "2026-06-30T16:00:00Z",
        contracts=[
            {
                "id": f"{DEMO_OCID}-contract-1",
                "awardID": f"{DEMO_OCID}-award-1",
                "implementation": {
                    "transactions": [
                        {
                            "id": "payment-1",
                            "date": "2026-06-30T16:00:00Z",
                            "value": {"amount": 176500, "currency": "EUR"},
                            "payer": _BUYER,
                            "payee": _SUPPLIER,
                        }
                    ]
                },
            }
        ],
    ),
)


async def seed(sessions: async_sessionmaker[AsyncSession], writes: AgencyWrites | None) -> None:
    """Publish the demo process's releases, each with its own idempotency key."""
    service = ProcurementService(sessions, writes)
    for release in DEMO_RELEASES:
        await service.publish_release(DEMO_SEED, release, f"demo-seed/{release['id']}")
