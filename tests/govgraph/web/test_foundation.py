"""The pages' foundation: every page and static file carries the security headers (a CSP with no inline
script or style), forms are refused without a matching signed CSRF token (a 403 page saying what to do), and
errors are pages that say what went wrong; in a real Chromium the home page loads with no console error or
CSP violation and the skip link is the first thing the keyboard reaches."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from govgraph.web.csrf import COOKIE, FIELD, CsrfRefused, check_csrf
from govgraph.web.pages import Web, csrf_refused, render
from govgraph.web.routes import static_routes
from govgraph.web.security import CONTENT_SECURITY_POLICY
from tests.support.servers import UvicornThread

EXPECTED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def test_the_policy_allows_no_inline_code_and_no_framing() -> None:
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


def _form_app(data_dir: Path) -> Starlette:
    """A page with a form, built on the foundation's API as the wallet and console pages are."""

    async def form(request: Request):
        if request.method == "POST":
            submitted = await request.form()
            try:
                check_csrf(request, submitted)
            except CsrfRefused as refused:
                return csrf_refused(request, str(refused))
            return render(request, "home.html", {"section": "home"})
        return render(request, "test_form.html")

    app = Starlette(routes=[Route("/form", form, methods=["GET", "POST"]), *static_routes()])
    app.state.web = Web.for_data_dir(data_dir, Path(__file__).parent / "templates")
    return app


@pytest.fixture
def form_server(data_dir: Path):
    """The form app on a real HTTP server, its CSRF key in `data_dir`."""
    server = UvicornThread(_form_app(data_dir)).start()
    try:
        yield server
    finally:
        server.stop()


def test_a_form_posted_with_its_token_and_cookie_is_accepted(form_server, data_dir: Path) -> None:
    with httpx.Client(base_url=form_server.url) as client:
        page = client.get("/form")
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == EXPECTED_CSP
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        cookie = page.cookies[COOKIE]
        assert "httponly" in page.headers["set-cookie"].lower()
        assert "samesite=strict" in page.headers["set-cookie"].lower()
        token = page.text.split(f'name="{FIELD}" value="')[1].split('"')[0]
        assert cookie not in page.text  # the page holds the signature, never the cookie's value
        accepted = client.post("/form", data={FIELD: token, "note": "hello"})
        assert accepted.status_code == 200
        assert "<h1>govgraph</h1>" in accepted.text
    key = data_dir / "web" / "csrf.key"
    assert len(key.read_bytes()) == 32
    assert key.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("send_cookie", "token", "reason"),
    [
        (False, "from-page", "the form came without this site&#39;s cookie"),
        (True, None, "the form had no CSRF token"),
        (True, "forged", "the form&#39;s CSRF token does not match this browser&#39;s cookie"),
    ],
)
def test_a_form_without_a_matching_token_is_refused_with_a_sentence(
    form_server, send_cookie: bool, token: str | None, reason: str
) -> None:
    with httpx.Client(base_url=form_server.url) as client:
        page = client.get("/form")
        real = page.text.split(f'name="{FIELD}" value="')[1].split('"')[0]
        if not send_cookie:
            client.cookies.clear()
        data = {"note": "hello"}
        if token is not None:
            data[FIELD] = real if token == "from-page" else real[:-4] + "AAAA"
        refused = client.post("/form", data=data)
    assert refused.status_code == 403
    assert refused.headers["content-security-policy"] == EXPECTED_CSP
    assert f"This form could not be accepted: {reason}." in refused.text
    assert "reload the page so it holds a fresh form" in refused.text


def test_a_token_from_another_deployment_is_refused(form_server, tmp_path: Path) -> None:
    other = UvicornThread(_form_app(tmp_path / "other")).start()
    try:
        foreign = httpx.get(other.url + "/form")
        token = foreign.text.split(f'name="{FIELD}" value="')[1].split('"')[0]
    finally:
        other.stop()
    with httpx.Client(base_url=form_server.url) as client:
        client.cookies.set(COOKIE, foreign.cookies[COOKIE])
        refused = client.post("/form", data={FIELD: token})
    assert refused.status_code == 403


def test_static_files_and_error_pages_carry_the_headers(served) -> None:
    server, _ = served
    client = httpx.Client(base_url=server.url)
    css = client.get("/static/site.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["content-security-policy"] == EXPECTED_CSP
    missing = client.get("/explorer/no-such-ledger")
    assert missing.status_code == 404
    assert missing.headers["content-security-policy"] == EXPECTED_CSP
    assert "There is no ledger named “no-such-ledger”." in missing.text
    assert "Pick a ledger from the explorer&#39;s list." in missing.text


def test_home_page_loads_cleanly_and_the_keyboard_reaches_the_skip_link_first(served, browser_page) -> None:
    server, _ = served
    page = browser_page.page
    page.goto(server.url + "/")
    assert page.title() == "Home · govgraph"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    assert page.locator("main h1").inner_text() == "govgraph"
    assert browser_page.problems.all() == []
