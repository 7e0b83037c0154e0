"""The procurement office's operations outside a server, for `govgraph procurement`: import a package file
through the write path (the procurement ledger is opened, or created with its key, and sequenced while the
import runs) and compile a process from the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from govgraph import db
from govgraph.agencies import idempotency
from govgraph.agencies.procurement.models import ProcurementTable
from govgraph.agencies.procurement.packages import decode_package
from govgraph.agencies.procurement.service import AGENCY, OFFICIAL, ProcurementService
from govgraph.agencies.writes import Actor, WritePaths
from govgraph.ledger.sequencing import SequencedLogs


async def _prepare(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(ProcurementTable.metadata.create_all)
        await connection.run_sync(idempotency.metadata.create_all)


async def import_package_file(
    engine: AsyncEngine, keys_dir: Path, data: bytes, operator: str
) -> dict[str, Any]:
    """Import the package `data` (a file's bytes) as `operator` acting as official:procurement: the result
    of importOcdsPackage (its id, counts, ocids and schema errors). BAD_USER_INPUT when it is no package."""
    package = decode_package(data)
    await _prepare(engine)
    logs = SequencedLogs(engine, keys_dir, [AGENCY])
    await logs.start()
    try:
        writes = WritePaths(logs.logs, keys_dir)
        service = ProcurementService(db.session_factory(engine), writes[AGENCY])
        return await service.import_package(Actor(OFFICIAL, f"cli:{operator}"), package)
    finally:
        await logs.stop()


async def compile_process(engine: AsyncEngine, ocid: str, *, versioned: bool) -> dict[str, Any]:
    """The compiled (or versioned) release of `ocid` from the releases the database holds. NOT_FOUND for an
    ocid without releases."""
    await _prepare(engine)
    process = await ProcurementService(db.session_factory(engine)).process(ocid)
    return process.versioned() if versioned else process.compiled()
