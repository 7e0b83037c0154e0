"""CORS in a real browser: a page served from one origin (its own small app on another port) calls
`/graphql` of a running `govgraph serve` with fetch() from Chromium. The origin listed in
GOVGRAPH_CORS_ORIGINS gets the answer and may read its request id; a page from any other origin gets
nothing (the browser refuses the preflight's answer), and neither can make the browser run a mutation by
GET."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support.browser import BrowserPage
from tests.support.servers import LiveServer, UvicornThread, running_server

PAGE = (
    '<!doctype html><html><head><title>front-end</title><link rel="icon" href="data:,"></head>'
    "<body><p>a front-end</p></body></html>"
)
CALL = """async ([url, headers]) => {
  try {
    const body = JSON.stringify({query: '{ __typename }'});
    const response = await fetch(url, {method: 'POST', headers, body});
    const requestId = response.headers.get('x-request-id');
    return {status: response.status, requestId, body: await response.json()};
  } catch (error) {
    return {error: `${error.name}: ${error.message}`};
  }
}"""
MUTATION_BY_GET = """async (url) => {
  try {
    const query = encodeURIComponent('mutation { __typename }');
    const response = await fetch(url + '?query=' + query, {mode: 'no-cors'});
    return {type: response.type};
  } catch (error) {
    return {error: `${error.name}: ${error.message}`};
  }
}"""


@dataclass
class Origins:
    allowed: UvicornThread
    other: UvicornThread
    server: LiveServer


def page_app() -> Starlette:
    async def index(_request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    return Starlette(routes=[Route("/", index)])


@pytest.fixture(scope="module")
def origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Origins]:
    allowed = UvicornThread(page_app()).start()
    other = UvicornThread(page_app()).start()
    data: Path = tmp_path_factory.mktemp("cross-origin")
    try:
        with running_server(data, env={"GOVGRAPH_CORS_ORIGINS": allowed.url}) as server:
            yield Origins(allowed, other, server)
    finally:
        allowed.stop()
        other.stop()


def test_a_page_on_the_allowed_origin_reads_the_answer(origins: Origins, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.goto(origins.allowed.url + "/")
    headers = {"content-type": "application/json", "x-request-id": "browser-1"}  # needs a preflight
    result = page.evaluate(CALL, [origins.server.url + "/graphql", headers])
    assert result == {"status": 200, "requestId": "browser-1", "body": {"data": {"__typename": "Query"}}}
    assert browser_page.problems.all() == []


def test_a_page_on_another_origin_is_refused(origins: Origins, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.goto(origins.other.url + "/")
    result = page.evaluate(CALL, [origins.server.url + "/graphql", {"content-type": "application/json"}])
    assert result == {"error": "TypeError: Failed to fetch"}
    [message] = browser_page.problems.console_errors[:1]
    assert "has been blocked by CORS policy" in message
    assert origins.other.url in message


def test_no_page_makes_the_browser_run_a_mutation_by_get(origins: Origins, browser_page: BrowserPage) -> None:
    page = browser_page.page
    page.goto(origins.other.url + "/")
    with page.expect_response(lambda response: "/graphql?query=" in response.url) as answer:
        assert page.evaluate(MUTATION_BY_GET, origins.server.url + "/graphql") == {"type": "opaque"}
    assert answer.value.status == 405  # sent (a no-cors GET needs no preflight), refused by the gateway
