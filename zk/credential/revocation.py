"""Revocation of credentials without linkability: the holder's revocation data (the hidden handle message and
its accumulator witness), the offline witness refresh, and the zero-knowledge membership proof a presentation
carries (`zk.accumulator`: Vitto & Biryukov 2020, section 5's proof of knowledge of a witness).

The prover randomizes its witness C (e(C, y * P~ + Q~) = e(V, P~)) with a fresh r:

    C' = r * C,   V' = r * V - y * C'   (= alpha * C', so e(C', Q~) = e(V', P~) holds exactly for members)

and proves knowledge of (r, y) with V' = r * V - y * C': T = r~ * V - m~ * C', where m~ is the BBS proof's own
blinding of the handle message. The verifier recomputes T = r^ * V - m^ * C' - c * V' from the BBS response
m^ of that message and hashes C', V', T and (epoch, V) into the BBS challenge, so the handle in the membership
proof is the one the issuer signed. C' and V' are uniform and fresh in every presentation; nothing else is
shown but the epoch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zk.accumulator import MAX_EPOCH, UpdateData, Witness, check_handle, update_witness
from zk.bbs.encoding import i2osp
from zk.curve import G1_LENGTH, G2_LENGTH, SCALAR_LENGTH, Backend, R, random_scalar
from zk.errors import InvalidParameters, MalformedInput
from zk.wire import (
    b64url,
    from_b64url,
    require_int,
    require_object,
    scalar_from_b64,
    scalar_to_b64,
)

PROOF_LENGTH = 2 * G1_LENGTH + SCALAR_LENGTH  # C' || V' || r^


@dataclass(frozen=True)
class CredentialRevocation:
    """What a holder keeps to show non-revocation: the handle (a signed, never disclosed message), the
    issuer's accumulator public key Q~, and the witness for one epoch."""

    handle: int = dataclasses.field(repr=False)
    public_key: bytes
    witness: Witness

    def to_json(self) -> dict:
        return {
            "handle": scalar_to_b64(self.handle),
            "public_key": b64url(self.public_key),
            "epoch": self.witness.epoch,
            "accumulator": b64url(self.witness.accumulator),
            "witness": b64url(self.witness.witness),
        }

    @classmethod
    def from_json(cls, value: Any, what: str = "revocation") -> CredentialRevocation:
        obj = require_object(value, what, ("handle", "public_key", "epoch", "accumulator", "witness"))
        return cls(
            scalar_from_b64(obj["handle"], f"{what}.handle", nonzero=True),
            from_b64url(obj["public_key"], f"{what}.public_key", length=G2_LENGTH),
            Witness(
                require_int(obj["epoch"], f"{what}.epoch", 0, MAX_EPOCH),
                from_b64url(obj["accumulator"], f"{what}.accumulator", length=G1_LENGTH),
                from_b64url(obj["witness"], f"{what}.witness", length=G1_LENGTH),
            ),
        )

    def refreshed(
        self, updates: Sequence[UpdateData], *, backend: Backend | None = None
    ) -> CredentialRevocation:
        """The revocation data after the batches `updates` (consecutive, from the witness's epoch + 1). Raises
        zk.accumulator.Revoked when this credential was revoked."""
        new = update_witness(self.public_key, self.handle, self.witness, updates, backend=backend)
        return dataclasses.replace(self, witness=new)


@dataclass(frozen=True)
class AcceptedEpochs:
    """What a verifier accepts: the issuer's accumulator public key and the values of the epochs it accepts
    (the latest, and those within its grace period)."""

    public_key: bytes
    values: Mapping[int, bytes]

    def __post_init__(self) -> None:
        if not self.values:
            raise InvalidParameters("a verifier accepts at least the latest epoch")

    @property
    def oldest(self) -> int:
        return min(self.values)


@dataclass(frozen=True)
class MembershipProof:
    """A presentation's non-revocation proof: the epoch and C', V', r^."""

    epoch: int
    c_bar: Any
    v_bar: Any
    r_hat: int

    def to_json(self, backend: Backend) -> dict:
        data = backend.g1_compress(self.c_bar) + backend.g1_compress(self.v_bar)
        return {"epoch": self.epoch, "proof": b64url(data + self.r_hat.to_bytes(SCALAR_LENGTH, "big"))}

    @classmethod
    def from_json(
        cls, backend: Backend, value: Any, what: str = "presentation.revocation"
    ) -> MembershipProof:
        """Strict decoding: two G1 points in the subgroup, not the identity, and a reduced scalar."""
        obj = require_object(value, what, ("epoch", "proof"))
        epoch = require_int(obj["epoch"], f"{what}.epoch", 0, MAX_EPOCH)
        data = from_b64url(obj["proof"], f"{what}.proof", length=PROOF_LENGTH)
        try:
            c_bar = backend.g1_decompress(data[:G1_LENGTH])
            v_bar = backend.g1_decompress(data[G1_LENGTH : 2 * G1_LENGTH])
        except MalformedInput as exc:
            raise MalformedInput(f"{what}.proof: {exc}") from None
        r_hat = int.from_bytes(data[2 * G1_LENGTH :], "big")
        if r_hat >= R:
            raise MalformedInput(f"{what}.proof: the response is not reduced (>= r)")
        return cls(epoch, c_bar, v_bar, r_hat)


def challenge_octets(epoch: int, accumulator: bytes) -> bytes:
    """What the BBS challenge hashes about the epoch: I2OSP(epoch, 8) || V."""
    return i2osp(epoch, 8) + accumulator


class PendingMembership:
    """The prover's state between its commitments (before the BBS challenge) and its response (after)."""

    def __init__(self, revocation: CredentialRevocation, m_tilde: int, backend: Backend) -> None:
        check_handle(revocation.handle)
        self.revocation = revocation
        self.backend = backend
        witness = revocation.witness
        value = backend.g1_decompress(witness.accumulator)
        self._r = random_scalar()
        self._r_tilde = random_scalar()
        self.c_bar = backend.g1_mul(backend.g1_decompress(witness.witness), self._r)
        self.v_bar = backend.g1_msm([value, self.c_bar], [self._r, -revocation.handle])
        self.t = backend.g1_msm([value, self.c_bar], [self._r_tilde, -m_tilde])

    @property
    def points(self) -> list[Any]:
        """C', V', T: the points the BBS challenge hashes."""
        return [self.c_bar, self.v_bar, self.t]

    def challenge_octets(self) -> bytes:
        return challenge_octets(self.revocation.witness.epoch, self.revocation.witness.accumulator)

    def finalize(self, challenge: int) -> MembershipProof:
        r_hat = (self._r_tilde + challenge * self._r) % R
        return MembershipProof(self.revocation.witness.epoch, self.c_bar, self.v_bar, r_hat)


def membership_points(
    proof: MembershipProof, accumulator: bytes, m_hat: int, challenge: int, backend: Backend
) -> list[Any]:
    """The verifier's C', V', T = r^ * V - m^ * C' - c * V' (m^: the BBS response of the handle message)."""
    value = backend.g1_decompress(accumulator)
    t = backend.g1_msm([value, proof.c_bar, proof.v_bar], [proof.r_hat, -m_hat, -challenge])
    return [proof.c_bar, proof.v_bar, t]


def membership_holds(proof: MembershipProof, public_key: bytes, backend: Backend) -> bool:
    """e(C', Q~) == e(V', P~): V' = alpha * C', which (with the proof of V' = r * V - y * C') says that C' / r
    is a witness of the signed handle for the epoch's accumulator V."""
    q = backend.g2_decompress(public_key)
    return backend.pairing_check([(proof.c_bar, q), (backend.g1_neg(proof.v_bar), backend.g2_generator())])


__all__ = [
    "PROOF_LENGTH",
    "AcceptedEpochs",
    "CredentialRevocation",
    "MembershipProof",
    "PendingMembership",
    "challenge_octets",
    "membership_holds",
    "membership_points",
]
