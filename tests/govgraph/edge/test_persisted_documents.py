"""Persisted documents without HTTP: both manifest formats, the checks at load, APQ's bounded cache, and
what trusted-documents-only refuses."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.federation.errors import ErrorCode
from govgraph.federation.gateway.persisted import ManifestError, PersistedDocuments, Refusal, parse_manifest

PARCELS = "query Parcels { parcels(first: 2) { id } }"
AGENCIES = "query Agencies { agencies { id } }"


def digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apollo_manifest(*documents: str) -> bytes:
    operations = [
        {"id": digest(body), "name": body.split()[1], "type": "query", "body": body} for body in documents
    ]
    return json.dumps(
        {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    ).encode()


def test_both_manifest_formats_give_the_same_documents() -> None:
    codegen = json.dumps({digest(PARCELS): PARCELS, digest(AGENCIES): AGENCIES}).encode()
    expected = {digest(PARCELS): PARCELS, digest(AGENCIES): AGENCIES}
    assert parse_manifest(apollo_manifest(PARCELS, AGENCIES)) == expected
    assert parse_manifest(codegen) == expected


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (b"[]", "not a JSON object"),
        (b"{", "not valid JSON"),
        (b"{}", "no documents"),
        (json.dumps({digest(PARCELS): AGENCIES}).encode(), "the id is not the SHA-256 of its document"),
        (json.dumps({"parcels": PARCELS}).encode(), "the id is not a lower-case SHA-256 hex digest"),
        (json.dumps({digest(PARCELS).upper(): PARCELS}).encode(), "lower-case SHA-256 hex digest"),
        (json.dumps({digest(""): ""}).encode(), "the document is not a non-empty string"),
        (
            json.dumps(
                {"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}
            ).encode(),
            "apollo-persisted-query-manifest version 2: expected 1",
        ),
        (
            json.dumps(
                {"format": "apollo-persisted-query-manifest", "version": 1, "operations": {}}
            ).encode(),
            "`operations` is not a list",
        ),
    ],
)
def test_an_unusable_manifest_is_refused_with_the_reason(manifest: bytes, message: str) -> None:
    with pytest.raises(ManifestError, match=message.replace("(", r"\(").replace("`", "`")):
        parse_manifest(manifest)


def test_an_apq_miss_then_registration_then_hit() -> None:
    documents = PersistedDocuments()
    by_hash = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(PARCELS)}}}
    miss = documents.resolve(by_hash)
    assert miss == Refusal(200, "PersistedQueryNotFound", ErrorCode.PERSISTED_QUERY_NOT_FOUND)
    assert documents.resolve({**by_hash, "query": PARCELS}) == PARCELS
    assert documents.resolve(by_hash) == PARCELS
    assert len(documents) == 1


def test_a_document_that_is_not_its_hash_is_refused_and_not_registered() -> None:
    documents = PersistedDocuments()
    wrong = {
        "query": AGENCIES,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(PARCELS)}},
    }
    refusal = documents.resolve(wrong)
    assert isinstance(refusal, Refusal)
    assert (refusal.status, refusal.code) == (400, ErrorCode.PERSISTED_QUERY_HASH_MISMATCH)
    assert len(documents) == 0


def test_the_apq_cache_keeps_the_most_recently_used_within_its_bounds() -> None:
    documents = PersistedDocuments(max_entries=2)
    bodies = [f"query Q{n} {{ agencies {{ id }} }}" for n in range(3)]
    for body in bodies[:2]:
        documents.resolve(
            {"query": body, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(body)}}}
        )
    # Using the first makes the second the least recently used, the one the third pushes out.
    assert (
        documents.resolve({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(bodies[0])}}})
        == bodies[0]
    )
    documents.resolve(
        {
            "query": bodies[2],
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(bodies[2])}},
        }
    )
    second = documents.resolve(
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(bodies[1])}}}
    )
    assert isinstance(second, Refusal) and second.code is ErrorCode.PERSISTED_QUERY_NOT_FOUND
    assert len(documents) == 2
    bounded = PersistedDocuments(max_bytes=len(bodies[0]) + 5)
    for body in bodies:
        bounded.resolve(
            {"query": body, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(body)}}}
        )
    assert len(bounded) == 1


def test_trusted_only_runs_trusted_documents_and_nothing_else() -> None:
    documents = PersistedDocuments(parse_manifest(apollo_manifest(PARCELS)), only=True)
    assert documents.resolve({"documentId": digest(PARCELS)}) == PARCELS
    assert documents.resolve({"documentId": "sha256:" + digest(PARCELS)}) == PARCELS
    assert documents.resolve({"query": PARCELS}) == PARCELS  # the same document, byte for byte
    assert (
        documents.resolve({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(PARCELS)}}})
        == PARCELS
    )
    other = documents.resolve({"query": AGENCIES})
    assert other == Refusal(
        403, "Only trusted documents may run here: send a documentId.", ErrorCode.PERSISTED_QUERY_ONLY
    )
    register = documents.resolve(
        {"query": AGENCIES, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(AGENCIES)}}}
    )
    assert isinstance(register, Refusal) and register.code is ErrorCode.PERSISTED_QUERY_ONLY
    unknown = documents.resolve({"documentId": digest(AGENCIES)})
    assert unknown == Refusal(
        404, "No trusted document has this documentId.", ErrorCode.PERSISTED_QUERY_NOT_IN_LIST
    )
    assert len(documents) == 0


def test_trusted_only_without_documents_is_refused() -> None:
    with pytest.raises(ManifestError, match="no trusted documents were loaded"):
        PersistedDocuments({}, only=True)


@pytest.mark.parametrize(
    "payload",
    [
        {"documentId": 5},
        {"documentId": digest(PARCELS), "query": PARCELS},
        {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": digest(PARCELS)}}},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}},
        {"extensions": {"persistedQuery": "yes"}},
        {"query": 7, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest(PARCELS)}}},
    ],
)
def test_malformed_persisted_requests_are_bad_requests(payload: dict) -> None:
    refusal = PersistedDocuments().resolve(payload)
    assert isinstance(refusal, Refusal)
    assert (refusal.status, refusal.code) == (400, ErrorCode.BAD_REQUEST)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_either_parse_or_are_refused_as_a_manifest(raw: bytes) -> None:
    try:
        documents = parse_manifest(raw)
    except ManifestError:
        return
    assert all(digest(body) == key for key, body in documents.items())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["query", "documentId", "extensions", "variables"]),
        json_values | st.fixed_dictionaries({"persistedQuery": json_values}),
    )
)
def test_any_request_shape_resolves_to_a_document_or_a_coded_refusal(payload: dict) -> None:
    result = PersistedDocuments(parse_manifest(apollo_manifest(PARCELS))).resolve(payload)
    assert result is None or isinstance(result, str) or result.code in ErrorCode
