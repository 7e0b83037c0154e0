"""The welfare standards as the tests use them, read in place from ../shared/standards/welfare: the
360Giving package schema (JSON Schema 2020-12, its grant `$ref` mapped to the local grant schema, formats
asserted) and the IATI 2.03 activities XSD (lxml)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from jsonschema import Draft202012Validator
from lxml import etree
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import STANDARDS_DIR

WELFARE = STANDARDS_DIR / "welfare"
GRANT_URL = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"


@functools.cache
def giving_validator() -> Draft202012Validator:
    schemas = WELFARE / "360giving" / "schema"
    grant = json.loads((schemas / "360-giving-schema.json").read_text())
    package = json.loads((schemas / "360-giving-package-schema.json").read_text())
    # The files name their dialect http://json-schema.org/draft/2020-12/schema (http, not https).
    resource = Resource(grant, specification=DRAFT202012)
    registry = Registry().with_resources([(GRANT_URL, resource), (grant["$id"], resource)])
    return Draft202012Validator(
        package, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def giving_errors(package: object) -> list[str]:
    return [
        f"{list(error.absolute_path)}: {error.message}" for error in giving_validator().iter_errors(package)
    ]


@functools.cache
def iati_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(WELFARE / "iati-2.03" / "schema" / "iati-activities-schema.xsd")))


def iati_errors(document: bytes) -> list[str]:
    schema = iati_schema()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    ok = schema.validate(etree.fromstring(document, parser))
    return [] if ok else [str(error) for error in schema.error_log]


def iati_should_fail(name: str) -> Path:
    return WELFARE / "iati-2.03" / "activity-tests" / "should-fail" / name
