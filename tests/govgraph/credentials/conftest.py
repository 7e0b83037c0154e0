"""One real `govgraph serve` for the credential tests of a module, with a clerk and an official token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.credential_flows import Service
from tests.support.servers import running_server


@dataclass
class Desk:
    service: Service
    clerk: str  # clerk:identity
    official: str  # official:welfare
    today: dt.date
    tmp: Path


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    root = tmp_path_factory.mktemp("credentials")
    data = root / "data"
    data.mkdir()
    with running_server(data) as server:
        service = Service(server.url, data)
        yield Desk(
            service,
            service.token("clerk-ada", "clerk:identity"),
            service.token("official-bo", "official:welfare"),
            dt.datetime.now(dt.UTC).date(),
            root,
        )
