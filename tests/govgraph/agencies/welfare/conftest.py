"""One real `govgraph serve` for the welfare tests (each test uses programmes of its own): tokens for the
identity clerk, the welfare official and a payment service, and citizens' wallets holding credentials received
over OID4VCI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from govgraph.wallet.issuance import receive
from tests.support.credential_flows import Service, wallet, years_ago
from tests.support.servers import running_server


@dataclass
class Office:
    service: Service
    clerk: str  # clerk:identity
    official: str  # official:welfare
    payer: str  # service:payments
    today: dt.date
    tmp: Path
    wallets: dict[str, Path] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.service.data_dir / "govgraph.db"

    def citizen(
        self,
        name: str,
        age: int = 30,
        residence: str = "Riverside",
        income: int = 21_000,
        *,
        cli: bool = False,
    ) -> Path:
        """A citizen enrolled by the clerk whose wallet received its credential over OID4VCI: with the
        wallet's client code, or with `govgraph wallet receive` as its own process (`cli`)."""
        if name not in self.wallets:
            citizen = self.service.enrol(self.clerk, years_ago(self.today, age), residence, income)
            offer = self.service.offer(self.clerk, citizen)
            path = self.tmp / f"{name}.wallet.json"
            if cli:
                done = wallet(path, "receive", offer["offerUri"], "--tx-code", offer["txCode"])
                assert done.returncode == 0 and done.stdout.startswith("stored credential "), done.stderr
            else:
                receive(path, offer["offerUri"], offer["txCode"])
            self.wallets[name] = path
        return self.wallets[name]


@pytest.fixture(scope="package")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    root = tmp_path_factory.mktemp("welfare")
    data = root / "data"
    data.mkdir()
    with running_server(data, "warning") as server:
        service = Service(server.url, data)
        yield Office(
            service,
            service.token("clerk-ada", "clerk:identity"),
            service.token("official-bo", "official:welfare"),
            service.token("payments-run", "service:payments"),
            dt.datetime.now(dt.UTC).date(),
            root,
        )
