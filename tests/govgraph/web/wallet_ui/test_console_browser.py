"""A clerk drives a generated console form in Chromium: logs in, finds `enrolCitizen` under its agency, fills
the controls by their labels (keyboard and clicks only), reads the answer as JSON, and follows the receipt
link to the explorer, where the browser verifies the new entry's inclusion itself."""

from __future__ import annotations

import json
import time

from playwright.sync_api import expect

from tests.govgraph.web.wallet_ui.conftest import Government


def test_a_clerk_enrols_a_citizen_through_a_generated_form(government: Government, browser_page) -> None:
    page = browser_page.page
    page.goto(government.url + "/console")
    page.get_by_label("Access token").fill(government.token)
    page.get_by_role("button", name="Log in").click()
    page.locator("section[data-agency=identity]").get_by_role("link", name="Enrol citizen").click()
    assert page.url == government.url + "/console/identity/enrolCitizen"
    page.get_by_label("Input: given name").fill("Katherine")
    page.get_by_label("Input: family name").fill("Johnson")
    page.get_by_label("Input: birth date").fill("1978-08-26")  # a date control
    page.get_by_label("Input: residence").fill("Riverside")
    page.get_by_label("Input: citizenship").fill("NL")
    page.get_by_label("Input: household income").fill("not a number")
    browser_page.screenshot("console-generated-form")
    page.get_by_role("button", name="Enrol citizen").click()
    expect(page.locator("#error")).to_have_text("Input: household income must be a whole number.")
    page.get_by_label("Input: household income").fill("41000")
    page.get_by_role("button", name="Enrol citizen").press("Enter")
    page.locator("#done").wait_for()
    answer = json.loads(page.locator("#result-json").inner_text())
    assert answer["id"].startswith("cit_") and answer["ledgerEntry"]["ledger"] == "identity"
    browser_page.screenshot("console-generated-result")
    link = page.locator("#receipts a")
    assert link.get_attribute("href") == f"/explorer/identity/{answer['ledgerEntry']['index']}"
    href = government.url + link.get_attribute("href")
    deadline = time.monotonic() + 15
    while page.goto(href).status == 404 and time.monotonic() < deadline:  # until a checkpoint covers it
        time.sleep(0.5)
    expect(page.locator("[data-name=inclusion]")).to_have_attribute("data-check", "verified", timeout=15_000)
    # Chromium logs the refused form's 400 page as a failed load; nothing else went wrong
    refused = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    assert browser_page.problems.all() == [refused]
