"""The clerk console over real HTTP against a real `govgraph serve`: a token logged in through a form and kept
only in an HttpOnly, SameSite=Strict cookie scoped to /console; CSRF on every form; a citizen enrolled and
offered a credential (QR code as SVG, URI, PIN), appending exactly the identity entries; a land form refused
for lack of the role (FORBIDDEN said in a sentence, nothing appended) and a bad field refused before sending;
log out forgets the token."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import httpx

from tests.govgraph.web.wallet_ui.conftest import Government, page_form
from tests.support.credentials import issue_token
from tests.support.mutations import ledger_sizes


def test_a_clerk_logs_in_enrols_offers_and_is_refused_in_sentences(government: Government) -> None:
    url, data = government.url, government.data
    token = issue_token(data, "clerk-ada", "clerk:identity", ttl=600)
    client = httpx.Client(base_url=url, timeout=60)
    first = client.get("/console")
    assert first.status_code == 200 and "Log in with your access token" in first.text
    assert client.post("/console/login", data={"token": token}).status_code == 403  # no CSRF token
    refused = client.post("/console/login", data={**page_form(client, "/console"), "token": "not-a-token"})
    assert refused.status_code == 401
    assert (
        "That token is not accepted: it is malformed, expired, or not issued for this service."
        in refused.text
    )

    logged = client.post("/console/login", data={**page_form(client, "/console"), "token": token})
    assert logged.status_code == 303 and logged.headers["location"] == "/console"
    cookie = logged.headers["set-cookie"]
    assert cookie.startswith("govgraph_console=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/console" in cookie
    client.cookies.set("govgraph_console", token, path="/console")  # httpx keeps it for /console only
    home = client.get("/console")
    assert "Logged in as <strong>clerk-ada</strong>, with the roles clerk:identity." in home.text
    assert '<a href="/console/land/register-parcel">Register a parcel</a>' in home.text

    before = ledger_sizes(data / "govgraph.db")
    citizen = {
        "givenName": "Ada",
        "familyName": "Lovelace",
        "birthDate": "1990-05-17",
        "residence": "Riverside",
        "citizenship": "NL",
        "householdIncome": "30000",
    }
    enrol_form = page_form(client, "/console/identity/enrol")
    bad = client.post("/console/identity/enrol", data={**enrol_form, **citizen, "birthDate": "17 May"})
    assert bad.status_code == 400 and "Date of birth must be a date as YYYY-MM-DD." in bad.text
    enrolled = client.post("/console/identity/enrol", data={**enrol_form, **citizen})
    assert enrolled.status_code == 200, enrolled.text
    citizen_id = re.search(r"<dt>id</dt><dd><code>(cit_[^<]+)</code>", enrolled.text).group(1)
    again = client.post("/console/identity/enrol", data={**enrol_form, **citizen})  # the same form sent twice
    assert citizen_id in again.text  # the idempotency key: one citizen

    offer_form = page_form(client, "/console/identity/offer")
    offered = client.post(
        "/console/identity/offer",
        data={**offer_form, "citizenId": citizen_id, "schema": "govgraph.identity.citizen/v1"},
    )
    assert offered.status_code == 200, offered.text
    text = html.unescape(offered.text)
    uri = re.search(r'<textarea id="offer-uri" rows="3" cols="70" readonly>([^<]+)</textarea>', text).group(1)
    offer_url = f"{url}/credentials/offers/"
    assert uri.startswith("openid-credential-offer://?credential_offer_uri=" + quote(offer_url, safe=""))
    assert re.search(r'<strong id="pin">[0-9]{6}</strong>', text)
    assert (
        '<svg xmlns="http://www.w3.org/2000/svg"' in text and "<title>QR code of the credential offer" in text
    )
    assert "style=" not in text.split("<svg", 1)[1].split("</svg>", 1)[0]  # no inline style for the CSP
    after = ledger_sizes(data / "govgraph.db")
    assert after["identity"] == before["identity"] + 1  # the enrolment; an offer appends nothing until issued

    land_form = page_form(client, "/console/land/register-parcel")
    parcel = {"id": "RIV-0001", "locality": "Riverside", "owner": citizen_id, "area": "512.5"}
    forbidden = client.post("/console/land/register-parcel", data={**land_form, **parcel})
    assert forbidden.status_code == 400
    sentence = html.unescape(re.search(r'id="error" data-code="FORBIDDEN">([^<]+)<', forbidden.text).group(1))
    assert sentence.startswith("The service refused (FORBIDDEN): ")
    assert sentence.endswith(
        "Your token does not carry the role this form needs: log in with a token that has it, or ask an "
        "administrator for one."
    )
    assert ledger_sizes(data / "govgraph.db") == after

    out = client.post("/console/logout", data=page_form(client, "/console"))
    assert out.status_code == 303
    assert 'govgraph_console=""' in out.headers["set-cookie"] and "Path=/console" in out.headers["set-cookie"]
    client.cookies.delete("govgraph_console", path="/console")
    assert "Log in with your access token" in client.get("/console").text


def test_a_land_clerk_registers_a_parcel_and_a_conflict_is_a_sentence(government: Government) -> None:
    url, data = government.url, government.data
    token = issue_token(data, "clerk-ben", "clerk:land", ttl=600)
    client = httpx.Client(base_url=url, timeout=60)
    client.cookies.set("govgraph_console", token, path="/console")
    parcel = {"id": "RIV-0002", "locality": "Riverside", "owner": "cit_owner", "area": "100"}
    registered = client.post(
        "/console/land/register-parcel", data={**page_form(client, "/console/land/register-parcel"), **parcel}
    )
    assert registered.status_code == 200, registered.text
    assert "<dt>id</dt><dd><code>RIV-0002</code></dd>" in registered.text
    size = ledger_sizes(data / "govgraph.db")
    conflict = client.post(
        "/console/land/register-parcel", data={**page_form(client, "/console/land/register-parcel"), **parcel}
    )
    assert conflict.status_code == 400
    assert 'data-code="CONFLICT">The service refused (CONFLICT): ' in conflict.text
    assert ledger_sizes(data / "govgraph.db") == size
