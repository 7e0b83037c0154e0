"""Persisted documents on the gateway: Apollo's automatic persisted queries (APQ) and trusted documents.

APQ (Apollo's protocol): a request carries `extensions.persistedQuery = {version: 1, sha256Hash}`; with no
`query`, the gateway runs the document it holds under that hash, or answers PERSISTED_QUERY_NOT_FOUND (the
client then sends document and hash together, which registers it). Registered documents live in a bounded
LRU cache (entries and bytes).

Trusted documents: a manifest of the operations a front-end ships, loaded at start-up, in either format the
client tooling writes: Apollo's `apollo-persisted-query-manifest` ({format, version: 1, operations: [{id,
name, type, body}]}) or GraphQL Code Generator's `persisted-documents.json` ({"<sha256 hex>": "<document>"}).
Every id must be the SHA-256 (hex) of its body: a manifest that says otherwise is refused at load. A request
names one by `documentId` (GraphQL over HTTP's persisted-documents proposal, as Hive clients send; a
`sha256:` prefix is accepted) or by its APQ hash. With `only`, nothing else runs: a document sent in full is
accepted only if it is, byte for byte, a trusted one (as Apollo Router's safelist does), and APQ cannot
register new ones."""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from govgraph.federation.errors import ErrorCode
from zk.errors import MalformedInput
from zk.json_input import load_json

APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MAX_MANIFEST_BYTES = 50_000_000
# APQ's cache: at most this many documents and bytes of document text (the least recently used go first).
APQ_MAX_ENTRIES = 10_000
APQ_MAX_BYTES = 32_000_000
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # Apollo clients match this message (and the code)


class ManifestError(ValueError):
    """A trusted-documents manifest that cannot be used; the message says where it is wrong."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request's document could not be found or is not allowed: HTTP status, message, code."""

    status: int
    message: str
    code: ErrorCode

    def body(self) -> dict:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code.value}}]}


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def parse_manifest(raw: bytes) -> dict[str, str]:
    """The manifest's documents by SHA-256 hex id, from either supported format."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        value = load_json(raw, what="trusted-documents manifest", max_containers=1_000_000)
    except MalformedInput as exc:
        raise ManifestError(str(exc)) from None
    if not isinstance(value, dict):
        raise ManifestError("not a JSON object")
    if value.get("format") == APOLLO_MANIFEST_FORMAT:
        if value.get("version") != 1:
            raise ManifestError(f"{APOLLO_MANIFEST_FORMAT} version {value.get('version')!r}: expected 1")
        operations = value.get("operations")
        if not isinstance(operations, list):
            raise ManifestError("`operations` is not a list")
        pairs = []
        for index, operation in enumerate(operations):
            if not isinstance(operation, dict):
                raise ManifestError(f"operations[{index}] is not an object")
            pairs.append((operation.get("id"), operation.get("body"), f"operations[{index}]"))
    else:
        pairs = [(key, body, f"entry {key[:80]!r}") for key, body in value.items()]
    documents: dict[str, str] = {}
    for document_id, body, where in pairs:
        if not isinstance(document_id, str) or not SHA256_HEX.fullmatch(document_id):
            raise ManifestError(f"{where}: the id is not a lower-case SHA-256 hex digest")
        if not isinstance(body, str) or not body.strip():
            raise ManifestError(f"{where}: the document is not a non-empty string")
        if sha256_hex(body) != document_id:
            raise ManifestError(f"{where}: the id is not the SHA-256 of its document")
        documents[document_id] = body
    if not documents:
        raise ManifestError("no documents")
    return documents


class PersistedDocuments:
    """Resolves a request's document: from `query`, `documentId` or `extensions.persistedQuery`."""

    def __init__(
        self,
        trusted: Mapping[str, str] | None = None,
        *,
        only: bool = False,
        max_entries: int = APQ_MAX_ENTRIES,
        max_bytes: int = APQ_MAX_BYTES,
    ) -> None:
        if only and not trusted:
            raise ManifestError("trusted documents only, but no trusted documents were loaded")
        self.trusted = dict(trusted or {})
        self.only = only
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._bytes = 0

    def resolve(self, payload: Mapping[str, Any]) -> str | None | Refusal:
        """The document to run (None when the request names none: the gateway's own "Must provide query
        string."), or the refusal."""
        query = payload.get("query")
        document_id = payload.get("documentId")
        extensions = payload.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if document_id is not None:
            return self._by_document_id(document_id, query)
        if persisted is not None:
            return self._by_apq(persisted, query)
        if isinstance(query, str) and query and self.only and sha256_hex(query) not in self.trusted:
            return Refusal(
                403, "Only trusted documents may run here: send a documentId.", ErrorCode.PERSISTED_QUERY_ONLY
            )
        return query if isinstance(query, str) else None

    def _by_document_id(self, document_id: object, query: object) -> str | Refusal:
        if query is not None:
            return Refusal(400, "Send either a documentId or a query, not both.", ErrorCode.BAD_REQUEST)
        if not isinstance(document_id, str):
            return Refusal(400, "documentId must be a string.", ErrorCode.BAD_REQUEST)
        digest = document_id.removeprefix("sha256:")
        document = self.trusted.get(digest)
        if document is None:
            return Refusal(
                404, "No trusted document has this documentId.", ErrorCode.PERSISTED_QUERY_NOT_IN_LIST
            )
        return document

    def _by_apq(self, persisted: object, query: object) -> str | Refusal:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            return Refusal(400, "Unsupported persisted query version: expected 1.", ErrorCode.BAD_REQUEST)
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
            return Refusal(400, "sha256Hash must be a lower-case SHA-256 hex digest.", ErrorCode.BAD_REQUEST)
        if query is None:
            document = self.trusted.get(digest)
            if document is None and not self.only:
                document = self._cached(digest)
            if document is not None:
                return document
            if self.only:
                return Refusal(
                    404, "No trusted document has this hash.", ErrorCode.PERSISTED_QUERY_NOT_IN_LIST
                )
            return Refusal(200, NOT_FOUND_MESSAGE, ErrorCode.PERSISTED_QUERY_NOT_FOUND)
        if not isinstance(query, str) or not query:
            return Refusal(400, "query must be a non-empty string.", ErrorCode.BAD_REQUEST)
        if sha256_hex(query) != digest:
            return Refusal(
                400, "The query's SHA-256 is not sha256Hash.", ErrorCode.PERSISTED_QUERY_HASH_MISMATCH
            )
        if digest in self.trusted:
            return query
        if self.only:
            return Refusal(
                403, "Only trusted documents may run here: send a documentId.", ErrorCode.PERSISTED_QUERY_ONLY
            )
        self._store(digest, query)
        return query

    def _cached(self, digest: str) -> str | None:
        document = self._cache.get(digest)
        if document is not None:
            self._cache.move_to_end(digest)
        return document

    def _store(self, digest: str, document: str) -> None:
        size = len(document)
        if digest in self._cache or size > self.max_bytes:
            return
        self._cache[digest] = document
        self._bytes += size
        while len(self._cache) > self.max_entries or self._bytes > self.max_bytes:
            _digest, evicted = self._cache.popitem(last=False)
            self._bytes -= len(evicted)

    def __len__(self) -> int:
        """Documents registered through APQ and still cached."""
        return len(self._cache)
