"""Sigma proofs over a `zk.group.Group`: Schnorr / Chaum-Pedersen (DLEQ), their OR-composition, batch checks.

Proofs are kept in commitment form so that they can be batch-verified; OR-proof commitments may carry a
torsion part, so every equation is checked modulo torsion. Details: docs/zk.md.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from zk.errors import InvalidParameters, MalformedInput
from zk.group import Combination, Element, Equation, Group, ScalarSource
from zk.json_input import describe
from zk.transcript import Transcript
from zk.wire import (
    commitment_from_hex,
    element_from_hex,
    element_to_hex,
    require_fields,
    require_list,
    scalar_from_hex,
    scalar_to_hex,
)


@dataclass(frozen=True)
class DleqStatement:
    """Knowledge of x with publics[i] = x * bases[i] for each row i (1 row: Schnorr; 2: Chaum-Pedersen)."""

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
        commitments = require_list(obj["commitments"], f"{what}.commitments", length=rows)
        return cls(
            tuple(
                element_from_hex(group, a, f"{what}.commitments[{i}]", allow_identity=True)
                for i, a in enumerate(commitments)
            ),
            scalar_from_hex(group, obj["response"], f"{what}.response"),
        )


@dataclass(frozen=True)
class OrProof:
    """One (commitments, challenge, response) branch per statement; challenges sum to the Fiat-Shamir one."""

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
        items = require_list(obj["branches"], f"{what}.branches", length=branches)
        commitments, challenges, responses = [], [], []
        for j, item in enumerate(items):
            where = f"{what}.branches[{j}]"
            branch = require_fields(item, where, ("commitments", "challenge", "response"))
            points = require_list(branch["commitments"], f"{where}.commitments", length=rows)
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
    and of branch j's simulated ones; a prover that knows more (the discrete logs of the public elements,
    fixed-base tables) computes the same points faster. They must return exactly what the generic code would.
    """
    group = transcript.group
    if type(index) is not int or not 0 <= index < len(statements):
        raise InvalidParameters(
            f"OR-proof branch {describe(index)} out of range for {len(statements)} statements"
        )
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

    The weights rho_e are independent 128-bit random values, so a false equation slips through with
    probability at most 2^-128 over the verifier's coins. Points that are the same Python object (the
    generator, the joint key) are merged into one msm term, which makes a batch of ballots cost little more
    than its own points. The msm is split in two by scalar length (a commitment's weight is short), since an
    msm costs in proportion to its longest scalar.
    """

    def __init__(self, group: Group, weight_bits: int = 128) -> None:
        self.group = group
        self._weight_bits = weight_bits
        self._weights = _Weights(weight_bits)
        self._index: dict[int, int] = {}
        self._points: list[Element] = []
        self._scalars: list[int] = []
        self.equations = 0

    def add(self, equations: Iterable[Equation]) -> None:
        for equation in equations:
            rho = self._weights.next()
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


class _Weights:
    """Independent uniform odd `bits`-bit weights from the operating system's CSPRNG, read 256 at a time (one
    system call per 256 weights rather than one each)."""

    def __init__(self, bits: int) -> None:
        self._bytes = (bits + 7) // 8
        self._mask = (1 << bits) - 1
        self._pool = b""
        self._at = 0

    def next(self) -> int:
        if self._at == len(self._pool):
            self._pool, self._at = secrets.token_bytes(256 * self._bytes), 0
        chunk = self._pool[self._at : self._at + self._bytes]
        self._at += self._bytes
        return (int.from_bytes(chunk, "big") & self._mask) | 1


def check_equations(group: Group, equations: Sequence[Equation]) -> bool:
    """All `equations` hold, checked as one random linear combination."""
    batch = BatchVerifier(group)
    batch.add(equations)
    return batch.verify()
