"""The wallet page over real HTTP, as a browser without JavaScript drives it: the access code and its
session cookie, the Host check, CSRF on every form, an offer link that only fills the form, receiving a
credential, the consent screen (what is disclosed, what is only proved, to whom), Decline sending nothing,
Accept verified by the real verifier, and the history."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

from govgraph.wallet.history import load_history
from govgraph.wallet.store import list_credentials
from govgraph.web.security import CONTENT_SECURITY_POLICY
from tests.govgraph.web.wallet_ui.conftest import Government, WalletPage, csrf_of
from tests.support.credential_flows import adult_and_residence, years_ago


def test_pages_need_the_access_code_a_local_host_and_send_strict_headers(wallet_page: WalletPage) -> None:
    with wallet_page.client() as client:
        page = client.get("/")
        assert page.status_code == 200 and "Unlock your wallet" in page.text
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        token = csrf_of(page.text)
        wrong = client.post("/login", data={"csrf_token": token, "next": "/", "code": "guess"})
        assert wrong.status_code == 401
        assert "That is not this wallet's access code." in html.unescape(wrong.text)
        forged = client.post("/login", data={"csrf_token": "forged", "next": "/", "code": wallet_page.code})
        assert forged.status_code == 403
        assert "the form's CSRF token does not match this browser's cookie" in html.unescape(forged.text)
        right = client.post(
            "/login", data={"csrf_token": token, "next": "https://evil.example/", "code": wallet_page.code}
        )
        assert right.status_code == 303 and right.headers["location"] == "/"  # never to another site
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert "You hold no credential yet." in client.get("/").text
        rebound = client.get("/", headers={"Host": "wallet.evil.example:80"})
        assert rebound.status_code == 421
        assert rebound.text == "This wallet answers only at http://127.0.0.1 or http://localhost."


def test_a_citizen_receives_a_credential_and_answers_only_after_consent(
    government: Government, wallet_page: WalletPage
) -> None:
    today = dt.date.today()
    offer = government.offer(years_ago(today, 30))
    client = wallet_page.logged_in()
    # An offer link fills the form and says where it comes from; nothing is fetched or stored.
    linked = client.get("/receive", params={"offer": offer["offerUri"]})
    assert f"This offer comes from <strong>{government.url}</strong>" in linked.text
    assert not wallet_page.path.exists()
    token = csrf_of(linked.text)
    forged = client.post("/receive", data={"offer": offer["offerUri"], "pin": offer["txCode"]})
    assert forged.status_code == 403
    assert "the form had no CSRF token" in forged.text
    wrong_pin = "000000" if offer["txCode"] != "000000" else "111111"
    refused = client.post(
        "/receive", data={"csrf_token": token, "offer": offer["offerUri"], "pin": wrong_pin}
    )
    assert refused.status_code == 400
    assert "Check the six-digit PIN the clerk gave you" in refused.text
    received = client.post(
        "/receive", data={"csrf_token": token, "offer": offer["offerUri"], "pin": offer["txCode"]}
    )
    assert received.status_code == 200, received.text
    [held] = list_credentials(wallet_page.path)
    assert f"Your wallet now holds the credential <code>{held.id}</code>" in received.text
    assert held.attributes["residence"] == "Riverside"
    assert "Riverside" in client.get("/").text

    verifier = government.flows.token("benefits-office", "official:welfare")
    purpose = "benefit check <script>alert(1)</script>"  # the verifier's text is shown, never run
    declined = government.flows.ask(verifier, adult_and_residence(today, "benefit-2026"), purpose)
    consent = client.post("/present", data={"csrf_token": token, "request": declined["requestUri"]})
    assert consent.status_code == 200, consent.text
    text = consent.text
    assert f'<p id="verifier"><strong>{government.url}</strong></p>' in text
    assert '<q id="purpose">benefit check &lt;script&gt;alert(1)&lt;/script&gt;</q>' in text
    assert "<script>" not in text
    assert "<li>Your place of residence: <strong>Riverside</strong></li>" in text
    eighteen = years_ago(today, 18).isoformat()
    assert f"<li>that you are at least 18 years old (born on or before {eighteen})</li>" in text
    assert f"<li>that your credential is still valid on {today.isoformat()}</li>" in text
    assert "a pseudonym for \u201cbenefit-2026\u201d" in text
    assert "1990" not in text and "birth_date" not in text  # the birth date itself is not shown as sent
    key = re.search(r'name="consent" value="([^"]+)"', text).group(1)
    no = client.post("/present/answer", data={"csrf_token": token, "consent": key, "decision": "decline"})
    assert "You declined: nothing was sent to" in no.text
    assert government.flows.result(verifier, declined["id"])["status"] == "PENDING"
    again = client.post("/present/answer", data={"csrf_token": token, "consent": key, "decision": "accept"})
    assert again.status_code == 400 and "already answered or has been forgotten" in again.text

    asked = government.flows.ask(verifier, adult_and_residence(today), "housing benefit")
    consent = client.post("/present", data={"csrf_token": token, "request": asked["requestUri"]})
    key = re.search(r'name="consent" value="([^"]+)"', consent.text).group(1)
    yes = client.post("/present/answer", data={"csrf_token": token, "consent": key, "decision": "accept"})
    assert yes.status_code == 200 and "checked your answer and accepted it" in yes.text
    result = government.flows.result(verifier, asked["id"])
    assert result["status"] == "VERIFIED"
    assert result["disclosed"] == {"residence": "Riverside"}

    entries = load_history(wallet_page.path)
    assert [(e.purpose, e.outcome, e.pseudonym_context) for e in entries] == [
        (purpose, "declined", "benefit-2026"),
        ("housing benefit", "accepted", None),
    ]
    assert entries[1].disclosed == {"place of residence": "Riverside"}
    assert entries[1].verifier == government.url
    page = client.get("/history").text
    assert page.index("housing benefit") < page.index("benefit check")  # newest first
    assert json.loads(json.dumps(entries[1].to_json()))["outcome"] == "accepted"


def test_an_unknown_election_and_an_unreachable_service_are_sentences(
    government: Government, wallet_page: WalletPage
) -> None:
    client = wallet_page.logged_in()
    unknown = client.get("/booth/no-such-election")
    assert unknown.status_code == 404
    assert (
        "The service refused: NOT_FOUND: no election no-such-election. Check the identifier you entered."
        in html.unescape(unknown.text)
    )
    bad_id = client.get("/booth/bad%20id")
    assert bad_id.status_code == 400
    assert "An election id is letters, digits" in html.unescape(bad_id.text)
    token = csrf_of(client.get("/present").text)
    refused = client.post("/present", data={"csrf_token": token, "request": "https://example.org/"})
    assert refused.status_code == 400
    assert "not a presentation request URI (expected openid4vp://" in html.unescape(refused.text)


def test_the_wallet_does_not_offer_to_send_what_its_credential_cannot_prove(
    government: Government, wallet_page: WalletPage
) -> None:
    today = dt.date.today()
    offer = government.offer(years_ago(today, 17))
    client = wallet_page.logged_in()
    token = csrf_of(client.get("/receive").text)
    data = {"csrf_token": token, "offer": offer["offerUri"], "pin": offer["txCode"]}
    assert client.post("/receive", data=data).status_code == 200
    [held] = list_credentials(wallet_page.path)
    verifier = government.flows.token("benefits-office", "official:welfare")
    asked = government.flows.ask(verifier, adult_and_residence(today), "adults only")
    refused = client.post("/present", data={"csrf_token": token, "request": asked["requestUri"]})
    assert refused.status_code == 400
    eighteen = years_ago(today, 18).isoformat()
    assert html.unescape(re.search(r'id="error">([^<]+)<', refused.text).group(1)) == (
        f"no credential in this wallet can answer the request ({held.id}: does not satisfy birth_date <= "
        f"{eighteen}). Your wallet will not send a proof it knows to be false; if you should hold such a "
        "credential, receive it from its issuer first, then open the request again."
    )
    assert 'name="consent"' not in refused.text
    assert government.flows.result(verifier, asked["id"])["status"] == "PENDING"
