"""The generated console forms without a server: every mutation of the committed composed API schema becomes
a form whose document validates against that schema, with a control per argument or input member (none for
the idempotency key), roles read from the agencies' permission classes; and Hypothesis over the form
reader: any text in any control gives variables or a sentence (FieldError), never another exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse, validate
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.agencies.registry import standard_agencies
from govgraph.federation.principal import AuthMethod, Principal
from govgraph.federation.schema_changes import api_schema_of_supergraph
from govgraph.web.console_forms import FieldError
from govgraph.web.console_schema import access_map, mutation_forms, receipt_links

SCHEMA = api_schema_of_supergraph((Path(__file__).parents[3] / "schema" / "supergraph.graphql").read_text())
FORMS = {form.field: form for form in mutation_forms(SCHEMA, {}, access_map(standard_agencies()), [])}


def test_every_mutation_is_a_form_whose_document_validates() -> None:
    assert set(FORMS) == set(SCHEMA.mutation_type.fields)
    for form in FORMS.values():
        assert validate(SCHEMA, parse(form.document)) == [], form.field
        assert all(not control.name.startswith("idempotencyKey") for control in form.controls)
    enrol = {control.name: control for control in FORMS["enrolCitizen"].controls}
    assert enrol["input.birthDate"].kind == "date" and enrol["input.birthDate"].required
    assert enrol["input.householdIncome"].kind == "integer"
    assert FORMS["notarize"].controls[0].kind == "base64"
    assert FORMS["createElection"].controls[1].choices == ("SINGLE", "LAST_COUNTS")
    assert FORMS["checkTenderKeyShares"].controls[1].kind == "lines"
    assert FORMS["recordPayments"].controls[0].kind == "json"  # a list of input objects


def test_who_may_call_is_read_from_the_agencies_permission_classes() -> None:
    clerk = Principal(subject="c", roles=frozenset({"clerk:land"}), method=AuthMethod.BEARER)
    service = Principal(subject="s", roles=frozenset({"service:payments"}), method=AuthMethod.BEARER)
    assert FORMS["placeCaution"].access.label == "clerk:land"
    assert FORMS["placeCaution"].access.allows(clerk) and not FORMS["placeCaution"].access.allows(service)
    assert FORMS["recordPayments"].access.allows(service) and not FORMS["recordPayments"].access.allows(clerk)
    assert FORMS["createPresentationRequest"].access.label == "clerk:* or official:* or service:*"
    assert FORMS["castBallot"].access.allows(clerk)  # no role: the ballot's own proof decides


def test_a_form_becomes_variables_or_a_sentence() -> None:
    caution = FORMS["placeCaution"]
    values = {"input.parcel": "P-1", "input.lodgedBy": "cit_1", "input.reason": "dispute"}
    assert caution.variables(values) == {"input": {"parcel": "P-1", "lodgedBy": "cit_1", "reason": "dispute"}}
    with pytest.raises(FieldError, match="^Input: reason is required: fill it in.$"):
        caution.variables({**values, "input.reason": " "})
    with pytest.raises(FieldError, match="^Accused must be a whole number.$"):
        FORMS["checkTenderKeyShares"].variables({"tender": "t", "accused": "1\nx"})
    assert FORMS["checkTenderKeyShares"].variables({"tender": "t", "accused": "1\n\n2"})["accused"] == [1, 2]
    with pytest.raises(FieldError, match="^Manifest is not valid JSON"):
        FORMS["createElection"].variables({"manifest": "{"})
    assert "revoting" not in FORMS["createElection"].variables({"manifest": "{}", "revoting": ""})


def test_receipt_links_name_ledger_entries_only() -> None:
    result = {"ledgerEntry": {"ledger": "land", "index": "7"}, "history": [{"ledger": "land", "index": 7}]}
    assert receipt_links(result, None) == ["/explorer/land/7"]
    assert receipt_links({"ledgerIndex": 3, "x": {"ledger": "a/b", "index": "1 OR 1"}}, "elections") == [
        "/explorer/elections/3"
    ]


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(sorted(FORMS)),
    texts=st.lists(
        st.text(max_size=60) | st.sampled_from(["[1]", '{"a":', "1e400", "NaN", "true"]), max_size=8
    ),
)
def test_any_text_gives_variables_or_a_sentence(field: str, texts: list[str]) -> None:
    form = FORMS[field]
    values = {control.name: text for control, text in zip(form.controls, texts, strict=False)}
    try:
        variables = form.variables(values)
    except FieldError as refused:
        assert str(refused).endswith((".", "again."))
    else:
        assert isinstance(variables, dict)
