"""A dynamic universal accumulator over BLS12-381 with batch removals (Vitto & Biryukov 2020, positive
accumulator): the issuer's key, accumulator values per epoch, membership witnesses, batch removal with its
public update data, and the holder's offline witness update.

    V = prod(y_i + alpha) * P          alpha: the issuer's secret; Q~ = alpha * P~ (G2) is public
    witness of y:   C = (1 / (y + alpha)) * V,  checked by  e(C, y * P~ + Q~) == e(V, P~)

Witnesses are issued against the current value without changing it (an element is a member because the issuer
gave it a witness); only removals change V, one epoch per batch. Removing y_1..y_m from V_0 gives
V_m = V_0 / prod(y_s + alpha); every other holder updates its witness C_0 to

    C_m = (C_0 - sum_j y^j * Omega_j) / d(y),    d(x) = prod_s (y_s - x),
    Omega_j = sum_s [x^j] v_s(x) * V_s,        v_s(x) = prod_{i<s} (y_i - x)

(the unrolled single-removal rule C_s = (C_{s-1} - V_s) / (y_s - y)). The issuer computes each Omega_j as one
scalar times V_0, since it knows alpha. The update data is d's coefficients (m + 1 scalars) and Omega (m
points): nothing in it names a holder; a holder whose y is a root of d learns it was removed (`Revoked`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zk.curve import G1_LENGTH, SCALAR_LENGTH, Backend, R, get_backend, random_scalar
from zk.errors import InvalidParameters, MalformedInput, ZkError
from zk.wire import b64url, from_b64url, require_int, require_message

MAX_EPOCH = 2**53 - 1
# One batch removes at most this many handles: its update data is then at most ~320 KB.
MAX_BATCH = 4096
_KEY_DST = b"govgraph/accumulator/v1/keygen"


class Revoked(ZkError):
    """The holder's element was removed: no witness for the new accumulator value exists."""


@dataclass(frozen=True)
class AccumulatorKey:
    """The issuer's secret alpha and the public Q~ = alpha * P~ (compressed G2)."""

    secret: int = field(repr=False)
    public_key: bytes

    @classmethod
    def generate(cls, key_material: bytes | None = None, *, backend: Backend | None = None) -> AccumulatorKey:
        curve = backend or get_backend()
        if key_material is None:
            secret = random_scalar()
        else:  # deterministic from key material (tests, and keys derived from a stored seed)
            secret = int.from_bytes(hashlib.shake_256(_KEY_DST + bytes(key_material)).digest(64), "big") % R
            secret = secret or 1
        return cls(secret, curve.g2_compress(curve.g2_mul(curve.g2_generator(), secret)))


@dataclass(frozen=True)
class Accumulator:
    """The accumulator value V (compressed G1) of one epoch."""

    epoch: int
    value: bytes

    TYPE = "govgraph.accumulator.Accumulator"

    def to_json(self) -> dict:
        return {"type": self.TYPE, "version": 1, "epoch": self.epoch, "value": b64url(self.value)}

    @classmethod
    def from_json(cls, value: Any, *, backend: Backend | None = None) -> Accumulator:
        obj = require_message(value, cls.TYPE, ("epoch", "value"))
        data = from_b64url(obj["value"], "accumulator.value", length=G1_LENGTH)
        _point(backend or get_backend(), data, "accumulator.value")
        return cls(require_int(obj["epoch"], "accumulator.epoch", 0, MAX_EPOCH), data)


def initial_accumulator(backend: Backend | None = None) -> Accumulator:
    """Epoch 0: V_0 = v * P for a random v (so V_0 is an accumulation of elements nobody knows)."""
    curve = backend or get_backend()
    return Accumulator(0, curve.g1_compress(curve.g1_mul(curve.g1_generator(), random_scalar())))


def check_handle(handle: int, what: str = "handle") -> int:
    if type(handle) is not int or not 0 < handle < R:
        raise InvalidParameters(f"{what} must be a nonzero scalar")
    return handle


def membership_witness(
    key: AccumulatorKey, accumulator: Accumulator, handle: int, *, backend: Backend | None = None
) -> bytes:
    """C = V / (y + alpha): the witness of `handle` for this epoch (issuer side)."""
    curve = backend or get_backend()
    check_handle(handle)
    denominator = (handle + key.secret) % R
    if denominator == 0:  # y = -alpha would reveal alpha: never issue it
        raise InvalidParameters("this handle cannot be accumulated")
    value = _point(curve, accumulator.value, "accumulator.value")
    return curve.g1_compress(curve.g1_mul(value, pow(denominator, -1, R)))


def verify_witness(
    public_key: bytes,
    accumulator: Accumulator,
    handle: int,
    witness: bytes,
    *,
    backend: Backend | None = None,
) -> bool:
    """e(C, y * P~ + Q~) == e(V, P~); False for anything malformed."""
    curve = backend or get_backend()
    try:
        check_handle(handle)
        q = curve.g2_decompress(public_key)
        c = curve.g1_decompress(witness)
        v = _point(curve, accumulator.value, "accumulator.value")
    except (MalformedInput, InvalidParameters):
        return False
    p2 = curve.g2_generator()
    left = curve.g2_add(curve.g2_mul(p2, handle), q)
    return curve.pairing_check([(c, left), (curve.g1_neg(v), p2)])


@dataclass(frozen=True)
class UpdateData:
    """The public data of one removal batch: the epoch it leads to (from epoch - 1), the new value, d(x)'s
    coefficients d_0..d_m (low degree first) and Omega_0..Omega_{m-1} (compressed G1)."""

    epoch: int
    accumulator: bytes
    coefficients: tuple[int, ...]
    omega: tuple[bytes, ...]

    TYPE = "govgraph.accumulator.Update"

    def __post_init__(self) -> None:
        if len(self.coefficients) != len(self.omega) + 1 or not self.omega:
            raise InvalidParameters("an update has m points and m + 1 coefficients, m >= 1")

    def removes(self, handle: int) -> bool:
        """Whether this batch removed `handle` (it is a root of d)."""
        return _evaluate(self.coefficients, handle % R) == 0

    @property
    def size(self) -> int:
        """The update data's size in bytes (binary: the points and the scalars)."""
        return G1_LENGTH * (len(self.omega) + 1) + SCALAR_LENGTH * len(self.coefficients)

    def to_json(self) -> dict:
        return {
            "type": self.TYPE,
            "version": 1,
            "epoch": self.epoch,
            "accumulator": b64url(self.accumulator),
            "coefficients": b64url(b"".join(k.to_bytes(SCALAR_LENGTH, "big") for k in self.coefficients)),
            "omega": b64url(b"".join(self.omega)),
        }

    @classmethod
    def from_json(cls, value: Any) -> UpdateData:
        """Decode the encodings (lengths, counts, scalars < r); points are checked when applied."""
        obj = require_message(value, cls.TYPE, ("epoch", "accumulator", "coefficients", "omega"))
        epoch = require_int(obj["epoch"], "update.epoch", 1, MAX_EPOCH)
        accumulator = from_b64url(obj["accumulator"], "update.accumulator", length=G1_LENGTH)
        omega = from_b64url(obj["omega"], "update.omega", max_length=MAX_BATCH * G1_LENGTH)
        coefficients = from_b64url(
            obj["coefficients"], "update.coefficients", max_length=(MAX_BATCH + 1) * SCALAR_LENGTH
        )
        if not omega or len(omega) % G1_LENGTH:
            raise MalformedInput(f"update.omega must be a non-empty list of {G1_LENGTH}-byte points")
        m = len(omega) // G1_LENGTH
        if len(coefficients) != (m + 1) * SCALAR_LENGTH:
            raise MalformedInput(f"update.coefficients must be {m + 1} scalars for {m} points")
        scalars = tuple(
            int.from_bytes(coefficients[i : i + SCALAR_LENGTH], "big")
            for i in range(0, len(coefficients), SCALAR_LENGTH)
        )
        if any(k >= R for k in scalars):
            raise MalformedInput("update.coefficients: a scalar is not reduced (>= r)")
        points = tuple(omega[i : i + G1_LENGTH] for i in range(0, len(omega), G1_LENGTH))
        return cls(epoch, accumulator, scalars, points)


def remove(
    key: AccumulatorKey,
    accumulator: Accumulator,
    handles: Sequence[int],
    *,
    backend: Backend | None = None,
) -> tuple[Accumulator, UpdateData]:
    """Remove a batch of distinct handles: the next epoch's accumulator and the batch's update data."""
    curve = backend or get_backend()
    if not 0 < len(handles) <= MAX_BATCH or len(set(handles)) != len(handles):
        raise InvalidParameters(f"a removal batch is 1-{MAX_BATCH} distinct handles")
    for handle in handles:
        check_handle(handle)
    v0 = _point(curve, accumulator.value, "accumulator.value")
    # inv_s = 1 / prod_{i<=s} (y_i + alpha): V_s = inv_s * V_0
    running, inverses = 1, []
    for y in handles:
        running = running * (y + key.secret) % R
        inverses.append(running)
    if not all(inverses):
        raise InvalidParameters("a handle equals -alpha: it cannot be removed")
    inverses = [pow(k, -1, R) for k in inverses]
    # omega(x) = sum_s v_s(x) * inv_s and d(x) = v_{m+1}(x), built together:
    # v_1 = 1, v_{s+1} = v_s * (y_s - x)
    omega = [0] * len(handles)
    v = [1]
    for y, inverse in zip(handles, inverses, strict=True):
        for j, coefficient in enumerate(v):
            omega[j] = (omega[j] + coefficient * inverse) % R
        v = _times_root_minus_x(v, y)
    new_value = curve.g1_compress(curve.g1_mul(v0, inverses[-1]))
    points = tuple(curve.g1_compress(curve.g1_mul(v0, w)) for w in omega)
    epoch = accumulator.epoch + 1
    return Accumulator(epoch, new_value), UpdateData(epoch, new_value, tuple(v), points)


def _times_root_minus_x(poly: list[int], y: int) -> list[int]:
    """poly(x) * (y - x), coefficients low degree first."""
    out = [0] * (len(poly) + 1)
    for j, coefficient in enumerate(poly):
        out[j] = (out[j] + coefficient * y) % R
        out[j + 1] = (out[j + 1] - coefficient) % R
    return out


@dataclass(frozen=True)
class Witness:
    """A holder's membership witness: its handle's C for one epoch's accumulator value."""

    epoch: int
    accumulator: bytes
    witness: bytes


def update_witness(
    public_key: bytes,
    handle: int,
    witness: Witness,
    updates: Sequence[UpdateData],
    *,
    backend: Backend | None = None,
) -> Witness:
    """Apply consecutive batches (epochs witness.epoch + 1, + 2, ...) to a witness, offline. Raises Revoked
    when the handle was removed, MalformedInput for update data that is not well formed or does not lead to a
    valid witness, InvalidParameters when the batches do not follow the witness's epoch."""
    curve = backend or get_backend()
    check_handle(handle)
    c = curve.g1_decompress(witness.witness)
    epoch = witness.epoch
    for update in updates:
        if update.epoch != epoch + 1:
            raise InvalidParameters(f"the update for epoch {update.epoch} does not follow epoch {epoch}")
        d = _evaluate(update.coefficients, handle)
        if d == 0:
            raise Revoked(f"the credential was revoked in epoch {update.epoch}")
        powers, power = [], 1
        for _ in update.omega:
            powers.append(power)
            power = power * handle % R
        # Omega's points enter nothing but this msm, whose result is checked below (subgroup and pairing)
        try:
            omega = [curve.g1_decompress_on_curve(p, allow_identity=True) for p in update.omega]
        except MalformedInput as exc:
            raise MalformedInput(f"update.omega: {exc}") from None
        inverse = pow(d, -1, R)
        c = curve.g1_msm([c, *omega], [inverse, *(-k * inverse for k in powers)])
        epoch = update.epoch
    if not updates:
        return witness
    last = updates[-1]
    new = Witness(epoch, last.accumulator, curve.g1_compress(c))
    try:
        curve.g1_decompress(new.witness)
    except MalformedInput:
        raise MalformedInput("the update data does not give a valid witness") from None
    if not verify_witness(
        public_key, Accumulator(epoch, last.accumulator), handle, new.witness, backend=curve
    ):
        raise MalformedInput("the update data does not give a valid witness for the new accumulator")
    return new


def update_witness_one_by_one(
    public_key: bytes,
    handle: int,
    witness: Witness,
    removed: Sequence[int],
    values: Sequence[bytes],
    *,
    backend: Backend | None = None,
) -> Witness:
    """The naive reference: single removals y_s with their values V_s, C_s = (C_{s-1} - V_s) / (y_s - y).
    Tests check that `update_witness` agrees with it."""
    curve = backend or get_backend()
    c = curve.g1_decompress(witness.witness)
    for y, value in zip(removed, values, strict=True):
        if y == handle:
            raise Revoked("the handle was removed")
        c = curve.g1_mul(curve.g1_sub(c, curve.g1_decompress(value)), pow((y - handle) % R, -1, R))
    return Witness(witness.epoch + 1, values[-1], curve.g1_compress(c))


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    out = 0
    for coefficient in reversed(coefficients):
        out = (out * x + coefficient) % R
    return out


def _point(curve: Backend, data: bytes, what: str) -> Any:
    try:
        return curve.g1_decompress(data)
    except MalformedInput as exc:
        raise MalformedInput(f"{what}: {exc}") from None


def new_handle() -> int:
    """A fresh random revocation handle (a nonzero scalar from the OS CSPRNG)."""
    return int.from_bytes(os.urandom(64), "big") % (R - 1) + 1


__all__ = [
    "MAX_BATCH",
    "Accumulator",
    "AccumulatorKey",
    "Revoked",
    "UpdateData",
    "Witness",
    "initial_accumulator",
    "membership_witness",
    "new_handle",
    "remove",
    "update_witness",
    "update_witness_one_by_one",
    "verify_witness",
]
