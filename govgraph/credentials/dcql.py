"""DCQL (OpenID4VP 1.0 section 6) for our format `govgraph_bbs`, with two declared extensions on a credential
query: a claim may carry `"predicate": {"op": ..., "value": ...}` instead of asking for the value, and
`"pseudonym": {"context": ...}` asks for the holder's pseudonym in that context. A query becomes the
`zk.credential.PresentationRequest` the holder proves and the verifier checks; both build it from the same
completed query (its `meta` names the schema digest, the accepted issuer keys and the day of the request)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govgraph.credentials.configurations import FORMAT, CredentialConfiguration
from zk import credential as zkc
from zk.credential.issuance import KEY_ID_PATTERN
from zk.errors import InvalidParameters, MalformedInput
from zk.json_input import describe
from zk.wire import date_from_json

QUERY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_CLAIMS = 64
MAX_VALUES = 64
MAX_CONTEXT_BYTES = 256
UNSUPPORTED = ("credential_sets", "claim_sets", "trusted_authorities")


class DcqlError(ValueError):
    """A DCQL query this verifier cannot ask (the message says which part and why)."""


@dataclass(frozen=True)
class ClaimQuery:
    name: str  # the attribute: a claim's path is [name]
    predicate: zkc.Predicate | None = None  # proved, not disclosed
    values: tuple[Any, ...] | None = None  # disclosed, and must be one of these


@dataclass(frozen=True)
class CredentialQuery:
    id: str
    configuration: str
    claims: tuple[ClaimQuery, ...]
    context: str | None
    # Filled in by the verifier (the completed query): what the holder's proof is bound to.
    schema_id: str | None = None
    issuer_keys: tuple[str, ...] = ()
    today: dt.date | None = None

    def disclosed(self) -> list[str]:
        return [claim.name for claim in self.claims if claim.predicate is None]

    def to_json(self, schema: zkc.Schema) -> dict[str, Any]:
        """The (completed) query as DCQL JSON."""
        meta: dict[str, Any] = {"schema": self.configuration}
        if self.schema_id is not None:
            meta |= {
                "schema_id": self.schema_id,
                "issuer_keys": list(self.issuer_keys),
                "today": None if self.today is None else self.today.isoformat(),
            }
        claims = []
        for claim in self.claims:
            item: dict[str, Any] = {"path": [claim.name]}
            if claim.predicate is not None:
                predicate = claim.predicate.to_json(schema.attribute(claim.name))
                item["predicate"] = {"op": predicate["op"], "value": predicate["value"]}
            if claim.values is not None:
                item["values"] = list(claim.values)
            claims.append(item)
        query: dict[str, Any] = {"id": self.id, "format": FORMAT, "meta": meta, "claims": claims}
        if self.context is not None:
            query["pseudonym"] = {"context": self.context}
        return {"credentials": [query]}

    def completed(self, schema: zkc.Schema, issuer_keys: Sequence[str], today: dt.date) -> CredentialQuery:
        return CredentialQuery(
            self.id, self.configuration, self.claims, self.context, schema.id, tuple(issuer_keys), today
        )

    def presentation_request(self, schema: zkc.Schema, nonce: bytes) -> zkc.PresentationRequest:
        """The zk request a completed query stands for (InvalidParameters when it cannot be proved)."""
        if self.today is None or self.schema_id != schema.id:
            raise InvalidParameters("the query is not completed for this schema")
        return zkc.PresentationRequest(
            nonce,
            schema,
            self.issuer_keys,
            self.today,
            tuple(self.disclosed()),
            tuple(claim.predicate for claim in self.claims if claim.predicate is not None),
            self.context,
        )


def parse_dcql(
    value: Any, configurations: Mapping[str, CredentialConfiguration], *, completed: bool = False
) -> tuple[CredentialQuery, CredentialConfiguration]:
    """A DCQL query of one `govgraph_bbs` credential; DcqlError naming what is wrong. `completed` reads the
    verifier's completed query (meta with schema_id, issuer_keys and today), as a wallet does."""
    try:
        return _parse(value, configurations, completed)
    except (MalformedInput, InvalidParameters) as exc:
        raise DcqlError(str(exc)) from None


def _object(value: Any, what: str, required: set[str], optional: set[str]) -> dict:
    if not isinstance(value, dict) or any(type(key) is not str for key in value):
        raise DcqlError(f"{what} must be a JSON object")
    for name in UNSUPPORTED:
        if name in value:
            raise DcqlError(f"{what}.{name} is not supported by this verifier")
    missing, extra = required - value.keys(), value.keys() - required - optional
    if missing:
        raise DcqlError(f"{what} lacks {', '.join(sorted(missing))}")
    if extra:
        raise DcqlError(f"{what} has unknown members: {', '.join(sorted(describe(k) for k in extra))}")
    return value


def _parse(
    value: Any, configurations: Mapping[str, CredentialConfiguration], completed: bool
) -> tuple[CredentialQuery, CredentialConfiguration]:
    root = _object(value, "dcql", {"credentials"}, set())
    queries = root["credentials"]
    if not isinstance(queries, list) or len(queries) != 1:
        raise DcqlError("dcql.credentials must list exactly one credential query")
    query = _object(
        queries[0],
        "dcql.credentials[0]",
        {"id", "format", "meta", "claims"},
        {"pseudonym", "multiple", "require_cryptographic_holder_binding"},
    )
    if not isinstance(query["id"], str) or not QUERY_ID.fullmatch(query["id"]):
        raise DcqlError("dcql.credentials[0].id must be 1-64 letters, digits, _ or -")
    if query["format"] != FORMAT:
        raise DcqlError(f"dcql.credentials[0].format must be {FORMAT}")
    if query.get("multiple", False) is not False:
        raise DcqlError("dcql.credentials[0].multiple must be false: one credential answers")
    if query.get("require_cryptographic_holder_binding", True) is not True:
        raise DcqlError("a govgraph_bbs presentation is always bound to its holder")
    meta_fields = {"schema", "schema_id", "issuer_keys", "today"} if completed else {"schema"}
    meta = _object(query["meta"], "dcql.credentials[0].meta", meta_fields, set())
    configuration = configurations.get(meta["schema"]) if isinstance(meta["schema"], str) else None
    if configuration is None:
        raise DcqlError(f"meta.schema {describe(meta['schema'])} is not a credential this verifier knows")
    schema = configuration.schema
    claims = _claims(query["claims"], schema)
    context = None
    if "pseudonym" in query:
        pseudonym = _object(query["pseudonym"], "dcql.credentials[0].pseudonym", {"context"}, set())
        context = pseudonym["context"]
        if not isinstance(context, str) or not 0 < len(context.encode("utf-8", "surrogatepass")) <= 256:
            raise DcqlError(f"pseudonym.context must be text of 1-{MAX_CONTEXT_BYTES} bytes")
    parsed = CredentialQuery(query["id"], configuration.id, claims, context)
    if completed:
        if meta["schema_id"] != schema.id:
            raise DcqlError("meta.schema_id is not the digest of the schema")
        keys = meta["issuer_keys"]
        if (
            not isinstance(keys, list)
            or not 0 < len(keys) <= 64
            or not all(isinstance(k, str) and KEY_ID_PATTERN.fullmatch(k) for k in keys)
        ):
            raise DcqlError("meta.issuer_keys must list 1-64 issuer key ids")
        parsed = parsed.completed(schema, keys, date_from_json(meta["today"], "meta.today"))
    # Every statement must be provable in this schema: the zk request checks it (a throwaway nonce).
    parsed.completed(schema, ["bbs:" + "A" * 22], dt.date(2000, 1, 1)).presentation_request(schema, bytes(32))
    return parsed, configuration


def _claims(value: Any, schema: zkc.Schema) -> tuple[ClaimQuery, ...]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_CLAIMS:
        raise DcqlError(f"claims must list 1-{MAX_CLAIMS} claims")
    out = []
    for i, item in enumerate(value):
        what = f"claims[{i}]"
        claim = _object(item, what, {"path"}, {"id", "values", "predicate"})
        path = claim["path"]
        if not isinstance(path, list) or len(path) != 1 or not isinstance(path[0], str):
            raise DcqlError(f'{what}.path must name one attribute, e.g. ["residence"]')
        name = path[0]
        if name not in {a.name for a in schema.attributes}:
            raise DcqlError(f"{what}.path: the schema has no attribute {describe(name)}")
        if name == zkc.EXPIRES:
            raise DcqlError(f"{what}: expires is never disclosed; every presentation proves expires >= today")
        if "predicate" in claim and "values" in claim:
            raise DcqlError(f"{what}: a claim has values or a predicate, not both")
        predicate = None
        if "predicate" in claim:
            spec = _object(claim["predicate"], f"{what}.predicate", {"op", "value"}, set())
            predicate = zkc.Predicate.from_json(
                schema, {"attribute": name, "op": spec["op"], "value": spec["value"]}, f"{what}.predicate"
            )
        values = None
        if "values" in claim:
            values = claim["values"]
            if not isinstance(values, list) or not 0 < len(values) <= MAX_VALUES:
                raise DcqlError(f"{what}.values must list 1-{MAX_VALUES} values")
            attribute = schema.attribute(name)
            values = tuple(
                attribute.value_to_json(attribute.value_from_json(v, f"{what}.values")) for v in values
            )
        out.append(ClaimQuery(name, predicate, values))
    names = [claim.name for claim in out]
    if len(set(names)) != len(names):
        raise DcqlError("each attribute is asked for once")
    return tuple(out)
