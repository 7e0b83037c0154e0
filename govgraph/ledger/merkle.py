"""Pure RFC 6962 / RFC 9162 Merkle tree math over SHA-256: leaf and node hashes, tree roots, inclusion and
consistency proofs and their verifiers. No I/O; storage builds on it in log.py."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from govgraph.ledger.errors import LedgerError
from govgraph.ledger.subtrees import consistency_ranges, inclusion_ranges

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = SHA-256() (RFC 9162 §2.1.1)
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]


class ProofError(LedgerError, ValueError):
    """A proof, or the sizes, indexes or hashes given with it, do not verify."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d0}) = SHA-256(0x00 || d0)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[0:n]) from leaf hashes, in O(n) hashes and O(log n) memory: a stack of perfect-subtree roots
    (each merge happens exactly when two equal-sized subtrees meet), folded right to left at the end."""
    if not leaf_hashes:
        return EMPTY_ROOT
    stack: list[bytes] = []
    for count, leaf in enumerate(leaf_hashes, start=1):
        stack.append(leaf)
        # Merge once per trailing zero bit of the new count: those are the subtrees just completed.
        completed = count
        while completed & 1 == 0:
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
            completed >>= 1
    root = stack.pop()
    while stack:
        root = node_hash(stack.pop(), root)
    return root


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[0:n]) (RFC 9162 §2.1.3.1), sibling hashes ordered leaf to root."""
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    return [root_hash(leaf_hashes[begin:end]) for begin, end in inclusion_ranges(index, size)]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:n]) (RFC 9162 §2.1.4.1) from old_size to the whole tree."""
    size = len(leaf_hashes)
    if not 0 < old_size <= size:
        raise ProofError(f"no consistency proof from size {old_size} to size {size}")
    return [root_hash(leaf_hashes[begin:end]) for begin, end in consistency_ranges(old_size, size)]


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf_hash` sits at `index` in the tree of `tree_size` whose root is `root`
    (RFC 9162 §2.1.3.2). Raises ProofError on any failure."""
    if not 0 <= index < tree_size:
        raise ProofError(f"leaf index {index} is outside a tree of size {tree_size}")
    _require_hashes(leaf_hash=leaf_hash, root=root)
    _require_proof_hashes(proof)
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("inclusion proof does not lead to the given root")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree of `old_size` with `old_root` is a prefix of the tree of `new_size` with
    `new_root` (RFC 9162 §2.1.4.2). Raises ProofError on any failure."""
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"old size {old_size} is not within 0..new size {new_size}")
    if old_size == 0:
        # Every tree extends the empty one, so such a proof proves nothing; callers that need the
        # c2sp.org/tlog-witness `old 0` rule handle it themselves (as transparency-dev/merkle does).
        raise ProofError("a consistency proof from size 0 is meaningless")
    if old_size == new_size:
        # Upstream (and its probe vectors) compare the two roots byte for byte here, nothing more.
        if proof:
            raise ProofError("sizes are equal but the consistency proof is not empty")
        if old_root != new_root:
            raise ProofError("sizes are equal but the roots differ")
        return
    _require_hashes(old_root=old_root, new_root=new_root)
    _require_proof_hashes(proof)
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    # Step 2: an old tree that is a perfect subtree is its own first proof node.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than needed")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")


def _require_hashes(**hashes: bytes) -> None:
    for name, value in hashes.items():
        if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
            raise ProofError(f"{name} must be {HASH_SIZE} bytes")


def _require_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
            raise ProofError(f"proof hash {position} must be {HASH_SIZE} bytes")
