"""Fixtures every test directory may use: the standard vectors in ../shared and a temporary data dir. The
service's fixtures (apps, live servers, Hive Gateway) are in tests/govgraph/conftest.py, so a zk-only run
loads none of them."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
VECTORS_DIR = REPO_ROOT.parent / "shared" / "vectors"
STANDARDS_DIR = REPO_ROOT.parent / "shared" / "standards"


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The standard test vectors (IETF BBS, RFC 9380, RFC 6962/C2SP), read in place from ../shared/vectors."""
    if not VECTORS_DIR.is_dir():
        pytest.fail(f"standard vectors not found at {VECTORS_DIR}: the checkout must sit beside shared/")
    return VECTORS_DIR


@pytest.fixture(scope="session")
def standards_dir() -> Path:
    if not STANDARDS_DIR.is_dir():
        pytest.fail(f"standards data not found at {STANDARDS_DIR}: the checkout must sit beside shared/")
    return STANDARDS_DIR


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path
