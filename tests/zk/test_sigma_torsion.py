"""Proof commitments decoded without the subgroup check: a torsion part never changes a verdict, alone or in a
batch; ciphertexts decoded strictly: a ballot whose ciphertexts carry a torsion part is refused.

BLS12-381's curve E(F_p) has h * r points (h the G1 cofactor): a point on the curve but outside G1 is a G1
point plus a torsion point of order dividing h. OR-proof commitments are decoded on-curve only
(`G1Group.decode_commitment`), and every equation check accepts iff the prime-order part of its residue is 0.
"""

from __future__ import annotations

import copy

import pytest
from py_ecc.bls.hash_to_curve import map_to_curve_G1
from py_ecc.bls.point_compression import compress_G1
from py_ecc.fields import optimized_bls12_381_FQ as FQ

from tests.zk.elections import MANIFEST, cast_ballot, enrolled, run_election
from tests.zk.encodings import G1_BAD_ENCODINGS
from zk.ballot import (
    ElectionContext,
    EncryptedBallot,
    election_group,
    encrypt_ballot,
    selection_equations,
    tracking_code_of,
    verify_ballot,
)
from zk.curve import G1_COFACTOR, Backend, R
from zk.elgamal import Ciphertext, EncryptionKey, encrypts_one_of_equations, keygen, verify_encrypts_one_of
from zk.errors import MalformedInput
from zk.group import G1Group, g1_group, seeded_scalars
from zk.record_ballots import check_ballot_chunk
from zk.record_verifier import verify_record
from zk.sigma import BatchVerifier, DleqStatement, OrProof, or_equations, prove_or, verify_or
from zk.transcript import Transcript

# A point on the curve outside G1 (map_to_curve without clearing the cofactor), as the curve tests use.
OFF_SUBGROUP = compress_G1(map_to_curve_G1(FQ(5))).to_bytes(48, "big")


def torsion_point(backend: Backend):
    """The non-zero torsion part T of OFF_SUBGROUP = Q_G + T: Q_G = [h^-1 mod r]([h] Q) lies in G1."""
    q = backend.g1_decompress_on_curve(OFF_SUBGROUP)
    q_g = backend.g1_mul(backend.g1_mul_by_cofactor(q), pow(G1_COFACTOR, -1, R))
    return backend.g1_sub(q, q_g)


def test_on_curve_decoding_takes_a_point_outside_the_subgroup_and_round_trips_it(backend: Backend) -> None:
    with pytest.raises(MalformedInput, match="not in the prime-order subgroup"):
        backend.g1_decompress(OFF_SUBGROUP)
    point = backend.g1_decompress_on_curve(OFF_SUBGROUP)
    assert backend.g1_compress(point) == OFF_SUBGROUP
    t = torsion_point(backend)
    assert not backend.g1_is_identity(t)
    assert backend.g1_is_identity(backend.g1_mul_by_cofactor(t))
    g = backend.g1_generator()
    assert backend.g1_mul_by_cofactor(g) == backend.g1_mul(g, G1_COFACTOR)


@pytest.mark.parametrize(("data", "message"), G1_BAD_ENCODINGS[:-1])  # all but the subgroup case
def test_on_curve_decoding_still_refuses_every_non_canonical_or_off_curve_encoding(
    backend: Backend, data: bytes, message: str
) -> None:
    with pytest.raises(MalformedInput, match=message):
        backend.g1_decompress_on_curve(data)


def test_uncompressed_on_curve_decoding_takes_a_point_outside_the_subgroup_and_round_trips_it(
    backend: Backend,
) -> None:
    point = backend.g1_decompress_on_curve(OFF_SUBGROUP)
    data = backend.g1_to_uncompressed(point)
    assert len(data) == 96 and data[0] & 0xE0 == 0
    with pytest.raises(MalformedInput, match="not in the prime-order subgroup"):
        backend.g1_from_uncompressed(data)
    decoded = backend.g1_from_uncompressed_on_curve(data)
    assert decoded == point
    assert backend.g1_compress(decoded) == OFF_SUBGROUP


def _encoded_plus_torsion(group: G1Group, point) -> str:
    return group.encode(group.add(point, torsion_point(group.backend))).hex()


def _proof_and_statement(backend: Backend, value: int = 1, seed: bytes = b"torsion"):
    group = g1_group(backend)
    rng = seeded_scalars(group, seed)
    _, key = keygen(group, rng)
    nonce = rng()
    encryption = EncryptionKey(group, key, tables=False)
    ct = encryption.encrypt(value, nonce)
    proof = encryption.prove_encrypts_one_of(Transcript(group, b"torsion"), ct, value, nonce, (0, 1), rng)
    return group, key, ct, proof


def _with_torsion(backend: Backend, proof: OrProof, branch: int, row: int) -> OrProof:
    """The proof as it reads from JSON after T is added to one commitment."""
    group = g1_group(backend)
    data = proof.to_json(group)
    a = group.decode_commitment(bytes.fromhex(data["branches"][branch]["commitments"][row]))
    data["branches"][branch]["commitments"][row] = backend.g1_compress(
        backend.g1_add(a, torsion_point(backend))
    ).hex()
    return OrProof.from_json(group, data, 2, 2)


@pytest.mark.parametrize(("branch", "row"), [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_a_commitment_with_a_torsion_part_added_is_rejected_alone_and_in_a_batch(
    backend: Backend, branch: int, row: int
) -> None:
    group, key, ct, proof = _proof_and_statement(backend)
    assert verify_encrypts_one_of(Transcript(group, b"torsion"), key, ct, (0, 1), proof)
    tampered = _with_torsion(backend, proof, branch, row)
    with pytest.raises(MalformedInput, match="not in the prime-order subgroup"):
        backend.g1_decompress(backend.g1_compress(tampered.commitments[branch][row]))
    assert not verify_encrypts_one_of(Transcript(group, b"torsion"), key, ct, (0, 1), tampered)
    for weights in range(20):  # fresh random weights each time: the verdict never depends on them
        batch = BatchVerifier(group)
        batch.add(encrypts_one_of_equations(Transcript(group, b"torsion"), key, ct, (0, 1), proof))
        batch.add(encrypts_one_of_equations(Transcript(group, b"torsion"), key, ct, (0, 1), tampered))
        assert not batch.verify(), weights


def test_a_torsion_part_chosen_by_the_prover_is_ignored_the_same_way_alone_and_in_a_batch(arkworks) -> None:
    """A prover who knows the witness may hide a torsion part in a commitment before hashing it: the
    prime-order part is then an honest proof of a true statement, so both checks accept it, always."""
    group = g1_group(arkworks)
    t = torsion_point(arkworks)
    g = group.generator()
    x = 77
    statements = [DleqStatement.of((g,), (group.mul(g, 3),)), DleqStatement.of((g,), (group.mul(g, x),))]
    proof = prove_or(
        Transcript(group, b"chosen"),
        statements,
        1,
        x,
        seeded_scalars(group, b"chosen"),
        commit=lambda w: (group.add(group.mul(g, w), t),),
    )
    decoded = OrProof.from_json(group, proof.to_json(group), 2, 1)
    assert decoded == proof
    assert verify_or(Transcript(group, b"chosen"), statements, decoded)
    for _ in range(20):
        batch = BatchVerifier(group)
        batch.add(or_equations(Transcript(group, b"chosen"), statements, decoded))
        assert batch.verify()
    # Moving the torsion part to the other branch's commitment changes the challenge: rejected.
    moved = OrProof(
        ((group.add(proof.commitments[0][0], t),), (group.add(proof.commitments[1][0], group.neg(t)),)),
        proof.challenges,
        proof.responses,
    )
    assert not verify_or(Transcript(group, b"chosen"), statements, moved)


@pytest.mark.parametrize("uncompressed", [False, True], ids=["compressed", "uncompressed"])
def test_ciphertexts_are_decoded_strictly_in_the_prime_order_group(arkworks, uncompressed: bool) -> None:
    group = g1_group(arkworks, uncompressed=uncompressed)
    ct = EncryptionKey(group, group.generator(), tables=False).encrypt(1, 5)
    data = ct.to_json(group)
    data["beta"] = _encoded_plus_torsion(group, ct.beta)
    with pytest.raises(MalformedInput) as refused:
        Ciphertext.from_json(group, data)
    assert str(refused.value) == "ciphertext.beta: G1 point is not in the prime-order subgroup"


def _torsion_device_ballot(election, choice: dict) -> dict:
    """What a voting device's malware casts: every ciphertext carries a torsion part (126 bits a point that
    anyone can read), and its proofs, made honestly with the nonces, hold modulo torsion."""
    t = torsion_point(election.group.backend)
    context = election.context

    class TorsionDevice(EncryptionKey):
        def encrypt(self, message: int, nonce: int) -> Ciphertext:
            ct = super().encrypt(message, nonce)
            return Ciphertext(self.group.add(ct.alpha, t), self.group.add(ct.beta, t))

    honest_key = context.encryption_key
    context._encryption_key = TorsionDevice(context.group, context.joint_key)
    try:
        cast, _ = cast_ballot(
            context,
            election.authority,
            enrolled(election.authority, election.credentials),
            choice,
            seeded_scalars(context.group, b"torsion device"),
        )
    finally:
        context._encryption_key = honest_key
    return {
        "tracking_code": cast.tracking_code,
        "ballot": cast.ballot.to_json(election.group),
        "eligibility": cast.eligibility,
    }


class OnCurveOnly(G1Group):
    """The election group as it was read before: every point on the curve only, no subgroup check."""

    def decode(self, data: bytes, *, allow_identity: bool = False):
        return self.decode_commitment(data, allow_identity=allow_identity)


def test_a_ballot_whose_ciphertexts_carry_torsion_parts_is_refused_naming_the_point(arkworks) -> None:
    election = run_election(arkworks, voters=2, seed=b"torsion device election", n=3, t=2)
    context = election.context
    entry = _torsion_device_ballot(
        election, {"mayor": [0, 1, 0], "council": [1, 0, 0, 1, 0], "bridge": [0, 1]}
    )
    code = entry["tracking_code"]
    # Read on the curve only, the ballot verifies: its proofs cannot see the torsion parts.
    lenient = OnCurveOnly(arkworks, uncompressed=True)
    lenient_context = ElectionContext(
        lenient, context.manifest, lenient.decode(context.group.encode(context.joint_key))
    )
    assert verify_ballot(lenient_context, EncryptedBallot.from_json(lenient_context, entry["ballot"]))
    expected = (
        f"ballot {code}.contests[mayor].selections[0].ciphertext.alpha: G1 point is not in the prime-order "
        f"subgroup"
    )
    with pytest.raises(MalformedInput) as refused:
        EncryptedBallot.from_json(context, entry["ballot"], f"ballot {code}")
    assert str(refused.value) == expected
    head = {
        "backend": "arkworks",
        "manifest": election.record["manifest"],
        "joint_key": election.record["joint_key"],
        "eligibility": None,
    }
    assert check_ballot_chunk(head, [entry])["V5"] == [expected]
    record = copy.deepcopy(election.record)
    record["ballots"].append(entry)
    report = verify_record(record)
    assert report.check("V5").status == "fail"
    assert report.check("V5").failures == [expected]


def test_a_ballot_with_a_torsion_commitment_fails_its_0_1_check_in_the_batch_and_alone(arkworks) -> None:
    group = g1_group(arkworks)
    _, key = keygen(group, seeded_scalars(group, b"torsion ballot key"))
    context = ElectionContext(group, MANIFEST, key)
    rng = seeded_scalars(group, b"torsion ballots")
    choice = {"mayor": [0, 1, 0], "council": [1, 0, 0, 1, 0], "bridge": [0, 1]}
    ballots = [encrypt_ballot(context, choice, b"voter-%d" % i, rng)[0] for i in range(3)]
    data = ballots[1].to_json(group)
    proof = data["contests"][1]["selections"][2]["proof"]
    a = group.decode_commitment(bytes.fromhex(proof["branches"][0]["commitments"][1]))
    proof["branches"][0]["commitments"][1] = _encoded_plus_torsion(group, a)
    tampered = EncryptedBallot.from_json(context, data)
    assert verify_ballot(context, ballots[0]) and not verify_ballot(context, tampered)
    batch = BatchVerifier(group)
    for ballot in (ballots[0], tampered, ballots[2]):
        batch.add(selection_equations(context, ballot))
    assert not batch.verify()


def test_the_verifier_names_a_ballot_whose_commitment_carries_a_torsion_part_under_v6(arkworks) -> None:
    election = run_election(arkworks, voters=2, seed=b"torsion record", n=3, t=2)
    record = copy.deepcopy(election.record)
    entry = record["ballots"][1]
    proof = entry["ballot"]["contests"][0]["selections"][1]["proof"]
    group = election_group(arkworks)
    a = group.decode_commitment(bytes.fromhex(proof["branches"][1]["commitments"][0]))
    proof["branches"][1]["commitments"][0] = _encoded_plus_torsion(group, a)
    entry["tracking_code"] = code = tracking_code_of(entry["ballot"])
    report = verify_record(record)
    # The ballot is well formed (V5); its 0/1 proof fails (V6); its eligibility proof was made for the old
    # tracking code (V8); the closing statement committed to the old tracking code (V11).
    assert report.failed() == ["V6", "V8", "V11"]
    assert report.check("V6").failures == [f"ballot {code}"]
    head = {
        "backend": "arkworks",
        "manifest": record["manifest"],
        "joint_key": record["joint_key"],
        "eligibility": None,
    }
    assert check_ballot_chunk(head, [entry])["V6"] == [f"ballot {code}"]
