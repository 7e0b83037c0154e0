"""The database itself refuses a second claim, whatever the code before it does: with the claim path's
look-up for an earlier claim switched off (as when another process commits between the look-up and the
insert), the unique indexes still refuse a second claim of one pseudonym and a second enrolment in an
exclusion group, as CONFLICT with nothing appended. The app runs in-process (so the look-up can be switched
off) behind real HTTP, with the wallet's client code answering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from govgraph.agencies.welfare import claims
from govgraph.wallet.issuance import receive
from govgraph.wallet.transport import Http
from tests.support.credential_flows import Service, years_ago
from tests.support.mutations import ledger_sizes
from tests.support.servers import in_process_server
from tests.support.welfare_flows import claim, create, open_claim, submit, vp_tokens

pytestmark = pytest.mark.e2e
RACED = "This claim was made already (by a concurrent request)."


@pytest.fixture
def office(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Service, str, Path]]:
    server = in_process_server(data_dir)

    async def look_up_nothing(*_arguments, **_options) -> None:
        return None

    monkeypatch.setattr(claims, "_refuse_duplicates", look_up_nothing)
    try:
        service = Service(server.url, data_dir)
        clerk = service.token("clerk-ada", "clerk:identity")
        today = dt.datetime.now(dt.UTC).date()
        offer = service.offer(clerk, service.enrol(clerk, years_ago(today, 40)))
        wallet = data_dir.parent / "wallet.json"
        receive(wallet, offer["offerUri"], offer["txCode"])
        yield service, service.token("official-bo", "official:welfare"), wallet
    finally:
        server.stop()


def refused_as_raced(service: Service, wallet: Path, programme: str, http: Http) -> None:
    before = ledger_sizes(service.data_dir / "govgraph.db")
    body = claim(service, wallet, programme, http)
    assert [(e["extensions"]["code"], e["message"]) for e in body["errors"]] == [("CONFLICT", RACED)]
    assert ledger_sizes(service.data_dir / "govgraph.db") == before


def test_the_unique_indexes_refuse_what_the_look_up_missed(office) -> None:
    service, official, wallet = office
    today = dt.datetime.now(dt.UTC).date()
    create(service, official, "once", today)
    for name in ("group-a", "group-b"):
        create(service, official, name, today, exclusionGroup="shared")
    with Http() as http:
        assert "errors" not in claim(service, wallet, "once", http)
        refused_as_raced(service, wallet, "once", http)  # welfare_one_claim_per_pseudonym
        assert "errors" not in claim(service, wallet, "group-a", http)
        refused_as_raced(service, wallet, "group-b", http)  # welfare_one_enrolment_per_group


def test_the_unique_index_refuses_a_one_request_claim_the_look_up_missed(office) -> None:
    service, official, wallet = office
    create(service, official, "once-in-one", dt.datetime.now(dt.UTC).date())
    with Http() as http:
        first = open_claim(service, "once-in-one")
        assert "errors" not in submit(service, first["id"], presentations=vp_tokens(wallet, first, http))
        second = open_claim(service, "once-in-one")
        tokens = vp_tokens(wallet, second, http)
    before = ledger_sizes(service.data_dir / "govgraph.db")
    body = submit(service, second["id"], presentations=tokens)
    assert [(e["extensions"]["code"], e["message"]) for e in body["errors"]] == [("CONFLICT", RACED)]
    assert ledger_sizes(service.data_dir / "govgraph.db") == before
