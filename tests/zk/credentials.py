"""What the credential tests share: a citizen's credential issued through the wire formats, the benefit
request, and fuzzing of JSON messages (any field replaced by arbitrary JSON)."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from zk.credential import (
    Attribute,
    Credential,
    CredentialOffer,
    CredentialRequest,
    HeldCredential,
    IssuerKey,
    Predicate,
    PresentationRequest,
    Schema,
    accept_credential,
    age_at_least,
    date_attribute,
    issue_credential,
    make_offer,
    make_presentation_request,
    request_credential,
)
from zk.wire import canonical_json, parse_json

TODAY = dt.date(2026, 11, 21)
CONTEXT = "benefit-2026"


def benefit_schema(districts: tuple[str, ...] = ("north", "south", "east", "west")) -> Schema:
    """The schema every credential test issues: a name, a birth date, a district and an income."""
    return Schema.create(
        "benefit-eligibility",
        [
            Attribute("name", "string"),
            date_attribute("birth_date", dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
            Attribute("district", "enum", values=districts),
            Attribute("income", "integer", 0, 10**9),
        ],
    )


def citizen(issuer: IssuerKey, schema: Schema, **changes) -> HeldCredential:
    """A credential issued blindly, every message through its wire format."""
    attributes = {
        "name": "Ada Lovelace",
        "birth_date": dt.date(1990, 5, 17),
        "district": "north",
        "income": 21_000,
        "expires": dt.date(2027, 6, 30),
        **changes,
    }
    offer = CredentialOffer.from_json(
        parse_json(canonical_json(make_offer(issuer, schema).to_json()), "offer")
    )
    request, pending = request_credential(offer)
    request = CredentialRequest.from_json(parse_json(canonical_json(request.to_json()), "request"))
    credential = issue_credential(issuer, offer, request, attributes)
    credential = Credential.from_json(parse_json(canonical_json(credential.to_json()), "credential"))
    return accept_credential(pending, credential)


def benefit_request(schema, issuer, context: str | None = CONTEXT) -> PresentationRequest:
    request = make_presentation_request(
        schema,
        [issuer.key_id],
        TODAY,
        disclose=["district"],
        predicates=[age_at_least(18, TODAY), Predicate("income", "<", 30_000)],
        context=context,
    )
    return PresentationRequest.from_json(parse_json(canonical_json(request.to_json()), "request"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def paths(value, prefix=()):
    """Every path into a JSON value (keys and indexes), the empty path first."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def replaced(value, path, new):
    """A copy of `value` with the item at `path` replaced by `new`."""
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy
