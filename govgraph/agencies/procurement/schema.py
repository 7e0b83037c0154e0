"""The procurement office's GraphQL types: contracting processes (`ContractingProcess @key(fields: "ocid")`)
with their OCDS releases, compiled and versioned release and red flags, imported packages, and the
official's mutations (publish a release, import a package). OCDS documents travel as the JSON scalar, as
OCDS writes them; resolvers are thin and call the service."""

from __future__ import annotations

import json

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from govgraph.agencies.ledger_links import LedgerEntry, ledger_entry
from govgraph.agencies.procurement import bids_schema
from govgraph.agencies.procurement.flags import red_flags
from govgraph.agencies.procurement.models import PackageRow, ReleaseRow
from govgraph.agencies.procurement.packages import read_package
from govgraph.agencies.procurement.service import AGENCY, OFFICIAL, Process, ProcurementService
from govgraph.agencies.writes import Actor, writes_for
from govgraph.auth.permissions import requires_role

DEFAULT_PROCESSES = 50


def _service(info: Info) -> ProcurementService:
    return ProcurementService(info.context.sessions, writes_for(info.context, AGENCY))


def _loader(info: Info, name: str):
    service = _service(info)
    return info.context.loaders.get(f"procurement.{name}", getattr(service, name))


@strawberry.type(description="An OCDS release as the procurement ledger recorded it.")
class OcdsRelease:
    ocid: str | None
    release_id: str | None = strawberry.field(description="The release's `id`.")
    date: str | None
    tag: list[str]
    ocds_version: str = strawberry.field(description="1.1, or 1.0 for a release imported in a 1.0 package.")
    release_hash: str = strawberry.field(
        description="SHA-256 of the release's RFC 8785 canonical JSON, hex: what its ledger entry holds."
    )
    release: JSON = strawberry.field(description="The release, as published or imported.")
    imported_in: str | None = strawberry.field(description="The import it came in (null: the office's own).")
    ledger_index: strawberry.Private[int]

    @strawberry.field(description="The procurement ledger's entry recording the release.")
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, self.ledger_index)

    @classmethod
    def from_row(cls, row: ReleaseRow) -> OcdsRelease:
        return cls(
            ocid=row.ocid,
            release_id=row.release_id,
            date=row.date,
            tag=json.loads(row.tags),
            ocds_version=row.ocds_version,
            release_hash=row.release_hash,
            release=json.loads(row.document),
            imported_in=row.package_id,
            ledger_index=row.ledger_index,
        )


@strawberry.type(description="A red flag of the Open Contracting Partnership's guide, raised on a process.")
class RedFlag:
    code: str
    name: str
    evidence: str = strawberry.field(description="The values that raised it, from the compiled release.")


@strawberry.federation.type(keys=["ocid"], description="A contracting process (OCDS ocid) and its releases.")
class ContractingProcess:
    ocid: strawberry.ID
    process: strawberry.Private[Process | None] = None

    async def _process(self, info: Info) -> Process | None:
        if self.process is None:
            self.process = await _loader(info, "processes_by_ocid").load(str(self.ocid))
        return self.process

    @strawberry.field(description="Its releases, in ledger order.")
    async def releases(self, info: Info) -> list[OcdsRelease]:
        process = await self._process(info)
        return [OcdsRelease.from_row(row) for row in process.releases] if process else []

    @strawberry.field(description="The compiled release (ocdsmerge): the process's current state.")
    async def compiled_release(self, info: Info) -> JSON | None:
        process = await self._process(info)
        return process.compiled() if process else None

    @strawberry.field(description="The versioned release (ocdsmerge): every field's history.")
    async def versioned_release(self, info: Info) -> JSON | None:
        process = await self._process(info)
        return process.versioned() if process else None

    @strawberry.field(description="The merge rules used: 1.0 when every release came in a 1.0 package.")
    async def ocds_version(self, info: Info) -> str | None:
        process = await self._process(info)
        return process.version if process else None

    @strawberry.field(description="Red flags computed from the compiled release (docs/procurement.md).")
    async def red_flags(self, info: Info) -> list[RedFlag]:
        process = await self._process(info)
        if process is None:
            return []
        return [RedFlag(code=f.code, name=f.name, evidence=f.evidence) for f in red_flags(process.compiled())]

    @classmethod
    async def resolve_reference(cls, info: Info, ocid: strawberry.ID) -> ContractingProcess | None:
        process = await _loader(info, "processes_by_ocid").load(str(ocid))
        return cls(ocid=ocid, process=process) if process else None


@strawberry.type(description="A schema error of an imported package: where (JSON Pointer) and what.")
class OcdsSchemaError:
    path: str
    message: str


@strawberry.type(description="What an import recorded.")
class OcdsImport:
    id: strawberry.ID
    kind: str = strawberry.field(description="release or record (the kind of package).")
    ocds_version: str
    releases: int
    records: int
    ocids: list[str]
    schema_errors: list[OcdsSchemaError]

    @classmethod
    def from_result(cls, result: dict) -> OcdsImport:
        return cls(
            id=strawberry.ID(result["package"]),
            kind=result["kind"],
            ocds_version=result["ocdsVersion"],
            releases=result["releases"],
            records=result["records"],
            ocids=list(result["ocids"]),
            schema_errors=[OcdsSchemaError(**error) for error in result["schemaErrors"]],
        )


@strawberry.type(description="An imported package, rebuilt from what the office stored.")
class OcdsPackage:
    id: strawberry.ID
    kind: str
    ocds_version: str
    items: int
    package: JSON = strawberry.field(description="The package, equal to what was imported.")

    @classmethod
    def from_row(cls, row: PackageRow, package: dict) -> OcdsPackage:
        return cls(
            id=strawberry.ID(row.id),
            kind=row.kind,
            ocds_version=row.ocds_version,
            items=row.items,
            package=package,
        )


@strawberry.type
class Query(bids_schema.Query):
    @strawberry.field(description="A contracting process by its ocid.")
    async def contracting_process(self, info: Info, ocid: strawberry.ID) -> ContractingProcess | None:
        return await ContractingProcess.resolve_reference(info, ocid)

    @strawberry.field(description="Contracting processes, in the order their first release was recorded.")
    async def contracting_processes(
        self, info: Info, first: int = DEFAULT_PROCESSES, offset: int = 0
    ) -> list[ContractingProcess]:
        ocids = await _service(info).ocids(first, max(offset, 0))
        return [ContractingProcess(ocid=strawberry.ID(ocid)) for ocid in ocids]

    @strawberry.field(description="An imported package, as imported.")
    async def ocds_import(self, info: Info, id: strawberry.ID) -> OcdsPackage | None:
        service = _service(info)
        row = (await service.imports_by_ids([str(id)]))[0]
        return OcdsPackage.from_row(row, await service.exported_import(row.id)) if row else None


def _actor(info: Info) -> Actor:
    return Actor.acting(info.context.principal, OFFICIAL)


@strawberry.type
class Mutation(bids_schema.Mutation):
    @strawberry.mutation(
        description="Publish an OCDS 1.1.5 release (official:procurement): validated against the release "
        "schema, appended to the procurement ledger (ReleasePublished: ocid, id, tags, hash). CONFLICT when "
        "its ocid has a release with its id.",
        extensions=[requires_role(OFFICIAL)],
    )
    async def publish_release(
        self, info: Info, release: JSON, idempotency_key: str | None = None
    ) -> OcdsRelease:
        row = await _service(info).publish_release(_actor(info), release, idempotency_key)
        return OcdsRelease.from_row(row)

    @strawberry.mutation(
        description="Import an OCDS release or record package from any publisher, 1.0 (no `version`) or 1.1 "
        "(official:procurement): kept whole, one ledger entry per release and record; schema errors are "
        "reported, never fatal.",
        extensions=[requires_role(OFFICIAL)],
    )
    async def import_ocds_package(
        self, info: Info, package: JSON, idempotency_key: str | None = None
    ) -> OcdsImport:
        result = await _service(info).import_package(_actor(info), read_package(package), idempotency_key)
        return OcdsImport.from_result(result)


TYPES: list[type] = [ContractingProcess]
