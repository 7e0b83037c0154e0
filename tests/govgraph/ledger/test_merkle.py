"""RFC 6962/9162 Merkle math against the transparency-dev vectors and the naive reference implementation."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.ledger import merkle_reference as ref
from govgraph.ledger.merkle import (
    EMPTY_ROOT,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from tests.conftest import VECTORS_DIR


def _tlog(vectors_dir: Path) -> Path:
    return vectors_dir / "tlog" / "merkle"


def _probe_files() -> list[Path]:
    # Parametrizing happens before fixtures exist, so read the same ../shared/vectors the fixture resolves.
    base = VECTORS_DIR / "tlog" / "merkle" / "probes"
    return sorted(p for kind in ("inclusion", "consistency") for p in (base / kind).rglob("*.json"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


@pytest.fixture(scope="module")
def rfc_tree(vectors_dir: Path) -> dict:
    return json.loads((_tlog(vectors_dir) / "rfc6962_tree.json").read_text())


@pytest.fixture(scope="module")
def rfc_leaves(rfc_tree: dict) -> list[bytes]:
    return [leaf_hash(bytes.fromhex(x)) for x in rfc_tree["leaf_inputs"]]


def test_leaf_and_node_hashes_match_every_complete_subtree_of_the_rfc_tree(rfc_tree, rfc_leaves):
    levels = [[bytes.fromhex(h) for h in level] for level in rfc_tree["node_hashes_by_level"]]
    assert rfc_leaves == levels[0]
    for level in range(1, len(levels)):
        below = levels[level - 1]
        assert [node_hash(below[2 * i], below[2 * i + 1]) for i in range(len(below) // 2)] == levels[level]


def test_roots_of_every_prefix_match_the_rfc_tree_in_fast_and_reference_code(rfc_tree, rfc_leaves):
    for size, expected in rfc_tree["root_hash_by_tree_size"].items():
        prefix = rfc_leaves[: int(size)]
        assert root_hash(prefix).hex() == expected
        assert ref.mth(prefix).hex() == expected


def test_empty_tree_root_is_sha256_of_nothing():
    assert root_hash([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_reference_proofs_are_generated_byte_for_byte_and_verify(vectors_dir, rfc_leaves):
    cases = json.loads((_tlog(vectors_dir) / "reference_proofs.json").read_text())
    for case in cases["inclusion"]:
        leaves = rfc_leaves[: case["tree_size"]]
        proof = inclusion_proof(leaves, case["leaf_index"])
        assert [p.hex() for p in proof] == case["proof"]
        verify_inclusion(
            bytes.fromhex(case["leaf_hash"]),
            case["leaf_index"],
            case["tree_size"],
            proof,
            bytes.fromhex(case["root"]),
        )
    for case in cases["consistency"]:
        leaves = rfc_leaves[: case["size2"]]
        proof = consistency_proof(leaves, case["size1"])
        assert [p.hex() for p in proof] == case["proof"]
        verify_consistency(
            case["size1"], case["size2"], proof, bytes.fromhex(case["root1"]), bytes.fromhex(case["root2"])
        )


@pytest.mark.parametrize("probe", _probe_files(), ids=lambda p: "/".join(p.parts[-3:]))
def test_transparency_dev_probe_gives_its_expected_result(probe: Path):
    case = json.loads(probe.read_text())
    proof = [_b64(p) for p in case["proof"] or []]
    if "leafIdx" in case:

        def check():
            verify_inclusion(
                _b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"])
            )
    else:

        def check():
            verify_consistency(case["size1"], case["size2"], proof, _b64(case["root1"]), _b64(case["root2"]))

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


def test_probe_set_is_complete():
    # 122 inclusion/consistency probes ship in the vectors; a glob that found fewer would silently skip some.
    assert len(_probe_files()) == 122


def test_verifiers_reject_hashes_that_are_not_32_bytes(rfc_leaves):
    root = root_hash(rfc_leaves)
    proof = inclusion_proof(rfc_leaves, 3)
    with pytest.raises(ProofError, match="leaf_hash must be 32 bytes"):
        verify_inclusion(rfc_leaves[3][:31], 3, 8, proof, root)
    with pytest.raises(ProofError, match="root must be 32 bytes"):
        verify_inclusion(rfc_leaves[3], 3, 8, proof, root + b"\x00")
    with pytest.raises(ProofError, match="proof hash 1 must be 32 bytes"):
        verify_inclusion(rfc_leaves[3], 3, 8, [proof[0], proof[1][:16], proof[2]], root)
    old = root_hash(rfc_leaves[:3])
    cproof = consistency_proof(rfc_leaves, 3)
    with pytest.raises(ProofError, match="old_root must be 32 bytes"):
        verify_consistency(3, 8, cproof, old[:8], root)


def test_consistency_from_zero_and_backwards_sizes_are_refused(rfc_leaves):
    with pytest.raises(ProofError, match="meaningless"):
        verify_consistency(0, 8, [], EMPTY_ROOT, root_hash(rfc_leaves))
    with pytest.raises(ProofError, match="not within"):
        verify_consistency(5, 4, [], root_hash(rfc_leaves[:5]), root_hash(rfc_leaves[:4]))
    with pytest.raises(ProofError):
        consistency_proof(rfc_leaves, 0)
    with pytest.raises(ProofError):
        inclusion_proof(rfc_leaves, 8)


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70).map(
    lambda xs: [leaf_hash(x) for x in xs]
)


@settings(max_examples=150, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_fast_code_agrees_with_the_reference_and_every_proof_verifies(leaves, data):
    n = len(leaves)
    root = root_hash(leaves)
    assert root == ref.mth(leaves)
    index = data.draw(st.integers(0, n - 1), label="index")
    proof = inclusion_proof(leaves, index)
    assert proof == ref.path(index, leaves)
    assert ref.root_from_inclusion(leaves[index], index, n, proof) == root
    verify_inclusion(leaves[index], index, n, proof, root)
    old = data.draw(st.integers(1, n), label="old_size")
    cproof = consistency_proof(leaves, old)
    assert cproof == ref.proof(old, leaves)
    old_root = root_hash(leaves[:old])
    assert ref.roots_from_consistency(old, n, old_root, cproof) == (old_root, root)
    verify_consistency(old, n, cproof, old_root, root)


def _mutations(proof: list[bytes], draw) -> list[list[bytes]]:
    """Every kind of damage the upstream probes apply: flipped bits, dropped, added, moved hashes."""
    mutated = [proof + [bytes(32)], [bytes(32)] + proof]
    if proof:
        i = draw(st.integers(0, len(proof) - 1), label="position")
        bit = draw(st.integers(0, 255), label="bit")
        flipped = bytearray(proof[i])
        flipped[bit // 8] ^= 1 << (bit % 8)
        mutated += [proof[:i] + [bytes(flipped)] + proof[i + 1 :], proof[:i] + proof[i + 1 :]]
        if len(proof) > 1 and proof[0] != proof[-1]:
            mutated.append(proof[::-1])
    return mutated


@settings(max_examples=150, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_every_mutated_inclusion_proof_fails(leaves, data):
    n = len(leaves)
    index = data.draw(st.integers(0, n - 1), label="index")
    proof, root = inclusion_proof(leaves, index), root_hash(leaves)
    for bad in _mutations(proof, data.draw):
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, n, bad, root)
    other = data.draw(st.integers(0, 2 * n), label="other_index")
    if other != index and other < n and leaves[other] != leaves[index]:
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], other, n, proof, root)
    for wrong_size in {n + 1, 2 * n, n - 1} - {n}:
        if wrong_size > index and ref.root_from_inclusion(leaves[index], index, wrong_size, proof) != root:
            with pytest.raises(ProofError):
                verify_inclusion(leaves[index], index, wrong_size, proof, root)


@settings(max_examples=150, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_every_mutated_consistency_proof_fails(leaves, data):
    n = len(leaves)
    old = data.draw(st.integers(1, n), label="old_size")
    proof, root, old_root = consistency_proof(leaves, old), root_hash(leaves), root_hash(leaves[:old])
    for bad in _mutations(proof, data.draw):
        with pytest.raises(ProofError):
            verify_consistency(old, n, bad, old_root, root)
    tampered_root = bytes([root[0] ^ 0x80]) + root[1:]
    with pytest.raises(ProofError):
        verify_consistency(old, n, proof, old_root, tampered_root)
    with pytest.raises(ProofError):
        verify_consistency(old, n, proof, tampered_root, root)


@settings(max_examples=300, deadline=None)
@given(
    leaf=st.binary(min_size=32, max_size=32),
    index=st.integers(-2, 40),
    size=st.integers(-2, 40),
    proof=st.lists(st.binary(max_size=40), max_size=8),
    root=st.binary(max_size=40),
)
def test_fast_inclusion_verifier_agrees_with_the_reference_on_arbitrary_input(leaf, index, size, proof, root):
    try:
        verify_inclusion(leaf, index, size, proof, root)
        accepted = True
    except ProofError:
        accepted = False
    well_formed = 0 <= index < size and len(root) == 32 and all(len(p) == 32 for p in proof)
    assert accepted == (well_formed and ref.root_from_inclusion(leaf, index, size, proof) == root)
