"""The credential wire formats: strict JSON and base64url, and every decoder fuzzed with Hypothesis (mutated
bytes and arbitrary JSON in any field): a decoder either returns a value that re-encodes to itself or raises
MalformedInput; the verifier always answers with one of its causes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zk.credentials import benefit_request, benefit_schema, citizen, json_values, paths, replaced
from tests.zk.mutations import mutations
from zk.credential import (
    FAILURE_CAUSES,
    Credential,
    CredentialOffer,
    CredentialRequest,
    IssuerKey,
    Presentation,
    PresentationRequest,
    Schema,
    make_offer,
    present,
    request_credential,
    verify_presentation,
)
from zk.errors import MalformedInput
from zk.wire import b64url, canonical_json, date_from_json, from_b64url, parse_json

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
        HealthCheck.too_slow,
    ],
)
VERIFIER_FUZZ = settings(FUZZ, max_examples=100)


@pytest.fixture(scope="module")
def world():
    schema = benefit_schema()
    issuer = IssuerKey.generate(b"wire test issuer key material....")
    held = citizen(issuer, schema)
    offer = make_offer(issuer, schema)
    request, _ = request_credential(offer)
    ask = benefit_request(schema, issuer)
    return {
        "schema": schema,
        "issuer": issuer,
        "held": held,
        "offer": offer,
        "request": request,
        "ask": ask,
        "keys": {issuer.key_id: issuer.public_key},
        "presentation": present(held, ask).to_bytes(),
    }


def messages(world) -> dict:
    return {
        Schema: world["schema"],
        CredentialOffer: world["offer"],
        CredentialRequest: world["request"],
        Credential: world["held"].credential,
        PresentationRequest: world["ask"],
    }


MESSAGE_TYPES = [
    Schema,
    CredentialOffer,
    CredentialRequest,
    Credential,
    PresentationRequest,
]


@pytest.mark.parametrize("kind", MESSAGE_TYPES, ids=lambda k: k.__name__)
def test_every_message_round_trips_through_canonical_json(world, kind):
    message = messages(world)[kind]
    data = canonical_json(message.to_json())
    decoded = kind.from_json(parse_json(data, kind.__name__))
    assert decoded == message
    assert canonical_json(decoded.to_json()) == data


@pytest.mark.parametrize("kind", MESSAGE_TYPES, ids=lambda k: k.__name__)
def test_every_decoder_refuses_or_round_trips_mutated_bytes(world, kind):
    data = canonical_json(messages(world)[kind].to_json())

    @FUZZ
    @given(mutated=mutations(data))
    def check(mutated: bytes) -> None:
        try:
            decoded = kind.from_json(parse_json(mutated, kind.__name__))
        except MalformedInput:
            return
        again = canonical_json(decoded.to_json())
        assert kind.from_json(parse_json(again, "again")) == decoded

    check()


@pytest.mark.parametrize("kind", MESSAGE_TYPES, ids=lambda k: k.__name__)
def test_every_decoder_refuses_arbitrary_json_in_any_field(world, kind):
    original = messages(world)[kind].to_json()
    all_paths = list(paths(original))

    @FUZZ
    @given(index=st.integers(0, len(all_paths) - 1), new=json_values)
    def check(index: int, new) -> None:
        candidate = replaced(original, all_paths[index], new)
        try:
            decoded = kind.from_json(candidate)
        except MalformedInput:
            return
        assert canonical_json(decoded.to_json()) == canonical_json(candidate)

    check()


def same_document(mutated: bytes, data: bytes) -> bool:
    try:
        return parse_json(mutated, "presentation") == parse_json(data, "presentation")
    except MalformedInput:
        return False


def test_the_verifier_answers_a_cause_for_any_mutated_presentation(world):
    data = world["presentation"]

    @VERIFIER_FUZZ
    @given(mutated=mutations(data))
    def check(mutated: bytes) -> None:
        result = verify_presentation(world["ask"], mutated, world["keys"])
        # Accepted exactly when the mutation left the same JSON document (e.g. a trailing space: RFC 8259
        # whitespace), never for any other change.
        assert result.ok is same_document(mutated, data)
        assert result.cause is None if result.ok else result.cause in FAILURE_CAUSES

    check()


def test_the_verifier_answers_a_cause_for_arbitrary_json_in_any_field(world):
    original = parse_json(world["presentation"], "presentation")
    all_paths = list(paths(original))

    @VERIFIER_FUZZ
    @given(index=st.integers(0, len(all_paths) - 1), new=json_values)
    def check(index: int, new) -> None:
        candidate = replaced(original, all_paths[index], new)
        result = verify_presentation(world["ask"], candidate, world["keys"])
        # json.dumps tells true from 1, which == does not
        assert result.ok is (json.dumps(candidate, sort_keys=True) == json.dumps(original, sort_keys=True))
        assert result.cause is None if result.ok else result.cause in FAILURE_CAUSES

    check()


# --- issue 23: an integer literal past CPython's 4,300-digit limit ---------------------------------------
LONG_INTEGER = b"9" * 4301


@pytest.mark.parametrize("kind", [*MESSAGE_TYPES, Presentation], ids=lambda k: k.__name__)
@pytest.mark.parametrize("field", ["version", "type", "nonce"])
def test_every_message_parser_refuses_a_4301_digit_integer_as_malformed(world, kind, field):
    message = (
        parse_json(world["presentation"], "presentation")
        if kind is Presentation
        else messages(world)[kind].to_json()
    )
    message[field] = "@"
    data = canonical_json(message).replace(b'"@"', LONG_INTEGER)
    with pytest.raises(MalformedInput, match=f"^{kind.__name__} holds an integer longer than 4300 digits$"):
        kind.from_json(parse_json(data, kind.__name__))
    with pytest.raises(MalformedInput, match="^p holds an integer longer than 4300 digits$"):
        parse_json(b'{"version": ' + LONG_INTEGER + b"}", "p")


def test_the_verifier_answers_malformed_for_a_4301_digit_integer(world):
    data = world["presentation"].replace(b'"version":1', b'"version":' + LONG_INTEGER)
    with pytest.raises(MalformedInput, match="^presentation holds an integer longer than 4300 digits$"):
        Presentation.parse(data)
    assert verify_presentation(world["ask"], data, world["keys"]).cause == "malformed"


# --- the strict primitives ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a": 1, "a": 2}', "duplicate JSON key"),
        ('{"a": 1.5}', "integers"),
        ('{"a": NaN}', "integers"),
        ('{"a": Infinity}', "integers"),
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 32"),
        ('{"a": ' * 33 + "1" + "}" * 33, "nested deeper than 32"),
        ("{", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b" " * (1 << 20 + 1), "larger than"),
    ],
)
def test_json_is_parsed_strictly(text, reason):
    with pytest.raises(MalformedInput, match=reason):
        parse_json(text, "message")


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert parse_json('{"a": "' + "[" * 100 + '\\"{"}', "message") == {"a": "[" * 100 + '"{'}
    nested: list = []
    for _ in range(31):
        nested = [nested]
    assert parse_json("[" * 32 + "]" * 32, "message") == nested


@pytest.mark.parametrize("text", ["AQ==", "AQ=", "AR", "A", "A+B/", "a b", "AQ\n", 5])
def test_base64url_is_canonical_and_unpadded(text):
    with pytest.raises(MalformedInput):
        from_b64url(text, "field")


def test_base64url_round_trips():
    for data in (b"", b"\x01", b"\xff\xfe", bytes(range(256))):
        assert from_b64url(b64url(data), "field") == data
    assert b64url(b"\xfb\xff") == "-_8"
    with pytest.raises(MalformedInput, match="must be 2 bytes"):
        from_b64url("AQ", "field", length=2)


@pytest.mark.parametrize(
    "text", ["20261121", "2026-11-1", "2026-02-30", "2026-W47-6", " 2026-11-21", 20261121]
)
def test_dates_are_written_yyyy_mm_dd(text):
    with pytest.raises(MalformedInput):
        date_from_json(text, "date")
    assert date_from_json("2026-11-21", "date") == dt.date(2026, 11, 21)
