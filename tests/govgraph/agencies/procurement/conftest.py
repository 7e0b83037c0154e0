"""The procurement office for end-to-end tests: the real `govgraph serve` on 127.0.0.1 (demo data seeded),
tokens from its embedded issuer (an official, a stranger, bidders, committee members), GraphQL through the
public /graphql, the OCDS routes, and the ledgers as the database holds them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import Settings
from tests.support.servers import LiveServer, running_server

OFFICIAL = "official:procurement"


@dataclass
class Office:
    server: LiveServer
    settings: Settings
    issuer: EmbeddedIssuer
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, subject: str, *roles: str) -> str:
        key = f"{subject}/{','.join(roles)}"
        if key not in self.tokens:
            self.tokens[key] = self.issuer.issue(subject, list(roles))
        return self.tokens[key]

    @property
    def official(self) -> str:
        return self.token("official-olga", OFFICIAL)

    def post(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.server.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.server.url}{path}", timeout=30)

    def sizes(self) -> dict[str, int]:
        with sqlite3.connect(self.settings.data_dir / "govgraph.db") as connection:
            return dict(connection.execute("SELECT name, next_index FROM ledger_logs"))

    def entries(self, start: int = 0) -> list[dict]:
        """The procurement ledger's entries from `start`, decoded."""
        with sqlite3.connect(self.settings.data_dir / "govgraph.db") as connection:
            rows = connection.execute(
                "SELECT e.data FROM ledger_entries e JOIN ledger_logs l ON l.id = e.log_id "
                "WHERE l.name = 'procurement' AND e.idx >= ? ORDER BY e.idx",
                (start,),
            )
            return [json.loads(data) for (data,) in rows]


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


def only_error(body: dict) -> tuple[str, str]:
    assert body.get("data") is None and len(body["errors"]) == 1, body
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]
