"""Issuance racing revocation of the same citizen, over real HTTP against a real `govgraph serve`: a wallet
redeems an offer while the clerk's `revokeCredentials` runs, at staggered starts, many times. Whichever
commits first on the identity log, no credential offered before an acknowledged revocation survives it:
either its CredentialIssued entry precedes the RevocationEpoch entry and the batch removed it (the holder's
refresh says revoked, the verifier says REJECTED `revoked`), or the revocation withdrew its offer and the
issuer refused it (nothing appended). The same holds for a second revocation of an already-revoked citizen,
and a new offer after the revocations gives a fresh credential that verifies. A credential whose handle could
not be recorded is never delivered."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from govgraph.credentials.configurations import REVOCABLE_CITIZEN_V1
from govgraph.wallet.issuance import receive
from govgraph.wallet.presentation import answer, fetch
from govgraph.wallet.revocation import refresh
from govgraph.wallet.store import WalletError
from govgraph.wallet.transport import Http
from tests.support.credential_flows import OFFER, Service, years_ago
from tests.support.servers import running_server

pytestmark = pytest.mark.e2e

CITIZENS = 5  # each races twice: its first revocation, then a second one
REVOKE = """mutation Revoke($citizen: ID!, $schema: String!, $reason: String!) {
  revokeCredentials(citizenId: $citizen, schema: $schema, reason: $reason) {
    epoch revoked withdrawnOffers ledgerEntry { index } } }"""
ISSUED = "govgraph.identity.CredentialIssued/v1"
EPOCH = "govgraph.identity.RevocationEpoch/v1"
WITHDRAWN = (
    "credential_request_denied: this offer was withdrawn by a revocation of the citizen's credentials: "
    "ask for a new one"
)
# where a withdrawn offer is refused depends on which request of the flow the revocation overtook
REFUSALS = (
    WITHDRAWN,
    "invalid_grant: the pre-authorized code is not valid (unknown, already used, or expired)",
    "invalid_request: no such credential offer (used, locked or expired)",
)


class Clerk:
    def __init__(self, service: Service, root: Path) -> None:
        self.service = service
        self.root = root
        self.token = service.token("clerk-race", "clerk:identity")
        self.official = service.token("official-race", "official:welfare")

    def offer(self, citizen: str) -> dict[str, Any]:
        offer = self.service.data(OFFER, {"citizen": citizen, "schema": REVOCABLE_CITIZEN_V1}, self.token)
        return offer["createCredentialOffer"]

    def revoke(self, citizen: str) -> dict[str, Any]:
        variables = {"citizen": citizen, "schema": REVOCABLE_CITIZEN_V1, "reason": "fraud"}
        return self.service.graphql(REVOKE, variables, self.token)

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(leaf) for leaf in self.service.ledger_entries("identity")]

    def present(self, path: Path) -> tuple[bool, str | None]:
        query = {
            "id": "citizen",
            "format": "govgraph_bbs",
            "meta": {"schema": REVOCABLE_CITIZEN_V1},
            "claims": [{"path": ["residence"]}],
        }
        ask = self.service.ask(self.official, {"credentials": [query]}, "race check")
        with Http() as http:
            _, verdict = answer(path, fetch(path, ask["requestUri"], http), http)
        result = self.service.result(self.official, ask["id"])
        assert verdict.accepted == (result["status"] == "VERIFIED"), (verdict, result)
        return verdict.accepted, result["failure"]

    def refreshed(self, path: Path) -> list[int | None]:
        with Http() as http:
            return [r.revoked_in for r in refresh(path, self.service.url, http)]


@pytest.fixture(scope="module")
def clerk(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("race")
    data = root / "data"
    data.mkdir()
    with running_server(data, log_level="warning") as server:
        yield Clerk(Service(server.url, data), root)


def race(clerk: Clerk, citizen: str, wallet: Path, delay: float) -> tuple[dict, str | None]:
    """A fresh offer redeemed by `wallet` while the clerk's revocation starts `delay` s later: (the
    revocation's answer, the wallet's refusal or None when the credential was delivered)."""
    offer = clerk.offer(citizen)
    start = threading.Barrier(2)

    def issue() -> str | None:
        start.wait()
        try:
            receive(wallet, offer["offerUri"], offer["txCode"])
        except WalletError as exc:
            return str(exc)
        return None

    def revoke() -> dict:
        start.wait()
        time.sleep(delay)
        return clerk.revoke(citizen)

    with ThreadPoolExecutor(2) as pool:
        issuing, revoking = pool.submit(issue), pool.submit(revoke)
        return revoking.result(), issuing.result()


def test_no_credential_offered_before_a_revocation_survives_it(clerk):
    today = dt.datetime.now(dt.UTC).date()
    first = clerk.service.enrol(clerk.token, years_ago(today, 40))
    offer = clerk.offer(first)
    started = time.monotonic()
    receive(clerk.root / "timing.json", offer["offerUri"], offer["txCode"])
    issuance = time.monotonic() - started  # how long a wallet's whole issuance takes here
    outcomes = {"issued first": 0, "withdrawn": 0}
    for i in range(CITIZENS):
        citizen = clerk.service.enrol(clerk.token, years_ago(today, 30))
        prior = clerk.root / f"prior-{i}.json"
        offer = clerk.offer(citizen)
        receive(prior, offer["offerUri"], offer["txCode"])
        for second in (False, True):  # the citizen's first revocation, then one of an already-revoked citizen
            round_ = 2 * i + second
            delay = issuance * round_ / (2 * CITIZENS)  # 0 ... a whole issuance: both orders happen
            wallet = clerk.root / f"raced-{i}-{int(second)}.json"
            before = len(clerk.entries())
            revocation, refusal = race(clerk, citizen, wallet, delay)
            # never NOT_FOUND, even the second time: an unrevoked credential or a pending offer is there
            assert "errors" not in revocation, revocation
            batch = revocation["data"]["revokeCredentials"]
            appended = [(e["type"], e.get("epoch")) for e in clerk.entries()[before:]]
            if refusal is None:  # issued first: the batch removed it
                outcomes["issued first"] += 1
                assert clerk.refreshed(wallet) == [batch["epoch"]]
                assert clerk.present(wallet) == (False, "revoked")
                assert (batch["revoked"], batch["withdrawnOffers"]) == (1 if second else 2, 0)
                assert appended == [(ISSUED, None), (EPOCH, batch["epoch"])]
                assert batch["ledgerEntry"] == {"index": str(before + 1)}
            else:  # the revocation came first: the offer was withdrawn, nothing issued
                outcomes["withdrawn"] += 1
                assert any(refusal.endswith(expected) for expected in REFUSALS), refusal
                assert not wallet.exists() or json.loads(wallet.read_text()).get("credentials") == []
                assert batch["withdrawnOffers"] == 1
                if second:  # nothing else to revoke: no epoch, no entry
                    assert (batch["revoked"], batch["ledgerEntry"], appended) == (0, None, [])
                else:
                    assert batch["revoked"] == 1 and appended == [(EPOCH, batch["epoch"])]
            if not second:
                assert clerk.refreshed(prior) == [batch["epoch"]]
    assert min(outcomes.values()) >= 1, outcomes  # both orders were exercised
    # issuance after the revocations: a new offer gives a fresh credential, in no removed batch
    fresh = clerk.root / "fresh.json"
    offer = clerk.offer(citizen)
    before = len(clerk.entries())
    receive(fresh, offer["offerUri"], offer["txCode"])
    assert [e["type"] for e in clerk.entries()[before:]] == [ISSUED]
    assert clerk.refreshed(fresh) == [None]
    assert clerk.present(fresh) == (True, None)


def test_a_credential_whose_handle_is_not_recorded_is_never_delivered(clerk):
    citizen = clerk.service.enrol(clerk.token, years_ago(dt.datetime.now(dt.UTC).date(), 25))
    offer = clerk.offer(citizen)
    before = len(clerk.entries())
    clerk.service.sql(
        "CREATE TRIGGER refuse_handles BEFORE INSERT ON credentials_revocation_handle "
        "BEGIN SELECT RAISE(ABORT, 'handle table unavailable'); END"
    )
    wallet = clerk.root / "unrecorded.json"
    try:
        with pytest.raises(WalletError, match=r"^the issuer answered HTTP 500$"):
            receive(wallet, offer["offerUri"], offer["txCode"])
    finally:
        clerk.service.sql("DROP TRIGGER refuse_handles")
    assert not wallet.exists() or json.loads(wallet.read_text()).get("credentials") == []
    assert len(clerk.entries()) == before  # no CredentialIssued without its handle
    # the offer was not marked issued: a revocation withdraws it, and nothing of the citizen stays valid
    batch = clerk.revoke(citizen)["data"]["revokeCredentials"]
    assert (batch["revoked"], batch["withdrawnOffers"], batch["ledgerEntry"]) == (0, 1, None)
