"""The pages for citizens and clerks (the wallet page and the clerk console): one real `govgraph serve` for
the package (citizens' offers, open elections on rolls defined for registration by presentation, the
console), the wallet page (`govgraph wallet ui`'s app) in a uvicorn thread over a fresh wallet file per
test (the shared Chromium comes from the pages' conftest above)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from govgraph.voting.api import Api
from govgraph.voting.simulate import simulate
from govgraph.wallet.ui.app import WalletConfig, build_wallet_app
from tests.support import credential_flows
from tests.support.credentials import issue_token
from tests.support.servers import UvicornThread, running_server
from zk.curve import get_backend

ROLES = ("official:elections", "clerk:identity", "trustee")
ELECTION_DAY = dt.date.today() + dt.timedelta(days=30)
DEFINE = """mutation($id: ID!, $day: Date!) { defineElectoralRoll(id: $id, district: "Riverside",
  citizenship: "NL", electionDay: $day) { id } }"""
ACCESS_CODE = "wallet-test-access-code"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_IDEMPOTENCY = re.compile(r'name="idempotency" value="([^"]+)"')


@dataclass
class Government:
    url: str
    data: Path
    token: str  # official, identity clerk and trustee
    flows: credential_flows.Service

    def offer(self, born: dt.date) -> dict:
        citizen = self.flows.enrol(self.token, born, residence="Riverside")
        return self.flows.offer(self.token, citizen)

    def open_election(self, roll: str, seed: int) -> str:
        """An open election (one trustee) whose manifest names `roll`, defined for presentations."""
        answer = self.flows.graphql(DEFINE, {"id": roll, "day": ELECTION_DAY.isoformat()}, self.token)
        assert "errors" not in answer, answer
        with Api(self.url, self.token) as api:
            done = simulate(api, voters=0, n=1, t=1, absent=0, seed=seed, leave_open=True, roll=roll)
        return done.election


@pytest.fixture(scope="package")
def government(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Government]:
    data = tmp_path_factory.mktemp("government")
    with running_server(data, log_level="warning") as server:
        token = issue_token(data, "registrar", *ROLES, ttl=3600)
        yield Government(server.url, data, token, credential_flows.Service(server.url, data))


@dataclass
class WalletPage:
    url: str
    path: Path
    code: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, follow_redirects=False)

    def logged_in(self) -> httpx.Client:
        client = self.client()
        page = client.get("/login")
        answer = client.post(
            "/login", data={"csrf_token": csrf_of(page.text), "next": "/", "code": self.code}
        )
        assert answer.status_code == 303, answer.text
        return client


def csrf_of(html: str) -> str:
    return _CSRF.search(html).group(1)


def page_form(client: httpx.Client, path: str) -> dict[str, str]:
    """The hidden fields of the form on `path`: the CSRF token and, where it has one, the idempotency key."""
    text = client.get(path).text
    fields = {"csrf_token": csrf_of(text)}
    if found := _IDEMPOTENCY.search(text):
        fields["idempotency"] = found.group(1)
    return fields


@pytest.fixture
def wallet_page(government: Government, tmp_path: Path) -> Iterator[WalletPage]:
    path = tmp_path / "wallet.json"
    config = WalletConfig(path, government.url, get_backend("arkworks"), ACCESS_CODE)
    server = UvicornThread(build_wallet_app(config)).start()
    try:
        yield WalletPage(server.url, path, ACCESS_CODE)
    finally:
        server.stop()
