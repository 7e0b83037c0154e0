"""Prime-order groups for the sigma protocols: the `Group` interface, BLS12-381 G1 as one, fixed-base tables.

Every proof in `zk.sigma` is written against `Group`, so another prime-order group (the benchmark's MODP
group) plugs in without touching the proofs. Details: docs/zk.md.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from zk.curve import G1_LENGTH, G1_UNCOMPRESSED_LENGTH, Backend, R, get_backend
from zk.hash_to_curve import hash_to_G1

Element = Any  # an opaque group element of one Group
Combination = tuple[tuple[Element, int], ...]  # sum(coefficient * point)
Term = tuple[Element, int]
Equation = list[Term]  # a relation sum(scalar * point) == identity
ScalarSource = Callable[[], int]


class Group(Protocol):
    """A prime-order group in additive notation, with strict encodings. Scalars are ints mod `order`.

    `decode_commitment` may accept elements of a larger group that holds this one (BLS12-381's curve holds G1
    with a cofactor); `is_identity_mod_torsion` is then the test every verification equation uses. A group
    without such a supergroup decodes commitments strictly and makes it `is_identity`. Everything but a proof
    commitment (keys, ciphertexts, partial decryptions) is decoded strictly, with `decode`.
    """

    name: bytes
    order: int
    element_length: int
    scalar_length: int

    def generator(self) -> Element: ...
    def identity(self) -> Element: ...
    def add(self, a: Element, b: Element) -> Element: ...
    def neg(self, a: Element) -> Element: ...
    def mul(self, a: Element, k: int) -> Element: ...
    def msm(self, points: Sequence[Element], scalars: Sequence[int]) -> Element: ...
    def is_identity(self, a: Element) -> bool: ...
    def encode(self, a: Element) -> bytes: ...
    def decode(self, data: bytes, *, allow_identity: bool = False) -> Element: ...
    def decode_commitment(self, data: bytes, *, allow_identity: bool = False) -> Element: ...
    def is_identity_mod_torsion(self, a: Element) -> bool: ...
    def hash_to_element(self, msg: bytes, dst: bytes) -> Element: ...
    def random_scalar(self) -> int: ...


class G1Group:
    """BLS12-381 G1 from a zk.curve backend, as a `Group` (strict ZCash encodings, msm in the backend).

    Elements travel compressed (48 bytes) by default, or uncompressed (96 bytes, `uncompressed=True`):
    decoding those skips the square root that dominates a compressed decode, which an election verifying tens
    of points per ballot wants (`zk.ballot.election_group`). The two are distinct groups to a transcript: the
    name (absorbed first by every `Transcript`) says which encoding the proofs hash.
    """

    order = R
    scalar_length = 32

    ENCODING_MEMO_SIZE = 8192

    def __init__(self, backend: Backend | None = None, *, uncompressed: bool = False) -> None:
        self.backend = backend or get_backend()
        curve = self.backend
        if uncompressed:
            self.name, self.element_length = b"BLS12-381-G1-uncompressed", G1_UNCOMPRESSED_LENGTH
            self._to_bytes = curve.g1_to_uncompressed
            self._from_bytes, self._from_bytes_on_curve = (
                curve.g1_from_uncompressed,
                curve.g1_from_uncompressed_on_curve,
            )
        else:
            self.name, self.element_length = b"BLS12-381-G1", G1_LENGTH
            self._to_bytes = curve.g1_compress
            self._from_bytes, self._from_bytes_on_curve = curve.g1_decompress, curve.g1_decompress_on_curve
        self._g = curve.g1_generator()
        # id(point) -> (point, encoding): a verifier hashes each point of a ballot two or three times, and the
        # generator and the joint key into every statement. The memo holds the point, so its id stays unique.
        self._encodings: dict[int, tuple[Element, bytes]] = {}

    def generator(self) -> Element:
        return self._g

    def identity(self) -> Element:
        return self.backend.g1_identity()

    def add(self, a: Element, b: Element) -> Element:
        return self.backend.g1_add(a, b)

    def neg(self, a: Element) -> Element:
        return self.backend.g1_neg(a)

    def mul(self, a: Element, k: int) -> Element:
        return self.backend.g1_mul(a, k)

    def msm(self, points: Sequence[Element], scalars: Sequence[int]) -> Element:
        return self.backend.g1_msm(points, scalars)

    def is_identity(self, a: Element) -> bool:
        return self.backend.g1_is_identity(a)

    def encode(self, a: Element) -> bytes:
        hit = self._encodings.get(id(a))
        if hit is not None and hit[0] is a:
            return hit[1]
        return self._remember(a, self._to_bytes(a))

    def _remember(self, a: Element, data: bytes) -> bytes:
        if len(self._encodings) >= self.ENCODING_MEMO_SIZE:
            self._encodings.clear()
        self._encodings[id(a)] = (a, data)
        return data

    def decode(self, data: bytes, *, allow_identity: bool = False) -> Element:
        point = self._from_bytes(data, allow_identity=allow_identity)
        self._remember(point, bytes(data))  # one encoding per point: these are its bytes
        return point

    def decode_commitment(self, data: bytes, *, allow_identity: bool = False) -> Element:
        """A proof commitment: canonical and on the curve, but possibly outside the prime-order subgroup.

        Safe because a commitment enters nothing but verification equations, and every equation check here
        (`_equations_hold`, `BatchVerifier`) accepts iff `is_identity_mod_torsion(residue)`: a torsion part of
        a commitment is invisible to that test, and the prime-order part obeys the usual special-soundness
        argument (the challenge hashes the commitment's full encoding). It saves the subgroup check, more than
        half of the cost of decoding a point. A torsion part is readable by anyone, a channel for the prover;
        but a proof already carries prover-chosen scalars in the clear (an OR-proof's simulated challenges and
        responses), so it opens no new one. Ciphertexts, which have no such free field, are decoded strictly.
        """
        point = self._from_bytes_on_curve(data, allow_identity=allow_identity)
        self._remember(point, bytes(data))
        return point

    def is_identity_mod_torsion(self, a: Element) -> bool:
        """True iff the prime-order part of `a` is the identity: a == 0, or else [h] a == 0 (h the cofactor).

        For a point of the subgroup (every point but a `decode_commitment` one) this is `is_identity`; the
        cofactor multiplication runs only when a is not the identity, i.e. only for equations that fail.
        """
        backend = self.backend
        return backend.g1_is_identity(a) or backend.g1_is_identity(backend.g1_mul_by_cofactor(a))

    def hash_to_element(self, msg: bytes, dst: bytes) -> Element:
        return hash_to_G1(msg, dst, backend=self.backend)

    def random_scalar(self) -> int:
        return secrets.randbelow(R - 1) + 1


class FixedBase:
    """Multiples of one fixed point from a precomputed table: k * B as a sum of one table entry per byte of k.

    Building costs 32 * 255 additions (once per base); each multiplication then costs at most 32 additions,
    several times cheaper than a variable-base multiplication. Provers use it for g and the election key.
    """

    WINDOW_BITS = 8

    def __init__(self, group: Group, base: Element) -> None:
        self.group = group
        self.base = base
        size = 1 << self.WINDOW_BITS
        self._windows = -(-group.order.bit_length() // self.WINDOW_BITS)
        self._table: list[list[Element]] = []
        start = base
        for _ in range(self._windows):
            row = [group.identity(), start]
            for _ in range(size - 2):
                row.append(group.add(row[-1], start))
            self._table.append(row)
            start = group.add(row[-1], start)  # size * start: the next window's unit

    def mul(self, k: int) -> Element:
        k %= self.group.order
        acc = None
        mask = (1 << self.WINDOW_BITS) - 1
        add = self.group.add
        for row in self._table:
            digit = k & mask
            if digit:
                acc = row[digit] if acc is None else add(acc, row[digit])
            k >>= self.WINDOW_BITS
            if not k:
                break
        return self.group.identity() if acc is None else acc


_groups: dict[tuple[str, bool], G1Group] = {}


def g1_group(backend: Backend | None = None, *, uncompressed: bool = False) -> G1Group:
    """The G1Group of a backend (default: `get_backend()`) and encoding, one instance of each."""
    curve = backend or get_backend()
    group = _groups.get((curve.name, uncompressed))
    if group is None:
        group = _groups[curve.name, uncompressed] = G1Group(curve, uncompressed=uncompressed)
    return group


def seeded_scalars(group: Group, seed: bytes) -> ScalarSource:
    """A deterministic stream of nonzero scalars for reproducible vectors: SHAKE-256(seed || counter) mod q.

    Only for tests and vectors: a prover that reuses a seed leaks its witness.
    """
    counter = 0

    def draw() -> int:
        nonlocal counter
        while True:
            counter += 1
            value = int.from_bytes(hashlib.shake_256(seed + counter.to_bytes(8, "big")).digest(64), "big")
            value %= group.order
            if value:
                return value

    return draw


def combination(*terms: Term) -> Combination:
    return tuple(terms)


def evaluate(group: Group, value: Combination) -> Element:
    return group.msm([p for p, _ in value], [k for _, k in value])
