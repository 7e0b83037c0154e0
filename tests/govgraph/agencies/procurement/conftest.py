"""The procurement office for end-to-end tests: one real `govgraph serve` on 127.0.0.1 per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import Settings
from tests.govgraph.agencies.procurement.office import Office
from tests.support.servers import running_server


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    data_dir: Path = tmp_path_factory.mktemp("procurement")
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
    with running_server(data_dir, log_level="warning") as server:
        issuer = EmbeddedIssuer.load_or_create(
            settings.auth_issuer_key_path, issuer=settings.token_issuer, audience=settings.token_audience
        )
        yield Office(server, settings, issuer)
        log = server.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]
