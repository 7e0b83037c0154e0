"""Every attack of the issue is caught by the verifier, each by its own numbered check, naming what failed.

Where the attack can be carried out consistently (the cheating voter's ballot is tallied like any other), the
record is otherwise valid and the attack's check is the only one that fails; where the attacker edits a
finished record, the check that must catch it is asserted (others may fail too, as they should).
"""

from __future__ import annotations

import copy

import pytest

from tests.zk.elections import Election, cast_ballot, enrolled, run_election
from zk.ballot import ElectionContext, EncryptedBallot, EncryptedContest, encrypt_ballot, tracking_code_of
from zk.elgamal import add_ciphertexts, encryption_statement
from zk.eligibility import RollAuthority, VoterCredential, election_pseudonym, prove_eligibility
from zk.group import seeded_scalars
from zk.record import CastBallot
from zk.record_verifier import verify_record
from zk.sigma import prove_or
from zk.wire import element_from_hex, element_to_hex

VOTERS = 6


@pytest.fixture(scope="module")
def honest(arkworks) -> Election:
    return run_election(arkworks, voters=VOTERS, spoiled=1, seed=b"attacks")


def forged_ballot(
    context: ElectionContext,
    authority: RollAuthority,
    credential: VoterCredential,
    selections: dict[str, list[int]],
    claim_selection: dict[tuple[str, int], int],
    claim_total: dict[str, int],
) -> CastBallot:
    """A cheating encoder: encrypts `selections` as given (even invalid ones), and for the listed selections
    and contest totals produces OR-proofs that pretend the value is the claimed one (they cannot verify)."""
    group = context.group
    key = context.joint_key
    rng = seeded_scalars(group, b"cheater")
    binding = election_pseudonym(authority.suite, credential, context.manifest.election_id)
    transcript = context.transcript(b"ballot")
    transcript.append_message(b"binding", binding)
    contests = []
    for contest in context.manifest.contests:
        values = selections[contest.id]
        nonces = [rng() for _ in values]
        contest_transcript = transcript.fork(b"contest", contest.id.encode())
        cts = [context.encryption_key.encrypt(m, r) for m, r in zip(values, nonces, strict=True)]
        proofs = []
        for k, (ct, m, r) in enumerate(zip(cts, values, nonces, strict=True)):
            branch = claim_selection.get((contest.id, k), m)
            statements = [encryption_statement(group, key, ct, v) for v in (0, 1)]
            proofs.append(
                prove_or(
                    contest_transcript.fork(b"selection", k.to_bytes(2, "big")), statements, branch, r, rng
                )
            )
        total = add_ciphertexts(group, cts)
        allowed = contest.allowed_totals
        claimed = claim_total.get(contest.id, sum(values))
        statements = [encryption_statement(group, key, total, v) for v in allowed]
        limit = prove_or(
            contest_transcript.fork(b"limit"),
            statements,
            allowed.index(claimed),
            sum(nonces) % group.order,
            rng,
        )
        contests.append(EncryptedContest(contest.id, tuple(cts), tuple(proofs), limit))
    ballot = EncryptedBallot(binding, tuple(contests))
    code = ballot.tracking_code(group)
    proof = prove_eligibility(
        authority.suite, authority.public_key, credential, context.manifest.election_id, code
    )
    return CastBallot(ballot, code, proof.to_json())


def test_the_honest_small_election_passes_every_check(honest: Election) -> None:
    report = verify_record(honest.record)
    assert report.failed() == []
    assert report.check("V5").checked == VOTERS


def test_a_two_in_a_zero_one_slot_is_caught_by_v6_alone(arkworks) -> None:
    def two_in_a_slot(context, authority, credentials):
        # council allows 2 selections in total, so the contest limit (V7) holds: only the 0/1 proof can fail.
        return forged_ballot(
            context,
            authority,
            enrolled(authority, credentials),
            {"mayor": [1, 0, 0], "council": [2, 0, 0, 0, 0], "bridge": [0, 1]},
            claim_selection={("council", 0): 1},
            claim_total={},
        )

    election = run_election(arkworks, voters=VOTERS, seed=b"attack-v6", extra=[two_in_a_slot])
    report = verify_record(election.record)
    bad = election.record["ballots"][-1]["tracking_code"]
    assert report.failed() == ["V6"]
    assert report.check("V6").failures == [f"ballot {bad}"]
    assert election.record["results"]["council"]["dia"] == election.plaintexts["council"][0] + 2


def test_an_over_limit_contest_is_caught_by_v7_alone(arkworks) -> None:
    def two_mayors(context, authority, credentials):
        return forged_ballot(
            context,
            authority,
            enrolled(authority, credentials),
            {"mayor": [1, 1, 0], "council": [0, 0, 0, 0, 0], "bridge": [1, 0]},
            claim_selection={},
            claim_total={"mayor": 1},
        )

    election = run_election(arkworks, voters=VOTERS, seed=b"attack-v7", extra=[two_mayors])
    report = verify_record(election.record)
    bad = election.record["ballots"][-1]["tracking_code"]
    assert report.failed() == ["V7"]
    assert report.check("V7").failures == [f"ballot {bad}"]


def test_a_duplicated_pseudonym_is_caught_by_v9_alone(arkworks) -> None:
    def second_vote(context, authority, credentials):
        enrolled(
            authority, credentials
        )  # an abstaining voter: more ballots than credentials would fail V8 too
        item, _ = cast_ballot(
            context,
            authority,
            credentials[0],
            {"mayor": [0, 0, 1], "council": [0, 1, 0, 0, 0], "bridge": [0, 1]},
        )
        return item

    election = run_election(
        arkworks, voters=VOTERS, seed=b"attack-v9", extra=[second_vote], apply_revoting=False
    )
    report = verify_record(election.record)
    first, second = (election.record["ballots"][i]["tracking_code"] for i in (0, -1))
    assert report.failed() == ["V9"]
    assert report.check("V9").failures == [f"ballot {second} repeats the pseudonym of ballot {first}"]


def test_revoting_keeps_only_the_last_ballot_of_a_pseudonym(arkworks) -> None:
    def second_vote(context, authority, credentials):
        item, _ = cast_ballot(
            context,
            authority,
            credentials[0],
            {"mayor": [0, 0, 1], "council": [0, 1, 0, 0, 0], "bridge": [0, 1]},
        )
        return item

    election = run_election(arkworks, voters=VOTERS, seed=b"attack-v9", extra=[second_vote])
    codes = [b["tracking_code"] for b in election.record["ballots"]]
    assert len(codes) == VOTERS
    assert codes[-1] == election.cast[-1].tracking_code
    assert election.cast[0].tracking_code not in codes
    assert verify_record(election.record).failed() == []


def test_an_eligibility_proof_moved_from_another_ballot_is_caught_by_v8(honest: Election) -> None:
    record = copy.deepcopy(honest.record)
    victim, thief = record["ballots"][0], record["ballots"][1]
    thief["eligibility"] = copy.deepcopy(victim["eligibility"])
    report = verify_record(record)
    assert "V8" in report.failed()
    assert report.check("V8").failures == [
        f"ballot {thief['tracking_code']}: the proof's pseudonym is not the one the ballot is bound to"
    ]


def test_a_ballot_bound_to_a_stolen_pseudonym_cannot_reuse_its_proof_and_v8_names_it(
    honest: Election,
) -> None:
    """The thief encrypts its own ballot bound to the victim's pseudonym and attaches the victim's proof: the
    pseudonym matches, but the proof was made for the victim's tracking code."""
    context = honest.context
    victim = honest.record["ballots"][0]
    ballot, _ = encrypt_ballot(
        context,
        {"mayor": [1, 0, 0], "council": [0, 0, 0, 0, 0], "bridge": [1, 0]},
        binding=bytes.fromhex(victim["eligibility"]["pseudonym"]),
    )
    ballot_json = ballot.to_json(context.group)
    code = tracking_code_of(ballot_json)
    record = copy.deepcopy(honest.record)
    record["ballots"][0] = {
        "tracking_code": code,
        "ballot": ballot_json,
        "eligibility": victim["eligibility"],
    }
    report = verify_record(record)
    assert "V8" in report.failed()
    assert report.check("V8").failures == [
        f"ballot {code}: eligibility proof does not verify for this ballot"
    ]


def test_a_ballot_removed_from_the_aggregate_is_caught_by_v11(honest: Election) -> None:
    context, group = honest.context, honest.group
    record = copy.deepcopy(honest.record)
    dropped = EncryptedBallot.from_json(context, record["ballots"][2]["ballot"])
    for contest in dropped.contests:
        row = record["aggregate"][contest.contest_id]
        for k, ct in enumerate(contest.selections):
            alpha = element_from_hex(group, row[k]["alpha"], "alpha", allow_identity=True)
            beta = element_from_hex(group, row[k]["beta"], "beta", allow_identity=True)
            row[k] = {
                "alpha": element_to_hex(group, group.add(alpha, group.neg(ct.alpha))),
                "beta": element_to_hex(group, group.add(beta, group.neg(ct.beta))),
            }
    report = verify_record(record)
    assert "V11" in report.failed()
    assert report.check("V11").failures == [
        f"{c.id}/{option}: encrypted total is not the sum of the counted ballots"
        for c in honest.manifest.contests
        for option in c.options
    ]


def test_a_wrong_decryption_share_used_for_the_results_is_caught_by_v12(honest: Election) -> None:
    group = honest.group
    record = copy.deepcopy(honest.record)
    used = record["tally"]["trustees"][0]
    share = next(s for s in record["decryption_shares"] if s["trustee"] == used)
    entry = share["partials"]["bridge"][1]
    partial = element_from_hex(group, entry["partial"], "partial", allow_identity=True)
    entry["partial"] = element_to_hex(group, group.add(partial, group.generator()))
    report = verify_record(record)
    assert "V12" in report.failed()
    assert report.check("V12").failures == [
        f"trustee {used}'s share is used for the results but its proof fails"
    ]


def test_a_tampered_result_is_caught_by_v13_alone(honest: Election) -> None:
    record = copy.deepcopy(honest.record)
    record["results"]["mayor"]["ada"] += 1
    report = verify_record(record)
    assert report.failed() == ["V13"]
    count = record["results"]["mayor"]["ada"]
    assert report.check("V13").failures == [
        f"mayor/ada: the published count {count} is not what the totals decrypt to"
    ]


def test_a_trustee_that_changes_its_commitments_after_round_one_is_caught_by_v2(honest: Election) -> None:
    """The key-biasing attack: revealing coefficients other than those hashed before anyone revealed."""
    group = honest.group
    record = copy.deepcopy(honest.record)
    reveal = record["ceremony"]["reveals"][1]
    assert reveal["trustee"] == 2
    reveal["coefficients"][0] = element_to_hex(group, group.mul(group.generator(), 12345))
    report = verify_record(record)
    assert "V2" in report.failed()
    assert report.check("V2").failures == ["trustee 2: qualified, but its commitments are invalid"]


def test_a_qualified_set_that_ignores_an_unanswered_complaint_is_caught_by_v3(honest: Election) -> None:
    record = copy.deepcopy(honest.record)
    record["ceremony"]["complaints"].append({"accuser": 1, "accused": 3})
    report = verify_record(record)
    assert report.failed()[0] == "V3"
    assert report.check("V3").failures == [
        "the record qualifies trustees [1, 2, 3, 4, 5], the complaints give [1, 2, 4, 5]"
    ]
