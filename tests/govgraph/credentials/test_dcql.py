"""DCQL for govgraph_bbs: a query becomes exactly the zk request it stands for, the completed query reads
back the same for the wallet, and what cannot be asked is refused with a sentence naming the part."""

from __future__ import annotations

import datetime as dt

import pytest

from govgraph.credentials.configurations import CITIZEN, standard_configurations
from govgraph.credentials.dcql import DcqlError, parse_dcql
from zk import credential as zkc

TODAY = dt.date(2026, 11, 21)
KEY = "bbs:" + "B" * 22


def query(*claims: dict, **extra) -> dict:
    return {
        "credentials": [
            {
                "id": "citizen",
                "format": "govgraph_bbs",
                "meta": {"schema": CITIZEN.id},
                "claims": list(claims),
                **extra,
            }
        ]
    }


def test_a_query_becomes_the_zk_request_and_reads_back_completed() -> None:
    dcql = query(
        {"path": ["residence"]},
        {"path": ["birth_date"], "predicate": {"op": "<=", "value": "2008-11-21"}},
        {"path": ["household_income"], "predicate": {"op": "between", "value": [0, 30000]}},
        pseudonym={"context": "benefit-2026"},
    )
    parsed, configuration = parse_dcql(dcql, standard_configurations())
    completed = parsed.completed(CITIZEN.schema, [KEY], TODAY)
    ask = completed.presentation_request(CITIZEN.schema, bytes(32))
    assert ask == zkc.PresentationRequest(
        bytes(32),
        CITIZEN.schema,
        (KEY,),
        TODAY,
        ("residence",),
        (
            zkc.Predicate("birth_date", "<=", dt.date(2008, 11, 21)),
            zkc.Predicate("household_income", "between", (0, 30000)),
        ),
        "benefit-2026",
    )
    written = completed.to_json(CITIZEN.schema)
    assert written["credentials"][0]["meta"] == {
        "schema": CITIZEN.id,
        "schema_id": CITIZEN.schema.id,
        "issuer_keys": [KEY],
        "today": "2026-11-21",
    }
    again, _ = parse_dcql(written, standard_configurations(), completed=True)
    assert again == completed


@pytest.mark.parametrize(
    ("dcql", "message"),
    [
        ([], "dcql must be a JSON object"),
        ({"credentials": []}, "dcql.credentials must list exactly one credential query"),
        (
            {"credentials": [], "credential_sets": []},
            "dcql.credential_sets is not supported by this verifier",
        ),
        (query({"path": ["residence"]}) | {"x": 1}, "dcql has unknown members: 'x'"),
        (query({"path": ["nope"]}), "claims[0].path: the schema has no attribute 'nope'"),
        (query({"path": ["residence", "x"]}), 'claims[0].path must name one attribute, e.g. ["residence"]'),
        (
            query({"path": ["expires"]}),
            "claims[0]: expires is never disclosed; every presentation proves expires >= today",
        ),
        (
            query({"path": ["residence"], "values": ["A"], "predicate": {"op": "!=", "value": "B"}}),
            "claims[0]: a claim has values or a predicate, not both",
        ),
        (query({"path": ["residence"]}, {"path": ["residence"]}), "each attribute is asked for once"),
        (
            query({"path": ["birth_date"], "predicate": {"op": "~", "value": "2000-01-01"}}),
            "claims[0].predicate.op must be one of ('>=', '>', '<=', '<', '!=', 'between')",
        ),
        (
            query({"path": ["residence"], "predicate": {"op": "<", "value": 3}}),
            "claims[0].predicate.value: comparisons need an integer or date attribute",
        ),
        (
            query({"path": ["household_income"], "predicate": {"op": ">", "value": 2_000_000_000}}),
            "predicate household_income > can never hold in this schema",
        ),
        (
            query({"path": ["residence"]}, multiple=True),
            "dcql.credentials[0].multiple must be false: one credential answers",
        ),
        (
            query({"path": ["residence"]}, pseudonym={"context": ""}),
            "pseudonym.context must be text of 1-256 bytes",
        ),
    ],
)
def test_what_cannot_be_asked_is_refused_by_name(dcql, message) -> None:
    with pytest.raises(DcqlError) as refused:
        parse_dcql(dcql, standard_configurations())
    assert str(refused.value) == message


def test_a_completed_query_for_another_schema_digest_is_refused() -> None:
    parsed, _ = parse_dcql(query({"path": ["residence"]}), standard_configurations())
    written = parsed.completed(CITIZEN.schema, [KEY], TODAY).to_json(CITIZEN.schema)
    written["credentials"][0]["meta"]["schema_id"] = "A" * 43
    with pytest.raises(DcqlError, match="meta.schema_id is not the digest of the schema"):
        parse_dcql(written, standard_configurations(), completed=True)
