"""BBS octet encodings (draft-irtf-cfrg-bbs-signatures section 4.2.4): keys, signatures and proofs, strictly.

Every decoder raises `MalformedInput` with the reason; the BBS operations turn that into INVALID (False).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zk.curve import G1_LENGTH, G2_LENGTH, SCALAR_LENGTH, Backend, R, scalar_from_bytes
from zk.errors import MalformedInput

# Section 7: both ciphersuites serialize scalars in 32 bytes and G1 points compressed in 48, and hash to
# scalars through expand_len = ceil((ceil(log2(r)) + k) / 8) = 48 bytes for k = 128.
octet_scalar_length = SCALAR_LENGTH
octet_point_length = G1_LENGTH
expand_len = 48
# signature_to_octets: the point A, then the scalar e.
SIGNATURE_LENGTH = octet_point_length + octet_scalar_length
# octets_to_proof's floor: 3 points (Abar, Bbar, D) and 4 scalars (e^, r1^, r3^, challenge); a proof has one
# more scalar per undisclosed message.
PROOF_LENGTH_FLOOR = 3 * octet_point_length + 4 * octet_scalar_length
# Blind BBS commit_len_floor: commitment_with_proof = C || s^ || (m^_1, ..., m^_M) || challenge is one point
# and at least two scalars, plus one scalar per committed message.
COMMITMENT_LENGTH_FLOOR = octet_point_length + 2 * octet_scalar_length


def require_bytes(value: Any, what: str) -> bytes:
    """Inputs from outside must be bytes-like; anything else is malformed, not a crash."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise MalformedInput(f"{what} must be bytes, not {type(value).__name__}")


def i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def octets_to_secret_key(sk: bytes) -> int:
    """A secret key is a 32-byte big-endian scalar with 0 < SK < r (section 3.4.1)."""
    sk = require_bytes(sk, "secret key")
    if len(sk) != octet_scalar_length:
        raise MalformedInput(f"secret key must be {octet_scalar_length} bytes, got {len(sk)}")
    value = int.from_bytes(sk, "big")
    if not 0 < value < R:
        raise MalformedInput("secret key must be a scalar in [1, r-1]")
    return value


def octets_to_pubkey(backend: Backend, pk: bytes) -> Any:
    """octets_to_pubkey (section 4.2.4.5): a G2 point in the subgroup and not the identity."""
    pk = require_bytes(pk, "public key")
    if len(pk) != G2_LENGTH:
        raise MalformedInput(f"public key must be {G2_LENGTH} bytes, got {len(pk)}")
    return backend.g2_decompress(pk)


def signature_to_octets(backend: Backend, a: Any, e: int) -> bytes:
    return backend.g1_compress(a) + i2osp(e, octet_scalar_length)


def octets_to_signature(backend: Backend, signature: bytes) -> tuple[Any, int]:
    """octets_to_signature (section 4.2.4.2): A a non-identity G1 point, 0 < e < r."""
    signature = require_bytes(signature, "signature")
    if len(signature) != SIGNATURE_LENGTH:
        raise MalformedInput(f"signature must be {SIGNATURE_LENGTH} bytes, got {len(signature)}")
    a = backend.g1_decompress(signature[:octet_point_length])
    e = scalar_from_bytes(signature[octet_point_length:], nonzero=True)
    return a, e


@dataclass(frozen=True)
class Proof:
    """The parsed proof: (Abar, Bbar, D, e^, r1^, r3^, (m^_j1, ..., m^_jU), challenge)."""

    a_bar: Any
    b_bar: Any
    d: Any
    e_hat: int
    r1_hat: int
    r3_hat: int
    commitments: tuple[int, ...]
    challenge: int


def proof_to_octets(backend: Backend, points: Sequence[Any], scalars: Sequence[int]) -> bytes:
    """proof_to_octets (section 4.2.4.3): the points compressed, then every scalar as 32 bytes."""
    return b"".join(backend.g1_compress(p) for p in points) + b"".join(
        i2osp(s, octet_scalar_length) for s in scalars
    )


def octets_to_proof(backend: Backend, proof: bytes) -> Proof:
    """octets_to_proof (section 4.2.4.4): 3 non-identity G1 points, then nonzero scalars < r."""
    proof = require_bytes(proof, "proof")
    if len(proof) < PROOF_LENGTH_FLOOR:
        raise MalformedInput(f"proof must be at least {PROOF_LENGTH_FLOOR} bytes, got {len(proof)}")
    if (len(proof) - PROOF_LENGTH_FLOOR) % octet_scalar_length:
        raise MalformedInput("proof length is not 3 points plus a whole number of scalars")
    points = [
        backend.g1_decompress(proof[i : i + octet_point_length])
        for i in range(0, 3 * octet_point_length, octet_point_length)
    ]
    scalars = [
        scalar_from_bytes(proof[i : i + octet_scalar_length], nonzero=True)
        for i in range(3 * octet_point_length, len(proof), octet_scalar_length)
    ]
    return Proof(
        points[0], points[1], points[2], scalars[0], scalars[1], scalars[2], tuple(scalars[3:-1]), scalars[-1]
    )
