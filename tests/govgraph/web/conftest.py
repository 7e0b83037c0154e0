"""Fixtures of the pages' tests: the shared browser (tests/support/browser.py) and one real `govgraph serve`
process with its demo ledgers, for the whole module."""

from __future__ import annotations

from tests.support.browser import browser_page, chromium  # noqa: F401  (fixtures)
