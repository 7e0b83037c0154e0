"""Revocation end to end over real HTTP: a real `govgraph serve` (grace period 8 s), `govgraph wallet`
processes and the clerk's `revokeCredentials` through the gateway. A revoked holder's refresh says so and its
presentation is REJECTED `revoked`; another holder refreshes across 10 epochs of others' revocations and is
VERIFIED; a holder who does not refresh is accepted within the grace period and then REJECTED
`stale_witness` with the instruction to refresh; the ledger entries name no citizen; refused revocations
append nothing and a retried one replays the first batch."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.credentials.configurations import REVOCABLE_CITIZEN_V1
from govgraph.wallet.issuance import receive
from govgraph.wallet.presentation import answer, fetch
from govgraph.wallet.transport import Http
from tests.support.credential_flows import OFFER, Service, wallet, years_ago
from tests.support.mutations import ledger_sizes
from tests.support.servers import running_server
from zk.wire import from_b64url

pytestmark = pytest.mark.e2e

GRACE = 8
REVOKE = """mutation Revoke($citizen: ID!, $schema: String!, $reason: String!) {
  revokeCredentials(citizenId: $citizen, schema: $schema, reason: $reason) {
    schema epoch revoked ledgerEntry { ledger index } } }"""


class Bureau:
    def __init__(self, service: Service, root: Path) -> None:
        self.service = service
        self.root = root
        self.clerk = service.token("clerk-ada", "clerk:identity")
        self.official = service.token("official-bo", "official:welfare")
        self.today = dt.datetime.now(dt.UTC).date()

    def holder(self, name: str, *, cli: bool = True) -> tuple[str, Path]:
        """A citizen holding a revocable credential in the wallet file <name>.json."""
        citizen = self.service.enrol(self.clerk, years_ago(self.today, 30))
        offer = self.service.data(OFFER, {"citizen": citizen, "schema": REVOCABLE_CITIZEN_V1}, self.clerk)
        offer = offer["createCredentialOffer"]
        path = self.root / f"{name}.json"
        if cli:
            done = wallet(path, "receive", offer["offerUri"], "--tx-code", offer["txCode"])
            assert done.returncode == 0, done.stderr
        else:
            receive(path, offer["offerUri"], offer["txCode"])
        return citizen, path

    def revoke(self, citizen: str, reason: str = "lost_device", token: str | None = None) -> dict:
        variables = {"citizen": citizen, "schema": REVOCABLE_CITIZEN_V1, "reason": reason}
        return self.service.graphql(REVOKE, variables, self.clerk if token is None else token)

    def ask(self) -> dict:
        query = {
            "id": "citizen",
            "format": "govgraph_bbs",
            "meta": {"schema": REVOCABLE_CITIZEN_V1},
            "claims": [{"path": ["residence"]}],
        }
        return self.service.ask(self.official, {"credentials": [query]}, "revocable check")

    def present(self, path: Path) -> tuple[subprocess.CompletedProcess, dict]:
        ask = self.ask()
        done = wallet(path, "present", ask["requestUri"], "--yes")
        return done, self.service.result(self.official, ask["id"])

    def refresh(self, path: Path):
        return wallet(path, "refresh", "--issuer", self.service.url)

    def database(self) -> Path:
        return self.service.data_dir / "govgraph.db"


@pytest.fixture(scope="module")
def bureau(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bureau]:
    root = tmp_path_factory.mktemp("revocation")
    data = root / "data"
    data.mkdir()
    with running_server(data, env={"GOVGRAPH_REVOCATION_GRACE": str(GRACE)}) as server:
        yield Bureau(Service(server.url, data), root)


@pytest.fixture(scope="module")
def holders(bureau):
    """Three holders issued at epoch 0: the one to revoke, the one who refreshes, the one who does not."""
    return {name: bureau.holder(name) for name in ("revoked", "refreshing", "idle")}


def test_a_revoked_credential_is_rejected_with_revoked_after_refresh(bureau, holders):
    citizen, path = holders["revoked"]
    done, result = bureau.present(path)
    assert done.returncode == 0, done.stderr
    assert (result["status"], result["disclosed"]) == ("VERIFIED", {"residence": "Riverside"})
    before = ledger_sizes(bureau.database())["identity"]
    revoked = bureau.revoke(citizen, "court_order")
    assert "errors" not in revoked, revoked
    batch = revoked["data"]["revokeCredentials"]
    assert (batch["schema"], batch["epoch"], batch["revoked"]) == (REVOCABLE_CITIZEN_V1, 1, 1)
    assert batch["ledgerEntry"] == {"ledger": "identity", "index": str(before)}
    assert ledger_sizes(bureau.database())["identity"] == before + 1
    entry = json.loads(bureau.service.ledger_entries("identity")[before])
    assert set(entry) == {"type", "actor", "time", "schema", "epoch", "accumulator", "update", "reason"}
    assert (entry["type"], entry["epoch"], entry["reason"]) == (
        "govgraph.identity.RevocationEpoch/v1",
        1,
        "court_order",
    )
    assert citizen not in json.dumps(entry) and entry["actor"]["role"] == "clerk:identity"
    refreshed = bureau.refresh(path)
    assert refreshed.returncode == 0, refreshed.stderr
    assert refreshed.stdout.endswith(": revoked by the issuer in epoch 1\n")
    listed = wallet(path, "list")
    assert "  REVOKED (epoch 1)\n" in listed.stdout, listed.stdout
    done, result = bureau.present(path)
    assert done.returncode == 1
    assert done.stderr.endswith(
        "govgraph wallet: the verifier rejected the presentation: revoked "
        "(the issuer has revoked this credential)\n"
    )
    assert (result["status"], result["failure"], result["disclosed"]) == ("REJECTED", "revoked", None)


def test_refused_revocations_append_nothing(bureau, holders):
    citizen, _ = holders["revoked"]
    before = ledger_sizes(bureau.database())
    cases = [
        (bureau.revoke(citizen, "court_order"), "NOT_FOUND", f"Citizen {citizen} holds no unrevoked"),
        (bureau.revoke(holders["idle"][0], "because"), "BAD_USER_INPUT", "`reason` must be one of: "),
        (bureau.revoke("cit_0000000000000000"), "NOT_FOUND", "No citizen cit_0000000000000000."),
        (bureau.revoke(citizen, token=bureau.official), "FORBIDDEN", None),
    ]
    plain = bureau.service.graphql(
        REVOKE,
        {"citizen": holders["idle"][0], "schema": "govgraph.identity.citizen/v1", "reason": "fraud"},
        bureau.clerk,
    )
    cases.append((plain, "BAD_USER_INPUT", "`schema` govgraph.identity.citizen/v1 is not revocable."))
    for body, code, message in cases:
        error = body["errors"][0]
        assert error["extensions"]["code"] == code, body
        if message is not None:
            assert error["message"].startswith(message), error
    assert ledger_sizes(bureau.database()) == before


def test_another_holder_verifies_after_refreshing_across_ten_epochs(bureau, holders):
    _, path = holders["refreshing"]
    first = bureau.refresh(path)
    assert first.returncode == 0, first.stderr
    start = int(re.search(r"(?:-> |up to date \(epoch )(\d+)", first.stdout)[1])
    for i in range(10):
        citizen, _ = bureau.holder(f"other-{i}", cli=False)
        assert bureau.revoke(citizen)["data"]["revokeCredentials"]["epoch"] == start + 1 + i
    refreshed = bureau.refresh(path)
    assert refreshed.returncode == 0, refreshed.stderr
    assert refreshed.stdout.endswith(f": epoch {start} -> {start + 10}\n")
    listed = json.loads(wallet(path, "list", "--json").stdout)
    assert [item["revocation"] for item in listed] == [{"epoch": start + 10, "revoked": False}]
    done, result = bureau.present(path)
    assert done.returncode == 0, done.stderr
    assert (result["status"], result["failure"]) == ("VERIFIED", None)


def test_a_holder_who_does_not_refresh_is_told_to_once_the_grace_period_passes(bureau, holders):
    _, path = holders["idle"]
    done, result = bureau.present(path)  # epoch 0, superseded more than GRACE seconds ago by now
    if result["status"] == "VERIFIED":  # the earlier tests ran in under GRACE seconds: wait past it
        time.sleep(GRACE)
        done, result = bureau.present(path)
    assert done.returncode == 1
    assert "the verifier rejected the presentation: stale_witness" in done.stderr
    assert "run `govgraph wallet refresh --issuer <issuer URL>`, then present again" in done.stderr
    assert (result["status"], result["failure"]) == ("REJECTED", "stale_witness")
    # refreshed, it verifies; one more revocation leaves it inside the grace period, then outside it
    assert bureau.refresh(path).returncode == 0
    other, _ = bureau.holder("late-other", cli=False)
    assert "errors" not in bureau.revoke(other)
    revoked_at = time.monotonic()
    with Http() as http:
        ask = bureau.ask()
        request = fetch(path, ask["requestUri"], http)
        _, within = answer(path, request, http)
    assert time.monotonic() - revoked_at < GRACE, "too slow to test inside the grace period"
    assert (within.accepted, bureau.service.result(bureau.official, ask["id"])["status"]) == (
        True,
        "VERIFIED",
    )
    time.sleep(max(0.0, GRACE + 0.5 - (time.monotonic() - revoked_at)))
    done, result = bureau.present(path)
    assert (done.returncode, result["status"], result["failure"]) == (1, "REJECTED", "stale_witness")


def test_the_updates_endpoint_serves_epochs_and_refuses_bad_queries(bureau, holders):
    url = bureau.service.url
    metadata = httpx.get(url + "/.well-known/openid-credential-issuer").json()
    supported = metadata["credential_configurations_supported"]
    assert "revocation" not in supported["govgraph.identity.citizen/v1"]
    revocation = supported[REVOCABLE_CITIZEN_V1]["revocation"]
    assert revocation["updates_endpoint"] == url + "/credentials/revocation"
    assert len(from_b64url(revocation["accumulator_public_key"], "key")) == 96
    answer = httpx.get(revocation["updates_endpoint"], params={"configuration": REVOCABLE_CITIZEN_V1})
    body = answer.json()
    assert answer.status_code == 200 and body["configuration"] == REVOCABLE_CITIZEN_V1
    assert [u["epoch"] for u in body["updates"]] == list(range(1, body["latest"] + 1))
    later = httpx.get(
        revocation["updates_endpoint"],
        params={"configuration": REVOCABLE_CITIZEN_V1, "since": str(body["latest"])},
    ).json()
    assert later == {"configuration": REVOCABLE_CITIZEN_V1, "latest": body["latest"], "updates": []}
    for params, description in [
        ({}, "configuration is missing"),
        ({"configuration": "govgraph.identity.citizen/v1"}, "this configuration is not revocable"),
        ({"configuration": REVOCABLE_CITIZEN_V1, "since": "-1"}, "since must be an epoch number"),
        ({"configuration": REVOCABLE_CITIZEN_V1, "since": "9" * 16}, "since must be an epoch number"),
    ]:
        refused = httpx.get(revocation["updates_endpoint"], params=params)
        assert (refused.status_code, refused.json()) == (
            400,
            {"error": "invalid_request", "error_description": description},
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(configuration=st.text(max_size=60), since=st.text(max_size=20))
def test_hypothesis_updates_queries_never_answer_500(bureau, configuration, since):
    answer = httpx.get(
        bureau.service.url + "/credentials/revocation",
        params={"configuration": configuration, "since": since},
    )
    assert answer.status_code in (200, 400), answer.text
    body = answer.json()
    assert body["error"] == "invalid_request" if answer.status_code == 400 else body["updates"] == []


def test_a_retried_revocation_returns_the_first_batch_and_appends_nothing(bureau):
    citizen, _ = bureau.holder("retried", cli=False)
    variables = {"citizen": citizen, "schema": REVOCABLE_CITIZEN_V1, "reason": "deceased", "key": "rev-1"}
    query = REVOKE.replace("$reason: String!)", "$reason: String!, $key: String)").replace(
        "reason: $reason)", "reason: $reason, idempotencyKey: $key)"
    )
    first = bureau.service.data(query, variables, bureau.clerk)["revokeCredentials"]
    size = ledger_sizes(bureau.database())["identity"]
    again = bureau.service.data(query, variables, bureau.clerk)["revokeCredentials"]
    assert again == first and first["revoked"] == 1
    assert ledger_sizes(bureau.database())["identity"] == size
    other = bureau.service.graphql(query, {**variables, "reason": "fraud"}, bureau.clerk)
    assert other["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert ledger_sizes(bureau.database())["identity"] == size
