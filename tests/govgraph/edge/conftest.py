"""Fixtures of the edge's tests: the shared browser (tests/support/browser.py)."""

from __future__ import annotations

from tests.support.browser import browser_page, chromium  # noqa: F401  (fixtures)
