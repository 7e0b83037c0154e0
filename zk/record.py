"""The election record: everything needed to re-check an election without trusting anyone, as canonical JSON.

`build_record` assembles it (manifest, key ceremony, joint key, eligibility scheme, counted and spoiled
ballots, the closing statement, aggregate, decryption shares, results); `zk.record_verifier.verify_record`
checks it. Details: docs/elections.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import rfc8785

from zk import eligibility
from zk.ballot import (
    BallotSecrets,
    EncryptedBallot,
    Manifest,
)
from zk.errors import InvalidParameters, MalformedInput
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

# v2: the manifest names the trustees and the roll authority's key; the record has a closing statement
FORMAT = "govgraph/election-record/v2"
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


def ballot_list_hash(tracking_codes: Sequence[object]) -> str:
    """SHA-256 (hex) of the canonical JSON list of tracking codes, in record order."""
    try:
        listed = rfc8785.dumps(list(tracking_codes))
    except ValueError:  # rfc8785.CanonicalizationError: lone surrogates, integers beyond 2^53
        raise MalformedInput("the tracking codes cannot be written as canonical JSON") from None
    return hashlib.sha256(b"govgraph/election/v1/ballot-list\x00" + listed).hexdigest()


def closing_statement(counted: Sequence[object], spoiled: Sequence[object]) -> dict:
    """What is fixed when voting closes: how many ballots are counted and how many spoiled, and the hash of
    each list of tracking codes. The trustees' decryption shares bind its hash (`closing_hash`), so a record
    cannot later drop a counted or a spoiled ballot without every share failing."""
    return {
        "counted": {"ballots": len(counted), "hash": ballot_list_hash(counted)},
        "spoiled": {"ballots": len(spoiled), "hash": ballot_list_hash(spoiled)},
    }


def closing_hash(statement: object) -> bytes:
    """SHA-256 of the closing statement's canonical JSON: what each decryption share's transcript absorbs."""
    try:
        return hashlib.sha256(b"govgraph/election/v1/closing\x00" + rfc8785.dumps(statement)).digest()
    except ValueError:
        raise MalformedInput("the closing statement cannot be written as canonical JSON") from None


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
    credentials_issued: int | None = None,
) -> dict:
    """The record as a JSON-ready dict; `canonical_bytes` gives its RFC 8785 form. `credentials_issued` (the
    roll's public count) is needed when the manifest names an electoral roll."""
    if (manifest.electoral_roll is None) != (credentials_issued is None):
        raise InvalidParameters("credentials_issued is given exactly when the manifest names a roll")
    return {
        "format": FORMAT,
        "group": GROUP_NAME,
        "manifest": manifest.to_json(),
        "manifest_hash": manifest.hash().hex(),
        "ceremony": ceremony.to_json(group),
        "joint_key": element_to_hex(group, joint_key),
        "eligibility": None
        if credentials_issued is None
        else {"scheme": eligibility.SCHEME, "credentials_issued": credentials_issued},
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
        "closing": closing_statement(
            [b.tracking_code for b in ballots], [b.tracking_code for b, _ in spoiled]
        ),
        "aggregate": aggregate_to_json(group, aggregate),
        "decryption_shares": [s.to_json(group) for s in shares],
        "tally": {"trustees": list(used_trustees)},
        "results": {c.id: dict(zip(c.options, results[c.id], strict=True)) for c in manifest.contests},
    }


def canonical_bytes(record: dict) -> bytes:
    return rfc8785.dumps(record)


def record_digest(record: dict) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()
