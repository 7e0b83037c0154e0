"""The citizen's journeys in a real Chromium (the system's, tests/support/browser.py): a clerk logs into the
console and offers a credential (QR code); the citizen receives it in the wallet page from the offer link,
answers a real verifier's request after reading the consent screen (Accept pressed from the keyboard), and
finds it in the history; a voter registers on a roll through the consent screen, challenges a ballot (the
opening checked from the board), casts another and follows the wallet's link to the service's public board,
where the page finds the ballot and checks its inclusion in the elections ledger.
Every page loads with no console error and no CSP violation; a screenshot of each is saved."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from govgraph.wallet.issuance import receive
from tests.govgraph.web.wallet_ui.conftest import ELECTION_DAY, Government, WalletPage
from tests.support.credential_flows import adult_and_residence, years_ago
from zk.curve import get_backend

BOARD = """query($e: ID!, $code: String!) { election(id: $e) { turnout ballot(trackingCode: $code) {
  trackingCode spoiled counted } } }"""


def unlock(page, wallet_page: WalletPage, path: str, browser_page=None) -> None:
    page.goto(wallet_page.url + path)
    # The one field to fill has the focus: Chromium runs `autofocus` at a rendering update, which may come
    # after the load event that goto waits for, so wait for it (up to the page's default timeout).
    page.wait_for_function("document.activeElement !== null && document.activeElement.id === 'code'")
    assert page.evaluate("document.activeElement.id") == "code"
    if browser_page is not None:
        browser_page.screenshot("wallet-login")
    page.keyboard.type(wallet_page.code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == wallet_page.url + path  # back where the link pointed
    page.keyboard.press("Tab")  # then, on every page, the keyboard reaches the skip link first
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"


def test_a_citizen_receives_a_credential_from_the_console_and_presents_it(
    government: Government, wallet_page: WalletPage, browser_page
) -> None:
    page = browser_page.page
    today = dt.date.today()
    citizen = government.flows.enrol(government.token, years_ago(today, 30), residence="Riverside")

    # The clerk: log in with a token (a form post, never a URL), make the offer, read it off the page.
    page.goto(government.url + "/console")
    browser_page.screenshot("console-login")
    page.get_by_label("Access token").fill(government.token)
    page.get_by_role("button", name="Log in").click()
    assert page.url == government.url + "/console"  # the token is in no address
    assert page.locator("#who").inner_text().startswith("Logged in as registrar")
    browser_page.screenshot("console-home")
    page.get_by_role("link", name="Offer a credential").click()
    page.get_by_label("Citizen id").fill(citizen)
    browser_page.screenshot("console-offer-form")
    page.get_by_role("button", name="Offer a credential").click()
    page.locator("#qr svg").wait_for()
    browser_page.screenshot("console-offer")
    offer_uri = page.locator("#offer-uri").input_value()
    pin = page.locator("#pin").inner_text()
    assert offer_uri.startswith("openid-credential-offer://") and re.fullmatch(r"[0-9]{6}", pin)

    # The citizen: the wallet's offer link fills the form; the PIN is typed; nothing happens before that.
    unlock(page, wallet_page, "/receive?" + urlencode({"offer": offer_uri}), browser_page)
    assert page.locator("#offer").input_value() == offer_uri
    assert page.locator("#offer-issuer").inner_text().startswith(f"This offer comes from {government.url}.")
    browser_page.screenshot("wallet-receive")
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Receive the credential").click()
    assert "Your wallet now holds the credential" in page.locator("#received").inner_text()
    page.get_by_role("link", name="Credentials", exact=True).click()
    card = page.locator("#credentials .card")
    assert card.count() == 1 and "Riverside" in card.inner_text()
    browser_page.screenshot("wallet-credentials")

    # A verifier asks; the consent screen says who, what is disclosed, what is only proved.
    verifier = government.flows.token("housing-office", "official:welfare")
    asked = government.flows.ask(verifier, adult_and_residence(today), "housing benefit")
    page.get_by_role("link", name="Answer a request").click()
    page.get_by_label("Presentation request").fill(asked["requestUri"])
    page.get_by_role("button", name="See what it asks").click()
    assert page.locator("#verifier").inner_text() == government.url
    assert page.locator("#purpose").inner_text() == "housing benefit"
    assert page.locator("#disclosed li").all_inner_texts() == ["Your place of residence: Riverside"]
    assert page.locator("#proved li").all_inner_texts() == [
        f"that your credential is still valid on {today.isoformat()}",
        f"that you are at least 18 years old (born on or before {years_ago(today, 18).isoformat()})",
    ]
    browser_page.screenshot("wallet-consent")
    page.locator("#accept").focus()
    page.keyboard.press("Enter")
    assert "checked your answer and accepted it" in page.locator("#outcome").inner_text()
    result = government.flows.result(verifier, asked["id"])
    assert result["status"] == "VERIFIED" and result["disclosed"] == {"residence": "Riverside"}
    page.get_by_role("link", name="See your history of answers").click()
    row = page.locator("#history tbody tr")
    assert row.count() == 1
    assert row.locator("td").all_inner_texts()[1:4] == [
        government.url,
        "housing benefit",
        "place of residence: Riverside",
    ]
    assert row.locator("td").last.inner_text() == "accepted"
    browser_page.screenshot("wallet-history")
    assert browser_page.problems.all() == []


def test_a_voter_challenges_a_ballot_casts_one_and_finds_it_on_the_board(
    government: Government, wallet_page: WalletPage, browser_page
) -> None:
    election = government.open_election("roll-booth-browser", seed=83)
    offer = government.offer(years_ago(ELECTION_DAY, 40))
    receive(wallet_page.path, offer["offerUri"], offer["txCode"], backend=get_backend("arkworks"))
    page = browser_page.page
    unlock(page, wallet_page, "/booth")
    page.get_by_label("Election id").fill(election)
    page.get_by_role("button", name="Open the ballot").click()
    page.get_by_role("button", name="Register on roll-booth-browser").click()
    assert page.locator("#disclosed li").all_inner_texts() == [
        "Your citizenship: NL",
        "Your place of residence: Riverside",
    ]
    assert "govgraph-roll/roll-booth-browser" in page.locator("#pseudonym").inner_text()
    browser_page.screenshot("booth-registration-consent")
    page.get_by_role("button", name="Accept and send").click()
    assert "You are registered on the roll roll-booth-browser" in page.locator("#registered").inner_text()
    browser_page.screenshot("booth-ballot")

    # Fill, seal, challenge: the opening read back from the public board says what was chosen.
    page.get_by_label("heron").check()
    page.get_by_label("oak").check()
    page.get_by_role("button", name="Seal my ballot").click()
    spoiled = page.locator("#tracking-code").inner_text()
    browser_page.screenshot("booth-sealed")
    page.get_by_role("button", name="Challenge it (it will not count)").click()
    check = page.locator("#check")
    assert check.get_attribute("data-check") == "verified"
    assert page.locator("#opened li").all_inner_texts() == ["Mayor: heron", "City council (up to two): oak"]
    browser_page.screenshot("booth-challenged")

    # Fill again and cast: the tracking code is kept, linked to the board, and the board has it.
    page.get_by_role("link", name="fill a new ballot and cast it").click()
    page.get_by_label("wren").check()
    page.get_by_role("button", name="Seal my ballot").click()
    page.get_by_role("button", name="Cast this ballot").click()
    code = page.locator("#tracking-code").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", code) and code != spoiled
    link = page.locator("#board-link").get_attribute("href")
    assert link == f"{government.url}/elections/{election}?code={code}"
    browser_page.screenshot("booth-cast")
    board = government.flows.data(BOARD, {"e": election, "code": code}, government.token)["election"]
    assert board == {"turnout": 1, "ballot": {"trackingCode": code, "spoiled": False, "counted": True}}
    board = government.flows.data(BOARD, {"e": election, "code": spoiled}, government.token)["election"]
    assert board["ballot"] == {"trackingCode": spoiled, "spoiled": True, "counted": False}
    page.get_by_role("link", name="Voting booth").click()
    assert page.locator("#votes li").count() == 2
    browser_page.screenshot("booth-votes")

    # The wallet's link opens the service's public board at the ballot, whose inclusion the page checks.
    page.get_by_role("link", name="find it on the public board").last.click()
    assert page.url == link
    for _ in range(40):  # the board checks the ballot once a signed checkpoint covers it
        if page.locator("section[data-vkey]").count():
            break
        page.wait_for_timeout(250)
        page.reload()
    found = page.locator(".found")
    assert found.get_attribute("data-tracking-code") == code
    assert "Ballot found. This ballot counts." in found.inner_text()
    page.wait_for_selector("section[data-verified=done]")
    assert page.locator('[data-checks] li[data-name="inclusion"]').get_attribute("data-check") == "verified"
    browser_page.screenshot("board-ballot")
    assert browser_page.problems.all() == []
