"""Where the procurement tests read the OCDS standard's data (../shared/standards/procurement, as given)."""

from __future__ import annotations

from tests.conftest import STANDARDS_DIR

PROCUREMENT = STANDARDS_DIR / "procurement"
FIXTURES = PROCUREMENT / "ocds-merge-fixtures"
SAMPLE = PROCUREMENT / "ocds-sample-data" / "fictional-example-1.1"
SCHEMAS = PROCUREMENT / "ocds-1.1.5" / "schema"
MERGE_CASES = sorted(
    (version, path.name.removesuffix("-compiled.json"))
    for version in ("1.0", "1.1")
    for path in (FIXTURES / version).glob("*-compiled.json")
)
RELEASE_FILES = sorted(SAMPLE.glob("ocds-213czf-000-00001-0*.json"))
