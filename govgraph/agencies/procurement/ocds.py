"""The Open Contracting Data Standard as this office reads and writes it: the OCDS 1.1.5 and 1.0.3 schemas
(vendored under schemas/, never fetched), a package's version, schema errors as (path, message), the
release's hash the ledger holds, and compiled and versioned releases merged by `ocdsmerge` under the
release schema of the releases' version (1.0 merges `awards.suppliers` and `tender.tenderers` as whole lists,
1.1 by `id`)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import ocdsmerge
import rfc8785
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from govgraph.federation.errors import BadUserInput

V1_0 = "1.0"
V1_1 = "1.1"
VERSIONS = (V1_0, V1_1)
SCHEMA_NAMES = ("release", "release-package", "record-package", "versioned-release-validation")
MAX_SCHEMA_ERRORS = 100  # reported per document; the count says how many there were
RELEASE_TAGS = frozenset(
    (
        "planning planningUpdate tender tenderAmendment tenderUpdate tenderCancellation award awardUpdate "
        "awardCancellation contract contractUpdate contractAmendment implementation implementationUpdate "
        "contractTermination"
    ).split()
)


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One way a document breaks its OCDS schema: where (a JSON Pointer into the document) and what."""

    path: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@functools.cache
def schema(version: str, name: str) -> dict[str, Any]:
    """The OCDS `name` schema of `version` (1.0 is OCDS 1.0.3, 1.1 is OCDS 1.1.5), as published."""
    if version not in VERSIONS or name not in SCHEMA_NAMES:
        raise KeyError(f"no OCDS {version} {name} schema")
    text = resources.files(__package__).joinpath("schemas", version, f"{name}-schema.json").read_text()
    return json.loads(text)


@functools.cache
def _registry(version: str) -> Registry:
    """The version's four schemas under their own `id` URLs, so `$ref`s between them resolve locally."""
    documents = [schema(version, name) for name in SCHEMA_NAMES]
    return Registry().with_resources(
        (document["id"], Resource.from_contents(document, default_specification=DRAFT4))
        for document in documents
    )


@functools.cache
def validator(version: str, name: str) -> Draft4Validator:
    return Draft4Validator(schema(version, name), registry=_registry(version), format_checker=FormatChecker())


def schema_errors(document: Any, version: str, name: str) -> list[SchemaError]:
    """Every way `document` breaks the version's `name` schema (at most MAX_SCHEMA_ERRORS), ordered by path
    and then message, so the same document always gives the same list."""
    found = sorted(
        validator(version, name).iter_errors(document),
        key=lambda error: (_sort_key(error.absolute_path), error.message),
    )
    return [
        SchemaError(_pointer(error.absolute_path), error.message[:500]) for error in found[:MAX_SCHEMA_ERRORS]
    ]


def _sort_key(parts: Iterable[Any]) -> list[tuple[int, int, str]]:
    """Array indexes in numeric order (10 after 9), keys in text order."""
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in parts]


def _pointer(parts: Iterable[Any]) -> str:
    """RFC 6901 JSON Pointer of a path of keys and indexes."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def package_version(package: Mapping[str, Any]) -> str:
    """The OCDS version a package follows: a package without `version` is OCDS 1.0 (1.0 had no such
    field); "1.1" is 1.1. Any other value is refused (a later major.minor would need its own schemas)."""
    if "version" not in package:
        return V1_0
    value = package["version"]
    if value not in VERSIONS:
        raise BadUserInput(f"`version` must be 1.0 or 1.1 (absent for 1.0), not {_shown(value)}.")
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def release_hash(release: Mapping[str, Any]) -> str:
    """SHA-256 of the release's canonical JSON (RFC 8785), hex: what its ledger entry holds, so anyone with
    the served release recomputes it."""
    return hashlib.sha256(canonical(release)).hexdigest()


def canonical(document: Any) -> bytes:
    """RFC 8785 bytes of a document from outside; BAD_USER_INPUT for a number I-JSON cannot carry (an integer
    beyond 2^53, which no two JSON readers are bound to read alike)."""
    try:
        return rfc8785.dumps(document)
    except (rfc8785.CanonicalizationError, ValueError) as error:
        raise BadUserInput(f"The document cannot be put in canonical JSON (RFC 8785): {error}.") from None


@functools.cache
def merger(version: str) -> ocdsmerge.Merger:
    """ocdsmerge's merger with the merge rules of the version's release schema."""
    return ocdsmerge.Merger(schema=schema(version, "release"))


def merge_version(versions: Iterable[str]) -> str:
    """Which rules merge an ocid's releases: 1.0 when every release came in a 1.0 package, else 1.1."""
    return V1_0 if all(version == V1_0 for version in versions) else V1_1


def compiled_release(releases: Sequence[Mapping[str, Any]], version: str) -> dict[str, Any]:
    """The compiled release (the process's current state) of one ocid's releases, in their order."""
    return _merged(releases, version, versioned=False)


def versioned_release(releases: Sequence[Mapping[str, Any]], version: str) -> dict[str, Any]:
    """The versioned release (every field's history, each value with its release's id, date and tag)."""
    return _merged(releases, version, versioned=True)


def _merged(releases: Sequence[Mapping[str, Any]], version: str, *, versioned: bool) -> dict[str, Any]:
    if not all(isinstance(release, Mapping) for release in releases):
        raise BadUserInput("The releases cannot be merged: a release is not a JSON object.")
    documents = [dict(release) for release in releases]
    try:
        if versioned:
            return merger(version).create_versioned_release(documents)
        return merger(version).create_compiled_release(documents)
    except (ocdsmerge.exceptions.OCDSMergeError, TypeError, KeyError) as error:
        raise BadUserInput(f"The releases cannot be merged: {error}.") from None


def release_package(
    releases: Sequence[Mapping[str, Any]], *, uri: str, publisher: Mapping[str, Any], published: str
) -> dict[str, Any]:
    """An OCDS 1.1 release package of `releases`, published by this office."""
    return {
        "uri": uri,
        "version": V1_1,
        "publishedDate": published,
        "publisher": dict(publisher),
        "releases": [dict(release) for release in releases],
    }


def record_package(
    records: Sequence[Mapping[str, Any]], *, uri: str, publisher: Mapping[str, Any], published: str
) -> dict[str, Any]:
    """An OCDS 1.1 record package of `records` (each with its releases, compiled and versioned release)."""
    return {
        "uri": uri,
        "version": V1_1,
        "publishedDate": published,
        "publisher": dict(publisher),
        "records": [dict(record) for record in records],
    }
