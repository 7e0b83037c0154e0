"""The procurement office's release writes: what publishing a release and importing a package put in the
database and on the procurement ledger. An entry names a release by ocid, id and tags and holds the SHA-256 of
its RFC 8785 bytes; the release itself is served (`/procurement/ocds/...`), so anyone can recompute the hash
and check it against the signed ledger."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.agencies.procurement import ocds
from govgraph.agencies.procurement.models import PackageRow, RecordRow, ReleaseRow
from govgraph.agencies.procurement.packages import IncomingPackage, dumps, schema_error_list
from govgraph.agencies.writes import Change, Event, Rows
from govgraph.federation.errors import Conflict

RELEASE_PUBLISHED = "govgraph.procurement.ReleasePublished/v1"
PACKAGE_IMPORTED = "govgraph.procurement.PackageImported/v1"
RELEASE_IMPORTED = "govgraph.procurement.ReleaseImported/v1"
RECORD_IMPORTED = "govgraph.procurement.RecordImported/v1"
_releases = ReleaseRow.__table__  # type: ignore[attr-defined]
_packages = PackageRow.__table__  # type: ignore[attr-defined]
_records = RecordRow.__table__  # type: ignore[attr-defined]


def package_id(index: int) -> str:
    """An import's id: `pkg-<n>`, n the index of its PackageImported entry."""
    return f"pkg-{index}"


def release_fields(release: dict[str, Any]) -> dict[str, Any]:
    """What an entry says of a release: its ocid, id, tags and hash."""
    return {
        "ocid": release.get("ocid"),
        "releaseId": release.get("id"),
        "tag": [tag for tag in release.get("tag") or [] if isinstance(tag, str)],
        "releaseHash": ocds.release_hash(release),
    }


def publish_rows(release: dict[str, Any]) -> Rows:
    """The rows of a checked release the office publishes: CONFLICT when its ocid already has a release with
    its id (an OCDS release is never changed: a change is a new release)."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        known = await connection.execute(
            select(_releases.c.ledger_index).where(
                _releases.c.ocid == release["ocid"], _releases.c.release_id == release["id"]
            )
        )
        if known.first() is not None:
            raise Conflict(f"Release {release['id']} of {release['ocid']} is recorded already.")
        event = await insert_published(connection, index, release)
        result = {"ocid": release["ocid"], "releaseId": release["id"], "ledgerIndex": index}
        return Change(result, [event])

    return rows


async def insert_published(connection: AsyncConnection, index: int, release: dict[str, Any]) -> Event:
    """The row of a release the office publishes as entry `index`, and that entry's event."""
    fields = {**release_fields(release), "ocdsVersion": ocds.V1_1}
    await connection.execute(
        insert(_releases).values(
            ledger_index=index,
            ocid=release["ocid"],
            release_id=release["id"],
            date=release.get("date"),
            tags=dumps(fields["tag"]),
            ocds_version=ocds.V1_1,
            release_hash=fields["releaseHash"],
            document=dumps(release),
        )
    )
    return Event(RELEASE_PUBLISHED, fields)


def opened_bids_release(ocid: str, tender: str, date: str, details: list[dict[str, Any]]) -> dict[str, Any]:
    """The OCDS release (tenderUpdate, with the bid extension's `bids.details`) the office publishes when a
    tender's sealed bids open: each bid with its tenderer and, when the opened bid states one, its value."""
    return {
        "ocid": ocid,
        "id": f"{ocid}-bids-{tender}",
        "date": date,
        "tag": ["tenderUpdate"],
        "initiationType": "tender",
        "tender": {"id": tender},
        "bids": {"details": details},
    }


def import_rows(package: IncomingPackage) -> Rows:
    """The rows of an imported package: the package's metadata (PackageImported), then each release
    (ReleaseImported) and, for a record package, each record whole (RecordImported), in package order. An
    import never conflicts: a publisher's release already held is recorded again under this import."""

    async def rows(connection: AsyncConnection, index: int) -> Change:
        identifier = package_id(index)
        metadata_text = dumps(package.metadata)
        events = [
            Event(
                PACKAGE_IMPORTED,
                {
                    "package": identifier,
                    "kind": package.kind,
                    "ocdsVersion": package.version,
                    "headerHash": hashlib.sha256(ocds.canonical(package.metadata)).hexdigest(),
                    "items": package.items,
                    "schemaErrors": len(package.errors),
                },
            )
        ]
        await connection.execute(
            insert(_packages).values(
                id=identifier,
                kind=package.kind,
                ocds_version=package.version,
                metadata_json=metadata_text,
                items=package.items,
                ledger_index=index,
            )
        )
        release_values = []
        for incoming in package.releases:
            document = incoming.document
            digest = hashlib.sha256(ocds.canonical(document)).hexdigest()
            release_values.append(
                {
                    "ledger_index": index + len(events),
                    "ocid": incoming.ocid,
                    "release_id": incoming.release_id,
                    "date": incoming.date,
                    "tags": dumps(incoming.tags),
                    "ocds_version": package.version,
                    "release_hash": digest,
                    "document": dumps(document),
                    "package_id": identifier,
                    "position": incoming.position,
                    "record_position": incoming.record,
                }
            )
            place = {"package": identifier, "position": incoming.position}
            if incoming.record is not None:
                place["record"] = incoming.record
            fields = {
                **place,
                "ocid": incoming.ocid,
                "releaseId": incoming.release_id,
                "tag": incoming.tags,
                "releaseHash": digest,
            }
            events.append(Event(RELEASE_IMPORTED, fields))
        if release_values:
            await connection.execute(insert(_releases), release_values)
        record_values = []
        for position, record in enumerate(package.records):
            digest = hashlib.sha256(ocds.canonical(record)).hexdigest()
            ocid = record.get("ocid") if isinstance(record, dict) else None
            ocid = ocid if isinstance(ocid, str) else None
            record_values.append(
                {
                    "package_id": identifier,
                    "position": position,
                    "ocid": ocid,
                    "document": dumps(record),
                    "record_hash": digest,
                    "ledger_index": index + len(events),
                }
            )
            fields = {"package": identifier, "position": position, "ocid": ocid, "recordHash": digest}
            events.append(Event(RECORD_IMPORTED, fields))
        if record_values:
            await connection.execute(insert(_records), record_values)
        result = {
            "package": identifier,
            "kind": package.kind,
            "ocdsVersion": package.version,
            "releases": len(package.releases),
            "records": len(package.records),
            "ocids": sorted(
                {release.ocid for release in package.releases if release.ocid}
                | {values["ocid"] for values in record_values if values["ocid"]}
            ),
            "schemaErrors": schema_error_list(package.errors),
            "ledgerIndexes": [index, index + len(events) - 1],
        }
        return Change(result, events)

    return rows
