"""The backend-neutral BLS12-381 interface that every zk module programs against.

A `Backend` offers G1 and G2 operations, multi-scalar multiplication, a product-of-pairings check and strict
ZCash encodings (one encoding per point, on the curve and in the subgroup; only `g1_decompress_on_curve` skips
the subgroup check, for equations checked modulo torsion). Points belong to the backend that made them: never
mix two backends' points, call the backend's methods. Scalars are ints, reduced mod r. Details: docs/zk.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from zk.curve.scalar import R
from zk.errors import InvalidParameters, MalformedInput

# Base field modulus p of BLS12-381.
P = 0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB
G1_LENGTH = 48
G1_UNCOMPRESSED_LENGTH = 96
G1_UNCOMPRESSED_INFINITY = b"\x40" + bytes(G1_UNCOMPRESSED_LENGTH - 1)  # flag I, all else 0
G2_LENGTH = 96
# The cofactor h of G1: #E(F_p) = h * r with gcd(h, r) = 1, so [h] kills exactly the torsion (non-G1) part.
G1_COFACTOR = 0x396C8C005555E1568C00AAAB0000AAAB

_FLAG_C = 0x80  # compressed form
_FLAG_I = 0x40  # point at infinity
_FLAG_S = 0x20  # lexicographically larger y

G1 = Any  # an opaque G1 point of one backend
G2 = Any  # an opaque G2 point of one backend


def check_compressed_encoding(data: bytes, length: int, what: str, *, allow_identity: bool) -> bool:
    """Validate the backend-independent part of a ZCash compressed encoding.

    Returns True when `data` is the (canonical) encoding of the identity. Raises MalformedInput for a wrong
    type or length, a missing compression flag, a non-canonical infinity, or a coordinate >= p. The
    backend still has to check that x is on the curve and the point lies in the subgroup.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise MalformedInput(f"{what} point must be bytes, not {type(data).__name__}")
    if len(data) != length:
        raise MalformedInput(f"{what} point must be {length} bytes, got {len(data)}")
    first = data[0]
    if not first & _FLAG_C:
        raise MalformedInput(f"{what} point is not in compressed form (C flag unset)")
    if first & _FLAG_I:
        if first & _FLAG_S or first & 0x1F or any(data[1:]):
            raise MalformedInput(f"{what} point at infinity has a non-canonical encoding")
        if not allow_identity:
            raise MalformedInput(f"{what} point is the identity")
        return True
    # A G2 x-coordinate is x.c1 || x.c0 (c1 first, carrying the flags), each half 48 bytes.
    for start in range(0, length, G1_LENGTH):
        half = bytearray(data[start : start + G1_LENGTH])
        if start == 0:
            half[0] &= 0x1F
        if int.from_bytes(half, "big") >= P:
            raise MalformedInput(f"{what} point x-coordinate is not reduced (>= p)")
    return False


def check_uncompressed_g1(data: bytes, *, allow_identity: bool) -> bool:
    """Validate the backend-independent part of a 96-byte ZCash uncompressed G1 encoding.

    Returns True when `data` is the canonical encoding of the identity. Raises MalformedInput for a wrong type
    or length, a set C or S flag, a non-canonical infinity, or a coordinate >= p. The backend still has to
    check that (x, y) is on the curve (and, for a strict decode, in the subgroup).
    """
    if not isinstance(data, (bytes, bytearray)):
        raise MalformedInput(f"G1 point must be bytes, not {type(data).__name__}")
    if len(data) != G1_UNCOMPRESSED_LENGTH:
        raise MalformedInput(f"uncompressed G1 point must be {G1_UNCOMPRESSED_LENGTH} bytes, got {len(data)}")
    first = data[0]
    if first & _FLAG_C:
        raise MalformedInput(
            "G1 point is in compressed form where the uncompressed form is required (C flag set)"
        )
    if first & _FLAG_S:
        raise MalformedInput("uncompressed G1 point has the S flag set")
    if first & _FLAG_I:
        if first != _FLAG_I or any(data[1:]):
            raise MalformedInput("G1 point at infinity has a non-canonical encoding")
        if not allow_identity:
            raise MalformedInput("G1 point is the identity")
        return True
    # The flags are clear, so the first 48 bytes are x itself.
    if int.from_bytes(data[:G1_LENGTH], "big") >= P or int.from_bytes(data[G1_LENGTH:], "big") >= P:
        raise MalformedInput("G1 point coordinate is not reduced (>= p)")
    return False


class Backend(ABC):
    """BLS12-381 arithmetic. Subclasses implement the abstract methods; the rest is shared."""

    name: str

    # --- G1 -------------------------------------------------------------------------------------------
    @abstractmethod
    def g1_generator(self) -> G1:
        """The standard generator P1 of G1 (the ZCash/IETF BLS12-381 base point)."""

    @abstractmethod
    def g1_identity(self) -> G1:
        """The neutral element of G1."""

    @abstractmethod
    def g1_add(self, a: G1, b: G1) -> G1: ...

    @abstractmethod
    def g1_neg(self, a: G1) -> G1: ...

    @abstractmethod
    def g1_mul(self, a: G1, k: int) -> G1:
        """a * k, with k reduced mod r."""

    @abstractmethod
    def _g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        """sum(points[i] * scalars[i]) for equal-length, non-empty lists of reduced scalars."""

    @abstractmethod
    def g1_compress(self, a: G1) -> bytes:
        """The 48-byte ZCash compressed encoding."""

    @abstractmethod
    def _g1_from_checked_bytes(self, data: bytes) -> G1:
        """Decode a non-identity encoding whose flags and x < p are checked; check the curve and subgroup."""

    @abstractmethod
    def _g1_from_on_curve_bytes(self, data: bytes) -> G1:
        """Decode a non-identity encoding whose flags and x < p are already checked; check the curve ONLY."""

    @abstractmethod
    def g1_to_uncompressed(self, a: G1) -> bytes:
        """The 96-byte ZCash uncompressed encoding (x || y, or the canonical infinity)."""

    @abstractmethod
    def _g1_from_xy_bytes(self, data: bytes, *, subgroup: bool) -> G1:
        """Decode a non-identity uncompressed encoding whose flags and coordinates are already checked; check
        the curve, and the subgroup when `subgroup`."""

    @abstractmethod
    def g1_map_to_curve(self, u: int) -> G1:
        """clear_cofactor(map_to_curve(u)) for a field element u < p (RFC 9380 sections 6.6.3, 7, 8.8.1).

        This is the hook `zk.hash_to_curve` builds hash_to_G1 on, for any expand_message and DST.
        """

    # --- G2 -------------------------------------------------------------------------------------------
    @abstractmethod
    def g2_generator(self) -> G2: ...

    @abstractmethod
    def g2_identity(self) -> G2: ...

    @abstractmethod
    def g2_add(self, a: G2, b: G2) -> G2: ...

    @abstractmethod
    def g2_neg(self, a: G2) -> G2: ...

    @abstractmethod
    def g2_mul(self, a: G2, k: int) -> G2: ...

    @abstractmethod
    def g2_compress(self, a: G2) -> bytes:
        """The 96-byte ZCash compressed encoding."""

    @abstractmethod
    def _g2_from_checked_bytes(self, data: bytes) -> G2: ...

    # --- pairing --------------------------------------------------------------------------------------
    @abstractmethod
    def _pairing_check(self, g1s: list[G1], g2s: list[G2]) -> bool: ...

    # --- shared, validated entry points ---------------------------------------------------------------
    def g1_sub(self, a: G1, b: G1) -> G1:
        return self.g1_add(a, self.g1_neg(b))

    def g1_eq(self, a: G1, b: G1) -> bool:
        return a == b

    def g1_is_identity(self, a: G1) -> bool:
        return a == self.g1_identity()

    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        """Multi-scalar multiplication sum(points[i] * scalars[i]); the lists must have equal length.

        Use this for every sum of two or more products: on arkworks it is a Pippenger MSM in Rust.
        """
        if len(points) != len(scalars):
            raise InvalidParameters(f"msm needs as many scalars as points ({len(scalars)} != {len(points)})")
        if not points:
            return self.g1_identity()
        return self._g1_msm(points, [k % R for k in scalars])

    def g1_decompress(self, data: bytes, *, allow_identity: bool = False) -> G1:
        """Decode a 48-byte compressed G1 point strictly; raises MalformedInput on any invalid encoding."""
        if check_compressed_encoding(data, G1_LENGTH, "G1", allow_identity=allow_identity):
            return self.g1_identity()
        return self._g1_from_checked_bytes(bytes(data))

    def g1_decompress_on_curve(self, data: bytes, *, allow_identity: bool = False) -> G1:
        """Decode a 48-byte compressed G1 point WITHOUT the subgroup check: canonical and on the curve only.

        The point may have a component of small order outside the prime-order subgroup. Only for points that
        enter nothing but verification equations whose residue is tested with `g1_mul_by_cofactor` (the
        commitments of `zk.sigma.OrProof`, see `zk.sigma.G1Group.decode_commitment`), or whose sums are
        projected onto the subgroup before anything else uses them (ballot ciphertexts, `zk.elgamal`): never
        for keys, signatures, pairing inputs or anything decrypted or stored as a group element.
        """
        if check_compressed_encoding(data, G1_LENGTH, "G1", allow_identity=allow_identity):
            return self.g1_identity()
        return self._g1_from_on_curve_bytes(bytes(data))

    def g1_from_uncompressed(self, data: bytes, *, allow_identity: bool = False) -> G1:
        """Decode a 96-byte uncompressed G1 point strictly (curve and subgroup); MalformedInput if invalid."""
        if check_uncompressed_g1(data, allow_identity=allow_identity):
            return self.g1_identity()
        return self._g1_from_xy_bytes(bytes(data), subgroup=True)

    def g1_from_uncompressed_on_curve(self, data: bytes, *, allow_identity: bool = False) -> G1:
        """Decode a 96-byte uncompressed G1 point WITHOUT the subgroup check (same rule as
        `g1_decompress_on_curve`: only for points whose equations are checked modulo torsion)."""
        if check_uncompressed_g1(data, allow_identity=allow_identity):
            return self.g1_identity()
        return self._g1_from_xy_bytes(bytes(data), subgroup=False)

    def g1_mul_by_cofactor(self, a: G1) -> G1:
        """[h] a for the G1 cofactor h, by double-and-add with the group law alone.

        The result lies in the prime-order subgroup and is the identity iff a's prime-order component is. It
        deliberately avoids `g1_mul`: a scalar multiplication may use the GLV endomorphism, which acts as a
        scalar only on the prime-order subgroup, and it reduces its scalar mod r.
        """
        acc, addend, k = self.g1_identity(), a, G1_COFACTOR
        while k:
            if k & 1:
                acc = self.g1_add(acc, addend)
            k >>= 1
            if k:
                addend = self.g1_add(addend, addend)
        return acc

    def g2_sub(self, a: G2, b: G2) -> G2:
        return self.g2_add(a, self.g2_neg(b))

    def g2_eq(self, a: G2, b: G2) -> bool:
        return a == b

    def g2_is_identity(self, a: G2) -> bool:
        return a == self.g2_identity()

    def g2_decompress(self, data: bytes, *, allow_identity: bool = False) -> G2:
        """Decode a 96-byte compressed G2 point strictly; raises MalformedInput on any invalid encoding."""
        if check_compressed_encoding(data, G2_LENGTH, "G2", allow_identity=allow_identity):
            return self.g2_identity()
        return self._g2_from_checked_bytes(bytes(data))

    def pairing_check(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        """True iff the product of e(P_i, Q_i) over all pairs is the identity of GT (one multi-pairing).

        An empty product is the identity, so `pairing_check([])` is True.
        """
        return self._pairing_check([p for p, _ in pairs], [q for _, q in pairs])

    def __repr__(self) -> str:
        return f"<zk.curve backend {self.name}>"
