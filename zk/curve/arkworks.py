"""The default BLS12-381 backend: py-arkworks-bls12381 (Rust arkworks), wrapped so its traps cannot leak.

Traps of the binding this module guards against:
- `Scalar(n)` silently reduces n >= r (Scalar(r) == 0) and overflows on negatives: we reduce mod r first (and
  build Scalars with `Scalar.from_le_bytes`, the same value for n < r at a tenth of the cost).
- `multiexp_unchecked` silently truncates lists of different lengths: `Backend.g1_msm` checks lengths.
- `from_compressed_bytes` accepts non-canonical infinity encodings (extra bits set): `Backend.g1_decompress`
  checks flags and x < p before the binding sees the bytes.
- `from_xy_bytes_unchecked_be` takes (0, 0), which is not on the curve, as the identity (it is how the binding
  writes the identity): `_g1_from_xy_bytes` refuses it.
- GT's group operation is `*`; we never expose GT, only `pairing_check`.
"""

from __future__ import annotations

from collections.abc import Sequence

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from zk.curve.backend import G1_UNCOMPRESSED_INFINITY, G1_UNCOMPRESSED_LENGTH, Backend, P
from zk.curve.scalar import R
from zk.errors import MalformedInput

_ZERO_XY = bytes(G1_UNCOMPRESSED_LENGTH)


def _scalar(k: int) -> Scalar:
    return _reduced_scalar(k % R)


def _reduced_scalar(k: int) -> Scalar:
    """A Scalar from an int already in [0, r): from 32 little-endian bytes, about ten times cheaper than
    Scalar(k) (which an msm of a batch of ballots pays for every one of its thousands of scalars)."""
    return Scalar.from_le_bytes(k.to_bytes(32, "little"))


class ArkworksBackend(Backend):
    name = "arkworks"

    def __init__(self) -> None:
        self._g1 = G1Point()
        self._g2 = G2Point()
        self._g1_identity = G1Point.identity()
        self._g2_identity = G2Point.identity()

    # G1
    def g1_generator(self) -> G1Point:
        return self._g1

    def g1_identity(self) -> G1Point:
        return self._g1_identity

    def g1_add(self, a: G1Point, b: G1Point) -> G1Point:
        return a + b

    def g1_neg(self, a: G1Point) -> G1Point:
        return -a

    def g1_sub(self, a: G1Point, b: G1Point) -> G1Point:
        return a - b

    def g1_mul(self, a: G1Point, k: int) -> G1Point:
        return a * _scalar(k)

    def _g1_msm(self, points: Sequence[G1Point], scalars: Sequence[int]) -> G1Point:
        return G1Point.multiexp_unchecked(list(points), [_reduced_scalar(k) for k in scalars])

    def g1_compress(self, a: G1Point) -> bytes:
        return bytes(a.to_compressed_bytes())

    def _g1_from_checked_bytes(self, data: bytes) -> G1Point:
        try:
            point = G1Point.from_compressed_bytes_unchecked(data)
        except ValueError:
            raise MalformedInput("G1 point is not on the curve") from None
        if not point.is_in_subgroup():
            raise MalformedInput("G1 point is not in the prime-order subgroup")
        return point

    def _g1_from_on_curve_bytes(self, data: bytes) -> G1Point:
        try:
            return G1Point.from_compressed_bytes_unchecked(data)
        except ValueError:
            raise MalformedInput("G1 point is not on the curve") from None

    def g1_to_uncompressed(self, a: G1Point) -> bytes:
        xy = bytes(a.to_xy_bytes_be())
        # The binding writes the identity as (0, 0), which is not on the curve: nothing else can look like it.
        return G1_UNCOMPRESSED_INFINITY if xy == _ZERO_XY else xy

    def _g1_from_xy_bytes(self, data: bytes, *, subgroup: bool) -> G1Point:
        if data == _ZERO_XY:
            raise MalformedInput("G1 point is not on the curve")
        try:
            # "unchecked" skips only the subgroup check: the binding refuses a point off the curve.
            point = G1Point.from_xy_bytes_unchecked_be(data)
        except ValueError:
            raise MalformedInput("G1 point is not on the curve") from None
        if subgroup and not point.is_in_subgroup():
            raise MalformedInput("G1 point is not in the prime-order subgroup")
        return point

    def g1_map_to_curve(self, u: int) -> G1Point:
        if not 0 <= u < P:
            raise ValueError("field element out of range [0, p)")
        return G1Point.map_from_fp_be(u.to_bytes(48, "big"))

    # G2
    def g2_generator(self) -> G2Point:
        return self._g2

    def g2_identity(self) -> G2Point:
        return self._g2_identity

    def g2_add(self, a: G2Point, b: G2Point) -> G2Point:
        return a + b

    def g2_neg(self, a: G2Point) -> G2Point:
        return -a

    def g2_sub(self, a: G2Point, b: G2Point) -> G2Point:
        return a - b

    def g2_mul(self, a: G2Point, k: int) -> G2Point:
        return a * _scalar(k)

    def g2_compress(self, a: G2Point) -> bytes:
        return bytes(a.to_compressed_bytes())

    def _g2_from_checked_bytes(self, data: bytes) -> G2Point:
        try:
            point = G2Point.from_compressed_bytes_unchecked(data)
        except ValueError:
            raise MalformedInput("G2 point is not on the curve") from None
        if not point.is_in_subgroup():
            raise MalformedInput("G2 point is not in the prime-order subgroup")
        return point

    # pairing
    def _pairing_check(self, g1s: list[G1Point], g2s: list[G2Point]) -> bool:
        if len(g1s) != len(g2s):
            raise ValueError("pairing_check needs as many G2 points as G1 points")
        return bool(GT.pairing_check(g1s, g2s))
