"""The ledger explorer, over a real `govgraph serve` with its demo ledgers: every ledger listed with its
witnesses, entries paged newest first by links that work without JavaScript, an entry with its receipt; and in
a real Chromium the page's own checks (signature, cosignatures, entry, inclusion, consistency) verify an
honest entry, and fail on a tampered tile and on a split view, served by a proxy in front of the service."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from govgraph.ledger.checkpoint import Checkpoint
from govgraph.ledger.keys import read_signer
from govgraph.ledger.note import Signer, sign_note
from govgraph.web.explorer import PAGE_SIZE
from tests.support.servers import LiveServer, UvicornThread
from tests.support.tampering import TamperingProxy, flip_byte

LEDGERS = ["identity", "land", "procurement", "courts", "welfare", "elections"]


def checkpoint_size(url: str, ledger: str) -> int:
    return int(httpx.get(f"{url}/ledgers/{ledger}/checkpoint").text.split("\n")[1])


def append_entries(server: LiveServer, data_dir: Path, ledger: str, entries: list[str]) -> int:
    """Append `entries` with `govgraph ledger append` (another process) and wait until the server's sequencer
    has signed and cosigned a checkpoint covering them; returns its size."""
    before = checkpoint_size(server.url, ledger)
    subprocess.run(
        [sys.executable, "-m", "govgraph", "ledger", "append", ledger, "--no-integrate", *entries],
        env={**__import__("os").environ, "GOVGRAPH_DATA": str(data_dir)},
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + 15
    while checkpoint_size(server.url, ledger) < before + len(entries):
        assert time.monotonic() < deadline, "the server did not sign the appended entries"
        time.sleep(0.05)
    return before + len(entries)


@pytest.fixture
def proxy(served) -> Iterator[tuple[TamperingProxy, str]]:
    server, _ = served
    app = TamperingProxy(server.url)
    thread = UvicornThread(app).start()
    try:
        yield app, thread.url
    finally:
        thread.stop()


def test_the_explorer_lists_every_ledger_with_the_witnesses_that_cosigned_it(served) -> None:
    server, _ = served
    page = httpx.get(server.url + "/explorer")
    assert page.status_code == 200
    for name in LEDGERS:
        assert f'<a href="/explorer/{name}">{name}</a>' in page.text
        others = sorted(f"<li>govgraph.example/{other}/witness</li>" for other in LEDGERS if other != name)
        row = page.text.split(f'<a href="/explorer/{name}">')[1].split("</tr>")[0]
        assert sorted(re.findall(r"<li>[^<]+</li>", row)) == others
    # The bulk-loaded ledger was signed outside the server: nobody cosigned it.
    big = page.text.split('<a href="/explorer/big">')[1].split("</tr>")[0]
    assert "<td>no witness</td>" in big and "<li>" not in big
    land = httpx.get(server.url + "/explorer/land").text
    assert land.count("(a witness: its cosignature verifies here)") == 5
    assert "govgraph.example/land (the ledger's own key)" in land


def test_entries_are_paged_newest_first_with_links_that_need_no_script(served) -> None:
    server, data_dir = served
    size = append_entries(server, data_dir, "procurement", [f"note {i}" for i in range(PAGE_SIZE + 5)])
    first = httpx.get(server.url + "/explorer/procurement")
    indexes = [int(i) for i in re.findall(r'<a href="/explorer/procurement/(\d+)">', first.text)]
    assert indexes == list(range(size - 1, size - 1 - PAGE_SIZE, -1))
    assert f"<code>note {PAGE_SIZE + 4}</code>" in first.text
    older = re.search(r'href="(/explorer/procurement\?before=\d+)" rel="next"', first.text).group(1)
    assert older == f"/explorer/procurement?before={size - PAGE_SIZE}"
    second = httpx.get(server.url + older)
    indexes = [int(i) for i in re.findall(r'<a href="/explorer/procurement/(\d+)">', second.text)]
    assert indexes == list(range(size - PAGE_SIZE - 1, max(-1, size - 2 * PAGE_SIZE - 1), -1))
    assert f'href="/explorer/procurement?before={size}" rel="prev"' in second.text
    refused = httpx.get(server.url + "/explorer/procurement?before=-1")
    assert refused.status_code == 400
    assert "The page asked for is not a number of entries." in refused.text


def test_an_entry_page_shows_the_decoded_entry_and_its_receipt(served) -> None:
    server, _ = served
    page = httpx.get(server.url + "/explorer/land/0")
    assert page.status_code == 200
    assert "<h1>Entry 0 of ledger land</h1>" in page.text
    assert "&#34;parcel&#34;: &#34;parcel-0001&#34;" in page.text
    receipt = httpx.get(server.url + "/explorer/land/0/receipt.json")
    assert receipt.status_code == 200
    assert receipt.json()["format"] == "govgraph-receipt/v1"
    assert receipt.json()["index"] == 0
    missing = httpx.get(server.url + "/explorer/land/999999")
    assert missing.status_code == 404
    assert "Ledger land has no entry 999999 covered by a signed checkpoint" in missing.text


def outcomes(page) -> dict[str, str]:
    page.wait_for_selector("section[data-verified=done]")
    return {
        item.get_attribute("data-name"): item.get_attribute("data-check")
        for item in page.locator("[data-checks] li").all()
    }


def sentence(page, name: str) -> str:
    return page.locator(f"[data-checks] li[data-name={name}]").inner_text()


def test_an_entry_is_verified_in_the_browser_and_a_later_checkpoint_is_consistent(
    served, browser_page
) -> None:
    server, data_dir = served
    page = browser_page.page
    page.goto(server.url + "/explorer/land/2")
    assert outcomes(page) == {
        "signature": "verified",
        "cosignatures": "verified",
        "entry": "verified",
        "inclusion": "verified",
        "consistency": "skipped",
    }
    size = checkpoint_size(server.url, "land")
    assert "5 of 5 witnesses cosigned this checkpoint" in sentence(page, "cosignatures")
    assert f"signed root of the tree of size {size}" in sentence(page, "inclusion")
    browser_page.screenshot("first-visit")
    grown = append_entries(server, data_dir, "land", ["later 1", "later 2", "later 3"])
    page.reload()
    assert outcomes(page)["consistency"] == "verified"
    assert f"The checkpoint of tree size {grown} and the one this browser saw before (tree size {size})" in (
        sentence(page, "consistency")
    )
    assert browser_page.problems.all() == []


@pytest.mark.parametrize(
    ("tile", "failed"),
    [
        # The entry's bytes altered in its bundle: the tile no longer holds the entry the page shows (whose
        # own inclusion, proved by the untouched hash tiles, still holds).
        ("entries", {"entry"}),
        ("hashes", {"inclusion"}),  # another leaf's hash, on the proof's path, altered
    ],
)
def test_a_tampered_tile_makes_the_check_fail(served, proxy, browser_page, tile, failed) -> None:
    server, _ = served
    tampering, url = proxy
    size = checkpoint_size(server.url, "welfare")
    assert size < 256  # one partial tile of each kind
    kind = "entries" if tile == "entries" else "0"
    if tile == "entries":
        tampering.alter[f"/ledgers/welfare/tile/entries/000.p/{size}"] = flip_byte(10)  # in entry 0
    else:
        tampering.alter[f"/ledgers/welfare/tile/0/000.p/{size}"] = flip_byte(32 * 1 + 5)  # leaf 1's hash
    page = browser_page.page
    page.goto(url + "/explorer/welfare/0")
    found = outcomes(page)
    assert {name for name, outcome in found.items() if outcome == "failed"} == failed
    assert found["signature"] == "verified"
    assert f"/ledgers/welfare/tile/{kind}/000.p/{size}" in tampering.served
    if tile == "entries":
        assert sentence(page, "entry") == (
            "Entry 0 could not be matched: the ledger's tile holds a different entry 0 than this page shows."
        )
    else:
        assert sentence(page, "inclusion") == (
            f"Entry 0 is not proved to be in the signed tree of size {size}: the proof leads to a different "
            "root than the signed checkpoint's."
        )
    assert [m for m in browser_page.problems.console_errors if "Content Security Policy" in m] == []


def test_a_split_view_is_caught_by_the_consistency_check(served, proxy, browser_page) -> None:
    server, data_dir = served
    tampering, url = proxy
    honest = httpx.get(f"{server.url}/ledgers/courts/checkpoint").text
    size = int(honest.split("\n")[1])
    origin = honest.split("\n")[0]
    # A checkpoint the ledger's own key signed for a different tree of the same size: shown to this browser
    # first, then the honest one. Both verify alone; together they prove the log equivocated.
    forged = sign_note(
        Checkpoint(origin, size, bytes(range(32))).body(), read_signer(data_dir / "keys", "courts")
    )
    tampering.alter["/ledgers/courts/checkpoint"] = lambda _body: forged
    page = browser_page.page
    page.goto(url + "/explorer/courts")
    first = outcomes(page)
    assert first["signature"] == "verified"
    assert first["consistency"] == "skipped"
    assert first["cosignatures"] == "failed"  # no witness cosigned the forgery
    del tampering.alter["/ledgers/courts/checkpoint"]
    page.reload()
    second = outcomes(page)
    assert second == {"signature": "verified", "cosignatures": "verified", "consistency": "failed"}
    honest_root = base64.b64decode(honest.split("\n")[2]).hex()
    assert sentence(page, "consistency").startswith(
        f"Split view: the checkpoint of tree size {size} (root {honest_root[:16]}…)"
        f" does not extend the one this browser saw before (tree size {size}, root 0001020304050607…)"
    )
    browser_page.screenshot("split-view")


def test_without_javascript_the_pages_still_read_and_page_and_say_how_to_verify(served, chromium) -> None:
    server, _ = served
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url + "/explorer/land")
        fallback = page.locator("[data-checks] li")
        assert fallback.get_attribute("data-check") == "pending"
        assert "download the receipt and run govgraph ledger verify-receipt" in fallback.inner_text()
        page.get_by_role("link", name="2", exact=True).click()
        assert page.url == server.url + "/explorer/land/2"
        assert page.locator("h1").inner_text() == "Entry 2 of ledger land"
        page.get_by_role("link", name="land", exact=True).click()
        assert page.url == server.url + "/explorer/land"
    finally:
        context.close()


def published_vkey(url: str, ledger: str) -> str:
    """The ledger's log key as the API publishes it (not read from the explorer's page)."""
    answer = httpx.post(f"{url}/graphql", json={"query": f'{{ ledger(name: "{ledger}") {{ verifierKey }} }}'})
    return answer.json()["data"]["ledger"]["verifierKey"]


def pin(page, vkey: str) -> None:
    page.get_by_label("A log key you trust").fill(vkey)
    page.get_by_role("button", name="Pin this key and check again").click()


def test_a_pinned_log_key_is_used_and_said_in_the_signature_check(served, browser_page) -> None:
    server, _ = served
    page = browser_page.page
    page.goto(server.url + "/explorer/procurement/1")
    page.wait_for_selector("section[data-verified=done]")
    assert sentence(page, "signature").endswith(
        "verifies under the log key this page names "
        "(not pinned: paste the key the agency publishes to pin it)."
    )
    vkey = published_vkey(server.url, "procurement")
    origin = page.locator("section#verify").get_attribute("data-origin")
    pin(page, published_vkey(server.url, "courts"))  # another ledger's key: refused, nothing pinned
    status = page.locator("[data-pin-status]")
    expect(status).to_have_text(re.compile(r"^Not pinned: that key is for "))
    assert status.inner_text().endswith(
        f", not for {origin}. Paste the key exactly as the agency publishes it."
    )

    pin(page, vkey)
    expect(status).to_have_text(f"Pinned: the checks of {origin} in this browser now use this key.")
    assert outcomes(page)["signature"] == "verified"
    assert "verifies under the log key you pinned in this browser on 20" in sentence(page, "signature")
    page.reload()  # kept across visits: still the pinned key
    assert outcomes(page)["inclusion"] == "verified"
    assert "under the log key you pinned in this browser" in sentence(page, "signature")
    browser_page.screenshot("pinned-key")

    impostor = Signer.generate(origin).vkey  # the right name, another key: the checkpoint does not verify
    pin(page, impostor)
    expect(page.locator("[data-checks] li[data-name=signature]")).to_have_attribute("data-check", "failed")
    assert outcomes(page) == {"signature": "failed"}
    assert sentence(page, "signature").startswith(
        "The ledger's checkpoint does not verify under the log key you pinned in this browser on 20"
    )
    assert "; the page itself names another key: " in sentence(page, "signature")

    page.get_by_role("button", name="Forget the pinned key").click()
    expect(status).to_have_text(f"Forgotten: the checks of {origin} use the key this page names again.")
    assert outcomes(page)["signature"] == "verified"
    assert "under the log key this page names" in sentence(page, "signature")
    assert browser_page.problems.all() == []
