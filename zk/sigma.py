"""Sigma protocols over a prime-order group, made non-interactive by a domain-separated Fiat-Shamir transcript.

Three layers, each usable alone:

- `Group`: the small interface every proof here is written against (`G1Group` backs it with zk.curve's G1), so
  another prime-order group can be plugged in without touching the proofs.
- `Transcript`: a SHAKE-256 sponge that absorbs labelled, length-prefixed messages and squeezes challenges mod
  the group order. Its first absorption is the protocol's domain (plus the group's name), so a challenge from one
  protocol can never be replayed in another; `fork` gives a child transcript for one sub-statement, so a long
  shared prefix (the election context) is hashed once. Every challenge is absorbed back, so later challenges
  depend on earlier ones (strong Fiat-Shamir: the statement is always hashed, unlike Helios' weak variant).
- Proofs of knowledge of x with Y_i = x * B_i for every row i (`DleqStatement`: one row is Schnorr, two rows are
  Chaum-Pedersen), their disjunction (`prove_or`: the witness holds for one of several statements, the
  Cramer-Damgard-Schoenmakers OR-composition), and `BatchVerifier`, which checks many proofs' equations at once
  by a random linear combination evaluated with one multi-scalar multiplication.

A public element Y_i may be given as a linear combination of points (`Combination`): "beta - 2 * g" is
`((beta, 1), (g, -2))`. This keeps a statement such as "the ciphertext encrypts 2" cheap to hash and to batch:
nothing is computed until an equation is evaluated.

Proofs are kept in commitment form (commitments, responses) rather than the shorter (challenge, response) form
because only commitment form can be batch-verified. OR-proof commitments (and ballot ciphertexts, see
`zk.elgamal`) are decoded without the subgroup check (`G1Group.decode_commitment`), so every equation is checked
modulo torsion (`Group.is_identity_mod_torsion`), and sums that get decrypted are first mapped onto the
prime-order subgroup (`Group.prime_order_part`).
The prover functions take the randomness as a callable (`ScalarSource`) so that fixed-seed test vectors are
reproducible (`seeded_scalars`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from zk.curve import G1_COFACTOR, G1_LENGTH, G1_UNCOMPRESSED_LENGTH, Backend, R, get_backend
from zk.errors import InvalidParameters, MalformedInput
from zk.hash_to_curve import hash_to_G1

Element = Any  # an opaque group element of one Group
Combination = tuple[tuple[Element, int], ...]  # sum(coefficient * point)
Term = tuple[Element, int]
Equation = list[Term]  # a relation sum(scalar * point) == identity
ScalarSource = Callable[[], int]

PROTOCOL_PREFIX = b"govgraph/sigma/v1"
_COFACTOR_INVERSE = pow(G1_COFACTOR, -1, R)


class Group(Protocol):
    """A prime-order group in additive notation, with strict encodings. Scalars are ints mod `order`.

    `decode_commitment` may accept elements of a larger group that holds this one (BLS12-381's curve holds G1
    with a cofactor); `is_identity_mod_torsion` is then the test every verification equation uses, and
    `prime_order_part` the projection onto this group (a homomorphism: the part of a sum is the sum of the
    parts). A group without such a supergroup decodes commitments strictly, makes the first `is_identity` and
    the second the identity map.
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
    def prime_order_part(self, a: Element) -> Element: ...
    def hash_to_element(self, msg: bytes, dst: bytes) -> Element: ...
    def random_scalar(self) -> int: ...


class G1Group:
    """BLS12-381 G1 from a zk.curve backend, as a `Group` (strict ZCash encodings, msm in the backend).

    Elements travel compressed (48 bytes) by default, or uncompressed (96 bytes, `uncompressed=True`): decoding
    those skips the square root that dominates a compressed decode, which an election verifying tens of
    points per ballot wants (`zk.ballot.election_group`). The two are distinct groups to a transcript: the
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
        half of the cost of decoding a point.
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

    def prime_order_part(self, a: Element) -> Element:
        """The G1 component of a curve point a = a_G + t (t of order dividing h): [h^-1 mod r]([h] a) = a_G.

        [h] a = [h] a_G lies in G1, where multiplying by h^-1 mod r undoes [h]. A point of G1 is returned as
        is. Decrypting the projection of a sum of ciphertexts decrypts the sum of their G1 components.
        """
        backend = self.backend
        return backend.g1_mul(backend.g1_mul_by_cofactor(a), _COFACTOR_INVERSE)

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
    """The G1Group of a backend (default: GOVGRAPH_ZK_BACKEND) and encoding, one instance of each."""
    curve = backend or get_backend()
    group = _groups.get((curve.name, uncompressed))
    if group is None:
        group = _groups[curve.name, uncompressed] = G1Group(curve, uncompressed=uncompressed)
    return group


def seeded_scalars(group: Group, seed: bytes) -> ScalarSource:
    """A deterministic stream of nonzero scalars for reproducible vectors: SHAKE-256(seed || counter) mod order.

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


# --- wire encodings shared by every record that carries elements or scalars ----------------------------------
def _hex_bytes(value: object, length: int, what: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedInput(f"{what} must be a hex string, not {type(value).__name__}")
    if len(value) != 2 * length:
        raise MalformedInput(f"{what} must be {2 * length} hex digits, got {len(value)}")
    if value != value.lower():
        raise MalformedInput(f"{what} must be lower-case hex")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise MalformedInput(f"{what} is not hex") from None


def element_to_hex(group: Group, a: Element) -> str:
    return group.encode(a).hex()


def element_from_hex(group: Group, value: object, what: str, *, allow_identity: bool = False) -> Element:
    """Decode a lower-case hex group element strictly; MalformedInput names `what` on any defect."""
    data = _hex_bytes(value, group.element_length, what)
    try:
        return group.decode(data, allow_identity=allow_identity)
    except MalformedInput as exc:
        raise MalformedInput(f"{what}: {exc}") from None


def commitment_from_hex(group: Group, value: object, what: str, *, allow_identity: bool = False) -> Element:
    """Decode a proof commitment with `Group.decode_commitment` (no subgroup check: see its docstring)."""
    data = _hex_bytes(value, group.element_length, what)
    try:
        return group.decode_commitment(data, allow_identity=allow_identity)
    except MalformedInput as exc:
        raise MalformedInput(f"{what}: {exc}") from None


def scalar_to_hex(group: Group, k: int) -> str:
    return (k % group.order).to_bytes(group.scalar_length, "big").hex()


def scalar_from_hex(group: Group, value: object, what: str) -> int:
    """Decode a lower-case hex scalar; values >= order are refused (one encoding per scalar)."""
    k = int.from_bytes(_hex_bytes(value, group.scalar_length, what), "big")
    if k >= group.order:
        raise MalformedInput(f"{what} is not reduced mod the group order")
    return k


def require_list(value: object, what: str, length: int | None = None) -> list:
    if not isinstance(value, list):
        raise MalformedInput(f"{what} must be a list")
    if length is not None and len(value) != length:
        raise MalformedInput(f"{what} must have {length} entries, got {len(value)}")
    return value


def require_fields(value: object, what: str, fields: Iterable[str]) -> dict:
    """A JSON object with exactly `fields` (no more, no fewer): extra fields would escape hashing rules."""
    if not isinstance(value, dict):
        raise MalformedInput(f"{what} must be an object")
    expected = set(fields)
    if set(value) != expected:
        missing, extra = sorted(expected - set(value)), sorted(set(value) - expected)
        raise MalformedInput(f"{what} fields wrong: missing {missing}, unexpected {extra}")
    return value


# (label, data length) -> the absorption's length-prefixed header: a verifier absorbs ~160 per ballot.
_FRAMES: dict[tuple[bytes, int], bytes] = {}
_FRAME_CACHE_MAX_LENGTH = 256


# --- the transcript ------------------------------------------------------------------------------------------
class Transcript:
    """A Fiat-Shamir transcript: labelled absorptions into SHAKE-256, challenges squeezed mod the group order.

    Every absorption is (len(label), label, len(data), data) with fixed-width lengths, so two different
    sequences of messages can never produce the same sponge input.
    """

    def __init__(self, group: Group, domain: bytes) -> None:
        self.group = group
        self._state = hashlib.shake_256()
        self._absorb(b"domain", PROTOCOL_PREFIX + b"/" + group.name + b"/" + domain)

    def _absorb(self, label: bytes, data: bytes) -> None:
        frame = _FRAMES.get((label, len(data)))
        if frame is None:
            frame = len(label).to_bytes(2, "big") + label + len(data).to_bytes(8, "big")
            if len(data) <= _FRAME_CACHE_MAX_LENGTH:  # labels are the code's constants: a bounded cache
                _FRAMES[label, len(data)] = frame
        self._state.update(frame + data)

    def append_message(self, label: bytes, data: bytes) -> None:
        self._absorb(label, bytes(data))

    def append_int(self, label: bytes, value: int) -> None:
        """A small signed integer (an index, a plaintext value), as 8-byte two's complement."""
        self._absorb(label, value.to_bytes(8, "big", signed=True))

    def append_scalar(self, label: bytes, k: int) -> None:
        self._absorb(label, (k % self.group.order).to_bytes(self.group.scalar_length, "big"))

    def append_element(self, label: bytes, a: Element) -> None:
        self._absorb(label, self.group.encode(a))

    def append_elements(self, label: bytes, points: Sequence[Element]) -> None:
        self._absorb(label, b"".join(self.group.encode(p) for p in points))

    def append_combination(self, label: bytes, combination: Combination) -> None:
        self.append_int(label + b"/terms", len(combination))
        for point, coefficient in combination:
            self.append_element(label + b"/point", point)
            self.append_scalar(label + b"/coefficient", coefficient)

    def challenge_scalar(self, label: bytes) -> int:
        """A challenge mod the order from 64 squeezed bytes (bias < 2^-250), absorbed back into the transcript."""
        self._absorb(b"challenge", label)
        value = int.from_bytes(self._state.copy().digest(64), "big") % self.group.order
        self.append_scalar(b"challenge-value", value)
        return value

    def fork(self, label: bytes, data: bytes = b"") -> Transcript:
        """A child transcript that has absorbed everything so far plus (label, data); this one is unchanged."""
        child = object.__new__(Transcript)
        child.group = self.group
        child._state = self._state.copy()
        child._absorb(label, data)
        return child


# --- statements and proofs -----------------------------------------------------------------------------------
def combination(*terms: Term) -> Combination:
    return tuple(terms)


def evaluate(group: Group, value: Combination) -> Element:
    return group.msm([p for p, _ in value], [k for _, k in value])


@dataclass(frozen=True)
class DleqStatement:
    """Knowledge of x with publics[i] = x * bases[i] for every row i (one row: Schnorr; two: Chaum-Pedersen)."""

    bases: tuple[Element, ...]
    publics: tuple[Combination, ...]

    def __post_init__(self) -> None:
        if not self.bases or len(self.bases) != len(self.publics):
            raise InvalidParameters("a DLEQ statement needs one public combination per base, at least one")

    @classmethod
    def of(cls, bases: Sequence[Element], publics: Sequence[Element]) -> DleqStatement:
        return cls(tuple(bases), tuple(((p, 1),) for p in publics))

    def absorb(self, transcript: Transcript) -> None:
        transcript.append_elements(b"bases", self.bases)
        for public in self.publics:
            transcript.append_combination(b"public", public)

    def equations(self, commitments: Sequence[Element], challenge: int, response: int) -> list[Equation]:
        """response * B_i - A_i - challenge * Y_i == 0 for every row, as terms for an msm."""
        return [
            [(base, response), (commitment, -1), *((p, -challenge * k) for p, k in public)]
            for base, commitment, public in zip(self.bases, commitments, self.publics, strict=True)
        ]

    def simulate(self, group: Group, challenge: int, response: int) -> tuple[Element, ...]:
        """The commitments that make (challenge, response) accept: A_i = response * B_i - challenge * Y_i."""
        return tuple(
            group.msm([base, *(p for p, _ in public)], [response, *(-challenge * k for _, k in public)])
            for base, public in zip(self.bases, self.publics, strict=True)
        )


@dataclass(frozen=True)
class DleqProof:
    commitments: tuple[Element, ...]
    response: int

    def to_json(self, group: Group) -> dict:
        return {
            "commitments": [element_to_hex(group, a) for a in self.commitments],
            "response": scalar_to_hex(group, self.response),
        }

    @classmethod
    def from_json(cls, group: Group, value: object, rows: int, what: str = "proof") -> DleqProof:
        obj = require_fields(value, what, ("commitments", "response"))
        commitments = require_list(obj["commitments"], f"{what}.commitments", rows)
        return cls(
            tuple(
                element_from_hex(group, a, f"{what}.commitments[{i}]", allow_identity=True)
                for i, a in enumerate(commitments)
            ),
            scalar_from_hex(group, obj["response"], f"{what}.response"),
        )


@dataclass(frozen=True)
class OrProof:
    """One (commitments, challenge, response) branch per statement; the challenges sum to the Fiat-Shamir one."""

    commitments: tuple[tuple[Element, ...], ...]
    challenges: tuple[int, ...]
    responses: tuple[int, ...]

    def to_json(self, group: Group) -> dict:
        return {
            "branches": [
                {
                    "commitments": [element_to_hex(group, a) for a in commitments],
                    "challenge": scalar_to_hex(group, c),
                    "response": scalar_to_hex(group, z),
                }
                for commitments, c, z in zip(self.commitments, self.challenges, self.responses, strict=True)
            ]
        }

    @classmethod
    def from_json(cls, group: Group, value: object, branches: int, rows: int, what: str = "proof") -> OrProof:
        obj = require_fields(value, what, ("branches",))
        items = require_list(obj["branches"], f"{what}.branches", branches)
        commitments, challenges, responses = [], [], []
        for j, item in enumerate(items):
            where = f"{what}.branches[{j}]"
            branch = require_fields(item, where, ("commitments", "challenge", "response"))
            points = require_list(branch["commitments"], f"{where}.commitments", rows)
            commitments.append(
                tuple(
                    commitment_from_hex(group, a, f"{where}.commitments[{i}]", allow_identity=True)
                    for i, a in enumerate(points)
                )
            )
            challenges.append(scalar_from_hex(group, branch["challenge"], f"{where}.challenge"))
            responses.append(scalar_from_hex(group, branch["response"], f"{where}.response"))
        return cls(tuple(commitments), tuple(challenges), tuple(responses))


def _draw(group: Group, rng: ScalarSource | None) -> int:
    return (rng or group.random_scalar)() % group.order


def _equations_hold(group: Group, equations: Iterable[Equation]) -> bool:
    """Each equation alone (no batching): used for single proofs, where an msm per row is already minimal."""
    for equation in equations:
        if not group.is_identity_mod_torsion(group.msm([p for p, _ in equation], [k for _, k in equation])):
            return False
    return True


def prove_dleq(
    transcript: Transcript, statement: DleqStatement, witness: int, rng: ScalarSource | None = None
) -> DleqProof:
    """Commit A_i = w * B_i, challenge c = H(transcript, statement, A), respond z = w + c * x."""
    group = transcript.group
    w = _draw(group, rng)
    commitments = tuple(group.mul(base, w) for base in statement.bases)
    challenge = dleq_challenge(transcript, statement, commitments)
    return DleqProof(commitments, (w + challenge * witness) % group.order)


def dleq_challenge(transcript: Transcript, statement: DleqStatement, commitments: Sequence[Element]) -> int:
    statement.absorb(transcript)
    transcript.append_elements(b"commitments", commitments)
    return transcript.challenge_scalar(b"dleq")


def dleq_equations(transcript: Transcript, statement: DleqStatement, proof: DleqProof) -> list[Equation]:
    """The equations a DLEQ proof must satisfy (for a `BatchVerifier`); absorbs into `transcript`."""
    if len(proof.commitments) != len(statement.bases):
        raise MalformedInput("DLEQ proof has the wrong number of commitments")
    challenge = dleq_challenge(transcript, statement, proof.commitments)
    return statement.equations(proof.commitments, challenge, proof.response)


def verify_dleq(transcript: Transcript, statement: DleqStatement, proof: DleqProof) -> bool:
    try:
        return _equations_hold(transcript.group, dleq_equations(transcript, statement, proof))
    except MalformedInput:
        return False


def prove_or(
    transcript: Transcript,
    statements: Sequence[DleqStatement],
    index: int,
    witness: int,
    rng: ScalarSource | None = None,
    *,
    commit: Callable[[int], tuple[Element, ...]] | None = None,
    simulate: Callable[[int, int, int], tuple[Element, ...]] | None = None,
) -> OrProof:
    """A proof that the prover knows the witness of statements[index], hiding which one.

    The other branches are simulated with random (challenge, response); the real branch's challenge is the
    Fiat-Shamir challenge minus the simulated ones. The caller must make sure the witness is right: this
    function does not check it (a wrong one yields a proof that fails verification).

    `commit(w)` and `simulate(j, c, z)` may replace the generic computations of the real commitments w * B_i
    and of branch j's simulated ones; a prover that knows more (the discrete logs of the public elements, fixed-
    base tables) computes the same points faster. They must return exactly what the generic code would.
    """
    group = transcript.group
    if not 0 <= index < len(statements):
        raise InvalidParameters(f"OR-proof branch {index} out of range for {len(statements)} statements")
    w = _draw(group, rng)
    commitments: list[tuple[Element, ...]] = []
    challenges: list[int] = []
    responses: list[int] = []
    for j, statement in enumerate(statements):
        if j == index:
            commitments.append(commit(w) if commit else tuple(group.mul(base, w) for base in statement.bases))
            challenges.append(0)
            responses.append(0)
        else:
            c_j, z_j = _draw(group, rng), _draw(group, rng)
            commitments.append(simulate(j, c_j, z_j) if simulate else statement.simulate(group, c_j, z_j))
            challenges.append(c_j)
            responses.append(z_j)
    challenge = or_challenge(transcript, statements, commitments)
    challenges[index] = (challenge - sum(challenges)) % group.order
    responses[index] = (w + challenges[index] * witness) % group.order
    return OrProof(tuple(commitments), tuple(challenges), tuple(responses))


def or_challenge(
    transcript: Transcript, statements: Sequence[DleqStatement], commitments: Sequence[Sequence[Element]]
) -> int:
    transcript.append_int(b"or/branches", len(statements))
    for statement, branch in zip(statements, commitments, strict=True):
        statement.absorb(transcript)
        transcript.append_elements(b"commitments", branch)
    return transcript.challenge_scalar(b"or")


def or_equations(
    transcript: Transcript, statements: Sequence[DleqStatement], proof: OrProof
) -> list[Equation]:
    """The equations an OR-proof must satisfy; raises InvalidProof-free MalformedInput on a shape mismatch and
    returns an unsatisfiable equation when the branch challenges do not sum to the Fiat-Shamir challenge."""
    group = transcript.group
    if not (len(proof.commitments) == len(proof.challenges) == len(proof.responses) == len(statements)):
        raise MalformedInput("OR-proof has the wrong number of branches")
    if any(len(c) != len(s.bases) for c, s in zip(proof.commitments, statements, strict=True)):
        raise MalformedInput("OR-proof branch has the wrong number of commitments")
    challenge = or_challenge(transcript, statements, proof.commitments)
    if sum(proof.challenges) % group.order != challenge:
        return [[(group.generator(), 1)]]  # g == identity: false whatever the batch weights
    equations: list[Equation] = []
    for statement, commitments, c_j, z_j in zip(
        statements, proof.commitments, proof.challenges, proof.responses, strict=True
    ):
        equations.extend(statement.equations(commitments, c_j, z_j))
    return equations


def verify_or(transcript: Transcript, statements: Sequence[DleqStatement], proof: OrProof) -> bool:
    try:
        return _equations_hold(transcript.group, or_equations(transcript, statements, proof))
    except MalformedInput:
        return False


class BatchVerifier:
    """Checks many equations sum(k * P) == 0 at once: sum over equations of rho_e * equation == 0, one msm.

    The weights rho_e are independent 128-bit random values, so a false equation slips through with probability
    at most 2^-128 over the verifier's coins. Points that are the same Python object (the generator, the joint
    key) are merged into one msm term, which makes a batch of ballots cost little more than its own points.
    The msm is split in two by scalar length (a commitment's weight is short), since an msm costs in
    proportion to its longest scalar.
    """

    def __init__(self, group: Group, weight_bits: int = 128) -> None:
        self.group = group
        self._weight_bits = weight_bits
        self._index: dict[int, int] = {}
        self._points: list[Element] = []
        self._scalars: list[int] = []
        self.equations = 0

    def add(self, equations: Iterable[Equation]) -> None:
        for equation in equations:
            rho = secrets.randbits(self._weight_bits) | 1
            self.equations += 1
            for point, k in equation:
                slot = self._index.get(id(point))
                if slot is None:
                    # The list keeps `point` alive, so its id() cannot be reused while this batch exists.
                    self._index[id(point)] = len(self._points)
                    self._points.append(point)
                    self._scalars.append(rho * k)
                else:
                    self._scalars[slot] += rho * k

    def verify(self) -> bool:
        if not self._points:
            return True
        group, order = self.group, self.group.order
        # An msm costs in proportion to its longest scalar, and most points here carry a short one (a
        # commitment's -rho is 128 bits once the point is negated): one msm of the short, one of the long.
        short_bits = self._weight_bits + 8
        short_points, short_scalars, long_points, long_scalars = [], [], [], []
        for point, k in zip(self._points, self._scalars, strict=True):
            k %= order
            if (order - k).bit_length() <= short_bits:
                short_points.append(group.neg(point))
                short_scalars.append(order - k)
            elif k.bit_length() <= short_bits:
                short_points.append(point)
                short_scalars.append(k)
            else:
                long_points.append(point)
                long_scalars.append(k)
        residue = group.add(group.msm(short_points, short_scalars), group.msm(long_points, long_scalars))
        # Mod torsion: OR-proof commitments may carry a torsion part (`Group.decode_commitment`), which must
        # neither fail a valid equation nor, through the weights, decide the verdict: only the prime-order
        # part of the combination counts, exactly as in `_equations_hold`, so batch and single checks agree.
        return group.is_identity_mod_torsion(residue)


def check_equations(group: Group, equations: Sequence[Equation]) -> bool:
    """All `equations` hold, checked as one random linear combination."""
    batch = BatchVerifier(group)
    batch.add(equations)
    return batch.verify()
