"""castBallot over real HTTP through /graphql: a malformed, replayed, cross-election, over-voting or
ineligible ballot is refused with BAD_USER_INPUT or INVALID_PROOF naming the failing check, appends nothing
and changes no count; 50 concurrent ballots of one pseudonym under SINGLE: exactly one accepted; under
LAST_COUNTS a later ballot replaces the earlier, also among concurrent ones; ballots cast together (written
together, `ballot_writes.py`) each get their own answer; a spoiled ballot is published and never counted; a
ballot cast right after closeVoting is refused."""

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


def test_concurrent_ballots_of_one_pseudonym_under_last_counts_replace_one_another_in_a_chain(
    service: Service,
) -> None:
    election = open_election(service, seed=24, revoting="LAST_COUNTS")
    voter = election.new_voter()
    documents = [election.ballot(voter, MAYOR_ADA if k % 2 else MAYOR_BROOK) for k in range(8)]
    size, turnout = service.ledger_size(), election.turnout()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(election.cast, documents))
    assert [a.get("errors") for a in answers] == [None] * 8
    receipts = [a["data"]["castBallot"] for a in answers]
    codes = {r["trackingCode"] for r in receipts}
    replaced = [r["replaced"] for r in receipts]
    # Written one after another in ledger order: each replaces the one written just before it.
    in_order = sorted(receipts, key=lambda r: r["ledgerIndex"])
    assert [r["replaced"] for r in in_order] == [None] + [r["trackingCode"] for r in in_order[:-1]]
    assert len(codes) == 8 and sorted(filter(None, replaced)) == sorted(
        codes - {in_order[-1]["trackingCode"]}
    )
    assert (service.ledger_size(), election.turnout()) == (size + 8, turnout + 1)
    board = service.graphql(
        "query($id: ID!) { election(id: $id) { ballots(first: 100) { trackingCode counted } } }",
        id=election.id,
    )["data"]["election"]
    counted = {b["trackingCode"] for b in board["ballots"] if b["counted"]}
    assert counted & codes == {in_order[-1]["trackingCode"]}


def test_ballots_cast_together_each_get_their_own_answer(opened: OpenElection) -> None:
    """New voters' ballots, a replay of one of them and a second ballot of one pseudonym under SINGLE, all at
    once: the replay and the second ballot are refused, alone, and the others are accepted."""
    voters = [opened.new_voter() for _ in range(4)]
    documents = [opened.ballot(v) for v in voters]
    second = opened.ballot(voters[1], MAYOR_BROOK)
    burst = [*documents, copy.deepcopy(documents[0]), second]
    size, turnout = opened.service.ledger_size(), opened.turnout()
    with ThreadPoolExecutor(max_workers=len(burst)) as pool:
        answers = list(pool.map(opened.cast, burst))
    accepted = [a["data"]["castBallot"]["trackingCode"] for a in answers if "errors" not in a]
    refusals = sorted(error_of(a) for a in answers if "errors" in a)
    assert len(accepted) == len(set(accepted)) == 4
    assert refusals[0][0] == "BAD_USER_INPUT" and refusals[0][1].endswith(
        "was cast already: a replayed ballot is refused."
    )
    assert refusals[1] == (
        "CONFLICT",
        f"This pseudonym has voted already in election {opened.id} (revoting policy SINGLE).",
    )
    # The two ballots not accepted are one of the two copies of the first and one of the second voter's.
    assert "errors" not in answers[2] and "errors" not in answers[3]
    assert ("errors" in answers[0]) != ("errors" in answers[4])
    assert ("errors" in answers[1]) != ("errors" in answers[5])
    assert (opened.service.ledger_size(), opened.turnout()) == (size + 4, turnout + 4)


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
