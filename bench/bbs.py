"""Benchmark of BBS (BLS12-381-SHA-256) on the arkworks backend against the py-ecc reference, in one run.

Prints, per operation, the median CPU time (time.process_time) over repeats on each backend and the ratio
py-ecc / arkworks. Operations: keygen (KeyGen + SkToPk), sign, verify, proof_gen, proof_verify, for L = 10
messages with 2 disclosed and L = 100 with 10 disclosed.

    python -m bench.bbs            # full run (a few minutes: py-ecc is slow)
    python -m bench.bbs --quick    # short run
    python -m bench.bbs --json     # the same figures as one JSON object
"""

from __future__ import annotations

import os
import platform

from bench.harness import Column, arguments, cpu_median_ms, report, table_lines
from zk.bbs import BLS12_381_SHA_256, Ciphersuite
from zk.curve import get_backend

OPERATIONS = ("keygen", "sign", "verify", "proof_gen", "proof_verify")
SHAPES = ((10, 2), (100, 10))  # (L messages, R disclosed)
TARGET_PROOF_VERIFY_MS = 3.0
TARGET_RATIO = 80.0


def measure(suite: Ciphersuite, messages_count: int, disclosed_count: int, repeats: int) -> dict[str, float]:
    messages = [f"message {i}: {os.urandom(8).hex()}".encode() for i in range(messages_count)]
    disclosed = list(range(0, messages_count, messages_count // disclosed_count))[:disclosed_count]
    shown = [messages[i] for i in disclosed]
    header, ph = b"bench header", b"bench presentation header"
    key_material = os.urandom(32)
    sk = suite.keygen(key_material)
    pk = suite.sk_to_pk(sk)
    suite.create_generators(messages_count + 1)  # generators are computed once per suite; not measured
    signature = suite.sign(sk, pk, header, messages)
    proof = suite.proof_gen(pk, signature, header, ph, messages, disclosed)
    assert suite.verify(pk, signature, header, messages) and suite.proof_verify(
        pk, proof, header, ph, shown, disclosed
    )
    operations = {
        "keygen": lambda: suite.sk_to_pk(suite.keygen(key_material)),
        "sign": lambda: suite.sign(sk, pk, header, messages),
        "verify": lambda: suite.verify(pk, signature, header, messages),
        "proof_gen": lambda: suite.proof_gen(pk, signature, header, ph, messages, disclosed),
        "proof_verify": lambda: suite.proof_verify(pk, proof, header, ph, shown, disclosed),
    }
    return {name: cpu_median_ms(operations[name], repeats) for name in OPERATIONS}


def run(quick: bool) -> dict:
    repeats = {"arkworks": 15 if quick else 200, "pyecc": 1 if quick else 5}
    results = []
    for messages_count, disclosed_count in SHAPES:
        figures = {}
        for name in ("arkworks", "pyecc"):
            suite = BLS12_381_SHA_256.with_backend(get_backend(name))
            n = repeats[name] if messages_count <= 10 else max(1, repeats[name] // 2)
            figures[name] = measure(suite, messages_count, disclosed_count, n)
        for operation in OPERATIONS:
            fast, slow = figures["arkworks"][operation], figures["pyecc"][operation]
            results.append(
                {
                    "operation": operation,
                    "L": messages_count,
                    "disclosed": disclosed_count,
                    "arkworks_ms": round(fast, 4),
                    "pyecc_ms": round(slow, 3),
                    "ratio": round(slow / fast, 1) if fast else None,
                }
            )
    proof_verify_10 = next(r for r in results if r["operation"] == "proof_verify" and r["L"] == 10)
    return {
        "benchmark": "bbs",
        "ciphersuite": "BLS12-381-SHA-256",
        "clock": "process_time (CPU), median",
        "quick": quick,
        "repeats": repeats,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": results,
        "targets": {
            "proof_verify_L10_arkworks_ms": proof_verify_10["arkworks_ms"],
            "proof_verify_L10_max_ms": TARGET_PROOF_VERIFY_MS,
            "proof_verify_L10_ratio": proof_verify_10["ratio"],
            "proof_verify_L10_min_ratio": TARGET_RATIO,
            "met": proof_verify_10["arkworks_ms"] <= TARGET_PROOF_VERIFY_MS
            and proof_verify_10["ratio"] >= TARGET_RATIO,
        },
    }


COLUMNS = (
    Column("operation", 14, align="<"),
    Column("L", 5, gap=0),
    Column("disclosed", 11, gap=0),
    Column("arkworks ms", 14, ".3f", gap=0),
    Column("py-ecc ms", 12, ".1f", gap=0),
    Column("py-ecc/arkworks", 18, ".1f", suffix="x", gap=0),
)


def table(result: dict) -> str:
    t = result["targets"]
    return "\n".join(
        [
            f"BBS {result['ciphersuite']}: CPU time per operation, median (arkworks "
            f"x{result['repeats']['arkworks']}, py-ecc x{result['repeats']['pyecc']}; half for L=100)",
            *table_lines(
                COLUMNS,
                (
                    (r["operation"], r["L"], r["disclosed"], r["arkworks_ms"], r["pyecc_ms"], r["ratio"])
                    for r in result["results"]
                ),
            ),
            f"target proof_verify L=10: <= {t['proof_verify_L10_max_ms']} ms and >= "
            f"{t['proof_verify_L10_min_ratio']:.0f}x -> {t['proof_verify_L10_arkworks_ms']:.3f} ms, "
            f"{t['proof_verify_L10_ratio']:.1f}x: {'met' if t['met'] else 'NOT met'}",
        ]
    )


def main() -> None:
    args = arguments(__doc__, quick_help="few repeats, for a smoke run").parse_args()
    report(run(args.quick), args.json, table)


if __name__ == "__main__":
    main()
