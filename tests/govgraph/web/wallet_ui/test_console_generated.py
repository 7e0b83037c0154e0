"""The clerk console's generated forms (every mutation of the composed API schema) over real HTTP against a
real `govgraph serve`: one form per agency filled as a clerk or official would and sent (each appends to its
agency's ledger, the answer shown as JSON with the entry's link into the explorer); the index filtered to what
the token may call; a form refused for lack of the role (FORBIDDEN said in a sentence, nothing appended); and
Hypothesis posting random forms to random generated forms: never a 500."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.govgraph.web.wallet_ui.conftest import Government, page_form
from tests.support.credential_flows import adult_and_residence
from tests.support.credentials import issue_token
from tests.support.mutations import ledger_sizes
from tests.support.welfare_flows import programme_input

ROLES = ("clerk:identity", "clerk:land", "clerk:courts", "official:elections", "official:welfare")
TODAY = dt.date.today()


def logged_in(government: Government, subject: str, *roles: str) -> httpx.Client:
    client = httpx.Client(base_url=government.url, timeout=60)
    token = issue_token(government.data, subject, *roles, ttl=600)
    answer = client.post("/console/login", data={**page_form(client, "/console"), "token": token})
    assert answer.status_code == 303, answer.text
    client.cookies.set("govgraph_console", token, path="/console")
    return client


def send(client: httpx.Client, slug: str, fields: dict[str, str]) -> httpx.Response:
    return client.post(f"/console/{slug}", data={**page_form(client, f"/console/{slug}"), **fields})


def answer_of(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    found = re.search(r'<pre id="result-json">(.*?)</pre>', response.text, re.S)
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module")
def clerk(government: Government) -> httpx.Client:
    return logged_in(government, "clerk-gen", *ROLES)


def test_the_index_lists_every_mutation_the_token_may_call_grouped_by_agency(clerk: httpx.Client) -> None:
    home = clerk.get("/console").text
    agencies = re.findall(r'<section class="agency" data-agency="([a-z]+)"', home)
    assert agencies == ["courts", "elections", "identity", "land", "verifier", "welfare"]
    assert (
        '<a href="/console/land/placeCaution">Place caution</a> <span class="muted">(clerk:land)</span>'
        in home
    )
    assert '<a href="/console/courts/notarize">Notarize</a>' in home
    # procurement's mutations need official:procurement (or service:*): listed apart, not as callable
    assert 'data-agency="procurement"' not in home
    assert 'procurement: Publish release</a> <span class="muted">(needs official:procurement)' in home
    form = clerk.get("/console/identity/enrolCitizen").text
    assert '<label for="f-1">Input: given name</label>' in form
    assert 'name="input.birthDate"' in form and 'type="date"' in form
    assert 'name="idempotency"' in form and "<code>Date!</code>" in form
    labels = set(re.findall(r'<label for="(f-\d+)"', form))
    assert labels == set(re.findall(r'id="(f-\d+)"', form))  # a label for every control


def test_one_generated_form_per_agency_is_sent_and_recorded(
    government: Government, clerk: httpx.Client
) -> None:
    db = government.data / "govgraph.db"
    before = ledger_sizes(db)
    enrolled = answer_of(
        send(
            clerk,
            "identity/enrolCitizen",
            {"input.givenName": "Grace", "input.familyName": "Hopper", "input.birthDate": "1980-12-09",
             "input.residence": "Riverside", "input.citizenship": "NL", "input.householdIncome": "31000"},
        )
    )  # fmt: skip
    citizen = enrolled["id"]
    assert citizen.startswith("cit_") and enrolled["ledgerEntry"]["ledger"] == "identity"
    parcel = send(
        clerk,
        "land/registerParcel",
        {"input.id": "GEN-1", "input.locality": "Riverside", "input.owner": citizen, "input.area": "420.5"},
    )
    assert answer_of(parcel)["id"] == "GEN-1"
    index = answer_of(parcel)["ledgerEntry"]["index"]
    assert f'<a href="/explorer/land/{index}">' in parcel.text, parcel.text[-2500:]
    digest = base64.b64encode(hashlib.sha256(b"exhibit A").digest()).decode()
    bad = send(clerk, "courts/notarize", {"sha256": "not base64!"})
    assert bad.status_code == 400
    assert "Sha256 must be standard Base64 (A-Z a-z 0-9 + /, = padding)." in bad.text
    notarized = answer_of(send(clerk, "courts/notarize", {"sha256": digest, "caseRef": "CV-2026-9"}))
    assert json.loads(notarized["receipt"])["format"] == "govgraph-evidence/v1"  # the receipt, as JSON text
    roll = send(
        clerk,
        "elections/defineElectoralRoll",
        {"id": "gen-roll", "district": "Riverside", "citizenship": "NL", "electionDay": "2031-05-01"},
    )
    assert answer_of(roll)["id"] == "gen-roll"
    asked = send(
        clerk,
        "verifier/createPresentationRequest",
        {"dcql": json.dumps(adult_and_residence(TODAY)), "purpose": "Console test"},
    )
    assert answer_of(asked)["requestUri"].startswith("openid4vp://")
    rule = programme_input("gen-benefit", TODAY)
    fields = {
        f"input.{k}": (json.dumps(v) if isinstance(v, dict) else str(v))
        for k, v in rule.items()
        if v is not None
    }
    created = answer_of(send(clerk, "welfare/createProgramme", fields))
    assert created["id"] == "gen-benefit" and created["amount"] == rule["amount"]
    after = ledger_sizes(db)
    for ledger in ("identity", "land", "courts", "elections", "welfare"):
        assert after[ledger] > before[ledger], ledger
    assert after["procurement"] == before["procurement"]


def test_a_form_the_token_may_not_call_is_refused_in_a_sentence(government: Government) -> None:
    client = logged_in(government, "clerk-land-only", "clerk:land")
    page = client.get("/console/procurement/publishRelease").text
    assert (
        "Your token does not carry what this needs (official:procurement): the service will refuse it."
        in page
    )
    before = ledger_sizes(government.data / "govgraph.db")
    refused = send(client, "procurement/publishRelease", {"release": '{"ocid": "ocds-x", "id": "x"}'})
    assert refused.status_code == 400
    assert 'data-code="FORBIDDEN"' in refused.text
    assert (
        "The service refused (FORBIDDEN): this operation requires the role official:procurement Your token "
        "does not carry the role this form needs" in refused.text
    )
    assert ledger_sizes(government.data / "govgraph.db") == before
    no_csrf = client.post("/console/procurement/publishRelease", data={"release": "{}"})
    assert no_csrf.status_code == 403 and "reload the page so it holds a fresh form" in no_csrf.text
    stranger = httpx.get(f"{government.url}/console/land/placeCaution")  # no session: back to the login
    assert stranger.status_code == 303 and stranger.headers["location"] == "/console"


SLUGS = ("land/placeCaution", "elections/createElection", "identity/revokeCredentials", "courts/notarize",
         "procurement/checkTenderKeyShares", "welfare/recordPayments", "elections/castBallot")  # fmt: skip
NAMES = st.sampled_from(["input.parcel", "input.reason", "manifest", "revoting", "citizenId", "sha256",
                         "accused", "input", "ballot", "electionId", "x.y.z", "idempotency"])  # fmt: skip
TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["{}", "[1,", "1e999", "true", "-0", "\x00", "[]"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slug=st.sampled_from(SLUGS), fields=st.dictionaries(NAMES, TEXT, max_size=6))
def test_random_form_posts_never_give_a_500(clerk: httpx.Client, slug: str, fields: dict[str, str]) -> None:
    answer = send(clerk, slug, fields)
    assert answer.status_code in (200, 400), answer.text
    assert 'role="alert"' in answer.text or 'id="done"' in answer.text
