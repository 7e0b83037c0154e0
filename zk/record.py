"""The election record: everything needed to re-check an election without trusting anyone, as canonical JSON.

`build_record` assembles it (manifest, key ceremony, joint key, eligibility scheme, counted and spoiled
ballots, aggregate, decryption shares, results); `zk.record_verifier.verify_record` checks it. Details:
docs/elections.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import rfc8785

from zk.ballot import (
    BallotSecrets,
    EncryptedBallot,
    Manifest,
)
from zk.group import Element, Group
from zk.tally import (
    Aggregate,
    DecryptionShare,
    aggregate_to_json,
)
from zk.trustees import (
    CoefficientReveal,
    Complaint,
    ComplaintAnswer,
    SealedShare,
)
from zk.wire import element_to_hex

FORMAT = "govgraph/election-record/v1"
GROUP_NAME = "BLS12-381-G1-uncompressed"  # `zk.ballot.election_group`


@dataclass
class CeremonyRecord:
    """The public messages of the key ceremony, in the order they were published."""

    n: int
    t: int
    commitment_hashes: dict[int, str]
    box_keys: dict[int, bytes]
    reveals: dict[int, CoefficientReveal]
    sealed_shares: list[SealedShare]
    complaints: list[Complaint]
    answers: list[ComplaintAnswer]
    qualified: list[int]

    def to_json(self, group: Group) -> dict:
        return {
            "n": self.n,
            "t": self.t,
            "commitments": [{"trustee": i, "hash": h} for i, h in sorted(self.commitment_hashes.items())],
            "box_keys": [{"trustee": i, "key": k.hex()} for i, k in sorted(self.box_keys.items())],
            "reveals": [self.reveals[i].to_json(group) for i in sorted(self.reveals)],
            "sealed_shares": [s.to_json() for s in self.sealed_shares],
            "complaints": [c.to_json() for c in self.complaints],
            "answers": [a.to_json(group) for a in self.answers],
            "qualified": list(self.qualified),
        }


@dataclass
class CastBallot:
    ballot: EncryptedBallot
    tracking_code: str
    eligibility: dict | None = None  # EligibilityProof.to_json(), when the election uses a roll


def counted_ballots(cast: Sequence[CastBallot], rule: str) -> list[CastBallot]:
    """One ballot per pseudonym in submission order: the first (first-wins, none) or the last (last-wins)."""
    chosen: dict[str, int] = {}
    anonymous: list[int] = []
    for position, item in enumerate(cast):
        key = item.eligibility["pseudonym"] if item.eligibility else None
        if key is None:
            anonymous.append(position)
        elif key not in chosen or rule == "last-wins":
            chosen[key] = position
    return [cast[p] for p in sorted([*chosen.values(), *anonymous])]


def build_record(
    group: Group,
    manifest: Manifest,
    ceremony: CeremonyRecord,
    joint_key: Element,
    ballots: Sequence[CastBallot],
    spoiled: Sequence[tuple[CastBallot, BallotSecrets]],
    aggregate: Aggregate,
    shares: Sequence[DecryptionShare],
    used_trustees: Sequence[int],
    results: Mapping[str, Sequence[int]],
    eligibility: dict | None = None,
) -> dict:
    """The record as a JSON-ready dict; `canonical_bytes` gives its RFC 8785 form."""
    return {
        "format": FORMAT,
        "group": GROUP_NAME,
        "manifest": manifest.to_json(),
        "manifest_hash": manifest.hash().hex(),
        "ceremony": ceremony.to_json(group),
        "joint_key": element_to_hex(group, joint_key),
        "eligibility": eligibility,
        "ballots": [
            {
                "tracking_code": b.tracking_code,
                "ballot": b.ballot.to_json(group),
                "eligibility": b.eligibility,
            }
            for b in ballots
        ],
        "spoiled": [
            {
                "tracking_code": b.tracking_code,
                "ballot": b.ballot.to_json(group),
                "opening": secrets.to_json(group),
            }
            for b, secrets in spoiled
        ],
        "aggregate": aggregate_to_json(group, aggregate),
        "decryption_shares": [s.to_json(group) for s in shares],
        "tally": {"trustees": list(used_trustees)},
        "results": {c.id: dict(zip(c.options, results[c.id], strict=True)) for c in manifest.contests},
    }


def canonical_bytes(record: dict) -> bytes:
    return rfc8785.dumps(record)


def record_digest(record: dict) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()
