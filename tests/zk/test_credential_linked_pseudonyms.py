"""Two pseudonyms from one credential in one presentation (`linked_context`): the presentation shows the
pseudonym for the request's context and the one for its linked context, and one proof binds both to the
credential's nym_secret. Each equals what a one-context presentation of the same credential shows (so a
verifier's look-ups by either pseudonym keep working); a pseudonym taken from another credential, swapped or
altered, fails; the wire format round-trips and refuses its misuses; Hypothesis replaces any field with
arbitrary JSON and the verifier answers a cause."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zk.credentials import (
    TODAY,
    benefit_request,
    benefit_schema,
    citizen,
    json_values,
    paths,
    replaced,
)
from zk.credential import (
    IssuerKey,
    Predicate,
    Presentation,
    PresentationRequest,
    make_presentation_request,
    present,
    verify_presentation,
)
from zk.credential.verification import FAILURE_CAUSES
from zk.errors import InvalidParameters, MalformedInput
from zk.wire import b64url, canonical_json, parse_json

PROGRAMME = "welfare/winter-heating/2026-W"
GROUP = "welfare/exclusion/hardship/2026-W"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def world():
    schema = benefit_schema()
    issuer = IssuerKey.generate(b"linked pseudonym test issuer key material")
    ada, grace = citizen(issuer, schema), citizen(issuer, schema, name="Grace Hopper", income=12_000)

    def ask(context: str | None = PROGRAMME, linked: str | None = GROUP) -> PresentationRequest:
        return make_presentation_request(
            schema,
            [issuer.key_id],
            TODAY,
            disclose=["district"],
            predicates=[Predicate("income", "<", 30_000)],
            context=context,
            linked_context=linked,
        )

    return {"ask": ask, "ada": ada, "grace": grace, "keys": {issuer.key_id: issuer.public_key}}


def test_one_presentation_shows_both_pseudonyms_of_one_credential(world) -> None:
    request = world["ask"]()
    shown = present(world["ada"], request)
    result = verify_presentation(request, shown.to_json(), world["keys"])
    assert result.ok, result.cause
    assert (result.context, result.linked_context) == (PROGRAMME, GROUP)
    assert result.pseudonym == shown.pseudonym and result.linked_pseudonym == shown.linked_pseudonym
    assert result.to_json()["linked_pseudonym"] == b64url(shown.linked_pseudonym)
    assert result.to_json()["linked_context"] == GROUP
    # each is the pseudonym a one-context presentation of the same credential shows for that context
    for context, expected in ((PROGRAMME, shown.pseudonym), (GROUP, shown.linked_pseudonym)):
        alone = world["ask"](context, None)
        assert verify_presentation(alone, present(world["ada"], alone), world["keys"]).pseudonym == expected
    # and another credential's are other pseudonyms
    other = present(world["grace"], request)
    assert {other.pseudonym, other.linked_pseudonym}.isdisjoint({shown.pseudonym, shown.linked_pseudonym})


def test_a_linked_pseudonym_from_another_credential_does_not_verify(world) -> None:
    request = world["ask"]()
    ada, grace = present(world["ada"], request), present(world["grace"], request)
    forged = [
        {**ada.to_json(), "linked_pseudonym": b64url(grace.linked_pseudonym)},  # another person's group nym
        {**ada.to_json(), "pseudonym": b64url(grace.pseudonym)},
        {
            **ada.to_json(),
            "pseudonym": b64url(ada.linked_pseudonym),
            "linked_pseudonym": b64url(ada.pseudonym),
        },
    ]
    for candidate in forged:
        assert verify_presentation(request, candidate, world["keys"]).cause == "bad_proof"
    # the answer to a request without the linked context does not answer one with it, nor the reverse
    plain = world["ask"](PROGRAMME, None)
    assert verify_presentation(request, present(world["ada"], plain), world["keys"]).cause == "wrong_nonce"
    reused = {**present(world["ada"], plain).to_json(), "linked_pseudonym": b64url(ada.linked_pseudonym)}
    assert verify_presentation(plain, reused, world["keys"]).cause == "malformed"
    missing = {k: v for k, v in ada.to_json().items() if k != "linked_pseudonym"}
    assert verify_presentation(request, missing, world["keys"]).cause == "malformed"


def test_the_wire_format_round_trips_and_refuses_its_misuses(world) -> None:
    request = world["ask"]()
    text = canonical_json(request.to_json())
    assert PresentationRequest.from_json(parse_json(text, "request")) == request
    assert request.to_json()["linked_context"] == GROUP
    shown = present(world["ada"], request)
    assert Presentation.from_json(parse_json(shown.to_bytes(), "presentation")) == shown
    # requests without a linked context keep their exact former form
    assert "linked_context" not in benefit_request(benefit_schema(), IssuerKey.generate(b"x" * 32)).to_json()
    with pytest.raises(InvalidParameters, match="beside a context"):
        world["ask"](None, GROUP)
    with pytest.raises(InvalidParameters, match="must differ"):
        world["ask"](GROUP, GROUP)
    for bad in ({**request.to_json(), "linked_context": ""}, {**request.to_json(), "linked_context": 7}):
        with pytest.raises(MalformedInput):
            PresentationRequest.from_json(bad)
    with pytest.raises(MalformedInput):
        Presentation.from_json({**shown.to_json(), "linked_pseudonym": "AAAA"})


def test_the_verifier_answers_a_cause_for_arbitrary_json_in_any_field(world) -> None:
    request = world["ask"]()
    original = present(world["ada"], request).to_json()
    all_paths = list(paths(original))

    @FUZZ
    @given(index=st.integers(0, len(all_paths) - 1), new=json_values)
    def check(index: int, new) -> None:
        candidate = replaced(original, all_paths[index], new)
        result = verify_presentation(request, candidate, world["keys"])
        assert result.ok is (json.dumps(candidate, sort_keys=True) == json.dumps(original, sort_keys=True))
        assert result.cause is None if result.ok else result.cause in FAILURE_CAUSES

    check()
