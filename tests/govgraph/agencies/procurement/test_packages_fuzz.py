"""Hypothesis fuzz of the OCDS decoders: any bytes, any JSON value and any mutation of a real sample
package either decode (keeping every field: the package rebuilt equals the input) or are refused with
BAD_USER_INPUT; a release an official publishes is either valid OCDS 1.1.5 or refused the same way."""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.agencies.procurement import ocds
from govgraph.agencies.procurement.packages import check_release, decode_package, read_package
from govgraph.federation.errors import BadUserInput
from tests.govgraph.agencies.procurement.standards import SAMPLE

PACKAGE = json.loads((SAMPLE / "ocds-213czf-000-00001.json").read_text())
RECORDS = json.loads((SAMPLE / "record" / "ocds-213czf-000-00001-withversions.json").read_text())
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["version", "releases", "records", "ocid", "id", "tag", "date", "tender", "awards", "x"]
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_decode_or_are_refused(data: bytes) -> None:
    try:
        package = decode_package(data)
    except BadUserInput:
        return
    assert package.document() == json.loads(data)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=5) | JSON)
def test_any_json_value_reads_or_is_refused(value) -> None:
    try:
        package = read_package(value)
    except BadUserInput:
        return
    assert package.document() == value
    assert package.version in ocds.VERSIONS


def _mutate(document, path: list, replacement):
    """Replace the value at `path` (list indexes and keys, followed while they exist) with `replacement`."""
    target = document
    for step in path[:-1]:
        if isinstance(target, dict) and target:
            target = target[sorted(target)[step % len(target)]]
        elif isinstance(target, list) and target:
            target = target[step % len(target)]
    if isinstance(target, dict) and target:
        target[sorted(target)[path[-1] % len(target)]] = replacement
    elif isinstance(target, list) and target:
        target[path[-1] % len(target)] = replacement


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([PACKAGE, RECORDS]), st.lists(st.integers(0, 50), min_size=1, max_size=7), JSON)
def test_a_mutated_sample_package_keeps_every_field_or_is_refused(source, path, replacement) -> None:
    document = copy.deepcopy(source)
    _mutate(document, path, replacement)
    try:
        package = read_package(document)
    except BadUserInput:
        return
    assert package.document() == document
    assert all(error.path == "" or error.path.startswith("/") for error in package.errors)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 50), min_size=1, max_size=5), JSON)
def test_a_mutated_release_is_valid_or_refused(path, replacement) -> None:
    release = copy.deepcopy(PACKAGE["releases"][1])
    _mutate(release, path, replacement)
    try:
        checked = check_release(release)
    except BadUserInput:
        return
    assert ocds.schema_errors(checked, ocds.V1_1, "release") == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 50), min_size=1, max_size=7), JSON, st.sampled_from(ocds.VERSIONS))
def test_imported_releases_however_odd_compile_or_are_refused(path, replacement, version) -> None:
    # An import keeps releases the schema refuses; compiling them is the merge library's work on data from
    # outside, and must end in a release or BAD_USER_INPUT, never another exception.
    releases = copy.deepcopy(PACKAGE["releases"])
    _mutate(releases, path, replacement)
    for merge in (ocds.compiled_release, ocds.versioned_release):
        try:
            merged = merge(releases, version)
        except BadUserInput:
            continue
        assert isinstance(merged, dict)
