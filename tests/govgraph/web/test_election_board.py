"""The election board over a real `govgraph serve`: an election run through the public API by `govgraph
election simulate` shows its published totals in the SVG charts and their tables; a voter's tracking code,
typed into the lookup form (a GET that needs no script), finds the ballot, and the browser verifies its ledger
entry and inclusion proof itself; while voting is open the turnout follows the `turnout` subscription live."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.govgraph.agencies.elections.ballots import open_election
from tests.govgraph.agencies.elections.conftest import ROLES, Service
from tests.support.credentials import issue_token


@pytest.fixture(scope="module")
def service(served) -> Service:
    """The package's server, as the elections tests' helpers drive it (a token for every role needed)."""
    server, data = served
    return Service(server.url, data, issue_token(data, "commission", *ROLES, ttl=3600))


@pytest.fixture(scope="module")
def published(service: Service) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "govgraph", "election", "simulate", "--api", service.url, "--token",
         service.token, "--voters", "3", "--trustees", "1", "--threshold", "1", "--absent", "0",
         "--seed", "11", "--json"],
        capture_output=True, text=True, env=os.environ, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_board_charts_the_published_totals(service: Service, published: dict, browser_page) -> None:
    election, expected = published["election"], published["expected"]
    page = browser_page.page
    page.goto(f"{service.url}/elections/{election}")
    assert page.locator("[data-state]").inner_text() == "PUBLISHED"
    assert page.locator("[data-turnout]").inner_text() == "3"
    for contest, totals in expected.items():
        figure = page.locator(f"figure[data-contest={contest}]")
        bars = {
            g.get_attribute("data-option"): int(g.get_attribute("data-count"))
            for g in figure.locator("svg g[data-option]").all()
        }
        assert bars == totals
        rows = figure.locator("table tbody tr").all()
        table = {r.locator("th").inner_text(): int(r.locator("td").inner_text()) for r in rows[:-1]}
        assert table == totals
        title = figure.locator("svg title").text_content()
        assert title.endswith(".") and all(f"{option} {count}" in title for option, count in totals.items())
        assert figure.locator("svg").get_attribute("role") == "img"
    record = page.locator(f'a[href="/elections/{election}/record.json"]')
    assert record.inner_text() == "The election record"
    assert f"govgraph election verify --url {service.url} --election {election}" in page.inner_text("main")
    assert httpx.get(f"{service.url}/elections/{election}/record.json").json()["results"] == expected
    listing = httpx.get(f"{service.url}/elections").text
    row = listing.split(f'<a href="/elections/{election}">')[1].split("</tr>")[0]
    assert row.startswith("Simulated election (seed 11)</a>") and "<td>PUBLISHED</td>" in row
    assert browser_page.problems.all() == []


def test_a_tracking_code_is_found_and_its_ballot_verified_in_the_browser(
    service: Service, published: dict, browser_page
) -> None:
    election, code = published["election"], published["tracking_codes"][1]
    page = browser_page.page
    page.goto(f"{service.url}/elections/{election}")
    page.get_by_label("Tracking code").fill(code)
    page.get_by_role("button", name="Find").click()
    page.wait_for_selector("section[data-verified=done]")
    assert page.url.startswith(f"{service.url}/elections/{election}?code={code}")
    assert "Ballot found. This ballot counts." in page.locator(".found").inner_text()
    outcomes = {
        item.get_attribute("data-name"): item.get_attribute("data-check")
        for item in page.locator("[data-checks] li").all()
    }
    assert outcomes == {
        "signature": "verified",
        "cosignatures": "verified",
        "entry": "verified",
        "inclusion": "verified",
        "consistency": "skipped",
    }
    shown = page.locator("section[data-vkey]").get_attribute("data-entry")
    index = int(page.locator("section[data-vkey]").get_attribute("data-index"))
    entry = httpx.get(f"{service.url}/explorer/elections/{index}/receipt.json").json()
    assert entry["entry"] == shown and code in base64.b64decode(shown).decode()
    assert browser_page.problems.all() == []
    wrong = httpx.get(f"{service.url}/elections/{election}", params={"code": "0" * 64})
    assert wrong.status_code == 404
    assert f"No ballot with tracking code {'0' * 64} was cast in this election." in wrong.text
    malformed = httpx.get(f"{service.url}/elections/{election}", params={"code": "not a code"})
    assert malformed.status_code == 400
    assert "A tracking code is 64 characters, digits 0-9 and letters a-f" in malformed.text


def test_the_turnout_follows_the_subscription_while_voting_is_open(service: Service, browser_page) -> None:
    election = open_election(service, seed=23, voters=1)
    page = browser_page.page
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(f"{service.url}/elections/{election.id}")
    turnout = page.locator("[data-turnout]")
    page.wait_for_selector("[data-turnout][data-live=yes]")
    assert turnout.inner_text() == "1"
    assert "errors" not in election.cast(election.ballot(election.new_voter()))
    # The page's CSP forbids evaluating strings, so wait through Playwright's own selector engine.
    expect(turnout).to_have_text("2", timeout=15_000)
    assert page.locator("[data-turnout-status]").inner_text() == "(live)"
    # Through the public gateway (the package's server sets a subgraph secret), not a subgraph endpoint.
    assert [urlsplit(url).path for url in sockets] == ["/graphql"]
    assert browser_page.problems.all() == []
