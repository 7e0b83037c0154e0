"""Hostile input at every public entry point of the credential layer that takes outside data (issue 23): wire
JSON of each message type, presentations at the verifier, attributes at the issuer, the BBS and range-proof
byte decoders and the BBS verifiers. Huge integers, lone surrogates, NaN and Infinity, duplicate keys, deep
nesting, floats and booleans where integers belong: each is a typed error (or a value read exactly), never
a crash, and a verifier only ever answers with one of its causes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zk.credentials import benefit_request, benefit_schema, citizen, paths, replaced
from tests.zk.hostile import HUGE, hostile_documents, hostile_scalars, hostile_values
from tests.zk.mutations import mutations
from zk import rangeproof
from zk.bbs import BLS12_381_SHA_256
from zk.bbs.blind import BLIND_BLS12_381_SHA_256, octets_to_commitment_with_proof
from zk.bbs.encoding import octets_to_proof, octets_to_pubkey, octets_to_secret_key, octets_to_signature
from zk.bbs.pseudonym import PSEUDONYM_BLS12_381_SHA_256, octets_to_pseudonym
from zk.credential import (
    FAILURE_CAUSES,
    Attribute,
    Credential,
    CredentialOffer,
    CredentialRequest,
    IssuerKey,
    Presentation,
    PresentationRequest,
    Schema,
    issue_credential,
    make_offer,
    make_presentation_request,
    present,
    request_credential,
    verify_presentation,
)
from zk.curve import get_backend
from zk.errors import InvalidParameters, MalformedInput
from zk.json_input import describe, printable
from zk.wire import (
    canonical_json,
    date_from_json,
    from_b64url,
    parse_json,
    point_from_b64,
    require_int,
    require_object,
    require_str,
    scalar_from_b64,
)

HOSTILE = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
VERIFIER = settings(HOSTILE, max_examples=100)
CURVE = get_backend("arkworks")
TODAY = dt.date(2026, 11, 21)


@pytest.fixture(scope="module")
def world():
    schema = benefit_schema()
    issuer = IssuerKey.generate(b"hostile input test issuer key....")
    held = citizen(issuer, schema)
    offer = make_offer(issuer, schema)
    request, _ = request_credential(offer)
    ask = benefit_request(schema, issuer)
    # a request disclosing the string attribute, so that hostile strings reach Attribute.check
    named = make_presentation_request(schema, [issuer.key_id], TODAY, disclose=["name", "income"])
    return {
        "schema": schema,
        "issuer": issuer,
        "held": held,
        "offer": offer,
        "request": request,
        "ask": ask,
        "named": named,
        "keys": {issuer.key_id: issuer.public_key},
        "presentation": present(held, ask).to_json(),
        "named_presentation": present(held, named).to_json(),
    }


MESSAGE_TYPES = [Schema, CredentialOffer, CredentialRequest, Credential, PresentationRequest]


def message(world, kind) -> dict:
    return {
        Schema: world["schema"],
        CredentialOffer: world["offer"],
        CredentialRequest: world["request"],
        Credential: world["held"].credential,
        PresentationRequest: world["ask"],
    }[kind].to_json()


def identical(a, b) -> bool:
    """a == b with the same types throughout (True == 1 and 1.0 == 1, but neither is the same JSON)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def decoded_or_refused(decode, value) -> None:
    """`decode(value)` returns, or raises MalformedInput (any other exception fails the test)."""
    try:
        decode(value)
    except MalformedInput:
        pass


# --- wire JSON of each message type -----------------------------------------------------------------------
@pytest.mark.parametrize("kind", MESSAGE_TYPES, ids=lambda k: k.__name__)
def test_hostile_json_text_in_any_field_is_read_exactly_or_refused(world, kind):
    @HOSTILE
    @given(document=hostile_documents(message(world, kind)))
    def check(document: bytes) -> None:
        decoded_or_refused(lambda d: kind.from_json(parse_json(d, kind.__name__)), document)

    check()


@pytest.mark.parametrize("kind", MESSAGE_TYPES, ids=lambda k: k.__name__)
def test_hostile_python_values_in_any_field_are_refused_as_malformed(world, kind):
    original = message(world, kind)
    all_paths = list(paths(original))

    @HOSTILE
    @given(path=st.sampled_from(all_paths), new=hostile_values)
    def check(path, new) -> None:
        decoded_or_refused(kind.from_json, replaced(original, path, new))

    check()


# --- presentations at the verifier ------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["presentation", "named_presentation"])
def test_the_verifier_answers_a_cause_for_hostile_json_text(world, which):
    ask = world["ask" if which == "presentation" else "named"]

    @VERIFIER
    @given(document=hostile_documents(world[which]))
    def check(document: bytes) -> None:
        decoded_or_refused(Presentation.parse, document)
        result = verify_presentation(ask, document, world["keys"])
        assert result.cause in FAILURE_CAUSES

    check()


@pytest.mark.parametrize("which", ["presentation", "named_presentation"])
def test_the_verifier_answers_a_cause_for_hostile_python_values(world, which):
    ask = world["ask" if which == "presentation" else "named"]
    original = world[which]
    all_paths = list(paths(original))

    @VERIFIER
    @given(path=st.sampled_from(all_paths), new=hostile_values)
    def check(path, new) -> None:
        candidate = replaced(original, path, new)
        decoded_or_refused(Presentation.parse, candidate)
        result = verify_presentation(ask, candidate, world["keys"])
        assert result.ok is identical(candidate, original) and (result.ok or result.cause in FAILURE_CAUSES)

    check()


@pytest.mark.parametrize(
    "value", [HUGE, True, 1.0, float("nan"), "\ud800", "x\udfff", ["\ud800"], None], ids=describe
)
def test_a_hostile_disclosed_value_is_malformed(world, value):
    for name in ("name", "income"):
        candidate = {**world["named_presentation"]}
        candidate["disclosed"] = {**candidate["disclosed"], name: value}
        assert verify_presentation(world["named"], candidate, world["keys"]).cause == "malformed"


# --- attributes at the issuer -----------------------------------------------------------------------------
ATTRIBUTES = {
    "name": "Ada Lovelace",
    "birth_date": dt.date(1990, 5, 17),
    "district": "north",
    "income": 21_000,
    "expires": dt.date(2027, 6, 30),
}


def test_hostile_attribute_values_are_refused_as_invalid_parameters(world):
    @HOSTILE
    @given(name=st.sampled_from(sorted(ATTRIBUTES)), value=hostile_values)
    def check(name, value) -> None:
        attributes = {**ATTRIBUTES, name: value}
        try:
            issue_credential(world["issuer"], world["offer"], world["request"], attributes)
        except InvalidParameters:
            return
        assert world["schema"].attribute(name).check(value) == value

    check()


@pytest.mark.parametrize("extra", [{1: "x"}, {None: 1}, {True: 1}, {"\ud800": 1}, {("a",): 1}])
def test_attribute_maps_with_foreign_keys_are_refused(world, extra):
    with pytest.raises(InvalidParameters, match="attributes must be exactly"):
        issue_credential(world["issuer"], world["offer"], world["request"], {**ATTRIBUTES, **extra})


# --- the byte decoders ------------------------------------------------------------------------------------
SK = BLS12_381_SHA_256.keygen(b"hostile input BBS key material, 32+ bytes")
PK = BLS12_381_SHA_256.sk_to_pk(SK)
HEADER, PH, MESSAGES = b"header", b"presentation header", [b"one", b"two", b"three"]
SIGNATURE = BLS12_381_SHA_256.sign(SK, PK, HEADER, MESSAGES)
PROOF = BLS12_381_SHA_256.proof_gen(PK, SIGNATURE, HEADER, PH, MESSAGES, [1])
COMMITMENT, _ = BLIND_BLS12_381_SHA_256.commit([b"committed"])
PSEUDONYM = PSEUDONYM_BLS12_381_SHA_256.calculate_pseudonym(b"context", [12345])
RANGE_PROOF = rangeproof.prove([5], [7], 8, b"context", backend=CURVE).to_bytes(CURVE)

DECODERS = {
    "secret key": (lambda d: octets_to_secret_key(d), SK),
    "public key": (lambda d: octets_to_pubkey(CURVE, d), PK),
    "signature": (lambda d: octets_to_signature(CURVE, d), SIGNATURE),
    "proof": (lambda d: octets_to_proof(CURVE, d), PROOF),
    "commitment": (lambda d: octets_to_commitment_with_proof(CURVE, d), COMMITMENT),
    "pseudonym": (lambda d: octets_to_pseudonym(CURVE, d), PSEUDONYM),
    "range proof": (lambda d: rangeproof.RangeProof.from_bytes(CURVE, d, 8, 1), RANGE_PROOF),
}
not_bytes = hostile_scalars.filter(lambda v: not isinstance(v, bytes)) | hostile_values


@pytest.mark.parametrize("name", DECODERS)
def test_byte_decoders_refuse_hostile_input_as_malformed(name):
    decode, valid = DECODERS[name]

    @HOSTILE
    @given(
        data=mutations(valid) | not_bytes | mutations(valid).map(bytearray) | mutations(valid).map(memoryview)
    )
    def check(data) -> None:
        decoded_or_refused(decode, data)

    check()


WIRE_FIELDS = {
    "base64url": lambda v: from_b64url(v, "field"),
    "scalar": lambda v: scalar_from_b64(v, "field"),
    "point": lambda v: point_from_b64(CURVE, v, "field"),
    "date": lambda v: date_from_json(v, "field"),
    "integer": lambda v: require_int(v, "field", -(2**53), 2**53),
    "string": lambda v: require_str(v, "field", max_length=64),
    "object": lambda v: require_object(v, "field", ("a",), ("b",)),
}


@pytest.mark.parametrize("name", WIRE_FIELDS)
def test_wire_field_checks_refuse_hostile_values_as_malformed(name):
    @HOSTILE
    @given(value=hostile_values)
    def check(value) -> None:
        decoded_or_refused(WIRE_FIELDS[name], value)

    check()


# --- the BBS verifiers ------------------------------------------------------------------------------------
def _hostile_sequences():
    return st.lists(hostile_scalars, max_size=4) | hostile_values


VERIFIERS = {
    "verify": (
        lambda *a: BLS12_381_SHA_256.verify(*a),
        (PK, SIGNATURE, HEADER, MESSAGES),
    ),
    "proof_verify": (
        lambda *a: BLS12_381_SHA_256.proof_verify(*a),
        (PK, PROOF, HEADER, PH, [MESSAGES[1]], [1]),
    ),
    "commitment_verify": (lambda *a: BLIND_BLS12_381_SHA_256.commitment_verify(*a), (COMMITMENT,)),
    "verify_blind_sign": (
        lambda *a: BLIND_BLS12_381_SHA_256.verify_blind_sign(*a),
        (PK, SIGNATURE, HEADER, MESSAGES, [], 0),
    ),
    "blind proof_verify": (
        lambda *a: BLIND_BLS12_381_SHA_256.proof_verify(*a),
        (PK, PROOF, HEADER, PH, 3, [MESSAGES[1]], [], [1], []),
    ),
    "verify_finalize_with_nym": (
        lambda *a: PSEUDONYM_BLS12_381_SHA_256.verify_finalize_with_nym(*a),
        (PK, SIGNATURE, HEADER, MESSAGES, [], [1], 1, 0),
    ),
    "proof_verify_with_nym": (
        lambda *a: PSEUDONYM_BLS12_381_SHA_256.proof_verify_with_nym(*a),
        (PK, PROOF, PSEUDONYM, HEADER, PH, b"context", 3, [MESSAGES[1]], [], [1], [], 1),
    ),
}


@pytest.mark.parametrize("name", VERIFIERS)
def test_bbs_verifiers_answer_invalid_for_hostile_arguments(name):
    verify, arguments = VERIFIERS[name]

    @HOSTILE
    @given(position=st.integers(0, len(arguments) - 1), value=hostile_scalars | _hostile_sequences())
    def check(position, value) -> None:
        changed = list(arguments)
        changed[position] = value
        assert verify(*changed) in (False, None)

    check()


# --- the reproductions of issue 23, one by one ------------------------------------------------------------
def test_a_lone_surrogate_is_not_a_string_attribute_value(world):
    attribute = Attribute("residence", "string")
    with pytest.raises(InvalidParameters, match=r"^attribute residence: '\\ud800' is not a valid string$"):
        attribute.check("\ud800")
    with pytest.raises(InvalidParameters, match=r"^attribute name: 'Ada \\udfff' is not a valid string$"):
        issue_credential(
            world["issuer"], world["offer"], world["request"], {**ATTRIBUTES, "name": "Ada \udfff"}
        )
    with pytest.raises(InvalidParameters, match="values are a tuple of texts"):
        Attribute("district", "enum", values=("north", "\ud800"))
    with pytest.raises(InvalidParameters, match="1-128 characters of Unicode text"):
        Schema.create("\ud800", [Attribute("name", "string")])


def test_the_verifier_refuses_a_disclosed_lone_surrogate_as_malformed(world):
    candidate = {**world["named_presentation"]}
    candidate["disclosed"] = {**candidate["disclosed"], "name": "\ud800"}
    assert verify_presentation(world["named"], candidate, world["keys"]).cause == "malformed"
    text = canonical_json(world["named_presentation"]).replace(b'"Ada Lovelace"', b'"\\ud800"')
    assert verify_presentation(world["named"], text, world["keys"]).cause == "malformed"


def test_error_messages_describe_huge_integers_instead_of_raising():
    schema = {"type": "govgraph.credential.Schema", "version": HUGE, "name": "x", "attributes": []}
    with pytest.raises(
        MalformedInput,
        match=r"^govgraph.credential.Schema version <integer of 16610 bits> is not supported \(expected 1\)$",
    ):
        Schema.from_json(schema)
    with pytest.raises(MalformedInput, match=r"^expected a govgraph.credential.Schema, got type <integer"):
        Schema.from_json({**schema, "type": HUGE, "version": 1})
    with pytest.raises(InvalidParameters, match=r"^attribute name: <integer of 16610 bits> is not a valid"):
        Attribute("name", "string").check(HUGE)
    with pytest.raises(InvalidParameters, match=r"^generator count out of range: <integer of 16610 bits>$"):
        BLS12_381_SHA_256.create_generators(HUGE)
    with pytest.raises(InvalidParameters, match=r"over \(8, 16, 32, 64\) bits, not <integer of 16610 bits>$"):
        rangeproof.proof_length(HUGE, 1)
    with pytest.raises(MalformedInput, match=r"^field '\\x1b\[2J' does not match"):
        require_str("\x1b[2J", "field", pattern=__import__("re").compile("[a-z]+"))


@pytest.mark.parametrize("value", [{1: "a", "a": 1}, {None: 1}, {("a",): 1, "b": 2}])
def test_objects_with_non_string_keys_are_malformed(world, value):
    with pytest.raises(MalformedInput, match="^field has a key that is not a string$"):
        require_object(value, "field", ("a",))
    with pytest.raises(MalformedInput, match="^govgraph.credential.Presentation has a key that is not a"):
        Presentation.parse({**world["presentation"], **value})
    assert verify_presentation(world["ask"], {**world["presentation"], **value}, world["keys"]).cause == (
        "malformed"
    )


def test_missing_and_unexpected_fields_are_listed_safely():
    hostile = {"a": 1, "\x1b[2J": 1, "x" * 1000: 1, **{f"k{i}": i for i in range(20)}}
    with pytest.raises(MalformedInput) as refused:
        require_object(hostile, "field", ("a", "b"))
    message = str(refused.value)
    assert message.startswith("field fields wrong: missing ['b'], unexpected [")
    assert message.endswith(", and 14 more]") and "\x1b" not in message and len(message) < 500


@pytest.mark.parametrize("value", [True, False, 1.0, 8.0, float("nan")])
def test_booleans_and_floats_are_not_integers(world, value):
    with pytest.raises(MalformedInput, match="must be an integer"):
        require_int(value, "field", -10, 10)
    attribute = {"name": "income", "type": "integer", "min": value, "max": 10}
    with pytest.raises(MalformedInput):
        Attribute.from_json(attribute, "attribute")
    with pytest.raises(InvalidParameters):
        Attribute("income", "integer", value, 10)
    with pytest.raises(InvalidParameters):
        Attribute("income", "integer").check(value)
    with pytest.raises(InvalidParameters):
        BLS12_381_SHA_256.create_generators(value)
    with pytest.raises(InvalidParameters):
        rangeproof.proof_length(value, 1)
    assert not BLS12_381_SHA_256.proof_verify(PK, PROOF, HEADER, PH, [MESSAGES[1]], [value])
    candidate = {**world["named_presentation"]}
    candidate["disclosed"] = {**candidate["disclosed"], "income": value}
    assert verify_presentation(world["named"], candidate, world["keys"]).cause == "malformed"


def test_printable_escapes_every_control_character():
    assert printable("plain text, é and 名") == "plain text, é and 名"
    assert printable("\x1b[2J\x1b[HVERIFIED\x1b[8m") == "\\x1b[2J\\x1b[HVERIFIED\\x1b[8m"
    assert printable("a\nb\r\t\x00\x7f\x9b\u202e\ud800") == "a\\nb\\r\\t\\x00\\x7f\\x9b\\u202e\\ud800"
