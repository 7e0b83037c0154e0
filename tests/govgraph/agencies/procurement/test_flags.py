"""Red flags from compiled releases: each raised exactly when its definition holds (thresholds included),
and silent on missing or malformed data."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.agencies.procurement.flags import red_flags
from tests.govgraph.agencies.procurement.standards import SAMPLE

EUR = "EUR"


def money(amount, currency=EUR) -> dict:
    return {"amount": amount, "currency": currency}


def process(**fields) -> dict:
    return {"ocid": "ocds-x", "id": "x", "date": "2026-01-01T00:00:00Z", "tag": ["compiled"], **fields}


def codes(compiled: dict) -> list[str]:
    return [flag.code for flag in red_flags(compiled)]


def test_the_sample_process_raises_no_flag() -> None:
    record = json.loads((SAMPLE / "record" / "ocds-213czf-000-00001.json").read_text())["records"][0]
    assert codes(record["compiledRelease"]) == []


@pytest.mark.parametrize(
    ("tender", "bids", "flagged"),
    [
        ({"numberOfTenderers": 1}, None, True),
        ({"numberOfTenderers": 2, "tenderers": [{"id": "A"}]}, None, False),
        ({"tenderers": [{"id": "A"}]}, None, True),
        ({"tenderers": [{"id": "A"}, {"id": "B"}]}, None, False),
        ({}, [{"id": "1", "tenderers": [{"id": "A"}]}, {"id": "2", "tenderers": [{"id": "A"}]}], True),
        ({}, [{"id": "1", "tenderers": [{"id": "A"}]}, {"id": "2", "tenderers": [{"name": "B"}]}], False),
        ({}, None, False),
    ],
)
def test_single_bid_received(tender: dict, bids, flagged: bool) -> None:
    compiled = process(tender=tender, **({"bids": {"details": bids}} if bids else {}))
    assert ("SINGLE_BID" in codes(compiled)) is flagged


@pytest.mark.parametrize(
    ("start", "end", "flagged"),
    [
        ("2026-02-01T09:00:00Z", "2026-02-09T17:00:00Z", True),
        ("2026-02-01T00:00:00Z", "2026-02-15T23:59:59Z", True),  # 14.99 days
        ("2026-02-01T00:00:00Z", "2026-02-16T00:00:00Z", False),  # exactly 15
        ("2026-02-01T00:00:00+02:00", "2026-02-16T00:00:00Z", False),
        ("not a date", "2026-02-16T00:00:00Z", False),
    ],
)
def test_short_bid_submission_period(start: str, end: str, flagged: bool) -> None:
    compiled = process(tender={"tenderPeriod": {"startDate": start, "endDate": end}})
    assert ("SHORT_TENDER_PERIOD" in codes(compiled)) is flagged


BIDS = [
    {"id": "b1", "status": "valid", "value": money(100)},
    {"id": "b2", "status": "valid", "value": money(120)},
    {"id": "b3", "status": "disqualified", "value": money(90)},
    {"id": "b4", "status": "valid", "value": money(80, "USD")},
]


@pytest.mark.parametrize(
    ("award", "flagged"),
    [
        ({"id": "a", "status": "active", "value": money(120)}, True),
        ({"id": "a", "status": "active", "value": money(100)}, False),  # the lowest compliant bid
        (
            {"id": "a", "status": "active", "value": money(120), "description": "b1 failed the site visit"},
            False,
        ),
        ({"id": "a", "status": "cancelled", "value": money(120)}, False),
        ({"id": "a", "value": money(95, "USD")}, True),  # b4, the only USD bid, is lower
    ],
)
def test_winning_bid_not_the_lowest_compliant_bid(award: dict, flagged: bool) -> None:
    compiled = process(bids={"details": BIDS}, awards=[award])
    assert ("AWARD_NOT_LOWEST" in codes(compiled)) is flagged


@pytest.mark.parametrize(
    ("value", "amendments", "flagged"),
    [
        (121, [{"id": "1"}], True),
        (120, [{"id": "1"}], False),  # exactly 20%
        (150, [], False),  # no amendment
        (150, [{"id": "1"}], True),
    ],
)
def test_contract_amendments_increase_the_value(value: int, amendments: list, flagged: bool) -> None:
    compiled = process(
        awards=[{"id": "a1", "value": money(100)}],
        contracts=[{"id": "c1", "awardID": "a1", "value": money(value), "amendments": amendments}],
    )
    assert ("LARGE_AMENDMENT" in codes(compiled)) is flagged


def test_a_flag_says_what_raised_it() -> None:
    compiled = process(
        awards=[{"id": "a1", "value": money(100)}],
        contracts=[{"id": "c1", "awardID": "a1", "value": money(135), "amendments": [{"id": "1"}]}],
    )
    [flag] = red_flags(compiled)
    assert (flag.code, flag.name, flag.evidence) == (
        "LARGE_AMENDMENT",
        "Contract amendments increase the contract value",
        "contract c1 at 135 EUR after amendments, 35% above its award's 100",
    )


@pytest.mark.parametrize("garbage", [{"tender": []}, {"bids": {"details": "x"}}, {"awards": [1, None]}, {}])
def test_malformed_data_raises_no_flag(garbage: dict) -> None:
    assert red_flags(process(**garbage)) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=25),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)
SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "tender": st.fixed_dictionaries(
            {},
            optional={
                "numberOfTenderers": JSON,
                "tenderers": st.lists(st.dictionaries(st.sampled_from(["id", "name"]), JSON), max_size=3),
                "tenderPeriod": st.dictionaries(
                    st.sampled_from(["startDate", "endDate"]), JSON | st.datetimes().map(str)
                ),
            },
        ),
        "bids": st.fixed_dictionaries(
            {
                "details": st.lists(
                    st.dictionaries(st.sampled_from(["id", "status", "value", "tenderers"]), JSON), max_size=4
                )
            }
        ),
        "awards": st.lists(
            st.dictionaries(st.sampled_from(["id", "status", "value", "description"]), JSON), max_size=3
        ),
        "contracts": st.lists(
            st.dictionaries(st.sampled_from(["id", "awardID", "value", "amendments"]), JSON), max_size=3
        ),
    },
)


@settings(max_examples=200, deadline=None)
@given(SHAPED | st.dictionaries(st.text(max_size=10), JSON, max_size=5))
def test_red_flags_of_any_document_are_a_list_of_flags(compiled: dict) -> None:
    flags = red_flags(compiled)
    assert all(flag.code in CODES for flag in flags)


CODES = {"SINGLE_BID", "SHORT_TENDER_PERIOD", "AWARD_NOT_LOWEST", "LARGE_AMENDMENT"}
