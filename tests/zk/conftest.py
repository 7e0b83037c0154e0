"""Fixtures of the zk tests: every backend-dependent test runs on both backends (arkworks and py-ecc); the
BBS fixture tests list, load and decode the draft's vectors (../shared/vectors) through the same functions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import VECTORS_DIR
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


# --- the BBS drafts' fixture files -----------------------------------------------------------------------
@pytest.fixture
def fixtures(vectors_dir: Path, request: pytest.FixtureRequest) -> Path:
    """The test module's fixture folder: its `FIXTURES` (a folder of the vectors) under `vectors_dir`."""
    return vectors_dir / request.module.FIXTURES


def case_files(folder: str, kind: str) -> list[str]:
    """The names of one kind of case (e.g. "signature") in a fixture folder of the vectors. Listed at
    collection time, for parametrize; the tests then read each file through the `fixtures` fixture."""
    return sorted(p.name for p in (VECTORS_DIR / folder / kind).glob("*.json"))


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


def unhex(value: str) -> bytes:
    return bytes.fromhex(value)


def hex_scalar(value: str) -> int:
    """A scalar written in hex, read as an integer: some of the pseudonym fixtures' N = 10 scalars have 63
    digits (a dropped leading zero, see their README)."""
    return int(value, 16)
