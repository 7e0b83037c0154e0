"""Fixtures of the pages' tests: the shared browser (tests/support/browser.py) and one real `govgraph serve`
for the package, over the demo data plus a bulk-loaded 65,800-entry ledger `big` (so the browser's proofs
reach level-1 tiles), its subgraph endpoints protected by a secret."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.browser import browser_page, chromium  # noqa: F401  (fixtures)
from tests.support.bulk_ledgers import bulk_load
from tests.support.servers import LiveServer, running_server

SUBGRAPH_SECRET = "pages-test-subgraph-secret-0123456789"
BIG = 65_800  # past 65,536 leaves: one full level-1 tile and a partial one


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    data_dir = tmp_path_factory.mktemp("pages")
    # In its own thread: a session's (sync) Playwright may already run an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, bulk_load(data_dir, {"big": BIG})).result()
    # A subgraph secret, as a deployment sets one: the pages must need no subgraph endpoint.
    with running_server(data_dir, "warning", env={"GOVGRAPH_SUBGRAPH_SECRET": SUBGRAPH_SECRET}) as server:
        yield server, data_dir
