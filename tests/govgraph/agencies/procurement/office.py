"""The procurement office as tests drive it: the real `govgraph serve` (demo data seeded), tokens from its
embedded issuer, GraphQL through the public /graphql, the OCDS routes, and the ledgers as the database holds
them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

import httpx

from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import Settings
from tests.support.servers import LiveServer

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


def only_error(body: dict) -> tuple[str, str]:
    assert body.get("data") is None and len(body["errors"]) == 1, body
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]
