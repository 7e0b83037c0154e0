"""A programme's rules without a server: what `ProgrammeDefinition.checked` accepts and how it normalises the
eligibility rule, the pseudonym contexts, Hypothesis over arbitrary JSON as the eligibility rule and over
arbitrary definitions (accepted, or refused with BAD_USER_INPUT, never another exception), and the database's
own refusal of a second claim of one pseudonym and a second enrolment in an exclusion group."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from govgraph.agencies.welfare.models import WelfareTable
from govgraph.agencies.welfare.rules import (
    ProgrammeDefinition,
    claim_context,
    claim_query,
    exclusion_context,
)
from govgraph.credentials.configurations import standard_configurations
from govgraph.federation.errors import BadUserInput
from tests.support.welfare_flows import eligibility

CONFIGURATIONS = standard_configurations()
TODAY = dt.date(2026, 12, 6)


def definition(**changes) -> ProgrammeDefinition:
    value = dict(
        id="winter",
        title="Winter support",
        description="Heating costs.",
        eligibility=eligibility(TODAY),
        amount=10_000,
        currency="EUR",
        period="2026-W",
        starts_on=TODAY,
        ends_on=TODAY,
    )
    return ProgrammeDefinition(**(value | changes))


def test_a_rule_is_normalised_and_claims_add_the_programmes_pseudonym() -> None:
    rule = eligibility(TODAY)
    rule["credentials"][0]["multiple"] = False  # DCQL's default, dropped by the normalisation
    checked = definition(eligibility=rule).checked(CONFIGURATIONS)
    assert json.loads(checked.eligibility) == eligibility(TODAY)
    asked = claim_query(checked.eligibility, claim_context("winter", "2026-W"))
    assert asked["credentials"][0]["pseudonym"] == {"context": "welfare/winter/2026-W"}
    assert json.loads(checked.eligibility) == eligibility(TODAY)  # the stored rule is left as it was
    assert exclusion_context("heating", "2026-W") == "welfare/exclusion/heating/2026-W"
    assert checked.event_fields()["eligibility"] == eligibility(TODAY)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def mutated_rules() -> st.SearchStrategy:
    """The valid rule with one claim's member replaced by arbitrary JSON, or arbitrary JSON."""
    base = eligibility(TODAY)

    def mutate(index: int, member: str, value) -> dict:
        rule = json.loads(json.dumps(base))
        rule["credentials"][0]["claims"][index][member] = value
        return rule

    return JSON | st.builds(
        mutate, st.integers(0, 2), st.sampled_from(["path", "predicate", "values", "x"]), JSON
    )


@settings(max_examples=300, deadline=None)
@given(mutated_rules())
def test_any_json_as_a_rule_is_accepted_or_refused_with_bad_user_input(rule) -> None:
    try:
        checked = definition(eligibility=rule).checked(CONFIGURATIONS)
    except BadUserInput as exc:
        assert str(exc).startswith("eligibility: ")
    else:
        assert json.loads(checked.eligibility)["credentials"][0]["meta"] == {
            "schema": "govgraph.identity.citizen/v1"
        }


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=60),
    st.text(max_size=30),
    st.integers(-(2**40), 2**40),
    st.text(max_size=5),
    st.text(max_size=40),
    st.dates(),
    st.dates(),
    st.none() | st.text(max_size=50),
)
def test_any_definition_is_accepted_or_refused_with_bad_user_input(
    programme_id, title, amount, currency, period, starts, ends, group
) -> None:
    try:
        definition(
            id=programme_id,
            title=title,
            amount=amount,
            currency=currency,
            period=period,
            starts_on=starts,
            ends_on=ends,
            exclusion_group=group,
        ).checked(CONFIGURATIONS)
    except BadUserInput:
        return
    assert "/" not in programme_id + period + (group or "") and 0 < amount < 2**31 and starts <= ends


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "welfare.db"
    WelfareTable.metadata.create_all(create_engine(f"sqlite:///{path}"))
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO welfare_programme VALUES ('p', 't', 'd', '{}', 1, 'EUR', '1', '2026-01-01', "
            "'2026-02-01', 'g', '2026-01-01', 0)"
        )
    return path


def test_the_database_refuses_a_second_claim_of_one_pseudonym(database) -> None:
    insert = "INSERT INTO welfare_claim VALUES (?, 'p', ?, 'nym', '2026-01-02', NULL)"
    with sqlite3.connect(database) as connection:
        connection.execute(insert, ("clm_1", "inv_1"))
        with pytest.raises(
            sqlite3.IntegrityError, match="welfare_claim.programme_id, welfare_claim.pseudonym"
        ):
            connection.execute(insert, ("clm_2", "inv_2"))


def test_the_database_refuses_a_second_enrolment_in_a_group_and_period(database) -> None:
    with sqlite3.connect(database) as connection:
        for n in (1, 2):
            connection.execute(
                "INSERT INTO welfare_claim VALUES (?, 'p', ?, ?, '2026-01-02', NULL)",
                (f"c{n}", f"i{n}", f"n{n}"),
            )
        insert = "INSERT INTO welfare_enrolment VALUES (NULL, 'g', '1', 'group-nym', 'p', ?)"
        connection.execute(insert, ("c1",))
        with pytest.raises(sqlite3.IntegrityError, match="welfare_enrolment.exclusion_group"):
            connection.execute(insert, ("c2",))
