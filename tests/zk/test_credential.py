"""Credentials end to end: blind issuance, presentations with a disclosed attribute, predicates, expiry and a
pseudonym; every tampering fails with its cause; a holder who does not satisfy a predicate cannot get a
presentation accepted."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.zk.credentials import CONTEXT, TODAY, benefit_request, benefit_schema, citizen
from zk.bbs.encoding import octets_to_proof
from zk.credential import (
    FAILURE_CAUSES,
    Attribute,
    CredentialExpired,
    CredentialMismatch,
    HeldCredential,
    IssuerKey,
    Predicate,
    PredicateNotSatisfied,
    Presentation,
    PresentationRequest,
    Schema,
    accept_credential,
    age_at_least,
    encode_integer,
    issue_credential,
    make_offer,
    make_presentation_request,
    present,
    request_credential,
    suite_for,
    verify_presentation,
)
from zk.curve import R, get_backend
from zk.errors import InvalidParameters, InvalidProof, MalformedInput
from zk.wire import b64url, canonical_json, from_b64url, parse_json


@pytest.fixture(scope="module")
def curve():
    return get_backend("arkworks")


@pytest.fixture(scope="module")
def schema() -> Schema:
    return benefit_schema()


@pytest.fixture(scope="module")
def issuer() -> IssuerKey:
    return IssuerKey.generate(b"test issuer key material, 32+ bytes")


@pytest.fixture(scope="module")
def keys(issuer) -> dict[str, bytes]:
    return {issuer.key_id: issuer.public_key}


@pytest.fixture(scope="module")
def ada(issuer, schema) -> HeldCredential:
    return citizen(issuer, schema)


@pytest.fixture(scope="module")
def ask(schema, issuer) -> PresentationRequest:
    return benefit_request(schema, issuer)


@pytest.fixture(scope="module")
def shown(ada, ask) -> dict:
    return present(ada, ask).to_json()


def test_the_end_to_end_presentation_is_accepted_with_exactly_what_was_asked(
    ada, ask, shown, keys, issuer, schema, curve
):
    result = verify_presentation(ask, canonical_json(shown), keys)
    assert result.ok and result.cause is None
    assert result.disclosed == {"district": "north"}
    assert result.predicates == ("expires >= 2026-11-21", "birth_date <= 2008-11-21", "income < 30000")
    expected_nym = suite_for(curve).calculate_pseudonym(CONTEXT.encode(), [ada.nym_secret])
    assert result.pseudonym == expected_nym
    assert result.to_json() == {
        "type": "govgraph.credential.VerifiedPresentation",
        "version": 1,
        "ok": True,
        "schema": schema.id,
        "issuer_key": issuer.key_id,
        "disclosed": {"district": "north"},
        "predicates": [{"statement": s, "holds": True} for s in result.predicates],
        "pseudonym": b64url(expected_nym),
        "context": CONTEXT,
    }
    # in clear, the presentation shows the disclosed value and public names; everything else is binary
    assert {k: shown[k] for k in ("type", "version", "schema", "issuer_key", "disclosed")} == {
        "type": "govgraph.credential.Presentation",
        "version": 1,
        "schema": schema.id,
        "issuer_key": issuer.key_id,
        "disclosed": {"district": "north"},
    }
    assert [len(from_b64url(shown[k], k)) for k in ("nonce", "pseudonym")] == [32, 48]
    assert len(from_b64url(shown["proof"], "proof")) == 3 * 48 + (4 + 6) * 32
    assert [sorted(item) for item in shown["predicates"]] == [["commitment", "link", "proof"]] * 3


def test_the_wire_form_is_canonical_and_versioned(shown):
    data = canonical_json(shown)
    assert Presentation.parse(data).to_bytes() == data
    assert shown["type"] == "govgraph.credential.Presentation" and shown["version"] == 1
    assert sorted(shown) == [
        "disclosed",
        "issuer_key",
        "nonce",
        "predicates",
        "proof",
        "pseudonym",
        "schema",
        "type",
        "version",
    ]


def test_the_same_context_gives_the_same_pseudonym_and_another_context_another(ada, schema, issuer, keys):
    first, second = benefit_request(schema, issuer), benefit_request(schema, issuer)
    other = benefit_request(schema, issuer, context="benefit-2027")
    results = [verify_presentation(r, present(ada, r).to_bytes(), keys) for r in (first, second, other)]
    assert all(r.ok for r in results)
    assert first.nonce != second.nonce
    assert results[0].pseudonym == results[1].pseudonym
    assert results[2].pseudonym != results[0].pseudonym
    assert results[2].context == "benefit-2027"


def test_two_holders_have_different_pseudonyms_in_one_context(ada, issuer, schema, ask, keys):
    grace = citizen(issuer, schema, name="Grace Hopper")
    mine = verify_presentation(ask, present(ada, ask).to_bytes(), keys)
    theirs = verify_presentation(ask, present(grace, ask).to_bytes(), keys)
    assert mine.ok and theirs.ok and mine.pseudonym != theirs.pseudonym


def test_a_request_without_context_shows_no_pseudonym(ada, schema, issuer, keys):
    request = benefit_request(schema, issuer, context=None)
    shown = present(ada, request).to_json()
    assert "pseudonym" not in shown
    result = verify_presentation(request, shown, keys)
    assert result.ok and result.pseudonym is None and "pseudonym" not in result.to_json()


# --- tampering: every field, the nonce and the disclosed value ---------------------------------------------
OTHER_POINT = "hTDBvcTNaxQIvgkzxKQaw1EzUO7zaFC4BHCOHzOJMs4BtlWhYzRKRQCygch1DEYf"  # 12345 * P1 (G1 generator)


def test_the_other_point_is_a_valid_point(curve):
    assert from_b64url(OTHER_POINT, "p") == curve.g1_compress(curve.g1_mul(curve.g1_generator(), 12345))


def with_scalar_changed(data: str, index: int) -> str:
    raw = bytearray(from_b64url(data, "x"))
    value = (int.from_bytes(raw[index : index + 32], "big") + 1) % R
    raw[index : index + 32] = value.to_bytes(32, "big")
    return b64url(bytes(raw))


def mutate(shown: dict, path: tuple, value) -> dict:
    out = parse_json(canonical_json(shown), "copy")
    target = out
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value(target[path[-1]]) if callable(value) else value
    return out


DELETE = object()
TAMPERING = [
    ("type", ("type",), "govgraph.credential.Credential", "malformed"),
    ("version", ("version",), 2, "malformed"),
    ("extra field", ("extra",), "x", "malformed"),
    ("schema id", ("schema",), b64url(bytes(32)), "bad_proof"),
    ("issuer key", ("issuer_key",), "bbs:" + "A" * 22, "unknown_issuer_key"),
    ("nonce", ("nonce",), b64url(b"another verifier's nonce!!"), "wrong_nonce"),
    ("disclosed value", ("disclosed", "district"), "south", "bad_proof"),
    ("disclosed value outside the enum", ("disclosed", "district"), "nowhere", "malformed"),
    ("disclosed extra attribute", ("disclosed", "name"), "Ada Lovelace", "malformed"),
    ("disclosed attribute removed", ("disclosed", "district"), DELETE, "malformed"),
    (
        "proof challenge",
        ("proof",),
        lambda p: with_scalar_changed(p, len(from_b64url(p, "p")) - 32),
        "bad_proof",
    ),
    ("proof e^ response", ("proof",), lambda p: with_scalar_changed(p, 3 * 48), "bad_proof"),
    (
        "proof hidden-message response",
        ("proof",),
        lambda p: with_scalar_changed(p, 3 * 48 + 3 * 32),
        "bad_proof",
    ),
    ("proof truncated", ("proof",), lambda p: b64url(from_b64url(p, "p")[:-32]), "malformed"),
    ("pseudonym", ("pseudonym",), "POINT", "bad_proof"),
    ("pseudonym removed", ("pseudonym",), DELETE, "malformed"),
    ("predicate commitment", ("predicates", 1, "commitment"), "POINT", "bad_proof"),
    (
        "predicate link commitment",
        ("predicates", 2, "link"),
        lambda s: b64url(from_b64url(s, "l")[:0] + from_b64url(OTHER_POINT, "p") + from_b64url(s, "l")[48:]),
        "bad_proof",
    ),
    ("predicate link response", ("predicates", 2, "link"), lambda s: with_scalar_changed(s, 48), "bad_proof"),
    ("expires link response", ("predicates", 0, "link"), lambda s: with_scalar_changed(s, 48), "bad_proof"),
    ("expires commitment", ("predicates", 0, "commitment"), "POINT", "bad_proof"),
    (
        "range proof t^",
        ("predicates", 1, "proof"),
        lambda p: with_scalar_changed(p, 4 * 48 + 2 * 32),
        "bad_proof",
    ),
    (
        "range proof point",
        ("predicates", 2, "proof"),
        lambda p: b64url(from_b64url(p, "p")[:48] + from_b64url(p, "p")[96:144] + from_b64url(p, "p")[96:]),
        "bad_proof",
    ),
    ("predicate removed", ("predicates",), lambda ps: ps[:2], "malformed"),
]


@pytest.mark.parametrize(("what", "path", "value", "cause"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_fails_with_its_cause(shown, ask, keys, curve, what, path, value, cause):
    if value == "POINT":
        value = OTHER_POINT
    tampered = mutate(shown, path, value)
    assert tampered != shown
    result = verify_presentation(ask, canonical_json(tampered), keys)
    assert (result.ok, result.cause) == (False, cause)
    assert result.to_json() == {
        "type": "govgraph.credential.VerifiedPresentation",
        "version": 1,
        "ok": False,
        "cause": cause,
    }


def test_a_presentation_for_another_request_with_the_same_nonce_is_a_bad_proof(shown, ask, keys):
    # Same nonce, but the verifier asks for something else: the presentation header binds the whole request.
    looser = dataclasses.replace(ask, predicates=(age_at_least(18, TODAY), Predicate("income", "<", 50_000)))
    result = verify_presentation(looser, canonical_json(shown), keys)
    # the predicate list is the same length, so it decodes; the statement differs
    assert result.cause == "bad_proof"
    for changed in (
        dataclasses.replace(ask, context="benefit-2027"),
        dataclasses.replace(ask, today=TODAY.replace(day=22)),
    ):
        assert verify_presentation(changed, canonical_json(shown), keys).cause == "bad_proof"


def test_a_key_the_verifier_does_not_trust_is_unknown(shown, ask, issuer):
    assert verify_presentation(ask, shown, {}).cause == "unknown_issuer_key"
    untrusted = dataclasses.replace(ask, issuers=("bbs:" + "B" * 22,))
    assert (
        verify_presentation(untrusted, shown, {issuer.key_id: issuer.public_key}).cause
        == "unknown_issuer_key"
    )


def test_another_issuers_key_under_the_same_id_fails_the_proof(shown, ask, issuer):
    impostor = IssuerKey.generate(b"another issuer's key material....")
    assert verify_presentation(ask, shown, {issuer.key_id: impostor.public_key}).cause == "bad_proof"


@pytest.mark.parametrize("garbage", [b"", b"not json", b"[]", b"{}", "\ud800", 42, None, b'{"type": 1.5}'])
def test_garbage_is_malformed(ask, keys, garbage):
    assert verify_presentation(ask, garbage, keys).cause == "malformed"


# --- holders who do not qualify -----------------------------------------------------------------------------
def test_a_seventeen_year_old_cannot_present(issuer, schema, ask, keys):
    minor = citizen(issuer, schema, birth_date=dt.date(2008, 11, 22))  # 18 tomorrow
    with pytest.raises(PredicateNotSatisfied, match="birth_date <= 2008-11-21"):
        present(minor, ask)
    forced = present(minor, ask, unchecked=True)
    assert verify_presentation(ask, forced.to_bytes(), keys).cause == "predicate_failed"


def test_an_eighteenth_birthday_today_qualifies(issuer, schema, ask, keys):
    adult = citizen(issuer, schema, birth_date=dt.date(2008, 11, 21))
    assert verify_presentation(ask, present(adult, ask).to_bytes(), keys).ok


def test_an_income_of_30000_cannot_present_but_29999_can(issuer, schema, ask, keys):
    richer = citizen(issuer, schema, income=30_000)
    with pytest.raises(PredicateNotSatisfied, match="income < 30000"):
        present(richer, ask)
    assert (
        verify_presentation(ask, present(richer, ask, unchecked=True).to_bytes(), keys).cause
        == "predicate_failed"
    )
    poorer = citizen(issuer, schema, income=29_999)
    assert verify_presentation(ask, present(poorer, ask).to_bytes(), keys).ok


def test_an_expired_credential_cannot_present(issuer, schema, ask, keys):
    old = citizen(issuer, schema, expires=dt.date(2026, 11, 20))
    with pytest.raises(CredentialExpired):
        present(old, ask)
    assert verify_presentation(ask, present(old, ask, unchecked=True).to_bytes(), keys).cause == "expired"
    last_day = citizen(issuer, schema, expires=TODAY)
    assert verify_presentation(ask, present(last_day, ask).to_bytes(), keys).ok


def test_a_credential_of_another_schema_or_issuer_is_not_presented(ada, ask, schema):
    other_schema = Schema.create("other", [Attribute("district", "enum", values=("north",))])
    with pytest.raises(CredentialMismatch, match="schema"):
        present(ada, dataclasses.replace(ask, schema=other_schema, disclose=(), predicates=()))
    with pytest.raises(CredentialMismatch, match="issuer"):
        present(ada, dataclasses.replace(ask, issuers=("bbs:" + "C" * 22,)))


# --- predicates on signed integers -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ledger_schema() -> Schema:
    return Schema.create(
        "balance",
        [
            Attribute("balance", "integer", -1000, 1000),
            Attribute("tier", "enum", values=("basic", "plus")),
            Attribute("member", "boolean"),
        ],
    )


@pytest.fixture(scope="module")
def debtor(issuer, ledger_schema) -> HeldCredential:
    offer = make_offer(issuer, ledger_schema)
    request, pending = request_credential(offer)
    credential = issue_credential(
        issuer,
        offer,
        request,
        {"balance": -5, "tier": "plus", "member": False, "expires": dt.date(2030, 1, 1)},
    )
    return accept_credential(pending, credential)


@pytest.mark.parametrize(
    ("predicate", "holds"),
    [
        (Predicate("balance", ">=", -5), True),
        (Predicate("balance", ">", -5), False),
        (Predicate("balance", "<=", -5), True),
        (Predicate("balance", "<", -5), False),
        (Predicate("balance", "<", 0), True),
        (Predicate("balance", ">=", -1000), True),
        (Predicate("balance", "between", (-10, -5)), True),
        (Predicate("balance", "between", (-4, 10)), False),
        (Predicate("balance", "between", (-1000, 1000)), True),
        (Predicate("balance", "!=", -4), True),
        (Predicate("balance", "!=", -5), False),
        (Predicate("tier", "!=", "basic"), True),
        (Predicate("tier", "!=", "plus"), False),
        (Predicate("member", "!=", True), True),
        (Predicate("member", "!=", False), False),
    ],
)
def test_predicates_on_negative_numbers_and_enums_hold_exactly_when_true(
    debtor, issuer, ledger_schema, keys, predicate, holds
):
    request = make_presentation_request(ledger_schema, [issuer.key_id], TODAY, predicates=[predicate])
    if holds:
        result = verify_presentation(request, present(debtor, request).to_bytes(), keys)
        assert result.ok and result.predicates[1] == predicate.describe(
            ledger_schema.attribute(predicate.attribute)
        )
    else:
        with pytest.raises(PredicateNotSatisfied):
            present(debtor, request)
        forced = present(debtor, request, unchecked=True)
        assert verify_presentation(request, forced.to_bytes(), keys).cause == "predicate_failed"


@pytest.mark.parametrize(
    ("predicate", "message"),
    [
        (Predicate("balance", ">", 1000), "can never hold"),
        (Predicate("balance", "<", -1000), "can never hold"),
        (Predicate("balance", "between", (5, 4)), "can never hold"),
        (Predicate("tier", ">=", "plus"), "integer or date"),
        (Predicate("balance", "~", 1), "not one of"),
        (Predicate("nothing", ">=", 1), "no attribute"),
    ],
)
def test_requests_for_unprovable_predicates_are_refused(ledger_schema, issuer, predicate, message):
    with pytest.raises(InvalidParameters, match=message):
        make_presentation_request(ledger_schema, [issuer.key_id], TODAY, predicates=[predicate])


def test_requests_never_disclose_expires_nor_predicate_a_disclosed_attribute(ledger_schema, issuer):
    with pytest.raises(InvalidParameters, match="never disclosed"):
        make_presentation_request(ledger_schema, [issuer.key_id], TODAY, disclose=["expires"])
    with pytest.raises(InvalidParameters, match="disclosed"):
        make_presentation_request(
            ledger_schema,
            [issuer.key_id],
            TODAY,
            disclose=["balance"],
            predicates=[Predicate("balance", ">=", 0)],
        )


# --- issuance ----------------------------------------------------------------------------------------------
def test_integer_and_date_messages_are_offset_integers_not_hashes(schema, curve):
    suite = suite_for(curve)
    assert schema.attribute("income").encode(suite, 21_000) == 2**63 + 21_000
    assert Attribute("x", "integer").encode(suite, -1) == 2**63 - 1
    assert encode_integer(-(2**63)) == 0 and encode_integer(2**63 - 1) == 2**64 - 1
    assert Attribute("x", "integer").encode(suite, 2**53 - 1) == 2**63 + 2**53 - 1
    with pytest.raises(InvalidParameters, match="not a valid integer|bounds"):
        Attribute("x", "integer").encode(suite, 2**53)  # RFC 8785 cannot write it: outside every schema
    assert schema.attribute("birth_date").encode(suite, dt.date(1970, 1, 1)) == 2**63
    assert schema.attribute("birth_date").encode(suite, dt.date(1969, 12, 31)) == 2**63 - 1
    assert schema.attribute("birth_date").encode(suite, dt.date(1990, 5, 17)) == 2**63 + 7441
    assert schema.attribute("name").encode(suite, "1") != Attribute("n", "integer").encode(suite, 1)
    assert Attribute("s", "string").encode(suite, "true") != Attribute("b", "boolean").encode(suite, True)


def test_the_issuer_refuses_values_outside_the_schema(issuer, schema):
    offer = make_offer(issuer, schema)
    request, _ = request_credential(offer)
    good = {
        "name": "A",
        "birth_date": dt.date(1990, 1, 1),
        "district": "north",
        "income": 1,
        "expires": dt.date(2027, 1, 1),
    }
    for change in (
        {"income": -1},
        {"income": 10**9 + 1},
        {"district": "nowhere"},
        {"income": "12"},
        {"birth_date": dt.date(1899, 12, 31)},
        {"expires": dt.date(2200, 1, 1)},
        {"extra": 1},
    ):
        with pytest.raises(InvalidParameters):
            issue_credential(issuer, offer, request, {**good, **change})
    missing = dict(good)
    del missing["name"]
    with pytest.raises(InvalidParameters, match="exactly"):
        issue_credential(issuer, offer, request, missing)


def test_the_issuer_refuses_a_request_for_another_offer_or_with_a_forged_commitment(issuer, schema):
    offer, other = make_offer(issuer, schema), make_offer(issuer, schema)
    request, _ = request_credential(other)
    attributes = {
        "name": "A",
        "birth_date": dt.date(1990, 1, 1),
        "district": "north",
        "income": 1,
        "expires": dt.date(2027, 1, 1),
    }
    with pytest.raises(InvalidParameters, match="another offer"):
        issue_credential(issuer, offer, request, attributes)
    own, _ = request_credential(offer)
    forged = dataclasses.replace(own, commitment=own.commitment[:-1] + bytes([own.commitment[-1] ^ 1]))
    with pytest.raises((InvalidProof, MalformedInput)):
        issue_credential(issuer, offer, forged, attributes)


def test_the_holder_refuses_a_credential_that_does_not_verify(issuer, schema):
    offer = make_offer(issuer, schema)
    request, pending = request_credential(offer)
    credential = issue_credential(
        issuer,
        offer,
        request,
        {
            "name": "A",
            "birth_date": dt.date(1990, 1, 1),
            "district": "north",
            "income": 1,
            "expires": dt.date(2027, 1, 1),
        },
    )
    assert (
        accept_credential(pending, credential).nym_secret
        == (pending.prover_nym + credential.signer_nym_entropy) % R
    )
    for bad in (
        dataclasses.replace(credential, attributes={**credential.attributes, "income": 2}),
        dataclasses.replace(credential, signer_nym_entropy=credential.signer_nym_entropy + 1),
    ):
        with pytest.raises(InvalidProof):
            accept_credential(pending, bad)


def test_issuer_key_ids_are_derived_from_the_public_key(issuer):
    import hashlib

    digest = hashlib.sha256(b"govgraph/issuer-key/v1\x00" + issuer.public_key).digest()[:16]
    assert issuer.key_id == "bbs:" + b64url(digest)
    assert len(issuer.key_id) == 26


def test_the_proof_hides_every_undisclosed_message(shown, ask, curve, schema):
    proof = octets_to_proof(curve, from_b64url(shown["proof"], "proof"))
    # 5 attributes, 1 disclosed, plus the prover blind and the nym secret: 6 hidden responses
    assert len(proof.commitments) == len(schema.attributes) - 1 + 2 == 6
    assert len(shown["predicates"]) == 3


def test_the_failure_causes_are_the_six_the_issue_names_and_the_two_of_revocation():
    assert FAILURE_CAUSES == (
        "expired",
        "predicate_failed",
        "wrong_nonce",
        "bad_proof",
        "unknown_issuer_key",
        "malformed",
        "revoked",
        "stale_witness",
    )


def test_the_reference_backend_reaches_the_same_verdicts(ask, shown, keys, curve):
    # one light cross-check on py-ecc: the accepted presentation and one with a tampered disclosed value
    pyecc = get_backend("pyecc")
    data = canonical_json(shown)
    result = verify_presentation(ask, data, keys, backend=pyecc)
    assert result.ok and result.pseudonym == verify_presentation(ask, data, keys, backend=curve).pseudonym
    tampered = canonical_json(mutate(shown, ("disclosed", "district"), "south"))
    assert verify_presentation(ask, tampered, keys, backend=pyecc).cause == "bad_proof"


def test_a_disclosed_date_is_reported_as_a_date_and_in_json_as_iso(ada, schema, issuer, keys):
    request = make_presentation_request(schema, [issuer.key_id], TODAY, disclose=["birth_date", "name"])
    result = verify_presentation(request, present(ada, request).to_bytes(), keys)
    assert result.disclosed == {"birth_date": dt.date(1990, 5, 17), "name": "Ada Lovelace"}
    assert parse_json(canonical_json(result.to_json()), "result")["disclosed"] == {
        "birth_date": "1990-05-17",
        "name": "Ada Lovelace",
    }
