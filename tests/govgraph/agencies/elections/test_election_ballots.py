"""castBallot over real HTTP through /graphql: a malformed, replayed, cross-election, over-voting or
ineligible ballot is refused with BAD_USER_INPUT or INVALID_PROOF naming the failing check, appends nothing
and changes no count; 50 concurrent ballots of one pseudonym under SINGLE: exactly one accepted; under
LAST_COUNTS a later ballot replaces the earlier; a spoiled ballot is published and never counted; a ballot
cast right after closeVoting is refused."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.govgraph.agencies.elections.ballots import (
    CAST,
    MAYOR_ADA,
    MAYOR_BROOK,
    OpenElection,
    open_election,
)
from tests.govgraph.agencies.elections.conftest import Service, error_of

VALIDITY = (
    "Ballot refused: V6/V7 validity proofs: a selection is not proven to be 0 or 1, or a contest's number of "
    "selections is not proven to be within its limits."
)
ELIGIBILITY = (
    "Ballot refused: V8 eligibility: the proof is not a valid credential of the election's roll, for this "
    "election and this tracking code."
)


@pytest.fixture(scope="module")
def opened(service: Service) -> OpenElection:
    return open_election(service, seed=21)


def refused(election: OpenElection, document: object) -> tuple[str, str]:
    """Cast `document`, expecting a refusal that appends nothing and changes no count."""
    size, turnout = election.service.ledger_size(), election.turnout()
    code, message = error_of(election.cast(document))
    assert (election.service.ledger_size(), election.turnout()) == (size, turnout)
    return code, message


def test_malformed_ballots_are_refused_naming_the_field(opened: OpenElection) -> None:
    good = opened.ballot(opened.new_voter())
    not_hex = copy.deepcopy(good)
    not_hex["ballot"]["binding"] = "zz"
    assert refused(opened, not_hex) == ("BAD_USER_INPUT", "Malformed ballot: ballot.binding is not hex.")
    extra = {**good, "spoil": True}
    assert refused(opened, extra) == (
        "BAD_USER_INPUT",
        "The ballot document has exactly the fields ballot, eligibility.",
    )
    assert refused(opened, [1, 2]) == ("BAD_USER_INPUT", "The ballot must be a JSON object.")
    short = copy.deepcopy(good)
    short["ballot"]["contests"] = short["ballot"]["contests"][:1]
    code, message = refused(opened, short)
    assert code == "BAD_USER_INPUT" and message.startswith("Malformed ballot: ballot.contests")
    other_binding = copy.deepcopy(good)
    other_binding["eligibility"] = opened.ballot(opened.new_voter())["eligibility"]
    assert refused(opened, other_binding) == (
        "BAD_USER_INPUT",
        "Malformed ballot: its binding is not the eligibility proof's pseudonym.",
    )


def test_over_voting_and_ineligible_ballots_fail_their_proofs(opened: OpenElection) -> None:
    voter = opened.new_voter()
    ada, brook = opened.ballot(voter, MAYOR_ADA), opened.ballot(voter, MAYOR_BROOK)
    # An over-vote: the mayor's second option taken from a ballot that chose it, beside a first option of 1.
    over = copy.deepcopy(ada)
    over["ballot"]["contests"][0]["selections"][1] = brook["ballot"]["contests"][0]["selections"][1]
    assert refused(opened, over) == ("INVALID_PROOF", VALIDITY)
    # The eligibility proof of another ballot of the same voter: made for another tracking code.
    moved = {"ballot": ada["ballot"], "eligibility": brook["eligibility"]}
    assert refused(opened, moved) == ("INVALID_PROOF", ELIGIBILITY)


def test_replayed_and_cross_election_ballots_are_refused(service: Service, opened: OpenElection) -> None:
    document = opened.ballot(opened.new_voter())
    accepted = opened.cast(document)["data"]["castBallot"]
    assert len(accepted["trackingCode"]) == 64
    assert accepted["ledgerEntry"] == {"ledger": "elections", "index": str(accepted["ledgerIndex"])}
    assert refused(opened, document) == (
        "BAD_USER_INPUT",
        f"Ballot {accepted['trackingCode']} was cast already: a replayed ballot is refused.",
    )
    other = open_election(service, seed=22)
    assert refused(other, document) == ("INVALID_PROOF", VALIDITY)


def test_fifty_concurrent_ballots_of_one_pseudonym_under_single_one_is_accepted(opened: OpenElection) -> None:
    voter = opened.new_voter()
    documents = [opened.ballot(voter) for _ in range(50)]
    size, turnout = opened.service.ledger_size(), opened.turnout()
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(opened.cast, documents))
    accepted = [a for a in answers if "errors" not in a]
    assert len(accepted) == 1
    conflicts = {error_of(a) for a in answers if "errors" in a}
    assert conflicts == {
        ("CONFLICT", f"This pseudonym has voted already in election {opened.id} (revoting policy SINGLE).")
    }
    assert (opened.service.ledger_size(), opened.turnout()) == (size + 1, turnout + 1)


def test_last_counts_replaces_the_earlier_ballot(service: Service) -> None:
    election = open_election(service, seed=23, revoting="LAST_COUNTS")
    voter = election.new_voter()
    first = election.cast(election.ballot(voter, MAYOR_ADA))["data"]["castBallot"]
    turnout = election.turnout()
    second = election.cast(election.ballot(voter, MAYOR_BROOK))["data"]["castBallot"]
    assert (first["replaced"], second["replaced"]) == (None, first["trackingCode"])
    assert election.turnout() == turnout
    board = service.graphql(
        "query($id: ID!) { election(id: $id) { revoting ballots(first: 100) { trackingCode counted } } }",
        id=election.id,
    )["data"]["election"]
    assert board["revoting"] == "LAST_COUNTS"
    counted = {b["trackingCode"]: b["counted"] for b in board["ballots"]}
    assert (counted[first["trackingCode"]], counted[second["trackingCode"]]) == (False, True)


def test_spoiled_ballot_is_published_and_never_counted(opened: OpenElection) -> None:
    from govgraph.voting import voter as voting

    credential = opened.new_voter()
    _, ballot, secrets = voting.encrypt(opened.context, credential, MAYOR_ADA)
    turnout, size = opened.turnout(), opened.service.ledger_size()
    with opened.service.api() as api:
        spoiled = voting.spoil(api, opened.context, ballot, secrets)
    assert (opened.turnout(), opened.service.ledger_size()) == (turnout, size + 1)
    found = opened.service.graphql(
        "query($id: ID!, $c: String!) { election(id: $id) { ballot(trackingCode: $c) "
        "{ spoiled counted opening } } }",
        id=opened.id,
        c=spoiled["trackingCode"],
    )["data"]["election"]["ballot"]
    assert (found["spoiled"], found["counted"]) == (True, False)
    assert found["opening"]["selections"] == MAYOR_ADA
    # The voter then casts a fresh ballot with the same credential: it counts.
    assert "errors" not in opened.cast(opened.ballot(credential, MAYOR_BROOK))
    wrong = {"ballot": ballot.to_json(opened.context.group), "opening": secrets.to_json(opened.context.group)}
    wrong["opening"]["selections"] = MAYOR_BROOK
    answer = opened.service.graphql(
        "mutation($e: ID!, $b: JSON!) { spoilBallot(electionId: $e, ballot: $b) { trackingCode } }",
        e=opened.id,
        b=wrong,
    )
    assert error_of(answer) == (
        "INVALID_PROOF",
        "Spoiled ballot refused: V10 its opening does not re-encrypt to its ciphertexts.",
    )


def test_a_retry_with_the_idempotency_key_returns_the_first_receipt(opened: OpenElection) -> None:
    document = opened.ballot(opened.new_voter())
    size = opened.service.ledger_size()
    query = CAST.replace(
        "castBallot(electionId: $e, ballot: $b)", "castBallot(electionId: $e, ballot: $b, idempotencyKey: $k)"
    )
    query = query.replace("mutation($e: ID!, $b: JSON!)", "mutation($e: ID!, $b: JSON!, $k: String)")
    first = opened.service.graphql(query, e=opened.id, b=document, k="my-ballot-1")["data"]["castBallot"]
    again = opened.service.graphql(query, e=opened.id, b=document, k="my-ballot-1")["data"]["castBallot"]
    assert again == first and opened.service.ledger_size() == size + 1


def test_casting_needs_no_login_and_an_open_election(service: Service, opened: OpenElection) -> None:
    answer = service.graphql(CAST, e="no-such-election", b={})
    assert error_of(answer) == ("NOT_FOUND", "No election no-such-election.")


def test_a_ballot_right_after_close_voting_is_refused(service: Service) -> None:
    """The server keeps an OPEN election's row for a moment (casting.OPEN_FOR) once a ballot read it:
    closeVoting forgets it, and the write's transaction checks the state again in any case."""
    election = open_election(service, seed=61)
    first = election.cast(election.ballot(election.new_voter()))
    assert "errors" not in first, first
    late = election.ballot(election.new_voter())
    closed = service.graphql(
        "mutation($e: ID!) { closeVoting(electionId: $e) { state } }", token=service.token, e=election.id
    )
    assert closed["data"] == {"closeVoting": {"state": "CLOSED"}}
    size, turnout = service.ledger_size(), election.turnout()
    assert turnout == 2  # the simulation's voter and the first ballot here
    assert error_of(election.cast(late)) == (
        "CONFLICT",
        f"Election {election.id} is CLOSED: casting a ballot needs it OPEN.",
    )
    assert (service.ledger_size(), election.turnout()) == (size, turnout)
