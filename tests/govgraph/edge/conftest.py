"""Fixtures of the edge's tests: the shared browser (tests/support/browser.py) and an OTLP/HTTP receiver
(tests/support/otlp.py) served on a free port for the tracing tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import browser_page, chromium  # noqa: F401  (fixtures)
from tests.support.otlp import OtlpReceiver
from tests.support.servers import UvicornThread


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    thread = UvicornThread(receiver.app).start()
    receiver.url = thread.url
    try:
        yield receiver
    finally:
        thread.stop()
