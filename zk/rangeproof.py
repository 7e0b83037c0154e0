"""Bulletproofs range proofs over BLS12-381 G1: committed values lie in [0, 2^n), verified with one msm.

The aggregated logarithmic range proof of Bunz et al. (S&P 2018, sections 4.2, 4.3 and 6.2) on Pedersen
commitments V_j = v_j * g + gamma_j * h. The generators are hash_to_G1 of short names under `GENERATOR_DST`,
the Fiat-Shamir transcript's domain is `DOMAIN`, and `verify_batch` checks several proofs in one msm. Details
(generators, the transcript's order, the encoding): docs/zk.md.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from zk.curve import G1_LENGTH, SCALAR_LENGTH, Backend, R, get_backend, scalar_from_bytes
from zk.errors import InvalidParameters, MalformedInput
from zk.group import g1_group
from zk.hash_to_curve import hash_to_G1
from zk.json_input import describe
from zk.transcript import Transcript

DOMAIN = b"govgraph/rangeproof/bulletproofs/v1"
GENERATOR_DST = b"GOVGRAPH-RANGEPROOF-V1_BLS12381G1_XMD:SHA-256_SSWU_RO_"
# Bit lengths and aggregation sizes we accept: n * m must be a power of two for the halving argument.
ALLOWED_BITS = (8, 16, 32, 64)
ALLOWED_AGGREGATION = (1, 2, 4)
MAX_VECTOR_LENGTH = max(ALLOWED_BITS) * max(ALLOWED_AGGREGATION)
# The inner-product argument stops at vectors of this length and sends them: 3 rounds fewer (6 points, 288
# bytes) for 14 more scalars (448 bytes): 6 fewer points for the verifier to decode, subgroup-check and
# hash per proof, and point decoding dominates a presentation's verification time.
FINAL_LENGTH = 8

ScalarSource = Callable[[], int]


def _random_scalar() -> int:
    return secrets.randbelow(R - 1) + 1


class Generators:
    """The range-proof generators of one backend, derived on first use and then cached."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.g = hash_to_G1(b"g", GENERATOR_DST, backend=backend)
        self.h = hash_to_G1(b"h", GENERATOR_DST, backend=backend)
        self._G: list[Any] = []
        self._H: list[Any] = []
        self._lock = threading.Lock()

    def vectors(self, length: int) -> tuple[list[Any], list[Any]]:
        """(G_0 .. G_{length-1}, H_0 .. H_{length-1})."""
        if not 0 < length <= MAX_VECTOR_LENGTH:
            raise InvalidParameters(f"range proof vector length {length} out of range")
        with self._lock:
            for i in range(len(self._G), length):
                index = i.to_bytes(4, "big")
                self._G.append(hash_to_G1(b"G" + index, GENERATOR_DST, backend=self.backend))
                self._H.append(hash_to_G1(b"H" + index, GENERATOR_DST, backend=self.backend))
            return self._G[:length], self._H[:length]

    def commit(self, value: int, blinding: int) -> Any:
        """The Pedersen commitment value * g + blinding * h."""
        return self.backend.g1_msm([self.g, self.h], [value, blinding])


_generators: dict[str, Generators] = {}
_generators_lock = threading.Lock()


def generators(backend: Backend | None = None) -> Generators:
    """The shared `Generators` of a backend (default: `get_backend()`)."""
    curve = backend or get_backend()
    with _generators_lock:
        gens = _generators.get(curve.name)
        if gens is None:
            gens = _generators[curve.name] = Generators(curve)
        return gens


@dataclass(frozen=True)
class RangeProof:
    """A parsed range proof: log2(n * m / FINAL_LENGTH) rounds (L_k, R_k) and final vectors a, b."""

    a_commit: Any
    s_commit: Any
    t1: Any
    t2: Any
    tau_x: int
    mu: int
    t_hat: int
    a: tuple[int, ...]
    b: tuple[int, ...]
    ls: tuple[Any, ...]
    rs: tuple[Any, ...]

    def to_bytes(self, backend: Backend) -> bytes:
        """The encoding (computed once: a decoded proof keeps the bytes it came from)."""
        cached = self.__dict__.get("_encoding")
        if cached is None:
            points = [self.a_commit, self.s_commit, self.t1, self.t2]
            rounds = [p for pair in zip(self.ls, self.rs, strict=True) for p in pair]
            cached = (
                b"".join(backend.g1_compress(p) for p in points)
                + b"".join(
                    s.to_bytes(SCALAR_LENGTH, "big")
                    for s in (self.tau_x, self.mu, self.t_hat, *self.a, *self.b)
                )
                + b"".join(backend.g1_compress(p) for p in rounds)
            )
            self.__dict__["_encoding"] = cached  # frozen dataclass: a cache, not a field
        return cached

    def point_encodings(self, backend: Backend) -> tuple[list[bytes], list[bytes]]:
        """([A, S, T1, T2], [L_1, R_1, ..., L_k, R_k]) as compressed bytes, sliced from `to_bytes`: the
        transcript absorbs these, and compressing a point costs more than hashing it."""
        data = self.to_bytes(backend)
        head = [data[i * G1_LENGTH : (i + 1) * G1_LENGTH] for i in range(4)]
        start = 4 * G1_LENGTH + (3 + 2 * len(self.a)) * SCALAR_LENGTH
        tail = [data[start + i * G1_LENGTH : start + (i + 1) * G1_LENGTH] for i in range(2 * len(self.ls))]
        return head, tail

    @classmethod
    def from_bytes(cls, backend: Backend, data: bytes, bits: int, count: int) -> RangeProof:
        """Strict decoding for a proof about `count` values of `bits` bits; raises MalformedInput."""
        rounds, final = _ipa_shape(_check_shape(bits, count))
        if not isinstance(data, (bytes, bytearray)):
            raise MalformedInput(f"range proof must be bytes, not {type(data).__name__}")
        expected = proof_length(bits, count)
        if len(data) != expected:
            raise MalformedInput(f"range proof must be {expected} bytes, got {len(data)}")
        data = bytes(data)

        def point(offset: int) -> Any:
            return backend.g1_decompress(data[offset : offset + G1_LENGTH])

        head = [point(i * G1_LENGTH) for i in range(4)]
        start = 4 * G1_LENGTH
        scalars = [
            scalar_from_bytes(data[start + i * SCALAR_LENGTH : start + (i + 1) * SCALAR_LENGTH])
            for i in range(3 + 2 * final)
        ]
        start += (3 + 2 * final) * SCALAR_LENGTH
        tail = [point(start + i * G1_LENGTH) for i in range(2 * rounds)]
        proof = cls(
            *head,
            *scalars[:3],
            tuple(scalars[3 : 3 + final]),
            tuple(scalars[3 + final :]),
            tuple(tail[0::2]),
            tuple(tail[1::2]),
        )
        proof.__dict__["_encoding"] = data
        return proof


def proof_length(bits: int, count: int) -> int:
    """Bytes in an encoded proof for `count` values of `bits` bits."""
    rounds, final = _ipa_shape(_check_shape(bits, count))
    return (4 + 2 * rounds) * G1_LENGTH + (3 + 2 * final) * SCALAR_LENGTH


def _ipa_shape(length: int) -> tuple[int, int]:
    """(rounds, final length) of the inner-product argument on vectors of `length` (a power of two)."""
    final = min(length, FINAL_LENGTH)
    return length.bit_length() - final.bit_length(), final


def _check_shape(bits: int, count: int) -> int:
    # type() first: 8.0 and True compare equal to allowed ints
    if type(bits) is not int or bits not in ALLOWED_BITS:
        raise InvalidParameters(f"range proofs are over {ALLOWED_BITS} bits, not {describe(bits)}")
    if type(count) is not int or count not in ALLOWED_AGGREGATION:
        raise InvalidParameters(
            f"a range proof aggregates {ALLOWED_AGGREGATION} values, not {describe(count)}"
        )
    return bits * count


def _inner(xs: Sequence[int], ys: Sequence[int]) -> int:
    return sum(x * y for x, y in zip(xs, ys, strict=True)) % R


def _powers(base: int, count: int) -> list[int]:
    out, acc = [], 1
    for _ in range(count):
        out.append(acc)
        acc = acc * base % R
    return out


Shift = tuple[int, int]  # (sign, offset): V = sign * C + offset * g


def _transcript(
    backend: Backend, commitments: Sequence[Any], bits: int, context: bytes, shifts: Sequence[Shift] | None
) -> Transcript:
    transcript = Transcript(g1_group(backend), DOMAIN)
    transcript.append_message(b"generators", GENERATOR_DST)
    transcript.append_message(b"context", context)
    transcript.append_int(b"n", bits)
    transcript.append_int(b"m", len(commitments))
    transcript.append_elements(b"V", commitments)
    if shifts is not None:
        # the statement is about V_j = sign_j * C_j + offset_j * g: hash (C_j, sign_j, offset_j)
        for sign, offset in shifts:
            transcript.append_int(b"sign", sign)
            transcript.append_scalar(b"offset", offset)
    return transcript


def _check_shifts(shifts: Sequence[Shift] | None, count: int) -> None:
    if shifts is not None and (len(shifts) != count or any(sign not in (1, -1) for sign, _ in shifts)):
        raise InvalidParameters("one shift (sign +1 or -1, offset) per value is needed")


def prove(
    values: Sequence[int],
    blindings: Sequence[int],
    bits: int,
    context: bytes,
    *,
    backend: Backend | None = None,
    rng: ScalarSource | None = None,
    unchecked: bool = False,
    bases: Sequence[Any] | None = None,
    shifts: Sequence[Shift] | None = None,
) -> RangeProof:
    """A proof that every values[j] is in [0, 2^bits), for V_j = values[j] * g + blindings[j] * h.

    With `bases` and `shifts`, the statement is V_j = sign_j * bases[j] + offset_j * g (so a verifier never
    computes V_j: see `RangeStatement.shifts`); the values and blindings still open V_j.
    Raises InvalidParameters for a value out of range. `unchecked=True` skips that check and proves the low
    `bits` bits instead: the result does not verify (how tests show a cheating prover fails). `rng` replaces
    the operating system's randomness (reproducible vectors only: a reused stream leaks the values)."""
    curve = backend or get_backend()
    gens = generators(curve)
    m = len(values)
    N = _check_shape(bits, m)
    if len(blindings) != m:
        raise InvalidParameters("one blinding per value is needed")
    draw = rng or _random_scalar
    values = [v % R for v in values]
    if not unchecked and any(v >= 1 << bits for v in values):
        raise InvalidParameters(f"value out of range [0, 2^{bits})")
    G, H = gens.vectors(N)
    g, h = gens.g, gens.h
    _check_shifts(shifts, m)
    if (bases is None) != (shifts is None) or (bases is not None and len(bases) != m):
        raise InvalidParameters("bases and shifts come together, one per value")
    commitments = (
        [gens.commit(v, gamma) for v, gamma in zip(values, blindings, strict=True)]
        if bases is None
        else list(bases)
    )
    transcript = _transcript(curve, commitments, bits, context, shifts)

    # a_L: the bits of every value, a_R = a_L - 1 (Bulletproofs section 4.1, eqs. 36-37)
    a_l = [(v >> i) & 1 for v in values for i in range(bits)]
    a_r = [(bit - 1) % R for bit in a_l]
    alpha, rho = draw(), draw()
    a_commit = curve.g1_msm([h, *G, *H], [alpha, *a_l, *a_r])
    s_l = [draw() for _ in range(N)]
    s_r = [draw() for _ in range(N)]
    s_commit = curve.g1_msm([h, *G, *H], [rho, *s_l, *s_r])
    transcript.append_element(b"A", a_commit)
    transcript.append_element(b"S", s_commit)
    y = transcript.challenge_scalar(b"y")
    z = transcript.challenge_scalar(b"z")

    # l(X) = (a_L - z) + s_L X;  r(X) = y^N o (a_R + z + s_R X) + sum_j z^(2+j) (0 || 2^n || 0)
    y_pow = _powers(y, N)
    z_pow = _powers(z, m + 3)
    two_terms = [z_pow[2 + i // bits] * (1 << (i % bits)) % R for i in range(N)]
    l0 = [(bit - z) % R for bit in a_l]
    r0 = [(yi * (ar + z) + tt) % R for yi, ar, tt in zip(y_pow, a_r, two_terms, strict=True)]
    r1 = [yi * sr % R for yi, sr in zip(y_pow, s_r, strict=True)]
    t1 = (_inner(l0, r1) + _inner(s_l, r0)) % R
    t2 = _inner(s_l, r1)
    tau1, tau2 = draw(), draw()
    t1_commit = curve.g1_msm([g, h], [t1, tau1])
    t2_commit = curve.g1_msm([g, h], [t2, tau2])
    transcript.append_element(b"T1", t1_commit)
    transcript.append_element(b"T2", t2_commit)
    x = transcript.challenge_scalar(b"x")

    tau_x = (tau2 * x * x + tau1 * x + sum(z_pow[2 + j] * gamma for j, gamma in enumerate(blindings))) % R
    mu = (alpha + rho * x) % R
    a_vec = [(a + b * x) % R for a, b in zip(l0, s_l, strict=True)]
    b_vec = [(a + b * x) % R for a, b in zip(r0, r1, strict=True)]
    t_hat = _inner(a_vec, b_vec)
    transcript.append_scalar(b"tau_x", tau_x)
    transcript.append_scalar(b"mu", mu)
    transcript.append_scalar(b"t_hat", t_hat)
    w = transcript.challenge_scalar(b"w")

    # Inner-product argument for <a, G> + <b, H'> + <a, b> * (w * g), H'_i = y^-i * H_i (section 3, prot. 2).
    # The folded generators are never computed: each original G_i / H_i keeps its running multiplier and
    # its position i mod (current length), so L_k and R_k are one msm over the original generators each.
    y_inv = pow(y, -1, R)
    g_mult = [1] * N
    h_mult = _powers(y_inv, N)
    ls, rs = [], []
    size = N
    while size > FINAL_LENGTH:
        half = size // 2
        a_lo, a_hi = a_vec[:half], a_vec[half:]
        b_lo, b_hi = b_vec[:half], b_vec[half:]
        c_l, c_r = _inner(a_lo, b_hi), _inner(a_hi, b_lo)
        lo_idx = [i for i in range(N) if i % size < half]
        hi_idx = [i for i in range(N) if i % size >= half]
        # L = <a_lo, G'_hi> + <b_hi, H'_lo> + c_L * w * g;  R = <a_hi, G'_lo> + <b_lo, H'_hi> + c_R * w * g
        l_point = curve.g1_msm(
            [*(G[i] for i in hi_idx), *(H[i] for i in lo_idx), g],
            [
                *(a_lo[i % size - half] * g_mult[i] for i in hi_idx),
                *(b_hi[i % size] * h_mult[i] for i in lo_idx),
                c_l * w,
            ],
        )
        r_point = curve.g1_msm(
            [*(G[i] for i in lo_idx), *(H[i] for i in hi_idx), g],
            [
                *(a_hi[i % size] * g_mult[i] for i in lo_idx),
                *(b_lo[i % size - half] * h_mult[i] for i in hi_idx),
                c_r * w,
            ],
        )
        transcript.append_element(b"L", l_point)
        transcript.append_element(b"R", r_point)
        u = transcript.challenge_scalar(b"u")
        u_inv = pow(u, -1, R)
        ls.append(l_point)
        rs.append(r_point)
        # a' = a_lo u + a_hi u^-1, b' = b_lo u^-1 + b_hi u, G' = G_lo u^-1 + G_hi u, H' = H_lo u + H_hi u^-1
        a_vec = [(al * u + ah * u_inv) % R for al, ah in zip(a_lo, a_hi, strict=True)]
        b_vec = [(bl * u_inv + bh * u) % R for bl, bh in zip(b_lo, b_hi, strict=True)]
        for i in lo_idx:
            g_mult[i] = g_mult[i] * u_inv % R
            h_mult[i] = h_mult[i] * u % R
        for i in hi_idx:
            g_mult[i] = g_mult[i] * u % R
            h_mult[i] = h_mult[i] * u_inv % R
        size = half
    return RangeProof(
        a_commit,
        s_commit,
        t1_commit,
        t2_commit,
        tau_x,
        mu,
        t_hat,
        tuple(a_vec),
        tuple(b_vec),
        tuple(ls),
        tuple(rs),
    )


@dataclass(frozen=True)
class RangeStatement:
    """What a verifier checks: `proof` shows every value committed in V_j is in [0, 2^bits), where V_j is
    `commitments[j]`, or sign_j * commitments[j] + offset_j * g when `shifts` are given."""

    commitments: tuple[Any, ...]
    proof: RangeProof
    bits: int
    context: bytes
    shifts: tuple[Shift, ...] | None = None


class _Accumulator:
    """One msm under construction: shared generators by index, other points merged by identity (a predicate's
    commitment C appears in its link equation and in each of its range values)."""

    def __init__(self, gens: Generators, length: int) -> None:
        self.gens = gens
        self.G_scalars = [0] * length
        self.H_scalars = [0] * length
        self.g_scalar = 0
        self.h_scalar = 0
        self.points: list[Any] = []
        self.scalars: list[int] = []
        self._slots: dict[int, int] = {}

    def add(self, point: Any, k: int) -> None:
        if point is self.gens.g:
            self.g_scalar += k
        elif point is self.gens.h:
            self.h_scalar += k
        else:
            slot = self._slots.get(id(point))
            if slot is None:
                # self.points keeps `point` alive, so its id() is not reused while this batch exists
                self._slots[id(point)] = len(self.points)
                self.points.append(point)
                self.scalars.append(k)
            else:
                self.scalars[slot] += k

    def evaluate(self) -> Any:
        G, H = self.gens.vectors(len(self.G_scalars))
        return self.gens.backend.g1_msm(
            [*G, *H, self.gens.g, self.gens.h, *self.points],
            [*self.G_scalars, *self.H_scalars, self.g_scalar, self.h_scalar, *self.scalars],
        )


def _add_equation(acc: _Accumulator, statement: RangeStatement, weight: int) -> bool:
    """Add weight * (the proof's verification equation) to `acc`; False when the proof's shape is wrong or a
    challenge is degenerate (zero), in which case it cannot verify."""
    curve = acc.gens.backend
    proof, bits = statement.proof, statement.bits
    m = len(statement.commitments)
    N = _check_shape(bits, m)
    rounds, final = _ipa_shape(N)
    if len(proof.ls) != rounds or len(proof.rs) != rounds or len(proof.a) != final or len(proof.b) != final:
        return False
    try:
        _check_shifts(statement.shifts, m)
    except InvalidParameters:
        return False
    transcript = _transcript(curve, statement.commitments, bits, statement.context, statement.shifts)
    head, rounds_encoded = proof.point_encodings(curve)
    transcript.append_message(b"A", head[0])
    transcript.append_message(b"S", head[1])
    y = transcript.challenge_scalar(b"y")
    z = transcript.challenge_scalar(b"z")
    transcript.append_message(b"T1", head[2])
    transcript.append_message(b"T2", head[3])
    x = transcript.challenge_scalar(b"x")
    transcript.append_scalar(b"tau_x", proof.tau_x)
    transcript.append_scalar(b"mu", proof.mu)
    transcript.append_scalar(b"t_hat", proof.t_hat)
    w = transcript.challenge_scalar(b"w")
    us = []
    for k in range(rounds):
        transcript.append_message(b"L", rounds_encoded[2 * k])
        transcript.append_message(b"R", rounds_encoded[2 * k + 1])
        us.append(transcript.challenge_scalar(b"u"))
    if y == 0 or any(u == 0 for u in us):
        return False
    u_inv = [pow(u, -1, R) for u in us]
    # s_i = prod_k u_k^(+1 if bit (log2(N)-1-k) of i is set else -1): the coefficient on G_i of the final
    # folded G'_(i mod final); round k halves on the k-th highest bit of the index.
    s = [1] * N
    for k in range(rounds):
        bit = N >> (k + 1)
        for i in range(N):
            s[i] = s[i] * (us[k] if i & bit else u_inv[k]) % R
    y_inv = pow(y, -1, R)
    y_pow_sum = sum(_powers(y, N)) % R
    z_pow = _powers(z, m + 4)
    # delta(y, z) = (z - z^2) <1, y^N> - sum_j z^(3+j) <1, 2^n>
    delta = ((z - z_pow[2]) * y_pow_sum - sum(z_pow[3 + j] for j in range(m)) * ((1 << bits) - 1)) % R
    c = secrets.randbits(128) | 1  # weight of the t^ identity against the inner-product equation
    a, b = proof.a, proof.b
    # 1/s_i is s_i with every u_k and u_k^-1 swapped: s at the index with the round bits flipped.
    round_bits = (N - 1) ^ (final - 1)
    y_inv_i = 1
    for i in range(N):
        w_i = z_pow[2 + i // bits] * (1 << (i % bits))
        position = i & (final - 1)
        acc.G_scalars[i] += weight * (-z - a[position] * s[i])
        acc.H_scalars[i] += weight * (z + y_inv_i * (w_i - b[position] * s[i ^ round_bits]))
        y_inv_i = y_inv_i * y_inv % R
    acc.g_scalar += weight * (w * (proof.t_hat - _inner(a, b)) + c * (delta - proof.t_hat))
    acc.h_scalar += weight * (-proof.mu - c * proof.tau_x)
    for point, k in ((proof.a_commit, 1), (proof.s_commit, x), (proof.t1, c * x), (proof.t2, c * x * x)):
        acc.add(point, weight * k)
    for j, commitment in enumerate(statement.commitments):
        k = weight * c * z_pow[2 + j]
        if statement.shifts is None:
            acc.add(commitment, k)
        else:  # k * V_j = k * sign_j * C_j + k * offset_j * g
            sign, offset = statement.shifts[j]
            acc.add(commitment, k * sign)
            acc.g_scalar += k * offset
    for l_point, r_point, u, ui in zip(proof.ls, proof.rs, us, u_inv, strict=True):
        acc.add(l_point, weight * u * u)
        acc.add(r_point, weight * ui * ui)
    return True


Equation = Sequence[tuple[Any, int]]  # sum(scalar * point) == identity


def verify_batch(
    statements: Sequence[RangeStatement],
    *,
    equations: Sequence[Equation] = (),
    backend: Backend | None = None,
) -> bool:
    """True iff every statement's proof verifies and every extra linear `equation` holds; all are checked in
    ONE msm with independent random weights (a false one passes with probability below 2^-127), terms on g
    and h sharing the generators' slots. Never raises for a well-typed statement."""
    if not statements and not equations:
        return True
    curve = backend or get_backend()
    try:
        length = max((_check_shape(st.bits, len(st.commitments)) for st in statements), default=1)
    except InvalidParameters:
        return False
    acc = _Accumulator(generators(curve), length)
    for index, statement in enumerate(statements):
        weight = 1 if index == 0 else secrets.randbits(128) | 1
        if not _add_equation(acc, statement, weight):
            return False
    for equation in equations:
        weight = secrets.randbits(128) | 1
        for point, k in equation:
            acc.add(point, weight * k)
    return curve.g1_is_identity(acc.evaluate())


def verify(
    commitments: Sequence[Any],
    proof: RangeProof,
    bits: int,
    context: bytes,
    *,
    backend: Backend | None = None,
) -> bool:
    """True iff `proof` shows every commitment holds a value in [0, 2^bits), for this `context`."""
    return verify_batch([RangeStatement(tuple(commitments), proof, bits, context)], backend=backend)


__all__ = [
    "ALLOWED_AGGREGATION",
    "ALLOWED_BITS",
    "DOMAIN",
    "Equation",
    "FINAL_LENGTH",
    "GENERATOR_DST",
    "Generators",
    "RangeProof",
    "RangeStatement",
    "generators",
    "proof_length",
    "prove",
    "verify",
    "verify_batch",
]
