"""The reference BLS12-381 backend: pure-Python py-ecc, slow but independent, used to cross-check arkworks.

py-ecc works on projective tuples whose `==` compares coordinates, not points, and its decompression does not
check the subgroup; both are handled here: points are wrapped in `PyEccPoint` (group equality and hashing) and
`_g1_from_checked_bytes` multiplies by r to check subgroup membership.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from zk.curve.backend import G1_UNCOMPRESSED_INFINITY, Backend, P
from zk.curve.scalar import R
from zk.errors import MalformedInput

# Importing py_ecc raises the interpreter-wide recursion limit to 100,000, which would let any deeply nested
# input (json.loads on a hostile document) overflow the C stack and kill the process instead of raising
# RecursionError. Nothing this backend calls recurses deeply, so the caller's limit is put back after the
# import.
_RECURSION_LIMIT = sys.getrecursionlimit()
try:
    from py_ecc.bls.hash_to_curve import clear_cofactor_G1, map_to_curve_G1
    from py_ecc.bls.point_compression import compress_G1, compress_G2, decompress_G1, decompress_G2
    from py_ecc.fields import optimized_bls12_381_FQ as FQ
    from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
    from py_ecc.optimized_bls12_381 import G1 as _G1
    from py_ecc.optimized_bls12_381 import G2 as _G2
    from py_ecc.optimized_bls12_381 import (
        Z1,
        Z2,
        add,
        b,
        b2,
        eq,
        final_exponentiate,
        is_inf,
        is_on_curve,
        multiply,
        neg,
        pairing,
    )
finally:
    sys.setrecursionlimit(_RECURSION_LIMIT)


class PyEccPoint:
    """A py-ecc projective point with group equality; `group` is 1 or 2."""

    __slots__ = ("xyz", "group")

    def __init__(self, xyz: tuple, group: int) -> None:
        self.xyz = xyz
        self.group = group

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PyEccPoint) or other.group != self.group:
            return NotImplemented
        return eq(self.xyz, other.xyz)

    def __hash__(self) -> int:
        compressed = compress_G1(self.xyz) if self.group == 1 else compress_G2(self.xyz)
        return hash((self.group, compressed))

    def __repr__(self) -> str:
        return f"PyEccPoint(G{self.group}, inf={is_inf(self.xyz)})"


def _mul(xyz: tuple, k: int) -> tuple:
    k %= R
    return multiply(xyz, k)


class PyEccBackend(Backend):
    name = "pyecc"

    def __init__(self) -> None:
        self._g1 = PyEccPoint(_G1, 1)
        self._g2 = PyEccPoint(_G2, 2)
        self._g1_identity = PyEccPoint(Z1, 1)
        self._g2_identity = PyEccPoint(Z2, 2)

    # G1
    def g1_generator(self) -> PyEccPoint:
        return self._g1

    def g1_identity(self) -> PyEccPoint:
        return self._g1_identity

    def g1_add(self, a: PyEccPoint, b: PyEccPoint) -> PyEccPoint:
        return PyEccPoint(add(a.xyz, b.xyz), 1)

    def g1_neg(self, a: PyEccPoint) -> PyEccPoint:
        return PyEccPoint(neg(a.xyz), 1)

    def g1_mul(self, a: PyEccPoint, k: int) -> PyEccPoint:
        return PyEccPoint(_mul(a.xyz, k), 1)

    def _g1_msm(self, points: Sequence[PyEccPoint], scalars: Sequence[int]) -> PyEccPoint:
        # Deliberately naive: the reference computes the sum exactly as written in the specs.
        acc = Z1
        for point, k in zip(points, scalars, strict=True):
            acc = add(acc, multiply(point.xyz, k))
        return PyEccPoint(acc, 1)

    def g1_compress(self, a: PyEccPoint) -> bytes:
        return compress_G1(a.xyz).to_bytes(48, "big")

    def _g1_from_checked_bytes(self, data: bytes) -> PyEccPoint:
        try:
            xyz = decompress_G1(int.from_bytes(data, "big"))
        except ValueError:
            raise MalformedInput("G1 point is not on the curve") from None
        if not is_inf(multiply(xyz, R)):
            raise MalformedInput("G1 point is not in the prime-order subgroup")
        return PyEccPoint(xyz, 1)

    def _g1_from_on_curve_bytes(self, data: bytes) -> PyEccPoint:
        try:
            return PyEccPoint(decompress_G1(int.from_bytes(data, "big")), 1)
        except ValueError:
            raise MalformedInput("G1 point is not on the curve") from None

    def g1_to_uncompressed(self, a: PyEccPoint) -> bytes:
        if is_inf(a.xyz):
            return G1_UNCOMPRESSED_INFINITY
        x, y, z = a.xyz
        inverse = FQ.one() / z
        return int(x * inverse).to_bytes(48, "big") + int(y * inverse).to_bytes(48, "big")

    def _g1_from_xy_bytes(self, data: bytes, *, subgroup: bool) -> PyEccPoint:
        xyz = (FQ(int.from_bytes(data[:48], "big")), FQ(int.from_bytes(data[48:], "big")), FQ.one())
        if not is_on_curve(xyz, b):
            raise MalformedInput("G1 point is not on the curve")
        if subgroup and not is_inf(multiply(xyz, R)):
            raise MalformedInput("G1 point is not in the prime-order subgroup")
        return PyEccPoint(xyz, 1)

    def g1_map_to_curve(self, u: int) -> PyEccPoint:
        if not 0 <= u < P:
            raise ValueError("field element out of range [0, p)")
        return PyEccPoint(clear_cofactor_G1(map_to_curve_G1(FQ(u))), 1)

    # G2
    def g2_generator(self) -> PyEccPoint:
        return self._g2

    def g2_identity(self) -> PyEccPoint:
        return self._g2_identity

    def g2_add(self, a: PyEccPoint, b: PyEccPoint) -> PyEccPoint:
        return PyEccPoint(add(a.xyz, b.xyz), 2)

    def g2_neg(self, a: PyEccPoint) -> PyEccPoint:
        return PyEccPoint(neg(a.xyz), 2)

    def g2_mul(self, a: PyEccPoint, k: int) -> PyEccPoint:
        return PyEccPoint(_mul(a.xyz, k), 2)

    def g2_compress(self, a: PyEccPoint) -> bytes:
        z1, z2 = compress_G2(a.xyz)
        return z1.to_bytes(48, "big") + z2.to_bytes(48, "big")

    def _g2_from_checked_bytes(self, data: bytes) -> PyEccPoint:
        try:
            xyz = decompress_G2((int.from_bytes(data[:48], "big"), int.from_bytes(data[48:], "big")))
        except ValueError:
            raise MalformedInput("G2 point is not on the curve") from None
        if not is_inf(multiply(xyz, R)):
            raise MalformedInput("G2 point is not in the prime-order subgroup")
        return PyEccPoint(xyz, 2)

    # pairing
    def _pairing_check(self, g1s: list[PyEccPoint], g2s: list[PyEccPoint]) -> bool:
        if len(g1s) != len(g2s):
            raise ValueError("pairing_check needs as many G2 points as G1 points")
        # Multiply the Miller loops, then one final exponentiation: the product of pairings.
        acc = FQ12.one()
        for p, q in zip(g1s, g2s, strict=True):
            if not (is_on_curve(p.xyz, b) and is_on_curve(q.xyz, b2)):
                raise ValueError("pairing input is not on the curve")
            acc = acc * pairing(q.xyz, p.xyz, final_exponentiate=False)
        return final_exponentiate(acc) == FQ12.one()
