"""zk.eligibility: one credential per voter, a stable pseudonym per election, proofs bound to a tracking code,
and the batched verifier agreeing with the pseudonym module's own ProofVerifyWithNym."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from zk.bbs import core
from zk.bbs.encoding import octets_to_proof, signature_to_octets
from zk.curve import Backend
from zk.eligibility import (
    EligibilityBatch,
    EligibilityProof,
    RollAuthority,
    VoterCredential,
    election_pseudonym,
    enrol_voter,
    prove_eligibility,
    suite_for,
    verify_eligibility,
)
from zk.errors import MalformedInput
from zk.group import g1_group, seeded_scalars


def code(n: int) -> str:
    return hashlib.sha256(b"ballot %d" % n).hexdigest()


@pytest.fixture(scope="module")
def roll(arkworks: Backend) -> tuple[RollAuthority, list[VoterCredential]]:
    authority = RollAuthority(suite_for(arkworks), "roll-a", b"r" * 32)
    rng = seeded_scalars(g1_group(arkworks), b"eligibility voters")
    return authority, [enrol_voter(authority, rng(), rng()) for _ in range(4)]


def test_a_voter_has_one_stable_pseudonym_per_election_unlinkable_across_elections(roll) -> None:
    authority, voters = roll
    suite = authority.suite
    first = election_pseudonym(suite, voters[0], "e-2026")
    assert first == election_pseudonym(suite, voters[0], "e-2026")
    assert first != election_pseudonym(suite, voters[0], "e-2027")
    assert first != election_pseudonym(suite, voters[1], "e-2026")
    assert authority.issued == 4


def test_a_proof_verifies_only_for_its_tracking_code_election_and_roll(roll) -> None:
    authority, voters = roll
    suite, key = authority.suite, authority.public_key
    proof = prove_eligibility(suite, key, voters[0], "e-2026", code(0))
    assert proof.pseudonym == election_pseudonym(suite, voters[0], "e-2026")
    assert verify_eligibility(suite, key, "roll-a", "e-2026", code(0), proof)
    assert not verify_eligibility(suite, key, "roll-a", "e-2026", code(1), proof)
    assert not verify_eligibility(suite, key, "roll-a", "e-2027", code(0), proof)
    assert not verify_eligibility(suite, key, "roll-b", "e-2026", code(0), proof)
    assert EligibilityProof.from_json(proof.to_json()) == proof


def test_the_batch_verifier_agrees_with_proof_verify_with_nym_and_names_the_bad_proofs(
    roll, arkworks
) -> None:
    authority, voters = roll
    suite, key = authority.suite, authority.public_key
    items = [(code(i), prove_eligibility(suite, key, v, "e-2026", code(i))) for i, v in enumerate(voters)]
    batch = EligibilityBatch(suite, key, "roll-a", "e-2026")
    assert batch.verify(items) == [True] * 4
    # A signature nobody issued: the proof's challenge is consistent, only the pairing fails.
    group = g1_group(arkworks)
    forged = VoterCredential(
        "roll-a",
        signature_to_octets(arkworks, group.mul(group.generator(), 99), 1234),
        voters[3].nym_secrets,
        voters[3].prover_blind,
    )
    tampered = bytearray(items[2][1].proof)
    tampered[60] ^= 1
    bad = [
        items[0],
        (code(9), items[1][1]),  # moved to another ballot
        (code(2), EligibilityProof(items[2][1].pseudonym, bytes(tampered), items[2][1].hints)),
        (code(3), prove_eligibility(suite, key, forged, "e-2026", code(3))),
    ]
    expected = [verify_eligibility(suite, key, "roll-a", "e-2026", c, p) for c, p in bad]
    assert expected == [True, False, False, False]
    assert batch.verify(bad) == expected
    assert batch.verify([]) == []


def test_the_hints_are_the_commitments_a_verifier_recomputes_and_wrong_hints_fail_a_valid_proof(
    roll, arkworks
) -> None:
    authority, voters = roll
    suite, key = authority.suite, authority.public_key
    batch = EligibilityBatch(suite, key, "roll-a", "e-2026")
    proofs = [prove_eligibility(suite, key, v, "e-2026", code(i)) for i, v in enumerate(voters)]
    parsed = octets_to_proof(arkworks, proofs[0].proof)
    generators = suite.generators(1) + suite.blind_generators(1)
    header = b"govgraph/electoral-roll/v1" + (1).to_bytes(8, "big")
    init_res = core.proof_verify_init(
        suite.base,
        key,
        parsed,
        generators,
        header,
        suite.messages_to_scalars([b"roll:roll-a"]),
        [0],
        suite.api_id,
    )
    assert [len(h) for h in proofs[0].hints] == [96, 96, 96]
    assert proofs[0].hints[:2] == (
        arkworks.g1_to_uncompressed(init_res.t1),
        arkworks.g1_to_uncompressed(init_res.t2),
    )
    t1, t2, u_t = proofs[0].hints
    g = arkworks.g1_to_uncompressed(arkworks.g1_generator())
    wrong = [
        replace(proofs[0], hints=(t2, t1, u_t)),  # swapped: the challenge fails
        replace(proofs[1], hints=proofs[2].hints),  # another proof's hints
        replace(proofs[2], hints=(t1, t2)),  # one missing
        replace(proofs[3], hints=(t1, t2, u_t[:95] + bytes([u_t[95] ^ 1]))),
    ]  # not a point
    items = [
        (code(0), wrong[0]),
        (code(1), wrong[1]),
        (code(2), wrong[2]),
        (code(3), wrong[3]),
        (code(0), proofs[0]),
    ]
    # Each draft proof is valid on its own (ProofVerifyWithNym ignores hints); with wrong hints the batch
    # refuses.
    assert [verify_eligibility(suite, key, "roll-a", "e-2026", c, p) for c, p in items] == [True] * 5
    assert batch.verify(items) == [False, False, False, False, True]
    assert batch.verify([(code(0), replace(proofs[0], hints=(g, t2, u_t)))]) == [False]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda j: j.pop("hints"), r"fields wrong: missing \['hints'\]"),
        (lambda j: j.update(hints=j["hints"][:2]), "hints must have 3 entries, got 2"),
        (lambda j: j.update(hints=[h[:-2] for h in j["hints"]]), "hints must be 3 points of 192 hex digits"),
        (lambda j: j.update(hints=[h.upper() for h in j["hints"]]), "must be lower-case hex"),
        (lambda j: j.update(hints=["zz" * 96] * 3), "is not hex"),
    ],
)
def test_eligibility_json_refuses_bad_hints(roll, change, message: str) -> None:
    authority, voters = roll
    data = prove_eligibility(authority.suite, authority.public_key, voters[0], "e-2026", code(0)).to_json()
    change(data)
    with pytest.raises(MalformedInput, match=message):
        EligibilityProof.from_json(data)


def test_the_batch_computes_proof_verify_init_from_precomputed_parts_to_the_same_points(
    roll, arkworks
) -> None:
    authority, voters = roll
    suite, key = authority.suite, authority.public_key
    batch = EligibilityBatch(suite, key, "roll-a", "e-2026")
    for i, voter in enumerate(voters):
        parsed = octets_to_proof(arkworks, prove_eligibility(suite, key, voter, "e-2026", code(i)).proof)
        other = replace(parsed, r3_hat=parsed.r3_hat + 1, commitments=parsed.commitments[::-1])
        for proof in (parsed, other):
            generators = suite.generators(1) + suite.blind_generators(1)
            header = b"govgraph/electoral-roll/v1" + (1).to_bytes(8, "big")
            expected = core.proof_verify_init(
                suite.base,
                key,
                proof,
                generators,
                header,
                suite.messages_to_scalars([b"roll:roll-a"]),
                [0],
                suite.api_id,
            )
            assert batch.proof_verify_init(proof) == expected
