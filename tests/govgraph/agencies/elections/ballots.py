"""Voters for the elections tests: an open election (made by the simulation, through the API), fresh roll
credentials, and ballots as a voter's device makes them (or as a cheater forges them)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from govgraph.voting import voter
from govgraph.voting.api import election
from govgraph.voting.simulate import simulate
from tests.govgraph.agencies.elections.conftest import Service
from zk.ballot import ElectionContext, Manifest, election_group
from zk.curve import get_backend
from zk.eligibility import VoterCredential
from zk.wire import element_from_hex

CAST = """mutation($e: ID!, $b: JSON!) { castBallot(electionId: $e, ballot: $b) { trackingCode ledgerIndex
  replaced ledgerEntry { ledger index } } }"""
TURNOUT = "query($id: ID!) { election(id: $id) { turnout } }"
MAYOR_ADA = {"mayor": [1, 0, 0], "council": [0, 1, 0, 0]}
MAYOR_BROOK = {"mayor": [0, 1, 0], "council": [0, 0, 0, 0]}
_citizens = itertools.count()


@dataclass
class OpenElection:
    service: Service
    id: str
    context: ElectionContext

    @property
    def roll(self) -> str:
        roll = self.context.manifest.electoral_roll
        assert roll is not None
        return roll.id

    def new_voter(self) -> VoterCredential:
        with self.service.api() as api:
            return voter.enrol(
                api, self.context.group, self.roll, f"test-citizen-{self.id}-{next(_citizens)}"
            )

    def ballot(self, credential: VoterCredential, selections: dict = MAYOR_ADA) -> dict:
        return voter.encrypt(self.context, credential, selections)[0]

    def cast(self, document: object) -> dict:
        return self.service.graphql(CAST, e=self.id, b=document)

    def turnout(self) -> int:
        return self.service.graphql(TURNOUT, id=self.id)["data"]["election"]["turnout"]


def open_election(service: Service, seed: int, revoting: str = "SINGLE", voters: int = 1) -> OpenElection:
    with service.api() as api:
        # A roll whose voters the identity bureau's clerk registers: quicker than presentations, and
        # new_voter adds voters to it (the journey and registration tests take the presentation path).
        roll = f"clerk-roll-{seed}-{next(_citizens)}"
        done = simulate(
            api, voters=voters, n=1, t=1, absent=0, seed=seed, leave_open=True, revoting=revoting, roll=roll
        )
    return _opened(service, done.election)


def open_election_on(service: Service, roll: str, seed: int) -> OpenElection:
    """An open election (no ballots yet) whose manifest names an existing roll."""
    with service.api() as api:
        done = simulate(api, voters=0, n=1, t=1, absent=0, seed=seed, leave_open=True, roll=roll)
    return _opened(service, done.election)


def _opened(service: Service, election_id: str) -> OpenElection:
    with service.api() as api:
        board = election(api, election_id)
    group = election_group(get_backend("arkworks"))
    key = element_from_hex(group, board["jointKey"], "joint key")
    return OpenElection(
        service, election_id, ElectionContext(group, Manifest.from_json(board["manifest"]), key)
    )
