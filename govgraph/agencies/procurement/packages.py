"""Decoding OCDS documents from outside: a release or record package from any publisher (OCDS 1.0 or 1.1),
and a single release an official publishes. Untrusted text goes through `zk.json_input.load_json` (size-
and depth-bounded); a package's schema errors are reported, never fatal: nothing it carries is dropped, so
an export gives back what came in."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from govgraph.agencies.procurement import ocds
from govgraph.agencies.procurement.ocds import SchemaError
from govgraph.federation.errors import BadUserInput
from zk.errors import MalformedInput
from zk.json_input import load_json

MAX_PACKAGE_BYTES = 32 * 1024 * 1024
MAX_ITEMS = 20_000  # releases or records in one package
MAX_ID_LENGTH = 256
RELEASE_PACKAGE = "release"
RECORD_PACKAGE = "record"


@dataclass(frozen=True, slots=True)
class IncomingRelease:
    """A release as a package carried it, with where it sat (`record` is None in a release package)."""

    document: Any
    position: int
    record: int | None = None

    @property
    def ocid(self) -> str | None:
        return _text_field(self.document, "ocid")

    @property
    def release_id(self) -> str | None:
        return _text_field(self.document, "id")

    @property
    def date(self) -> str | None:
        return _text_field(self.document, "date")

    @property
    def tags(self) -> list[str]:
        tags = self.document.get("tag") if isinstance(self.document, dict) else None
        return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


@dataclass(frozen=True, slots=True)
class IncomingPackage:
    """A decoded package: its kind, OCDS version, fields other than its items, the releases it carries
    (those of a record package are the records' embedded releases; linked ones stay in their record), its
    records (record packages) and its schema errors."""

    kind: str
    version: str
    metadata: dict[str, Any]
    releases: list[IncomingRelease]
    records: list[Any] = field(default_factory=list)
    errors: list[SchemaError] = field(default_factory=list)

    @property
    def items(self) -> int:
        return len(self.records) if self.kind == RECORD_PACKAGE else len(self.releases)

    def document(self) -> dict[str, Any]:
        """The package as it came (after JSON parsing): metadata, then its releases or records."""
        if self.kind == RECORD_PACKAGE:
            return {**self.metadata, "records": list(self.records)}
        return {**self.metadata, "releases": [release.document for release in self.releases]}


def decode_json(data: str | bytes, what: str) -> Any:
    """Untrusted JSON text to a value; BAD_USER_INPUT (never another exception) when it is not JSON or is
    too large or too deep."""
    try:
        return load_json(data, what=what, max_bytes=MAX_PACKAGE_BYTES)
    except MalformedInput as error:
        raise BadUserInput(str(error)) from None


def decode_package(data: str | bytes) -> IncomingPackage:
    """A release or record package from its JSON text."""
    return read_package(decode_json(data, "OCDS package"))


def read_package(value: Any) -> IncomingPackage:
    """A release or record package from a decoded JSON value. BAD_USER_INPUT only when it is no package at
    all (not an object, or neither `releases` nor `records` as a list), has an unknown `version`, or holds
    more than MAX_ITEMS items; everything else the schema finds wrong is reported in `errors`."""
    if not isinstance(value, dict):
        raise BadUserInput("An OCDS package must be a JSON object.")
    kinds = [kind for kind in ("releases", "records") if isinstance(value.get(kind), list)]
    if len(kinds) != 1:
        raise BadUserInput("An OCDS package has either a `releases` list or a `records` list.")
    version = ocds.package_version(value)
    items = value[kinds[0]]
    if len(items) > MAX_ITEMS:
        raise BadUserInput(f"A package may carry at most {MAX_ITEMS} items, not {len(items)}.")
    metadata = {key: item for key, item in value.items() if key != kinds[0]}
    kind = RELEASE_PACKAGE if kinds[0] == "releases" else RECORD_PACKAGE
    errors = ocds.schema_errors(value, version, f"{kind}-package")
    if kind == RELEASE_PACKAGE:
        releases = [IncomingRelease(item, position) for position, item in enumerate(items)]
        return IncomingPackage(kind, version, metadata, releases, errors=errors)
    releases = [
        IncomingRelease(release, position, record)
        for record, item in enumerate(items)
        for position, release in enumerate(_record_releases(item))
        if _embedded(release)
    ]
    return IncomingPackage(kind, version, metadata, releases, list(items), errors)


def _record_releases(record: Any) -> list[Any]:
    releases = record.get("releases") if isinstance(record, dict) else None
    return releases if isinstance(releases, list) else []


def _embedded(release: Any) -> bool:
    """A record's release given whole (it has an ocid and an id), not a linked release (url, date, tag)."""
    return isinstance(release, dict) and "ocid" in release and "id" in release


def _text_field(document: Any, name: str) -> str | None:
    value = document.get(name) if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


def check_release(value: Any) -> dict[str, Any]:
    """A release an official publishes: a JSON object valid against the OCDS 1.1.5 release schema, with an
    ocid and id of 1..256 printable characters and at least one tag. BAD_USER_INPUT naming the first schema
    errors otherwise (the office publishes only valid releases)."""
    if not isinstance(value, dict):
        raise BadUserInput("A release must be a JSON object.")
    errors = ocds.schema_errors(value, ocds.V1_1, "release")
    if errors:
        shown = "; ".join(f"{error.path or '/'}: {error.message}" for error in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise BadUserInput(f"The release breaks the OCDS 1.1.5 release schema: {shown}{more}.")
    for name in ("ocid", "id"):
        text = value[name]
        if not 0 < len(text) <= MAX_ID_LENGTH or not text.isprintable():
            raise BadUserInput(f"`{name}` must be 1..{MAX_ID_LENGTH} printable characters.")
    ocds.canonical(value)  # refuses numbers no canonical form carries
    return value


def dumps(value: Any) -> str:
    """JSON text of a stored document: as parsed, keys in the order given, nothing escaped away."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def schema_error_list(errors: list[SchemaError]) -> list[Mapping[str, str]]:
    return [error.to_json() for error in errors]
