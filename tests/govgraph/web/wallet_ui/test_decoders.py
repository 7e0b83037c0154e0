"""Hypothesis over what the wallet page and the console read from outside or from disk: the voting and
history files (any mutation of a valid file is a WalletError or a file that reads back the same, never a
crash), the ballot form's choices and the console's fields (a value or a sentence), and the wallet page's
form reader (random bodies over real HTTP: never a 500)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.credentials.configurations import CITIZEN
from govgraph.wallet import history
from govgraph.wallet.store import WalletError, write_private
from govgraph.wallet.ui.booth_pages import _selections
from govgraph.wallet.ui.consent import sentence
from govgraph.wallet.voting import Registration, Vote, Voting, load_voting, voting_path
from govgraph.web.console_forms import FORMS, FieldError
from tests.govgraph.web.wallet_ui.conftest import WalletPage, csrf_of
from tests.zk.credentials import json_values, paths, replaced
from tests.zk.mutations import mutations
from zk.ballot import Manifest
from zk.credential import Predicate
from zk.eligibility import VoterCredential
from zk.wire import canonical_json

VOTING = Voting(
    [VoterCredential("roll-1", b"\x01" * 80, (5, 7), 11)],
    [Registration("roll-2", "presentation-1", 3, 4)],
    [Vote("e1", "ab" * 32, True, "2026-12-06T00:00:00+00:00")],
)
HISTORY = {
    "type": history.HISTORY_TYPE,
    "version": 1,
    "presentations": [
        history.Presented(
            "2026-12-06T00:00:00+00:00",
            "http://127.0.0.1:1",
            "p",
            {"place": "R"},
            ("that x",),
            "c",
            "accepted",
        ).to_json()
    ],
}
MANIFEST = Manifest.from_json(
    {
        "election_id": "e1",
        "title": "T",
        "contests": [
            {
                "id": "mayor",
                "title": "Mayor",
                "options": ["a", "b"],
                "min_selections": 1,
                "max_selections": 1,
            },
            {
                "id": "council",
                "title": "Council",
                "options": ["x", "y", "z"],
                "min_selections": 0,
                "max_selections": 2,
            },
        ],
        "trustees": [{"id": "t1", "name": "T1"}],
        "threshold": 1,
        "revoting": "none",
        "electoral_roll": None,
    }
)


def test_the_voting_file_reads_back_what_was_written(tmp_path: Path) -> None:
    wallet = tmp_path / "wallet.json"
    write_private(voting_path(wallet), canonical_json(VOTING.to_json()))
    assert load_voting(wallet) == VOTING
    assert (voting_path(wallet).stat().st_mode & 0o777) == 0o600


def damaged(valid: dict) -> st.SearchStrategy[bytes]:
    """A valid document with one value replaced anywhere in it, or its bytes changed."""
    every = list(paths(valid))
    structural = st.builds(
        lambda path, new: json.dumps(replaced(valid, path, new)).encode(), st.sampled_from(every), json_values
    )
    return st.one_of(structural, mutations(canonical_json(valid)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=damaged(VOTING.to_json()))
def test_a_damaged_voting_file_is_a_wallet_error(tmp_path: Path, data: bytes) -> None:
    wallet = tmp_path / "wallet.json"
    write_private(voting_path(wallet), data)
    try:
        loaded = load_voting(wallet)
    except WalletError as exc:
        assert "is not a valid voting file" in str(exc)
    else:
        assert Voting.from_json(loaded.to_json()) == loaded


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=damaged(HISTORY))
def test_a_damaged_history_file_is_a_wallet_error(tmp_path: Path, data: bytes) -> None:
    wallet = tmp_path / "wallet.json"
    write_private(history.history_path(wallet), data)
    try:
        entries = history.load_history(wallet)
    except WalletError as exc:
        assert "is not a valid history file" in str(exc)
    else:
        assert all(history.Presented.from_json(e.to_json()) == e for e in entries)


class _Found:
    manifest = MANIFEST


@given(
    form=st.dictionaries(
        st.sampled_from(
            [
                "contest.mayor",
                "contest.council.0",
                "contest.council.1",
                "contest.council.2",
                "contest.council.3",
                "other",
            ]
        ),
        st.sampled_from(["0", "1", "2", "", "x", "-1"]),
    )
)
def test_ballot_choices_are_a_selection_within_the_limits_or_a_sentence(form: dict) -> None:
    try:
        chosen = _selections(_Found(), form)
    except WalletError as exc:
        assert "change your choices and seal the ballot again" in str(exc)
    else:
        assert sum(chosen["mayor"]) == 1 and sum(chosen["council"]) <= 2
        assert chosen["mayor"][int(form["contest.mayor"])] == 1


@given(text=st.text(max_size=40), index=st.integers(0, 100))
def test_console_fields_give_a_value_or_a_sentence(text: str, index: int) -> None:
    fields = [f for form in FORMS for f in form.fields]
    field = fields[index % len(fields)]
    try:
        value = field.value(text)
    except FieldError as exc:
        assert str(exc).startswith(field.label)
    else:
        assert value is None or isinstance(value, (str, int, float))


@pytest.mark.parametrize("path", ["/login", "/receive", "/present", "/present/answer", "/booth/e1/seal"])
def test_random_form_bodies_never_make_a_server_error(wallet_page: WalletPage, path: str) -> None:
    client = wallet_page.logged_in()
    token = csrf_of(client.get("/present").text)

    @settings(max_examples=25, deadline=None)
    @given(body=st.binary(max_size=300), with_token=st.booleans())
    def post(body: bytes, with_token: bool) -> None:
        content = (b"csrf_token=" + token.encode() + b"&" if with_token else b"") + body
        answer = client.post(
            path, content=content, headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert answer.status_code in (200, 303, 400, 401, 403, 404), answer.text

    post()
    too_big = client.post(
        path, content=b"a=" + b"x" * 70_000, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert too_big.status_code == 400
    assert "the form holds more than 65536 bytes" in too_big.text


@given(
    attribute=st.sampled_from(["birth_date", "household_income", "residence", "expires"]),
    op=st.sampled_from([">=", ">", "<=", "<", "!=", "between"]),
    day=st.dates(dt.date(1900, 1, 2), dt.date(2100, 12, 30)),
    number=st.integers(0, 1_000_000_000),
    today=st.dates(dt.date(1950, 1, 1), dt.date(2090, 12, 31)),
)
def test_every_proved_statement_is_a_sentence_naming_its_value(attribute, op, day, number, today) -> None:
    schema = CITIZEN.schema
    value = {"birth_date": day, "expires": day, "household_income": number, "residence": "Riverside"}[
        attribute
    ]
    if op == "between":
        value = (value, value)
    said = sentence(Predicate(attribute, op, value), schema, today)
    shown = schema.attribute(attribute).value_to_json(value[0] if op == "between" else value)
    assert said.startswith("that ") and str(shown) in said
    if attribute == "birth_date" and op == "<=" and day <= today:
        assert "years old" in said and f"born on or before {day.isoformat()}" in said
