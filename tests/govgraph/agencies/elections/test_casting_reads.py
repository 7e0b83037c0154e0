"""Casts arriving together read their election's row once: while one cast reads it (OPEN_FOR ran out), the
others wait for that read instead of each taking a database connection (32 concurrent casts used to take up
to 15 at once, beyond the 5 the pool keeps, and open new ones). The app runs in-process (so the read can be
counted and slowed) behind real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from govgraph.agencies.elections import casting
from tests.govgraph.agencies.elections.ballots import CAST, OpenElection, open_election
from tests.govgraph.agencies.elections.conftest import ROLES, Service, error_of
from tests.support.credentials import issue_token
from tests.support.servers import in_process_server

TOGETHER = 12
READ_TAKES = 1.0  # seconds: every cast of a burst arrives while the first one's read is in flight


@pytest.fixture
def counted(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[OpenElection, list[str]]]:
    server = in_process_server(data_dir)
    try:
        service = Service(server.url, data_dir, issue_token(data_dir, "commission", *ROLES, ttl=3600))
        election = open_election(service, seed=83)
        reads: list[str] = []
        load = casting.load_election

        async def slow_load(connection, election_id):
            reads.append(election_id)
            await asyncio.sleep(READ_TAKES)
            return await load(connection, election_id)

        monkeypatch.setattr(casting, "load_election", slow_load)
        monkeypatch.setattr(casting, "OPEN_FOR", 0.0)  # no cast may rely on an earlier read
        yield election, reads
    finally:
        server.stop()


def _together(cast, documents: list) -> list[dict]:
    with ThreadPoolExecutor(max_workers=len(documents)) as pool:
        return list(pool.map(cast, documents))


def test_a_burst_of_casts_reads_the_election_once(counted: tuple[OpenElection, list[str]]) -> None:
    election, reads = counted
    documents = [election.ballot(election.new_voter()) for _ in range(TOGETHER)]
    turnout = election.turnout()
    answers = _together(election.cast, documents)
    assert [("errors" in answer) for answer in answers] == [False] * TOGETHER, answers
    assert reads == [election.id]
    assert election.turnout() == turnout + TOGETHER
    # The shared read is over: the next cast reads again (OPEN_FOR is 0 here), alone.
    assert "errors" not in election.cast(election.ballot(election.new_voter()))
    assert reads == [election.id, election.id]


def test_a_burst_for_an_unknown_election_shares_the_refusal(counted: tuple[OpenElection, list[str]]) -> None:
    election, reads = counted
    document = election.ballot(election.new_voter())

    def cast_elsewhere(_: int) -> dict:
        return election.service.graphql(CAST, e="no-such-election", b=document)

    answers = _together(cast_elsewhere, list(range(TOGETHER)))
    assert [error_of(answer) for answer in answers] == [
        ("NOT_FOUND", "No election no-such-election.")
    ] * TOGETHER
    assert reads == ["no-such-election"]
    # A refusal is not kept: the next cast for it reads again.
    assert error_of(cast_elsewhere(0)) == ("NOT_FOUND", "No election no-such-election.")
    assert reads == ["no-such-election"] * 2
