"""Revocable credentials: the hidden handle is signed, presentations prove membership in an accepted epoch's
accumulator through the BBS challenge, refreshed witnesses keep verifying, revoked ones fail with `revoked`,
stale ones with `stale_witness`, and the membership proof's wire format is strict."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zk.credentials import benefit_request, benefit_schema, json_values, paths, replaced
from tests.zk.revocation import ATTRIBUTES, Registry, refreshed
from zk.accumulator import Revoked
from zk.credential import (
    FAILURE_CAUSES,
    Credential,
    Schema,
    issue_credential,
    make_offer,
    present,
    request_credential,
    verify_presentation,
)
from zk.credential.presentation import CredentialMismatch
from zk.credential.revocation import PROOF_LENGTH, MembershipProof
from zk.curve import R, get_backend
from zk.errors import InvalidParameters, MalformedInput
from zk.wire import b64url, from_b64url


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry()


def test_a_revocable_schema_differs_only_by_its_flag_and_keeps_other_digests():
    base = benefit_schema()
    revocable = Schema.create(base.name, base.attributes, revocable=True)
    assert "revocable" not in base.to_json() and revocable.to_json()["revocable"] is True
    assert base.id != revocable.id and Schema.from_json(revocable.to_json()) == revocable
    assert (base.message_count, revocable.message_count, revocable.handle_index) == (5, 6, 5)
    with pytest.raises(MalformedInput, match="schema.revocable is true when present"):
        Schema.from_json({**base.to_json(), "revocable": False})


def test_a_presentation_proves_non_revocation_as_of_the_epoch(backend):
    own = Registry(backend)
    held = own.holder()
    request = benefit_request(own.schema, own.issuer)
    shown = present(held, request, backend=backend).to_json()
    assert set(shown["revocation"]) == {"epoch", "proof"} and shown["revocation"]["epoch"] == 0
    assert len(from_b64url(shown["revocation"]["proof"], "p")) == PROOF_LENGTH == 128
    result = own.verify(request, shown)
    assert result.ok and result.epoch == 0 and result.to_json()["epoch"] == 0
    assert result.disclosed == {"district": "north"}


def test_a_refreshed_witness_verifies_after_ten_epochs_of_other_revocations(registry):
    held = registry.holder()
    start = registry.accumulator.epoch
    for i in range(10):
        registry.revoke(registry.holder(name=f"Other {i}"), others=i)
    request = benefit_request(registry.schema, registry.issuer)
    assert registry.verify(request, present(held, request).to_json()).cause == "stale_witness"
    held = refreshed(held, registry)
    assert held.credential.revocation.witness.epoch == start + 10 == registry.accumulator.epoch
    result = registry.verify(request, present(held, request).to_json())
    assert result.ok and result.epoch == start + 10


def test_a_revoked_credential_cannot_refresh_and_fails_with_revoked(registry):
    held = registry.holder()
    request = benefit_request(registry.schema, registry.issuer)
    assert registry.verify(request, present(held, request).to_json()).ok
    before = registry.accumulator.epoch
    registry.revoke(held, others=2)
    with pytest.raises(Revoked, match=f"revoked in epoch {before + 1}"):
        refreshed(held, registry)
    # within a grace period that accepts the previous epoch, the old witness is still accepted ...
    assert registry.verify(request, present(held, request).to_json(), before, before + 1).ok
    # ... past it, the old epoch is stale; and the old witness claimed for the new epoch is not a member
    assert registry.verify(request, present(held, request).to_json()).cause == "stale_witness"
    revocation = held.credential.revocation
    forged = dataclasses.replace(
        revocation,
        witness=dataclasses.replace(
            revocation.witness, epoch=before + 1, accumulator=registry.accumulator.value
        ),
    )
    forced = dataclasses.replace(held, credential=dataclasses.replace(held.credential, revocation=forged))
    assert registry.verify(request, present(forced, request).to_json()).cause == "revoked"


def test_another_credentials_handle_and_witness_do_not_verify(registry):
    mine, theirs = registry.holder(), registry.holder(name="Grace Hopper")
    request = benefit_request(registry.schema, registry.issuer)
    borrowed = dataclasses.replace(
        mine, credential=dataclasses.replace(mine.credential, revocation=theirs.credential.revocation)
    )
    assert registry.verify(request, present(borrowed, request).to_json()).cause == "bad_proof"


def test_a_tampered_membership_proof_is_a_bad_proof(registry):
    held = registry.holder()
    request = benefit_request(registry.schema, registry.issuer)
    shown = present(held, request).to_json()
    proof = bytearray(from_b64url(shown["revocation"]["proof"], "p"))
    proof[-1] ^= 1
    tampered = {**shown, "revocation": {**shown["revocation"], "proof": b64url(bytes(proof))}}
    assert registry.verify(request, tampered).cause == "bad_proof"
    swapped = bytes(proof[48:96] + proof[:48] + proof[96:])
    swapped_shown = {**shown, "revocation": {**shown["revocation"], "proof": b64url(swapped)}}
    assert registry.verify(request, swapped_shown).cause == "bad_proof"
    future = {**shown, "revocation": {**shown["revocation"], "epoch": registry.accumulator.epoch + 1}}
    assert registry.verify(request, future).cause == "malformed"
    missing = {k: v for k, v in shown.items() if k != "revocation"}
    assert registry.verify(request, missing).cause == "malformed"


def test_revocable_schemas_need_their_data_on_every_side(registry):
    held = registry.holder()
    request = benefit_request(registry.schema, registry.issuer)
    bare = dataclasses.replace(held, credential=dataclasses.replace(held.credential, revocation=None))
    with pytest.raises(CredentialMismatch, match="no revocation witness"):
        present(bare, request)
    with pytest.raises(InvalidParameters, match="accepted epochs"):
        verify_presentation(request, present(held, request).to_json(), {})
    offer = make_offer(registry.issuer, registry.schema)
    ask, _ = request_credential(offer)
    with pytest.raises(InvalidParameters, match="needs the accumulator"):
        issue_credential(registry.issuer, offer, ask, ATTRIBUTES)
    document = held.credential.to_json()
    with pytest.raises(MalformedInput, match="exactly when the schema is revocable"):
        Credential.from_json({k: v for k, v in document.items() if k != "revocation"})
    base = benefit_schema()
    plain = {**document, "schema": base.to_json()}
    with pytest.raises(MalformedInput, match="exactly when the schema is revocable"):
        Credential.from_json(plain)


@pytest.fixture(scope="module")
def membership_json(registry) -> dict:
    held = registry.holder()
    return present(held, benefit_request(registry.schema, registry.issuer)).to_json()["revocation"]


def test_the_membership_decoder_names_what_is_wrong(membership_json):
    curve = get_backend()
    assert MembershipProof.from_json(curve, membership_json).to_json(curve) == membership_json
    data = from_b64url(membership_json["proof"], "p")
    cases = [
        (b64url(data[:-1]), "must be 128 bytes"),
        (b64url(bytes([0xC0]) + bytes(47) + data[48:]), "the identity"),
        (b64url(data[:96] + R.to_bytes(32, "big")), "not reduced"),
    ]
    for proof, message in cases:
        with pytest.raises(MalformedInput, match=message):
            MembershipProof.from_json(curve, {**membership_json, "proof": proof})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_membership_decoder_accepts_or_raises_malformed_input_only(membership_json, data):
    curve = get_backend()
    path = data.draw(st.sampled_from(list(paths(membership_json))))
    candidate = replaced(membership_json, path, data.draw(json_values))
    try:
        decoded = MembershipProof.from_json(curve, candidate)
    except MalformedInput:
        return
    assert decoded.to_json(curve) == candidate


def test_verification_of_a_mangled_revocation_field_reports_a_cause(registry):
    held = registry.holder()
    request = benefit_request(registry.schema, registry.issuer)
    shown = present(held, request).to_json()
    for value in (None, [], "x", {"epoch": 0}, {"epoch": "0", "proof": shown["revocation"]["proof"]}):
        assert registry.verify(request, {**shown, "revocation": value}).cause == "malformed"


@pytest.fixture(scope="module")
def revocable_document(registry) -> dict:
    return registry.holder().credential.to_json()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_revocable_credential_decoder_accepts_or_raises_malformed_input_only(revocable_document, data):
    revocation = revocable_document["revocation"]
    path = data.draw(st.sampled_from([("revocation", *p) for p in paths(revocation)]))
    candidate = replaced(revocable_document, path, data.draw(json_values))
    try:
        decoded = Credential.from_json(candidate)
    except MalformedInput:
        return
    assert decoded.to_json() == candidate


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_membership_proof_never_verifies_and_never_raises(registry, membership_shown, data):
    request, shown = membership_shown
    path = data.draw(st.sampled_from([("revocation", *p) for p in paths(shown["revocation"])]))
    candidate = replaced(shown, path, data.draw(json_values))
    result = registry.verify(request, candidate, 0, registry.accumulator.epoch)
    if candidate == shown:
        assert result.ok
    else:
        assert result.cause in FAILURE_CAUSES and result.cause != "expired"


@pytest.fixture(scope="module")
def membership_shown(registry):
    request = benefit_request(registry.schema, registry.issuer)
    return request, present(registry.holder(), request).to_json()
