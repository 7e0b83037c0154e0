"""A real `govgraph serve` for the elections tests (one per module), a token with the roles the simulation
needs, and GraphQL over HTTP through the public /graphql."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from govgraph.voting.api import Api
from tests.support import credential_flows
from tests.support.credentials import bearer, issue_token
from tests.support.mutations import ledger_sizes
from tests.support.servers import running_server

ROLES = ("official:elections", "clerk:identity", "trustee")


@dataclass
class Service:
    url: str
    data: Path
    token: str

    def api(self, token: str | None = None) -> Api:
        return Api(self.url, token if token is not None else self.token)

    def graphql(self, query: str, token: str | None = None, **variables) -> dict:
        """The raw answer of /graphql (data and errors), as a client sees it."""
        headers = bearer(token) if token else {}
        answer = httpx.post(
            self.url + "/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=60
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def ledger_leaves(self, name: str) -> list[bytes]:
        return credential_flows.Service(self.url, self.data).ledger_entries(name)

    def ledger_size(self) -> int:
        return ledger_sizes(self.data / "govgraph.db")["elections"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    data = tmp_path_factory.mktemp("elections")
    with running_server(data, log_level="warning") as server:
        yield Service(server.url, data, issue_token(data, "commission", *ROLES, ttl=3600))


def error_of(answer: dict) -> tuple[str, str]:
    """The first error's extensions.code and message."""
    assert answer.get("errors"), answer
    first = answer["errors"][0]
    return first["extensions"]["code"], first["message"]
