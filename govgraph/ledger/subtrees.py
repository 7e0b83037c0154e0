"""Pure index arithmetic for RFC 6962 trees: which leaf ranges a proof names, and how ranges split into
perfect subtrees. Shared by the in-memory math (merkle.py) and the storage layer (log.py); no hashing here."""

from __future__ import annotations

Range = tuple[int, int]


def largest_power_of_two_below(n: int) -> int:
    """The `k` of RFC 9162 §2.1.1: the largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose Merkle Tree Hashes form PATH(index, D[0:size]) (RFC 9162 §2.1.3.1),
    ordered leaf to root."""
    ranges: list[Range] = []
    begin, end = 0, size
    while end - begin > 1:
        k = largest_power_of_two_below(end - begin)
        if index < begin + k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The leaf ranges whose Merkle Tree Hashes form PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1,
    SUBPROOF with b = true at the top), ordered as the RFC emits them. Requires 0 < old_size <= new_size."""
    ranges: list[Range] = []
    begin, end, m, whole_old_tree = 0, new_size, old_size, True
    while True:
        n = end - begin
        if m == n:
            # The old tree's root is only sent when it is not the tree the verifier already holds.
            if not whole_old_tree:
                ranges.append((begin, end))
            break
        k = largest_power_of_two_below(n)
        if m <= k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            m -= k
            begin += k
            whole_old_tree = False
    ranges.reverse()
    return ranges


def perfect_subtrees(begin: int, end: int) -> list[tuple[int, int]]:
    """Split the leaf range [begin, end) into the perfect subtrees RFC 6962 hashes it from, as
    (level, index) pairs left to right: node (level, index) covers leaves
    [index << level, (index+1) << level). Valid for every range a proof or root names (a right border of an
    aligned subtree)."""
    nodes: list[tuple[int, int]] = []
    while begin < end:
        # The largest aligned power-of-two block starting at `begin` that still fits.
        level = (begin & -begin).bit_length() - 1 if begin else (end - begin).bit_length() - 1
        while (1 << level) > end - begin:
            level -= 1
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes
