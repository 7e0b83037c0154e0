"""Which keys an election record is checked against: pinned by the auditor, or taken from the record itself.

A record carries its own roll authority key (in the manifest) and its trustees' keys (their first coefficient
commitments in the key ceremony); checked only against each other, a whole election run by a self-appointed
roll authority and self-appointed trustees verifies. An auditor who knows the real keys pins them
(`PinnedKeys`), and the report says, key by key, which were pinned and which were taken from the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from zk.ballot import Manifest
from zk.group import Element, G1Group
from zk.json_input import describe
from zk.trustees import CoefficientReveal


@dataclass(frozen=True)
class PinnedKeys:
    """Keys the auditor knows from elsewhere (the roll authority's and the trustees' own publications).

    `roll`: the roll authority's BBS issuer public key (96 bytes, compressed G2). `trustees`: per trustee id
    of the manifest, the trustee's key in the ceremony, its first coefficient commitment C_i0 (the share of
    the election key it contributes), as 96 bytes uncompressed (the record's encoding) or 48 compressed.
    """

    roll: bytes | None = None
    trustees: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyUse:
    """One key the verdict rests on: whose it is, its hex as the record gives it, and where it came from."""

    role: str  # "roll authority" or "trustee"
    holder: str  # the roll id, or "<index> <trustee id>"
    key: str  # hex as in the record ("" when the record gives none)
    pinned: bool
    matches: bool | None = None  # None when not pinned

    def to_json(self) -> dict:
        return {
            "role": self.role,
            "holder": self.holder,
            "key": self.key,
            "source": "pinned" if self.pinned else "record",
            "matches": self.matches,
        }

    def sentence(self) -> str:
        if not self.pinned:
            origin = "taken from the record, not pinned"
        elif self.matches:
            origin = "pinned, and the record's key matches"
        else:
            origin = "pinned, and the record's key DOES NOT MATCH"
        return f"{self.role} {self.holder}: {origin} ({self.key or 'no key in the record'})"


def same_point(group: G1Group, point: Element, pinned: bytes) -> bool:
    """Whether `pinned` encodes `point`, compressed (48 bytes) or in the group's own encoding."""
    if len(pinned) == group.element_length:
        return group.encode(point) == pinned
    return group.backend.g1_compress(point) == pinned


def trustee_keys(
    group: G1Group, manifest: Manifest, reveals: Mapping[int, CoefficientReveal], pinned: PinnedKeys
) -> tuple[list[KeyUse], list[str]]:
    """Each trustee's key as the record gives it (its first coefficient commitment), compared with the pinned
    one if any; and the failures: a pinned key that differs, or is pinned for a trustee the manifest lacks."""
    uses: list[KeyUse] = []
    failures: list[str] = []
    expected_keys = dict(pinned.trustees)
    for index, trustee in enumerate(manifest.trustees, start=1):
        holder = f"{index} {trustee.id}"
        reveal = reveals.get(index)
        point = reveal.coefficients[0] if reveal is not None else None
        key = "" if point is None else group.encode(point).hex()
        expected = expected_keys.pop(trustee.id, None)
        if expected is None:
            uses.append(KeyUse("trustee", holder, key, False))
            continue
        matches = point is not None and same_point(group, point, expected)
        uses.append(KeyUse("trustee", holder, key, True, matches))
        if point is None:
            failures.append(f"trustee {holder}: the ceremony holds no key to compare with the pinned one")
        elif not matches:
            failures.append(
                f"trustee {holder}: its key in the ceremony (its first coefficient commitment) is not the "
                f"key pinned for it"
            )
    failures += [
        f"a key is pinned for trustee {describe(trustee_id)}, whom the manifest does not name"
        for trustee_id in expected_keys
    ]
    return uses, failures
