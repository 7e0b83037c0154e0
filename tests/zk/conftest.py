"""Fixtures of the zk tests: every backend-dependent test runs on both backends (arkworks and py-ecc)."""

from __future__ import annotations

import pytest

from zk.curve import BACKEND_NAMES, Backend, get_backend


@pytest.fixture(params=BACKEND_NAMES)
def backend(request: pytest.FixtureRequest) -> Backend:
    return get_backend(request.param)


@pytest.fixture(scope="session")
def arkworks() -> Backend:
    return get_backend("arkworks")


@pytest.fixture(scope="session")
def pyecc() -> Backend:
    return get_backend("pyecc")
