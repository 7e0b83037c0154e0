"""The procurement office's rules: publishing OCDS releases and importing packages through the write path
(rows and ledger entries in one transaction), contracting processes as records (compiled and versioned
releases merged by ocdsmerge), packages as served, exports of imports, and the demo tender."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from govgraph.agencies.procurement import ocds
from govgraph.agencies.procurement.models import PackageRow, RecordRow, ReleaseRow
from govgraph.agencies.procurement.packages import IncomingPackage, check_release
from govgraph.agencies.procurement.releases import import_rows, publish_rows
from govgraph.agencies.writes import Actor, AgencyWrites
from govgraph.federation.dataloaders import by_key
from govgraph.federation.errors import BadUserInput, NotFound

AGENCY = "procurement"
OFFICIAL = "official:procurement"
MAX_PROCESSES = 100
PUBLISHER = {"name": "govgraph procurement office", "scheme": "govgraph", "uid": "procurement"}
PACKAGE_BASE = "https://govgraph.example/procurement/ocds"


@dataclass(frozen=True, slots=True)
class Process:
    """One contracting process (an ocid) as its releases make it: the record's parts."""

    ocid: str
    releases: list[ReleaseRow]
    version: str  # the rules its releases are merged by

    def documents(self) -> list[dict[str, Any]]:
        return [json.loads(row.document) for row in self.releases]

    def compiled(self) -> dict[str, Any]:
        return ocds.compiled_release(self.documents(), self.version)

    def versioned(self) -> dict[str, Any]:
        return ocds.versioned_release(self.documents(), self.version)

    def record(self) -> dict[str, Any]:
        """The OCDS record: its releases (whole, in ledger order), compiled and versioned release."""
        documents = self.documents()
        return {
            "ocid": self.ocid,
            "releases": documents,
            "compiledRelease": ocds.compiled_release(documents, self.version),
            "versionedRelease": ocds.versioned_release(documents, self.version),
        }


class ProcurementService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writes: AgencyWrites | None = None
    ) -> None:
        self.sessions = sessions
        self.writes = writes

    async def publish_release(
        self, actor: Actor, release: Any, idempotency_key: str | None = None
    ) -> ReleaseRow:
        """Append one release the office publishes (valid OCDS 1.1.5) to the ledger: ReleasePublished.
        CONFLICT when its ocid has a release with its id already."""
        writes = _require(self.writes)
        checked = check_release(release)
        written = await writes.write(
            actor, "publishRelease", {"release": checked}, publish_rows(checked), idempotency_key
        )
        row = (await self.releases_by_index([written.result["ledgerIndex"]]))[0]
        assert row is not None  # committed by this write, or by the first one it replays
        return row

    async def import_package(
        self, actor: Actor, package: IncomingPackage, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Record an imported package whole: PackageImported, then an entry per release and per record. Its
        schema errors come back in the result; they never stop the import."""
        writes = _require(self.writes)
        arguments = {"package": package.document()}
        if idempotency_key is not None:
            ocds.canonical(arguments)  # the key's record hashes the input: refuse what RFC 8785 cannot write
        written = await writes.write(
            actor, "importOcdsPackage", arguments, import_rows(package), idempotency_key
        )
        return dict(written.result)

    async def releases_by_index(self, indexes: Sequence[int]) -> list[ReleaseRow | None]:
        async with self.sessions() as session:
            rows = (
                await session.exec(select(ReleaseRow).where(col(ReleaseRow.ledger_index).in_(indexes)))
            ).all()
        return by_key(rows, indexes, key=lambda row: row.ledger_index)

    async def processes_by_ocid(self, ocids: Sequence[str]) -> list[Process | None]:
        """Each ocid's process: its releases in ledger order, a release recorded twice (same id, same hash,
        e.g. imported again) counted once."""
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(ReleaseRow)
                    .where(col(ReleaseRow.ocid).in_(ocids))
                    .order_by(col(ReleaseRow.ledger_index))
                )
            ).all()
        grouped: dict[str, list[ReleaseRow]] = {}
        seen: set[tuple[str, str | None, str]] = set()
        for row in rows:
            assert row.ocid is not None
            key = (row.ocid, row.release_id, row.release_hash)
            if key not in seen:
                seen.add(key)
                grouped.setdefault(row.ocid, []).append(row)
        return [
            Process(ocid, grouped[ocid], ocds.merge_version(row.ocds_version for row in grouped[ocid]))
            if ocid in grouped
            else None
            for ocid in ocids
        ]

    async def process(self, ocid: str) -> Process:
        found = (await self.processes_by_ocid([ocid]))[0]
        if found is None:
            raise NotFound(f"No contracting process {ocid}.")
        return found

    async def ocids(self, first: int, offset: int = 0) -> list[str]:
        if not 0 <= first <= MAX_PROCESSES:
            raise BadUserInput(f"`first` must lie in 0..{MAX_PROCESSES}, got {first}.")
        async with self.sessions() as session:
            rows = await session.exec(
                select(ReleaseRow.ocid)
                .where(col(ReleaseRow.ocid).is_not(None))
                .group_by(ReleaseRow.ocid)
                .order_by(func.min(ReleaseRow.ledger_index))
                .offset(offset)
                .limit(first)
            )
            return [ocid for ocid in rows.all() if ocid is not None]

    async def release_package(self, ocid: str) -> dict[str, Any]:
        """The office's release package of one process's releases."""
        process = await self.process(ocid)
        return ocds.release_package(
            process.documents(),
            uri=f"{PACKAGE_BASE}/releases/{ocid}",
            publisher=PUBLISHER,
            published=_published(process),
        )

    async def record_package(self, ocid: str) -> dict[str, Any]:
        """The office's record package of one process: its record with compiled and versioned release."""
        process = await self.process(ocid)
        return ocds.record_package(
            [process.record()],
            uri=f"{PACKAGE_BASE}/records/{ocid}",
            publisher=PUBLISHER,
            published=_published(process),
        )

    async def imports_by_ids(self, ids: Sequence[str]) -> list[PackageRow | None]:
        async with self.sessions() as session:
            rows = (await session.exec(select(PackageRow).where(col(PackageRow.id).in_(ids)))).all()
        return by_key(rows, ids, key=lambda row: row.id)

    async def exported_import(self, package_id: str) -> dict[str, Any]:
        """An imported package rebuilt from what the office stored: its metadata, then its releases (or
        records) in their order. Equal, after JSON parsing, to what was imported."""
        package = (await self.imports_by_ids([package_id]))[0]
        if package is None:
            raise NotFound(f"No imported package {package_id}.")
        metadata = json.loads(package.metadata_json)
        async with self.sessions() as session:
            if package.kind == "record":
                records = (
                    await session.exec(
                        select(RecordRow)
                        .where(RecordRow.package_id == package_id)
                        .order_by(col(RecordRow.position))
                    )
                ).all()
                return {**metadata, "records": [json.loads(row.document) for row in records]}
            releases = (
                await session.exec(
                    select(ReleaseRow)
                    .where(ReleaseRow.package_id == package_id)
                    .order_by(col(ReleaseRow.position))
                )
            ).all()
        return {**metadata, "releases": [json.loads(row.document) for row in releases]}


def _published(process: Process) -> str:
    """A package's publishedDate: the latest date among its releases (the time the data last changed)."""
    dates = [row.date for row in process.releases if row.date]
    return max(dates) if dates else "1970-01-01T00:00:00Z"


def _require(writes: AgencyWrites | None) -> AgencyWrites:
    if writes is None:
        raise RuntimeError(f"no write path for {AGENCY}: the app starts one per agency with a ledger")
    return writes
