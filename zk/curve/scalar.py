"""Scalars of BLS12-381: integers mod the prime group order r, with strict 32-byte big-endian encoding."""

from __future__ import annotations

import secrets

from zk.errors import MalformedInput

# The order of G1, G2 and GT (draft-irtf-cfrg-pairing-friendly-curves, BLS12-381 parameters).
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
SCALAR_LENGTH = 32


def scalar_from_bytes(data: bytes, *, nonzero: bool = False) -> int:
    """Decode a canonical 32-byte big-endian scalar; values >= r (and 0 when `nonzero`) are refused."""
    if not isinstance(data, (bytes, bytearray)):
        raise MalformedInput(f"scalar must be bytes, not {type(data).__name__}")
    if len(data) != SCALAR_LENGTH:
        raise MalformedInput(f"scalar must be {SCALAR_LENGTH} bytes, got {len(data)}")
    value = int.from_bytes(data, "big")
    if value >= R:
        raise MalformedInput("scalar is not reduced: value >= group order r")
    if nonzero and value == 0:
        raise MalformedInput("scalar must be nonzero")
    return value


def scalar_to_bytes(value: int) -> bytes:
    """I2OSP(value, 32) of a scalar already in [0, r)."""
    if not 0 <= value < R:
        raise ValueError("scalar out of range [0, r)")
    return value.to_bytes(SCALAR_LENGTH, "big")


def scalar_inverse(value: int) -> int:
    """The multiplicative inverse mod r; 0 has none."""
    if value % R == 0:
        raise ZeroDivisionError("0 has no inverse mod r")
    return pow(value, -1, R)


def random_scalar() -> int:
    """A uniformly random nonzero scalar from the operating system's CSPRNG."""
    return secrets.randbelow(R - 1) + 1
