"""Fixed-seed test vectors (tests/vectors/*.json) for every proof type of an election, regenerated, compared.

No public vectors exist for this construction, so these pin ours: a transcript's challenges, a trustee's
Schnorr proof of knowledge, a Chaum-Pedersen decryption share, a 0/1 disjunctive proof, a 0..3 range proof and
a whole ballot with its tracking code. Every nonce comes from `seeded_scalars`, so both backends must produce
the same bytes. Regenerate after an intentional format change with `python -m tests.zk.test_sigma_vectors`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zk.ballot import (
    BallotSecrets,
    ElectionContext,
    EncryptedBallot,
    Manifest,
    election_group,
    encrypt_ballot,
    verify_ballot,
)
from zk.curve import Backend, get_backend
from zk.elgamal import Ciphertext, encrypt, prove_encrypts_one_of, verify_encrypts_one_of
from zk.group import seeded_scalars
from zk.sigma import DleqProof, OrProof, check_equations
from zk.transcript import Transcript
from zk.trustees import (
    Ceremony,
    CoefficientReveal,
    Trustee,
    partial_decrypt,
    partial_decryption_equations,
    verify_reveal,
)
from zk.wire import element_from_hex, element_to_hex, scalar_to_hex

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
NAMES = ("transcript", "schnorr", "chaum_pedersen", "disjunctive_0_1", "range_0_3", "ballot")
SMALL_MANIFEST = Manifest.from_json(
    {
        "election_id": "vector-election",
        "title": "Vectors",
        "revoting": "none",
        "trustees": [{"id": "t1", "name": "Trustee One"}, {"id": "t2", "name": "Trustee Two"}],
        "threshold": 2,
        "electoral_roll": None,
        "contests": [
            {
                "id": "q",
                "title": "Yes or no",
                "options": ["yes", "no"],
                "min_selections": 1,
                "max_selections": 1,
            },
            {
                "id": "pick",
                "title": "Up to two",
                "options": ["a", "b", "c"],
                "min_selections": 0,
                "max_selections": 2,
            },
        ],
    }
)


def generate(backend: Backend) -> dict[str, dict]:
    group = election_group(backend)
    out: dict[str, dict] = {}

    transcript = Transcript(group, b"vectors/transcript")
    transcript.append_message(b"message", b"hello")
    transcript.append_int(b"int", -7)
    transcript.append_element(b"g", group.generator())
    first = transcript.challenge_scalar(b"first")
    second = transcript.challenge_scalar(b"second")
    out["transcript"] = {
        "description": "Transcript(domain='vectors/transcript'): message 'hello', int -7, element g, then "
        "two challenges (each absorbed back)",
        "challenges": [scalar_to_hex(group, first), scalar_to_hex(group, second)],
    }

    ceremony = Ceremony(group, 3, 2, b"vectors")
    trustee = Trustee(ceremony, 1, seeded_scalars(group, b"vectors/schnorr"))
    out["schnorr"] = {
        "description": "DKG round 2 reveal of trustee 1 (n=3, t=2, context 'vectors'): coefficient "
        "commitments and the Schnorr proof of knowledge of log_g(C_0); hash = round-1 commitment",
        "seed": "vectors/schnorr",
        "reveal": trustee.reveal.to_json(group),
        "hash": trustee.commitment_hash(),
    }

    rng = seeded_scalars(group, b"vectors/chaum-pedersen")
    secret = rng()
    key = group.mul(group.generator(), secret)
    ct = encrypt(group, key, 5, rng())
    partial, proof = partial_decrypt(Transcript(group, b"vectors/share"), secret, key, ct.alpha, rng)
    out["chaum_pedersen"] = {
        "description": "partial decryption D = x * alpha with a Chaum-Pedersen proof log_g(X) = "
        "log_alpha(D), transcript domain 'vectors/share'",
        "seed": "vectors/chaum-pedersen",
        "verification_key": element_to_hex(group, key),
        "ciphertext": ct.to_json(group),
        "partial": element_to_hex(group, partial),
        "proof": proof.to_json(group),
    }

    for name, value, allowed in (("disjunctive_0_1", 1, (0, 1)), ("range_0_3", 2, (0, 1, 2, 3))):
        rng = seeded_scalars(group, f"vectors/{name}".encode())
        key = group.mul(group.generator(), rng())
        nonce = rng()
        ct = encrypt(group, key, value, nonce)
        proof = prove_encrypts_one_of(
            Transcript(group, f"vectors/{name}".encode()), key, ct, value, nonce, allowed, rng
        )
        out[name] = {
            "description": f"ciphertext of {value} with the OR-proof that it encrypts one of "
            f"{list(allowed)}, transcript domain 'vectors/{name}'",
            "seed": f"vectors/{name}",
            "public_key": element_to_hex(group, key),
            "allowed": list(allowed),
            "ciphertext": ct.to_json(group),
            "proof": proof.to_json(group),
        }

    rng = seeded_scalars(group, b"vectors/ballot")
    key = group.mul(group.generator(), rng())
    context = ElectionContext(group, SMALL_MANIFEST, key)
    ballot, secrets = encrypt_ballot(context, {"q": [0, 1], "pick": [1, 0, 1]}, b"vector-voter", rng)
    out["ballot"] = {
        "description": "an encrypted ballot for the manifest below, with its tracking code and its opening",
        "seed": "vectors/ballot",
        "manifest": SMALL_MANIFEST.to_json(),
        "manifest_hash": SMALL_MANIFEST.hash().hex(),
        "joint_key": element_to_hex(group, key),
        "ballot": ballot.to_json(group),
        "tracking_code": ballot.tracking_code(group),
        "opening": secrets.to_json(group),
    }
    return out


def _stored(name: str) -> dict:
    return json.loads((VECTORS / f"{name}.json").read_text())


@pytest.mark.parametrize("backend_name", ["arkworks", "pyecc"])
def test_regenerated_vectors_equal_the_committed_ones(backend_name: str) -> None:
    generated = generate(get_backend(backend_name))
    assert sorted(generated) == sorted(NAMES)
    for name in NAMES:
        assert generated[name] == _stored(name), name


def test_the_committed_vectors_verify_and_their_tampered_copies_do_not(arkworks: Backend) -> None:
    group = election_group(arkworks)

    v = _stored("schnorr")
    ceremony = Ceremony(group, 3, 2, b"vectors")
    reveal = CoefficientReveal.from_json(ceremony, v["reveal"])
    assert verify_reveal(ceremony, reveal, v["hash"])
    assert not verify_reveal(
        ceremony,
        CoefficientReveal(
            1, reveal.coefficients, DleqProof(reveal.proof.commitments, reveal.proof.response + 1)
        ),
        v["hash"],
    )

    v = _stored("chaum_pedersen")
    key = element_from_hex(group, v["verification_key"], "key")
    ct = Ciphertext.from_json(group, v["ciphertext"])
    partial = element_from_hex(group, v["partial"], "partial")
    proof = DleqProof.from_json(group, v["proof"], 2)
    assert check_equations(
        group,
        partial_decryption_equations(Transcript(group, b"vectors/share"), key, ct.alpha, partial, proof),
    )
    assert not check_equations(
        group,
        partial_decryption_equations(Transcript(group, b"vectors/other"), key, ct.alpha, partial, proof),
    )

    for name in ("disjunctive_0_1", "range_0_3"):
        v = _stored(name)
        key = element_from_hex(group, v["public_key"], "key")
        ct = Ciphertext.from_json(group, v["ciphertext"])
        proof = OrProof.from_json(group, v["proof"], len(v["allowed"]), 2)
        assert verify_encrypts_one_of(
            Transcript(group, f"vectors/{name}".encode()), key, ct, v["allowed"], proof
        )
        assert not verify_encrypts_one_of(
            Transcript(group, f"vectors/{name}".encode()),
            key,
            ct,
            v["allowed"][1:],
            OrProof(proof.commitments[1:], proof.challenges[1:], proof.responses[1:]),
        )

    v = _stored("ballot")
    manifest = Manifest.from_json(v["manifest"])
    assert manifest.hash().hex() == v["manifest_hash"]
    context = ElectionContext(group, manifest, element_from_hex(group, v["joint_key"], "key"))
    ballot = EncryptedBallot.from_json(context, v["ballot"])
    assert verify_ballot(context, ballot)
    assert ballot.tracking_code(group) == v["tracking_code"]
    opening = BallotSecrets.from_json(manifest, group, v["opening"])
    assert opening.selections == {"q": (0, 1), "pick": (1, 0, 1)}


if __name__ == "__main__":
    VECTORS.mkdir(exist_ok=True)
    for vector_name, content in generate(get_backend("arkworks")).items():
        (VECTORS / f"{vector_name}.json").write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
        print(f"wrote {VECTORS / vector_name}.json")
