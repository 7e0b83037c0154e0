"""Ballot benchmarks: govgraph's ballots on BLS12-381 G1 (arkworks) against an ElectionGuard-style baseline in
a 4096-bit prime-field group with a 256-bit subgroup (gmpy2 modexp), side by side in one run.

The baseline runs the *same* code (zk.sigma, zk.elgamal, zk.ballot, zk.trustees, zk.tally) through the same
`Group` interface, backed by Z_p^* instead of G1, so the proof structure is identical and only the group
differs. (`pip install electionguard` resolves only by downgrading pydantic to 1.9, which would break this
project's environment, hence gmpy2.) The 4096-bit p = q * r + 1 is found deterministically at start-up.
ElectionGuard leaves eligibility out of scope, so the baseline has no eligibility proof; the govgraph rows
show it separately and in total.

Rows, for a ballot of one contest with 5 options (0 to 2 selections):
  encrypt ballot; eligibility proof generation (BBS pseudonym with its verification hints, govgraph only);
  verify one ballot (decode + validity, and with eligibility); the cost of the subgroup check on the ballot's
  10 ciphertext points (issue 23: a torsion part is refused), as the validity rows again with the ciphertexts
  read on the curve only, in the same run; batch verify throughput in the steady state of
  a ballot box (chunks of 256 ballots, as the record verifier takes them, each checked as one random linear
  combination for validity and one for eligibility, the pool of distinct ballots cycled; each verifying
  process sets up its election constants once, outside the timing): validity only and with eligibility per
  CPU-second of one process, and with eligibility per wall-clock second through `--workers` warmed-up
  processes; aggregate + decrypt + verify the shares for 10^4 and 10^5 ballots (3 trustees, threshold 2; the
  10^5 ciphertexts cycle through the pool, which costs the same point additions); and the end to end
  wall-clock time for 10^5 ballots: verifying them through the workers plus the tally. The full run measures
  it (10^5 ballot verifications, the pool cycled); the quick run and the baseline (about 50 times slower)
  extrapolate from their wall-clock rate. The baseline has no eligibility proofs, so its one batch figure
  fills both per-CPU-second rows.
  The machine is shared: the "per CPU-second" and "ms" rows use process CPU time, so they do not depend on
  other load; the "wall clock" row does.

    python -m bench.ballots            # full run (a few minutes)
    python -m bench.ballots --quick    # short run
    python -m bench.ballots --json     # the same figures as one JSON object
"""

from __future__ import annotations

import hashlib
import os
import platform
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import gmpy2

from bench.harness import Column, arguments, cpu_median_ms, report, table_lines
from zk.ballot import (
    ElectionContext,
    EncryptedBallot,
    Manifest,
    election_group,
    encrypt_ballot,
    limit_equations,
    selection_equations,
    verify_ballot,
)
from zk.curve import get_backend
from zk.elgamal import Ciphertext
from zk.eligibility import (
    EligibilityBatch,
    EligibilityProof,
    RollAuthority,
    election_pseudonym,
    enrol_voter,
    prove_eligibility,
    suite_for,
)
from zk.errors import MalformedInput
from zk.group import G1Group, Group, seeded_scalars
from zk.record_verifier import BATCH_CHUNK
from zk.sigma import BatchVerifier
from zk.tally import (
    Aggregate,
    BabyStepGiantStep,
    combine_shares,
    decryption_share_of_own_aggregate,
    verify_decryption_share,
)
from zk.trustees import Ceremony, Trustee, joint_public_key, verification_key

ROLL_KEY_MATERIAL = b"k" * 32
MANIFEST = Manifest.from_json(
    {
        "election_id": "bench-2026",
        "title": "Benchmark",
        "revoting": "none",
        "trustees": [{"id": f"t{i}", "name": f"Trustee {i}"} for i in (1, 2, 3)],
        "threshold": 2,
        "electoral_roll": {
            "id": "bench-roll",
            "issuer_public_key": RollAuthority(
                suite_for(get_backend("arkworks")), "bench-roll", ROLL_KEY_MATERIAL
            ).public_key.hex(),
        },
        "contests": [
            {
                "id": "council",
                "title": "Council",
                "options": ["a", "b", "c", "d", "e"],
                "min_selections": 0,
                "max_selections": 2,
            }
        ],
    }
)
CHOICE = {"council": [1, 0, 0, 1, 0]}
CLOSING = hashlib.sha256(b"bench closing statement").digest()  # what the shares bind (zk.record.closing_hash)
TARGET_VERIFY_MS = 8.0
TARGET_BATCH_PER_S = 1000.0
TARGET_E2E_S = 300.0


class ModpGroup:
    """The order-q subgroup of Z_p^* (p 4096-bit, q 256-bit) as a `zk.group.Group`; elements are mpz mod p."""

    element_length = 512
    scalar_length = 32

    def __init__(self, p: int, q: int, g: int) -> None:
        self.p, self.order, self._g = gmpy2.mpz(p), q, gmpy2.mpz(g)
        self.name = b"MODP-4096-Q256-" + hashlib.sha256(str(p).encode()).hexdigest()[:16].encode()

    def generator(self):
        return self._g

    def identity(self):
        return gmpy2.mpz(1)

    def add(self, a, b):
        return a * b % self.p

    def neg(self, a):
        return gmpy2.invert(a, self.p)

    def mul(self, a, k):
        return gmpy2.powmod(a, k % self.order, self.p)

    def msm(self, points, scalars):
        acc = gmpy2.mpz(1)
        for point, k in zip(points, scalars, strict=True):
            acc = acc * gmpy2.powmod(point, k % self.order, self.p) % self.p
        return acc

    def is_identity(self, a) -> bool:
        return a == 1

    def encode(self, a) -> bytes:
        return int(a).to_bytes(self.element_length, "big")

    def decode(self, data: bytes, *, allow_identity: bool = False):
        # ElectionGuard's verifier checks 0 < x < p and x^q = 1 (subgroup membership) for every element.
        if len(data) != self.element_length:
            raise MalformedInput("element must be 512 bytes")
        x = gmpy2.mpz(int.from_bytes(data, "big"))
        if not 0 < x < self.p or gmpy2.powmod(x, self.order, self.p) != 1:
            raise MalformedInput("element is not in the order-q subgroup")
        if x == 1 and not allow_identity:
            raise MalformedInput("element is the identity")
        return x

    def decode_commitment(self, data: bytes, *, allow_identity: bool = False):
        # Strict, as ElectionGuard checks every element.
        return self.decode(data, allow_identity=allow_identity)

    def is_identity_mod_torsion(self, a) -> bool:
        return a == 1  # decoding admits nothing outside the order-q subgroup

    def hash_to_element(self, msg: bytes, dst: bytes):
        raise NotImplementedError("not needed by the ballot benchmark")

    def random_scalar(self) -> int:
        return int.from_bytes(os.urandom(40), "big") % (self.order - 1) + 1


def find_modp_group(seed: bytes = b"govgraph-bench-4096") -> tuple[int, int, int]:
    """(p, q, g): q the first prime after a seeded 256-bit value, p = q * r + 1 the first 4096-bit prime of
    that form after a seeded r, and g = h^((p-1)/q) != 1 of order q."""

    def seeded(bits: int, label: bytes) -> int:
        stream = b"".join(
            hashlib.sha256(seed + label + i.to_bytes(4, "big")).digest() for i in range(-(-bits // 256))
        )
        return int.from_bytes(stream, "big") >> (len(stream) * 8 - bits) | 1 << (bits - 1)

    q = int(gmpy2.next_prime(seeded(256, b"q")))
    r = seeded(4096 - 256, b"r") // 2 * 2
    while True:
        p = q * r + 1
        if p.bit_length() == 4096 and gmpy2.is_prime(p, 25):
            break
        r += 2
    h = 2
    while (g := int(gmpy2.powmod(h, (p - 1) // q, p))) == 1:
        h += 1
    return p, q, g


class CiphertextsOnCurveOnly(G1Group):
    """The election group with every point read on the curve only: ballot ciphertexts as they were read before
    the subgroup check (proof commitments are read so anyway). The cost reference for that check."""

    def decode(self, data: bytes, *, allow_identity: bool = False):
        return self.decode_commitment(data, allow_identity=allow_identity)


def make_group(kind: str, params: tuple[int, int, int] | None) -> Group:
    if kind == "curve":
        return election_group(get_backend("arkworks"))
    if kind == "curve-on-curve-only":
        return CiphertextsOnCurveOnly(get_backend("arkworks"), uncompressed=True)
    return ModpGroup(*params)


def setup_election(group: Group) -> tuple[ElectionContext, dict[int, Trustee], dict]:
    ceremony = Ceremony(group, 3, 2, MANIFEST.hash())
    rng = seeded_scalars(group, b"bench trustees")
    trustees = {i: Trustee(ceremony, i, rng) for i in (1, 2, 3)}
    reveals = {i: t.reveal for i, t in trustees.items()}
    qualified = [1, 2, 3]
    for j, trustee in trustees.items():
        # Shares handed over directly: the sealed-box round costs the same for both groups and is not
        # benchmarked.
        trustee.secret_share = sum(other.share_for(j) for other in trustees.values()) % group.order
    keys = {j: verification_key(ceremony, reveals, qualified, j) for j in trustees}
    return ElectionContext(group, MANIFEST, joint_public_key(ceremony, reveals, qualified)), trustees, keys


_worker: dict = {}  # one verifying process's election constants and ballot pool, set up by `_start_worker`
CHUNK = BATCH_CHUNK  # ballots per random linear combination: the record verifier's chunk (256)


def _start_worker(
    kind: str, params, key_hex: str, issuer_key_hex: str | None, ballots: list[dict], eligibility: list | None
) -> None:
    """A verifier process's one-off set-up: the group, the election context, the eligibility constants, and
    the pool of cast ballots (JSON, as they arrive) it will read from, so the timed jobs carry only
    positions."""
    group = make_group(kind, params)
    _worker["context"] = ElectionContext(group, MANIFEST, group.decode(bytes.fromhex(key_hex)))
    _worker["box"] = (
        None
        if issuer_key_hex is None
        else EligibilityBatch(
            suite_for(group.backend), bytes.fromhex(issuer_key_hex), "bench-roll", MANIFEST.election_id
        )
    )
    _worker["ballots"], _worker["eligibility"] = ballots, eligibility


def _verify_chunk(first: int, count: int) -> int:
    """Decode and batch-verify ballots first .. first + count - 1 of the pool (cycled), and their eligibility
    proofs when the worker has them; returns how many."""
    context, box, pool, proofs = (_worker[k] for k in ("context", "box", "ballots", "eligibility"))
    picks = [(first + i) % len(pool) for i in range(count)]
    batch = BatchVerifier(context.group)
    for i in picks:
        ballot = EncryptedBallot.from_json(context, pool[i])
        batch.add(selection_equations(context, ballot) + limit_equations(context, ballot))
    if not batch.verify():
        raise AssertionError("a benchmark ballot failed verification")
    if proofs is not None:
        items = [(proofs[i][0], EligibilityProof.from_json(proofs[i][1])) for i in picks]
        if not all(box.verify(items)):
            raise AssertionError("a benchmark eligibility proof failed")
    return count


def batch_throughput(
    kind: str,
    params,
    context: ElectionContext,
    ballots: Sequence[dict],
    eligibility: tuple[str, list] | None,
    workers: int,
    total: int,
    chunk: int = CHUNK,
) -> float:
    """Steady-state ballots per second: `total` ballots (the pool, cycled) in chunks of `chunk`, after each
    verifying process has set up its election constants (a ballot box does that once). With workers <= 1, per
    CPU-second of this process; else per wall-clock second through `workers` warmed-up processes."""
    start = (
        kind,
        params,
        context.group.encode(context.joint_key).hex(),
        None if eligibility is None else eligibility[0],
        list(ballots),
        None if eligibility is None else eligibility[1],
    )
    jobs = [(first, min(chunk, total - first)) for first in range(0, total, chunk)]
    if workers <= 1:
        _start_worker(*start)
        # CPU time of this process: the per-core rate, independent of what else the machine is running.
        begin = time.process_time()
        done = sum(_verify_chunk(*job) for job in jobs)
        return done / (time.process_time() - begin)
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=start) as pool:
        list(pool.map(_verify_chunk, *zip(*jobs[:workers], strict=True)))  # every worker started and warm
        begin = time.perf_counter()
        done = sum(pool.map(_verify_chunk, *zip(*jobs, strict=True)))
        return done / (time.perf_counter() - begin)


def tally_seconds(
    context: ElectionContext, trustees: dict[int, Trustee], keys: dict, pool: Sequence[Ciphertext], count: int
) -> float:
    """Aggregate `count` ballots' ciphertexts, two trustees' shares with proofs, verify them, combine, log."""
    group = context.group
    begin = time.perf_counter()
    alpha, beta = [group.identity()] * 5, [group.identity()] * 5
    for i in range(count):
        row = pool[i % len(pool)]
        for k in range(5):
            alpha[k] = group.add(alpha[k], row[k].alpha)
            beta[k] = group.add(beta[k], row[k].beta)
    aggregate: Aggregate = {"council": tuple(Ciphertext(a, b) for a, b in zip(alpha, beta, strict=True))}
    shares = []
    for j in (1, 2):
        # Each trustee recomputes the sum on its own machine (in parallel): counted once, as the line above.
        share = decryption_share_of_own_aggregate(
            context, j, trustees[j].secret_share, keys[j], aggregate, closing=CLOSING
        )
        if not verify_decryption_share(context, keys[j], aggregate, share, closing=CLOSING):
            raise AssertionError("a benchmark decryption share failed")
        shares.append(share)
    combined = combine_shares(context, aggregate, shares)
    solver = BabyStepGiantStep(group, count)
    [solver.log(e) for e in combined["council"]]
    return time.perf_counter() - begin


def measure(kind: str, params, quick: bool, workers: int) -> dict[str, float]:
    group = make_group(kind, params)
    context, trustees, keys = setup_election(group)
    curve = kind == "curve"
    repeats = 5 if quick else 20
    rng = seeded_scalars(group, b"bench ballots")
    _ = (
        context.encryption_key
    )  # build the fixed-base tables outside the timed region, as a voting device would
    out: dict[str, float] = {}
    out["encrypt_ms"] = cpu_median_ms(lambda: encrypt_ballot(context, CHOICE, b"voter", rng), repeats)

    pool_size = (100 if quick else 500) if curve else (8 if quick else 40)
    ballots, elig, proof_times = [], [], []
    authority = RollAuthority(suite_for(group.backend), "bench-roll", ROLL_KEY_MATERIAL) if curve else None
    for i in range(pool_size):
        choice = {"council": [int(b) for b in f"{[3, 5, 6, 9, 10, 12, 17, 18, 20, 24][i % 10]:05b}"]}
        if curve:
            credential = enrol_voter(authority, rng(), rng())
            binding = election_pseudonym(authority.suite, credential, MANIFEST.election_id)
        else:
            binding = b"voter-%d" % i
        ballot, _ = encrypt_ballot(context, choice, binding, rng)
        data = ballot.to_json(group)
        ballots.append(data)
        if curve:
            code = ballot.tracking_code(group)
            start = time.process_time()
            proof = prove_eligibility(
                authority.suite, authority.public_key, credential, MANIFEST.election_id, code
            )
            proof_times.append(time.process_time() - start)
            elig.append((code, proof.to_json()))
    if curve:
        out["eligibility_proof_ms"] = statistics.median(proof_times) * 1e3

    def verify_one(i: int = 0) -> None:
        ballot = EncryptedBallot.from_json(context, ballots[i])
        assert verify_ballot(context, ballot)

    out["verify_validity_ms"] = cpu_median_ms(verify_one, repeats)
    if curve:
        # The same ballot with its ciphertexts read on the curve only: what the subgroup check costs.
        lenient = make_group("curve-on-curve-only", None)
        lenient_context = ElectionContext(lenient, MANIFEST, lenient.decode(group.encode(context.joint_key)))

        def verify_one_on_curve_only() -> None:
            assert verify_ballot(lenient_context, EncryptedBallot.from_json(lenient_context, ballots[0]))

        out["verify_validity_on_curve_only_ms"] = cpu_median_ms(verify_one_on_curve_only, repeats)
        # A ballot box verifies each arriving ballot with the election's constants (context point, generators,
        # issuer key) computed once: an EligibilityBatch of one.
        box = EligibilityBatch(authority.suite, authority.public_key, "bench-roll", MANIFEST.election_id)

        def verify_with_eligibility() -> None:
            verify_one()
            code, proof = elig[0]
            assert box.verify([(code, EligibilityProof.from_json(proof))]) == [True]

        out["verify_with_eligibility_ms"] = cpu_median_ms(verify_with_eligibility, repeats)
    eligibility = (authority.public_key.hex(), elig) if curve else None
    # The baseline is ~50x slower: its pool once through, in chunks small enough to keep every worker busy.
    total, chunk = (1024 if quick else 4096, CHUNK) if curve else (len(ballots), 4)
    out["batch_1_per_s"] = batch_throughput(kind, params, context, ballots, eligibility, 1, total, chunk)
    out["batch_validity_per_s"] = (
        batch_throughput(kind, params, context, ballots, None, 1, total, chunk)
        if curve
        else out["batch_1_per_s"]
    )  # the baseline has no eligibility proofs
    if curve:
        out["batch_validity_on_curve_only_per_s"] = batch_throughput(
            "curve-on-curve-only", params, context, ballots, None, 1, total, chunk
        )
    # The full run pushes 10^5 ballots through the workers, so the end-to-end row below is measured.
    wall_total = total * workers if quick or not curve else 100_000
    out["batch_per_s"] = batch_throughput(
        kind, params, context, ballots, eligibility, workers, wall_total, chunk
    )

    cts = [EncryptedBallot.from_json(context, b).contests[0].selections for b in ballots]
    for count in (10_000, 100_000):
        out[f"tally_{count}_s"] = tally_seconds(context, trustees, keys, cts, count)
    out["e2e_100000_s"] = 100_000 / out["batch_per_s"] + out["tally_100000_s"]
    return out


ROWS = (
    ("encrypt_ms", "encrypt one ballot (5 options)", "ms", None),
    ("eligibility_proof_ms", "eligibility proof generation (BBS pseudonym)", "ms", None),
    ("verify_validity_ms", "verify one ballot: 5-option validity", "ms", None),
    ("verify_validity_on_curve_only_ms", "  same, ciphertexts not subgroup-checked", "ms", None),
    (
        "verify_with_eligibility_ms",
        "verify one ballot: eligibility + validity",
        "ms",
        f"<= {TARGET_VERIFY_MS:g} ms",
    ),
    ("batch_validity_per_s", "batch verify validity only, per CPU-second", "ballots/s", None),
    ("batch_validity_on_curve_only_per_s", "  same, ciphertexts not subgroup-checked", "ballots/s", None),
    ("batch_1_per_s", "batch verify, per CPU-second (1 process)", "ballots/s", None),
    (
        "batch_per_s",
        "batch verify, wall clock, --workers processes",
        "ballots/s",
        f">= {TARGET_BATCH_PER_S:g}/s",
    ),
    ("tally_10000_s", "aggregate + decrypt + verify, 10^4 ballots", "s", None),
    ("tally_100000_s", "aggregate + decrypt + verify, 10^5 ballots", "s", None),
    ("e2e_100000_s", "10^5 verified (workers) + tallied, wall clock", "s", f"<= {TARGET_E2E_S:g} s"),
)


COLUMNS = (
    Column("operation", 46, align="<"),
    Column("govgraph G1", 14),
    Column("4096-bit", 14),
    Column("speedup", 9, ".1f", suffix="x"),
    Column("target", 0, align="<", gap=2),
)


def run(quick: bool, workers: int) -> dict:
    params = find_modp_group()
    curve = measure("curve", None, quick, workers)
    baseline = measure("modp", params, quick, workers)
    figures = {}
    for key, _, unit, target in ROWS:
        ours, theirs = curve.get(key), baseline.get(key)
        if ours is None or theirs is None:
            ratio = None
        elif unit == "ballots/s":
            ratio = ours / theirs
        else:
            ratio = theirs / ours
        figures[key] = {
            "govgraph": ours,
            "baseline": theirs,
            "speedup": ratio,
            "unit": unit,
            "target": target,
        }
    meta = {
        "quick": quick,
        "workers": workers,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "curve_backend": "arkworks",
        "baseline": "ElectionGuard-style, same code, Z_p^* p 4096-bit, q 256-bit, gmpy2 " + gmpy2.version(),
    }
    return {"meta": meta, "figures": figures}


def shown(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.2f} ms" if unit == "ms" else f"{value:,.1f} {unit}"


def table(result: dict) -> str:
    meta, figures = result["meta"], result["figures"]
    rows = []
    for key, label, unit, target in ROWS:
        f = figures[key]
        rows.append(
            (label, shown(f["govgraph"], unit), shown(f["baseline"], unit), f["speedup"], target or "")
        )
    return "\n".join(
        [
            f"ballots: {'quick' if meta['quick'] else 'full'} run, {meta['workers']} worker(s), "
            f"{meta['cpus']} CPUs; speedup = baseline cost / govgraph cost (throughput: govgraph / baseline)",
            *table_lines(COLUMNS, rows, rule=True),
        ]
    )


def main() -> None:
    parser = arguments(__doc__, quick_help="short run")
    parser.add_argument("--workers", type=int, default=2, help="processes for batch verification (default 2)")
    args = parser.parse_args()
    report(run(args.quick, args.workers), args.json, table)


if __name__ == "__main__":
    main()
