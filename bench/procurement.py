"""Procurement benchmarks: the sealed-bid cryptography (zk.sealed_bid on BLS12-381 G1, arkworks) and the
OCDS work of the procurement office, each beside a reference measured in the same run.

Rows (CPU milliseconds, median):
  seal a 1 KiB bid (ElGamal key encapsulation + XChaCha20-Poly1305) vs libsodium's sealed box (X25519 +
  XSalsa20-Poly1305, what an ordinary encrypt-to-one-key costs); a member's proved share of one bid, and its
  verification, vs the seal; open one bid from 3 shares (Lagrange combination + AEAD) vs opening a sealed
  box; validating the fictional sample's release package (6 releases) against the OCDS 1.1.5 schema, its
  compiled + versioned release with ocdsmerge, and the release hashes (RFC 8785 + SHA-256), each vs reading
  the same JSON text with json.loads.

    python -m bench.procurement [--quick] [--json]

The sample package is read from ../shared/standards (the standards folder beside the checkout).
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

from nacl.public import PrivateKey, SealedBox

from bench.harness import REPO, Column, arguments, cpu_median_ms, report, table_lines
from govgraph.agencies.procurement import ocds
from zk.curve import get_backend
from zk.group import g1_group
from zk.sealed_bid import bid_share, combine_bid_shares, open_with_shared_point, seal, verify_bid_share
from zk.trustees import Ceremony, Trustee, joint_public_key, qualified_trustees, verification_key

SAMPLE = REPO.parent / "shared/standards/procurement/ocds-sample-data/fictional-example-1.1"
N, T = 4, 3
BID = json.dumps({"amount": 171250, "currency": "EUR", "notes": "x" * 980}).encode()


def committee(group):
    """A 3-of-4 committee from the real key ceremony, run in-process: its key, members and their keys."""
    ceremony = Ceremony(group, N, T, b"bench tender")
    members = {j: Trustee(ceremony, j) for j in range(1, N + 1)}
    hashes = {j: m.commitment_hash() for j, m in members.items()}
    reveals = {j: m.reveal for j, m in members.items()}
    boxes = {j: m.box_public_key for j, m in members.items()}
    sealed = [share for m in members.values() for share in m.deal(boxes)]
    complaints = [c for m in members.values() for c in m.receive(reveals, hashes, sealed)]
    qualified = qualified_trustees(ceremony, reveals, hashes, complaints, [])
    for member in members.values():
        member.finalize(qualified, [])
    keys = {j: verification_key(ceremony, reveals, qualified, j) for j in qualified}
    return ceremony, joint_public_key(ceremony, reveals, qualified), members, keys


def measure(quick: bool) -> dict:
    repeats = 15 if quick else 100
    group = g1_group(get_backend("arkworks"))
    ceremony, key, members, keys = committee(group)
    sealed = seal(group, key, "t-1", "service:acme", BID)
    shares = [
        bid_share(group, ceremony.context, "t-1", sealed, j, members[j].secret_share, keys[j])
        for j in (1, 2, 3)
    ]
    box_key = PrivateKey.generate()
    boxed = SealedBox(box_key.public_key).encrypt(BID)
    text = (SAMPLE / "ocds-213czf-000-00001.json").read_text()
    package = json.loads(text)
    releases = package["releases"]
    rows = {
        "seal a 1 KiB bid": (
            cpu_median_ms(lambda: seal(group, key, "t-1", "service:acme", BID), repeats),
            "libsodium sealed box encrypt",
            cpu_median_ms(lambda: SealedBox(box_key.public_key).encrypt(BID), repeats),
        ),
        "a member's proved share of one bid": (
            cpu_median_ms(
                lambda: bid_share(
                    group, ceremony.context, "t-1", sealed, 1, members[1].secret_share, keys[1]
                ),
                repeats,
            ),
            "seal a 1 KiB bid",
            None,
        ),
        "verify one share": (
            cpu_median_ms(
                lambda: verify_bid_share(group, ceremony.context, "t-1", sealed, shares[0], keys[1]), repeats
            ),
            "seal a 1 KiB bid",
            None,
        ),
        "open one bid from 3 shares": (
            cpu_median_ms(
                lambda: open_with_shared_point(
                    group, sealed, "t-1", "service:acme", combine_bid_shares(group, shares, T)
                ),
                repeats,
            ),
            "libsodium sealed box decrypt",
            cpu_median_ms(lambda: SealedBox(box_key).decrypt(boxed), repeats),
        ),
        "validate the sample package (OCDS 1.1.5)": (
            cpu_median_ms(lambda: ocds.schema_errors(package, ocds.V1_1, "release-package"), repeats),
            "json.loads of the package",
            cpu_median_ms(lambda: json.loads(text), repeats),
        ),
        "compiled + versioned release (ocdsmerge)": (
            cpu_median_ms(
                lambda: (ocds.compiled_release(releases, "1.1"), ocds.versioned_release(releases, "1.1")),
                repeats,
            ),
            "json.loads of the package",
            None,
        ),
        "6 release hashes (RFC 8785 + SHA-256)": (
            cpu_median_ms(lambda: [ocds.release_hash(release) for release in releases], repeats),
            "json.loads of the package",
            None,
        ),
    }
    measured = {name: value for name, (value, _ref, _ref_ms) in rows.items()}
    references = {"libsodium sealed box encrypt": rows["seal a 1 KiB bid"][2]}
    references["libsodium sealed box decrypt"] = rows["open one bid from 3 shares"][2]
    references["json.loads of the package"] = rows["validate the sample package (OCDS 1.1.5)"][2]
    references["seal a 1 KiB bid"] = measured["seal a 1 KiB bid"]
    return {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "quick": quick,
        "rows": [
            {
                "operation": name,
                "ms": value,
                "reference": reference,
                "reference_ms": references[reference],
                "ratio": value / references[reference],
            }
            for name, (value, reference, _ms) in rows.items()
        ],
    }


def table(result: dict) -> str:
    columns = [
        Column("operation", 42, align="<"),
        Column("ms", 9, ".3f"),
        Column("reference", 30, align="<", gap=3),
        Column("ref ms", 9, ".3f"),
        Column("ratio", 9, ".1f", suffix="x"),
    ]
    rows = [
        (row["operation"], row["ms"], row["reference"], row["reference_ms"], row["ratio"])
        for row in result["rows"]
    ]
    head = f"procurement ({result['machine']}, Python {result['python']}, CPU ms, median)"
    return "\n".join([head, *table_lines(columns, rows, rule=True)])


def main() -> None:
    options = arguments(__doc__).parse_args()
    if not Path(SAMPLE).is_dir():
        raise SystemExit(f"the OCDS sample data is not at {SAMPLE}")
    report(measure(options.quick), options.json, table)


if __name__ == "__main__":
    main()
