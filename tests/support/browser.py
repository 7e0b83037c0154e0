"""A real headless Chromium for the pages' tests: the system's `chromium` driven by Playwright (its own
browser download cannot work here), one browser per test session, a fresh context per test; each page's
console errors, uncaught exceptions and Content-Security-Policy violations collected, and a screenshot saved
under test-output/screenshots/<test>-end.png. Without Chromium the tests skip with the reason, except under
CI=true, where they fail."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"


def chromium_path() -> str | None:
    """The system Chromium (Debian's `chromium`), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageProblems:
    """What went wrong in a page: console errors (CSP violations among them) and uncaught exceptions."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]

    def all(self) -> list[str]:
        return [*self.console_errors, *self.page_errors]


@dataclass
class BrowserPage:
    """A Playwright page and what it reported; `screenshot(name)` saves it under the test output."""

    page: object  # playwright.sync_api.Page
    problems: PageProblems
    test_name: str
    shots: int = 0

    def screenshot(self, label: str = "") -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        suffix = f"-{label}" if label else ("" if not self.shots else f"-{self.shots}")
        self.shots += 1
        path = SCREENSHOTS / f"{self.test_name}{suffix}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _missing_browser(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run; .ci/run installs Debian's chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium (playwright.sync_api.Browser) for the session."""
    executable = chromium_path()
    if executable is None:
        _missing_browser("no chromium executable on PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium, request: pytest.FixtureRequest) -> Iterator[BrowserPage]:
    """A page in a fresh browser context (no cookies or localStorage from another test). The test's last
    state is saved as a screenshot when it ends."""
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = PageProblems()
    page.on("console", lambda m: problems.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shown = BrowserPage(page, problems, name)
    try:
        yield shown
    finally:
        try:
            shown.screenshot("end")
        finally:
            context.close()
