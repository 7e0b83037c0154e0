"""The homomorphic tally: aggregate the counted ballots, check and combine t trustees' decryption shares, and
recover the small totals by a bounded discrete logarithm.

Trustee j's share of an aggregate (alpha, beta) is D_j = x_j * alpha with a Chaum-Pedersen proof against its
public verification key X_j. Any t valid shares give s * alpha = sum_j lambda_j * D_j (Lagrange coefficients
at 0 over the chosen indexes), so total * g = beta - sum_j lambda_j * D_j: one msm per option. Invalid shares
are detected by their proofs, named in the result, and skipped; missing trustees are simply absent.

A trustee computes its share only for the aggregate it has recomputed itself from the recorded ballots
(`compute_decryption_share`): decrypting a ciphertext handed over by someone else could decrypt a subset of
ballots, or a single ballot (the Helios issue #170 attack). Every share's proofs also bind the hash of the
closing statement (`zk.record.closing_statement`: which ballots were counted and which spoiled), so a record
that drops a ballot from either list no longer carries valid shares.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from zk.ballot import ElectionContext, EncryptedBallot
from zk.elgamal import Ciphertext
from zk.errors import InvalidParameters, MalformedInput, ZkError
from zk.group import Element, Equation, Group, ScalarSource
from zk.sigma import BatchVerifier, DleqProof
from zk.transcript import Transcript
from zk.trustees import partial_decrypt, partial_decryption_equations
from zk.wire import element_from_hex, element_to_hex, require_fields, require_list

Aggregate = dict[str, tuple[Ciphertext, ...]]


class DiscreteLogNotFound(ZkError):
    """The decrypted element is no total * g within the bound: the shares or the aggregate are wrong."""


def aggregate_ballots(context: ElectionContext, ballots: Iterable[EncryptedBallot]) -> Aggregate:
    """Per contest and option, the sum of the ballots' ciphertexts (all in the prime-order group: a ballot's
    ciphertexts are decoded strictly), so partial aggregates (a verifier's chunks) add up to the aggregate."""
    group = context.group
    sums = {
        c.id: [[group.identity(), group.identity()] for _ in c.options] for c in context.manifest.contests
    }
    for ballot in ballots:
        for contest in ballot.contests:
            row = sums[contest.contest_id]
            for acc, ct in zip(row, contest.selections, strict=True):
                acc[0] = group.add(acc[0], ct.alpha)
                acc[1] = group.add(acc[1], ct.beta)
    return {cid: tuple(Ciphertext(a, b) for a, b in row) for cid, row in sums.items()}


def aggregate_to_json(group: Group, aggregate: Aggregate) -> dict:
    return {cid: [ct.to_json(group) for ct in cts] for cid, cts in aggregate.items()}


def aggregate_from_json(context: ElectionContext, value: object, what: str = "aggregate") -> Aggregate:
    manifest = context.manifest
    if not isinstance(value, dict) or sorted(value) != sorted(c.id for c in manifest.contests):
        raise MalformedInput(f"{what} must have one entry per contest")
    return {
        c.id: tuple(
            Ciphertext.from_json(context.group, ct, f"{what}[{c.id}][{k}]")
            for k, ct in enumerate(require_list(value[c.id], f"{what}[{c.id}]", length=len(c.options)))
        )
        for c in manifest.contests
    }


@dataclass(frozen=True)
class DecryptionShare:
    """Trustee j's partial decryptions D = x_j * alpha of every aggregate ciphertext, with proofs."""

    trustee: int
    partials: Mapping[str, tuple[tuple[Element, DleqProof], ...]]

    def to_json(self, group: Group) -> dict:
        return {
            "trustee": self.trustee,
            "partials": {
                cid: [
                    {"partial": element_to_hex(group, d), "proof": proof.to_json(group)} for d, proof in items
                ]
                for cid, items in self.partials.items()
            },
        }

    @classmethod
    def from_json(
        cls, context: ElectionContext, value: object, n: int, what: str = "share"
    ) -> DecryptionShare:
        group = context.group
        obj = require_fields(value, what, ("trustee", "partials"))
        trustee = obj["trustee"]
        if type(trustee) is not int or not 1 <= trustee <= n:
            raise MalformedInput(f"{what}.trustee must be a trustee index in [1, {n}]")
        partials = obj["partials"]
        if not isinstance(partials, dict) or sorted(partials) != sorted(
            c.id for c in context.manifest.contests
        ):
            raise MalformedInput(f"{what}.partials must have one entry per contest")
        parsed = {}
        for contest in context.manifest.contests:
            items = require_list(
                partials[contest.id], f"{what}.partials[{contest.id}]", length=len(contest.options)
            )
            row = []
            for k, item in enumerate(items):
                where = f"{what}.partials[{contest.id}][{k}]"
                entry = require_fields(item, where, ("partial", "proof"))
                row.append(
                    (
                        element_from_hex(group, entry["partial"], f"{where}.partial", allow_identity=True),
                        DleqProof.from_json(group, entry["proof"], 2, f"{where}.proof"),
                    )
                )
            parsed[contest.id] = tuple(row)
        return cls(trustee, parsed)


def _share_transcript(
    context: ElectionContext, closing: bytes, trustee: int, contest_id: str, k: int, ct: Ciphertext
) -> Transcript:
    transcript = context.transcript(b"decryption-share")
    transcript.append_message(b"closing", closing)
    transcript.append_int(b"trustee", trustee)
    transcript.append_message(b"contest", contest_id.encode())
    transcript.append_int(b"option", k)
    transcript.append_elements(b"ciphertext", (ct.alpha, ct.beta))
    return transcript


def compute_decryption_share(
    context: ElectionContext,
    trustee: int,
    secret_share: int,
    verification_key_j: Element,
    ballots: Iterable[EncryptedBallot],
    claimed_aggregate: Aggregate,
    rng: ScalarSource | None = None,
    *,
    closing: bytes,
) -> DecryptionShare:
    """Trustee j's share of the aggregate it recomputes from the ballots: it decrypts nothing else. `closing`
    is the hash of the closing statement (`zk.record.closing_hash`) the trustee has checked the ballots
    against: the share's proofs bind it."""
    aggregate = aggregate_ballots(context, ballots)
    if aggregate != claimed_aggregate:
        raise InvalidParameters("refusing to decrypt: the aggregate is not the sum of the recorded ballots")
    return decryption_share_of_own_aggregate(
        context, trustee, secret_share, verification_key_j, aggregate, rng, closing=closing
    )


def decryption_share_of_own_aggregate(
    context: ElectionContext,
    trustee: int,
    secret_share: int,
    verification_key_j: Element,
    aggregate: Aggregate,
    rng: ScalarSource | None = None,
    *,
    closing: bytes,
) -> DecryptionShare:
    """Trustee j's share of an aggregate it computed itself (`compute_decryption_share` does both steps)."""
    partials = {}
    for cid, cts in aggregate.items():
        partials[cid] = tuple(
            partial_decrypt(
                _share_transcript(context, closing, trustee, cid, k, ct),
                secret_share,
                verification_key_j,
                ct.alpha,
                rng,
            )
            for k, ct in enumerate(cts)
        )
    return DecryptionShare(trustee, partials)


def decryption_share_equations(
    context: ElectionContext,
    verification_key_j: Element,
    aggregate: Aggregate,
    share: DecryptionShare,
    *,
    closing: bytes,
) -> list[Equation]:
    equations: list[Equation] = []
    for cid, cts in aggregate.items():
        items = share.partials.get(cid, ())
        if len(items) != len(cts):
            raise MalformedInput(f"trustee {share.trustee}'s share has no partial for every option of {cid}")
        for k, (ct, (partial, proof)) in enumerate(zip(cts, items, strict=True)):
            equations.extend(
                partial_decryption_equations(
                    _share_transcript(context, closing, share.trustee, cid, k, ct),
                    verification_key_j,
                    ct.alpha,
                    partial,
                    proof,
                )
            )
    return equations


def verify_decryption_share(
    context: ElectionContext,
    verification_key_j: Element,
    aggregate: Aggregate,
    share: DecryptionShare,
    *,
    closing: bytes,
) -> bool:
    try:
        batch = BatchVerifier(context.group)
        batch.add(decryption_share_equations(context, verification_key_j, aggregate, share, closing=closing))
        return batch.verify()
    except MalformedInput:
        return False


def lagrange_at_zero(indexes: Sequence[int], order: int) -> dict[int, int]:
    """lambda_j = prod_{m != j} m / (m - j) mod order: the weights that interpolate f(0) from f(j)."""
    if len(set(indexes)) != len(indexes) or any(i % order == 0 for i in indexes):
        raise InvalidParameters("Lagrange interpolation needs distinct nonzero indexes")
    weights = {}
    for j in indexes:
        numerator, denominator = 1, 1
        for m in indexes:
            if m != j:
                numerator = numerator * m % order
                denominator = denominator * (m - j) % order
        weights[j] = numerator * pow(denominator, -1, order) % order
    return weights


def combine_shares(
    context: ElectionContext, aggregate: Aggregate, shares: Sequence[DecryptionShare]
) -> dict[str, tuple[Element, ...]]:
    """total * g per option from (exactly) the given shares: beta - sum_j lambda_j * D_j."""
    group = context.group
    weights = lagrange_at_zero([s.trustee for s in shares], group.order)
    combined = {}
    for cid, cts in aggregate.items():
        row = []
        for k, ct in enumerate(cts):
            points = [ct.beta, *(s.partials[cid][k][0] for s in shares)]
            row.append(group.msm(points, [1, *(-weights[s.trustee] for s in shares)]))
        combined[cid] = tuple(row)
    return combined


class BabyStepGiantStep:
    """Discrete logs of m * g for 0 <= m <= bound, from a table of ceil(sqrt(bound + 1)) baby steps."""

    def __init__(self, group: Group, bound: int) -> None:
        if bound < 0:
            raise InvalidParameters("the discrete-log bound must be >= 0")
        self.group = group
        self.bound = bound
        self.step = max(1, math.isqrt(bound) + 1)
        g = group.generator()
        self._table: dict[Element, int] = {}
        point = group.identity()
        for j in range(self.step):
            self._table[point] = j
            point = group.add(point, g)
        self._giant = group.neg(point)  # -(step * g)

    def log(self, element: Element) -> int:
        point = element
        for i in range(self.step + 1):
            j = self._table.get(point)
            if j is not None:
                value = i * self.step + j
                if value <= self.bound:
                    return value
                break
            point = self.group.add(point, self._giant)
        raise DiscreteLogNotFound(f"no total in [0, {self.bound}] decrypts to this element")


def discrete_log(group: Group, element: Element, bound: int) -> int:
    """m with m * g == element and 0 <= m <= bound (baby-step giant-step); DiscreteLogNotFound otherwise."""
    return BabyStepGiantStep(group, bound).log(element)


@dataclass
class TallyResult:
    counts: dict[str, tuple[int, ...]]
    used_trustees: list[int]
    invalid_trustees: list[int] = field(default_factory=list)


def tally(
    context: ElectionContext,
    aggregate: Aggregate,
    shares: Iterable[DecryptionShare],
    verification_keys: Mapping[int, Element],
    threshold: int,
    bound: int,
    *,
    closing: bytes,
) -> TallyResult:
    """Check every share (made for the closing statement hashed as `closing`), skip (and name) invalid ones,
    combine the first `threshold` valid ones, log."""
    valid, invalid = [], []
    for share in sorted(shares, key=lambda s: s.trustee):
        key = verification_keys.get(share.trustee)
        if key is not None and verify_decryption_share(context, key, aggregate, share, closing=closing):
            valid.append(share)
        else:
            invalid.append(share.trustee)
    if len(valid) < threshold:
        raise InvalidParameters(f"only {len(valid)} valid decryption shares, threshold is {threshold}")
    chosen = valid[:threshold]
    combined = combine_shares(context, aggregate, chosen)
    solver = BabyStepGiantStep(context.group, bound)
    counts = {cid: tuple(solver.log(e) for e in row) for cid, row in combined.items()}
    return TallyResult(counts, [s.trustee for s in chosen], invalid)
