"""Two `govgraph serve` processes on one database (a SQLite file, and PostgreSQL), taking ballots of one
pseudonym at the same moment, some through each: under SINGLE exactly one is accepted across both
processes, the others are refused naming the rule; under LAST_COUNTS every one is accepted and each replaces
the one written just before it, whichever process wrote it, and only the last one counts."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.govgraph.agencies.elections.ballots import CAST, MAYOR_ADA, MAYOR_BROOK, open_election
from tests.govgraph.agencies.elections.conftest import ROLES, Service, error_of
from tests.support.credentials import issue_token
from tests.support.servers import start_server, stop_server, wait_until_healthy
from zk.ballot import tracking_code_of

BOARD = "query($id: ID!) { election(id: $id) { turnout ballots(first: 100) { trackingCode counted } } }"


@pytest.fixture
def two_services(storage_url: str, tmp_path: Path) -> Iterator[tuple[Service, Service]]:
    shared = tmp_path / "shared"  # one data directory: the ledger keys, the token key
    environment = {"GOVGRAPH_DATA": str(shared), "GOVGRAPH_DATABASE_URL": storage_url}
    with ExitStack() as stack:
        services = []
        for name in ("first", "second"):  # one after the other: the first seeds the demo data
            logs = tmp_path / name
            logs.mkdir()
            server = start_server(logs, "warning", env=environment)
            stack.callback(stop_server, server)
            wait_until_healthy(server.url + "/healthz", server.process, server.log_path, timeout=120)
            services.append(Service(server.url, shared, issue_token(shared, "commission", *ROLES, ttl=3600)))
        yield services[0], services[1]


def cast_at_once(services: tuple[Service, Service], election: str, documents: list[dict]) -> list[dict]:
    """Each document cast at the same moment, alternately through each process."""

    def cast(numbered: tuple[int, dict]) -> dict:
        number, document = numbered
        return services[number % 2].graphql(CAST, e=election, b=document)

    with ThreadPoolExecutor(max_workers=len(documents)) as pool:
        return list(pool.map(cast, enumerate(documents)))


def test_one_pseudonym_votes_once_across_two_processes(two_services: tuple[Service, Service]) -> None:
    first, second = two_services
    election = open_election(first, seed=71)
    voter = election.new_voter()
    documents = [election.ballot(voter, MAYOR_ADA if k % 2 else MAYOR_BROOK) for k in range(12)]
    turnout = election.turnout()
    answers = cast_at_once(two_services, election.id, documents)
    accepted = [a["data"]["castBallot"]["trackingCode"] for a in answers if "errors" not in a]
    assert len(accepted) == 1
    assert {error_of(a) for a in answers if "errors" in a} == {
        ("CONFLICT", f"This pseudonym has voted already in election {election.id} (revoting policy SINGLE).")
    }
    for service in two_services:  # both processes read the same board
        board = service.graphql(BOARD, id=election.id)["data"]["election"]
        assert board["turnout"] == turnout + 1
        cast = {tracking_code_of(document["ballot"]) for document in documents}
        assert len(cast) == 12 and {b["trackingCode"] for b in board["ballots"]} & cast == set(accepted)


def test_last_counts_chains_ballots_written_by_two_processes(two_services: tuple[Service, Service]) -> None:
    first, _ = two_services
    election = open_election(first, seed=72, revoting="LAST_COUNTS")
    voter = election.new_voter()
    documents = [election.ballot(voter, MAYOR_ADA if k % 2 else MAYOR_BROOK) for k in range(8)]
    turnout = election.turnout()
    answers = cast_at_once(two_services, election.id, documents)
    assert [a.get("errors") for a in answers] == [None] * 8
    in_order = sorted((a["data"]["castBallot"] for a in answers), key=lambda r: r["ledgerIndex"])
    assert [r["replaced"] for r in in_order] == [None] + [r["trackingCode"] for r in in_order[:-1]]
    board = first.graphql(BOARD, id=election.id)["data"]["election"]
    counted = {b["trackingCode"] for b in board["ballots"] if b["counted"]}
    assert board["turnout"] == turnout + 1
    assert counted & {r["trackingCode"] for r in in_order} == {in_order[-1]["trackingCode"]}
