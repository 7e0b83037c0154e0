"""Checks V2 to V4 of the record verifier (`zk.record_verifier`), on the trustees' key ceremony: every
trustee's commitments open as published (V2), the qualified set is what the complaints and answers give (V3),
and the joint key is the sum of the qualified trustees' first commitments (V4). The verifier inherits them;
they read and fill its state in order, like its other checks."""

from __future__ import annotations

from collections.abc import Callable

from zk.ballot import ElectionContext, Manifest
from zk.errors import MalformedInput
from zk.group import Group
from zk.record_keys import KeyUse, PinnedKeys, trustee_keys
from zk.record_report import CheckResult
from zk.trustees import (
    Ceremony,
    CoefficientReveal,
    Complaint,
    ComplaintAnswer,
    joint_public_key,
    qualified_trustees,
    verify_reveal,
)
from zk.wire import element_from_hex, require_fields, require_int, require_list


def trustee_indexes(value: object, what: str, n: int) -> list[int]:
    """A JSON list of trustee indexes in [1, n]: integers, not 1.0 or true (which Python takes for 1)."""
    items = require_list(value, what, max_length=None)
    if not all(type(i) is int and 1 <= i <= n for i in items):
        raise MalformedInput(f"{what} must list trustee indexes, integers in [1, {n}]")
    return items


class CeremonyChecks:
    """V2 to V4, as methods of the verifier: what they read from it, and what they leave for later checks."""

    # The verifier's, read here.
    group: Group
    pinned: PinnedKeys
    keys: list[KeyUse]
    manifest: Manifest | None
    field: Callable[[str], object]
    require: Callable[..., bool]
    # Filled here: the ceremony, each trustee's commitment hash and reveal, the raw section, the qualified
    # trustees and (V4) the election context the ballots are read in.
    ceremony: Ceremony | None
    hashes: dict[int, str]
    reveals: dict[int, CoefficientReveal]
    raw_ceremony: dict | None
    qualified: list[int]
    context: ElectionContext | None

    # V2
    def v2_commitments(self, result: CheckResult) -> None:
        if not self.require(result, self.manifest):
            return
        raw = require_fields(
            self.field("ceremony"),
            "ceremony",
            (
                "n",
                "t",
                "commitments",
                "box_keys",
                "reveals",
                "sealed_shares",
                "complaints",
                "answers",
                "qualified",
            ),
        )
        n, t = raw["n"], raw["t"]
        if type(n) is not int or type(t) is not int:
            raise MalformedInput("ceremony n and t must be integers")
        named = len(self.manifest.trustees)
        if (n, t) != (named, self.manifest.threshold):
            result.fail(
                f"the ceremony has n={n}, t={t}, but the manifest names {named} trustees with threshold "
                f"{self.manifest.threshold}"
            )
        self.ceremony = Ceremony(self.group, n, t, self.manifest.hash())
        for i, item in enumerate(require_list(raw["commitments"], "ceremony.commitments", max_length=None)):
            entry = require_fields(item, f"ceremony.commitments[{i}]", ("trustee", "hash"))
            trustee = require_int(entry["trustee"], f"ceremony.commitments[{i}].trustee", 1, n)
            if trustee in self.hashes:
                raise MalformedInput(f"ceremony.commitments: trustee {trustee} has two")
            self.hashes[trustee] = entry["hash"]
        for i, item in enumerate(require_list(raw["reveals"], "ceremony.reveals", max_length=None)):
            try:
                reveal = CoefficientReveal.from_json(self.ceremony, item, f"ceremony.reveals[{i}]")
            except MalformedInput as exc:
                result.fail(str(exc))
                continue
            self.reveals[reveal.trustee] = reveal
        try:
            claimed = trustee_indexes(raw["qualified"], "ceremony.qualified", n)
        except MalformedInput:
            claimed = []  # V3 reports it
        for trustee in range(1, n + 1):
            result.checked += 1
            reveal = self.reveals.get(trustee)
            if reveal is None or not verify_reveal(self.ceremony, reveal, self.hashes.get(trustee)):
                # A bad reveal is legitimate ceremony history as long as the trustee is not qualified.
                if trustee in claimed:
                    result.fail(f"trustee {trustee}: qualified, but its commitments are invalid")
                else:
                    result.note += f"trustee {trustee}'s commitments are invalid (it is excluded). "
        uses, failures = trustee_keys(self.group, self.manifest, self.reveals, self.pinned)
        self.keys += uses
        for failure in failures:
            result.fail(failure)
        self.raw_ceremony = raw

    # V3
    def v3_qualified(self, result: CheckResult) -> None:
        if not self.require(result, self.ceremony):
            return
        raw = self.raw_ceremony
        complaints = [
            Complaint.from_json(self.ceremony, c, f"ceremony.complaints[{i}]")
            for i, c in enumerate(require_list(raw["complaints"], "ceremony.complaints", max_length=None))
        ]
        answers = [
            ComplaintAnswer.from_json(self.ceremony, a, f"ceremony.answers[{i}]")
            for i, a in enumerate(require_list(raw["answers"], "ceremony.answers", max_length=None))
        ]
        expected = qualified_trustees(self.ceremony, self.reveals, self.hashes, complaints, answers)
        result.checked = self.ceremony.n
        claimed = trustee_indexes(raw["qualified"], "ceremony.qualified", self.ceremony.n)
        if claimed != expected:
            result.fail(f"the record qualifies trustees {claimed}, the complaints give {expected}")
        if len(expected) < self.ceremony.t:
            result.fail(f"only {len(expected)} trustees qualified, the threshold is {self.ceremony.t}")
        excluded = sorted(set(range(1, self.ceremony.n + 1)) - set(expected))
        result.note = (
            f"{len(expected)} of {self.ceremony.n} trustees qualified, {len(complaints)} complaint(s)"
            + (f"; excluded: {', '.join(map(str, excluded))}" if excluded else "")
        )
        self.qualified = expected

    # V4
    def v4_joint_key(self, result: CheckResult) -> None:
        if not self.require(result, self.ceremony, self.manifest) or len(self.qualified) < self.ceremony.t:
            result.fail("no qualified set to derive the joint key from")
            return
        result.checked = 1
        joint_key = element_from_hex(self.group, self.field("joint_key"), "joint_key")
        if joint_key != joint_public_key(self.ceremony, self.reveals, self.qualified):
            result.fail("joint_key is not the sum of the qualified trustees' first commitments")
            return
        self.context = ElectionContext(self.group, self.manifest, joint_key)
