"""BLS12-381 point encodings written out independently of zk.curve: the standard ones and malformed ones.

The curve tests check every backend against them; the sigma torsion tests reuse the malformed G1 points.
"""

from __future__ import annotations

from py_ecc.bls.hash_to_curve import map_to_curve_G1, map_to_curve_G2
from py_ecc.bls.point_compression import compress_G1, compress_G2, modular_squareroot_in_FQ2
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.optimized_bls12_381 import G1 as PY_ECC_G1
from py_ecc.optimized_bls12_381 import normalize

from zk.curve import P

# The standard generators' compressed encodings (ZCash BLS12-381 serialization of the IETF base points).
G1_GENERATOR = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
)
G2_GENERATOR = bytes.fromhex(
    "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
    "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
)
G1_INFINITY = b"\xc0" + bytes(47)


def _xy_bytes(point: tuple) -> bytes:
    """ZCash uncompressed bytes of a py-ecc projective point, written out here independently of zk.curve."""
    x, y = normalize(point)
    return int(x).to_bytes(48, "big") + int(y).to_bytes(48, "big")


G1_GENERATOR_UNCOMPRESSED = _xy_bytes(PY_ECC_G1)
G1_INFINITY_UNCOMPRESSED = b"\x40" + bytes(95)
G2_INFINITY = b"\xc0" + bytes(95)


def _non_square_g1_x() -> int:
    x = 1
    while pow((x**3 + 4) % P, (P - 1) // 2, P) == 1:
        x += 1
    return x


def _non_square_g2_x() -> int:
    c0 = 1
    while modular_squareroot_in_FQ2(FQ2([c0, 0]) ** 3 + FQ2([4, 4])) is not None:
        c0 += 1
    return c0


G1_BAD_ENCODINGS = [
    (G1_GENERATOR[:47], "G1 point must be 48 bytes, got 47"),
    (G1_GENERATOR + b"\x00", "G1 point must be 48 bytes, got 49"),
    (bytes([G1_GENERATOR[0] & 0x7F]) + G1_GENERATOR[1:], r"not in compressed form \(C flag unset\)"),
    (G1_INFINITY, "G1 point is the identity"),
    (b"\xe0" + bytes(47), "point at infinity has a non-canonical encoding"),
    (b"\xc0" + bytes(46) + b"\x01", "point at infinity has a non-canonical encoding"),
    (b"\xc1" + bytes(47), "point at infinity has a non-canonical encoding"),
    ((P | (1 << 383)).to_bytes(48, "big"), r"x-coordinate is not reduced \(>= p\)"),
    (((P + 1) | (5 << 381)).to_bytes(48, "big"), r"x-coordinate is not reduced \(>= p\)"),
    ((_non_square_g1_x() | (1 << 383)).to_bytes(48, "big"), "G1 point is not on the curve"),
    (compress_G1(map_to_curve_G1(FQ(5))).to_bytes(48, "big"), "G1 point is not in the prime-order subgroup"),
]


_GX, _GY = G1_GENERATOR_UNCOMPRESSED[:48], G1_GENERATOR_UNCOMPRESSED[48:]
OFF_SUBGROUP_XY = _xy_bytes(map_to_curve_G1(FQ(5)))
G1_BAD_UNCOMPRESSED = [
    (G1_GENERATOR_UNCOMPRESSED[:95], "uncompressed G1 point must be 96 bytes, got 95"),
    (G1_GENERATOR_UNCOMPRESSED + b"\x00", "uncompressed G1 point must be 96 bytes, got 97"),
    (G1_GENERATOR + bytes(48), r"compressed form where the uncompressed form is required \(C flag set\)"),
    (bytes([_GX[0] | 0x20]) + _GX[1:] + _GY, "uncompressed G1 point has the S flag set"),
    (G1_INFINITY_UNCOMPRESSED, "G1 point is the identity"),
    (b"\x40" + bytes(94) + b"\x01", "point at infinity has a non-canonical encoding"),
    (b"\x41" + bytes(95), "point at infinity has a non-canonical encoding"),
    (P.to_bytes(48, "big") + _GY, r"coordinate is not reduced \(>= p\)"),
    (_GX + (int.from_bytes(_GY, "big") + P).to_bytes(48, "big"), r"coordinate is not reduced \(>= p\)"),
    (_GX + ((int.from_bytes(_GY, "big") + 1) % P).to_bytes(48, "big"), "G1 point is not on the curve"),
    (bytes(96), "G1 point is not on the curve"),  # (0, 0): how the arkworks binding writes the identity
    (OFF_SUBGROUP_XY, "G1 point is not in the prime-order subgroup"),
]


def _g2_bytes(pair: tuple[int, int]) -> bytes:
    return pair[0].to_bytes(48, "big") + pair[1].to_bytes(48, "big")


G2_BAD_ENCODINGS = [
    (G2_GENERATOR[:95], "G2 point must be 96 bytes, got 95"),
    (G2_INFINITY, "G2 point is the identity"),
    (b"\xc0" + bytes(94) + b"\x01", "point at infinity has a non-canonical encoding"),
    (b"\xe0" + bytes(95), "point at infinity has a non-canonical encoding"),
    (bytes([G2_GENERATOR[0] & 0x7F]) + G2_GENERATOR[1:], r"C flag unset"),
    (G2_GENERATOR[:48] + P.to_bytes(48, "big"), r"x-coordinate is not reduced \(>= p\)"),
    ((P | (1 << 383)).to_bytes(48, "big") + G2_GENERATOR[48:], r"x-coordinate is not reduced \(>= p\)"),
    (_g2_bytes((1 << 383, _non_square_g2_x())), "G2 point is not on the curve"),
    (_g2_bytes(compress_G2(map_to_curve_G2(FQ2([1, 2])))), "G2 point is not in the prime-order subgroup"),
]
