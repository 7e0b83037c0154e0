"""The database itself keeps a pseudonym to one counted ballot and a ballot to one cast, whatever the code
before it does: with the batch write's look-up of known ballots switched off (as when another process
commits between the look-up and the insert), the unique indexes refuse the write, each ballot of it is
written again alone, and each refusal names the rule it breaks, nothing appended; a valid ballot written with
a refused one is still accepted. The app runs in-process (so the look-up can be switched off) behind real
HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from govgraph.agencies.elections import ballot_writes
from tests.govgraph.agencies.elections.ballots import MAYOR_BROOK, OpenElection, open_election
from tests.govgraph.agencies.elections.conftest import ROLES, Service, error_of
from tests.support.credentials import issue_token
from tests.support.servers import in_process_server


@pytest.fixture
def blind(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenElection]:
    server = in_process_server(data_dir)
    known = ballot_writes._known

    async def state_only(*arguments, **options):
        state, _, _ = await known(*arguments, **options)
        return state, set(), {}

    try:
        service = Service(server.url, data_dir, issue_token(data_dir, "commission", *ROLES, ttl=3600))
        election = open_election(service, seed=81)
        monkeypatch.setattr(ballot_writes, "_known", state_only)
        yield election
    finally:
        server.stop()


def test_the_unique_indexes_refuse_what_the_look_up_missed(blind: OpenElection) -> None:
    voter = blind.new_voter()
    first = blind.ballot(voter)
    assert "errors" not in blind.cast(first)
    size, turnout = blind.service.ledger_size(), blind.turnout()
    # A second ballot of the pseudonym (elections_one_current_ballot) and a replay (the primary key).
    assert error_of(blind.cast(blind.ballot(voter, MAYOR_BROOK))) == (
        "CONFLICT",
        f"This pseudonym has voted already in election {blind.id} (revoting policy SINGLE).",
    )
    code, message = error_of(blind.cast(first))
    assert code == "BAD_USER_INPUT" and message.endswith("was cast already: a replayed ballot is refused.")
    assert (blind.service.ledger_size(), blind.turnout()) == (size, turnout)
    # Cast at once, a new voter's ballot and a replay (one write, or two): the new ballot is accepted alone.
    fresh = blind.ballot(blind.new_voter())
    with ThreadPoolExecutor(max_workers=2) as pool:
        accepted, replay = pool.map(blind.cast, [fresh, first])
    assert "errors" not in accepted, accepted
    assert error_of(replay)[0] == "BAD_USER_INPUT"
    assert (blind.service.ledger_size(), blind.turnout()) == (size + 1, turnout + 1)
