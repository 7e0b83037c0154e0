"""A deliberately naive RFC 6962 reference: the recursive definitions of RFC 9162 §2.1 written out literally,
so property tests can check the fast code in merkle.py against them. Slow; never used by the service."""

from __future__ import annotations

from collections.abc import Sequence

from govgraph.ledger.merkle import EMPTY_ROOT, node_hash
from govgraph.ledger.subtrees import largest_power_of_two_below


def mth(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of §2.1.1, recursing on the split point k."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = largest_power_of_two_below(n)
    return node_hash(mth(leaf_hashes[:k]), mth(leaf_hashes[k:]))


def path(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of §2.1.3.1."""
    n = len(leaf_hashes)
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return path(m, leaf_hashes[:k]) + [mth(leaf_hashes[k:])]
    return path(m - k, leaf_hashes[k:]) + [mth(leaf_hashes[:k])]


def proof(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of §2.1.4.1."""
    return subproof(m, leaf_hashes, True)


def subproof(m: int, leaf_hashes: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(leaf_hashes)
    if m == n:
        return [] if b else [mth(leaf_hashes)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return subproof(m, leaf_hashes[:k], b) + [mth(leaf_hashes[k:])]
    return subproof(m - k, leaf_hashes[k:], False) + [mth(leaf_hashes[:k])]


def root_from_inclusion(leaf: bytes, m: int, n: int, audit_path: Sequence[bytes]) -> bytes | None:
    """Rebuild the root from a leaf and its audit path by undoing PATH's recursion; None if the path has the
    wrong length for (m, n)."""
    if n == 1:
        return leaf if not audit_path else None
    if not audit_path:
        return None
    k = largest_power_of_two_below(n)
    *rest, sibling = audit_path
    if m < k:
        inner = root_from_inclusion(leaf, m, k, rest)
        return None if inner is None else node_hash(inner, sibling)
    inner = root_from_inclusion(leaf, m - k, n - k, rest)
    return None if inner is None else node_hash(sibling, inner)


def roots_from_consistency(
    m: int, n: int, old_root: bytes, nodes: Sequence[bytes], b: bool = True
) -> tuple[bytes, bytes] | None:
    """Rebuild (old root, new root) from a consistency proof by undoing SUBPROOF's recursion; the verifier's
    own old root stands in where b says the proof omits it. None if the proof has the wrong shape."""
    if m == n:
        if b:
            return (old_root, old_root) if not nodes else None
        return (nodes[0], nodes[0]) if len(nodes) == 1 else None
    if not nodes:
        return None
    k = largest_power_of_two_below(n)
    *rest, last = nodes
    if m <= k:
        inner = roots_from_consistency(m, k, old_root, rest, b)
        return None if inner is None else (inner[0], node_hash(inner[1], last))
    inner = roots_from_consistency(m - k, n - k, old_root, rest, False)
    return None if inner is None else (node_hash(last, inner[0]), node_hash(last, inner[1]))
