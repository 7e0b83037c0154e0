"""The record verifier's ballot checks V5 to V8 on one chunk of a record's ballots.

`check_ballot_chunk` is self-contained (JSON in, JSON out) so that `zk.record_verifier` can send chunks to
worker processes. Each chunk's proofs are checked in one random linear combination per check; when one fails,
the chunk's ballots are checked one by one to name the bad ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from zk import eligibility
from zk.ballot import (
    ElectionContext,
    EncryptedBallot,
    Manifest,
    describe_tracking_code,
    election_group,
    limit_equations,
    selection_equations,
    tracking_code_of,
)
from zk.curve import get_backend
from zk.errors import MalformedInput, ZkError
from zk.group import Equation
from zk.sigma import BatchVerifier
from zk.tally import (
    aggregate_ballots,
    aggregate_to_json,
)
from zk.wire import element_from_hex, require_fields


def check_ballot_chunk(head: dict, entries: list) -> dict:
    """V5 to V8 for a chunk of the record's ballot entries, self-contained so that it can run in a worker.

    `head` carries the backend name, the manifest, the joint key and the (already validated) eligibility
    section or None. Returns JSON-able results: the failures per check, the readable ballots' tracking codes
    and pseudonyms, and the sum of their ciphertexts (for V11). The 0/1 and limit proofs of the chunk are
    checked as one random linear combination each, eligibility pairings likewise; a failing combination is
    followed by per-ballot checks that name the bad ballots.
    """
    group = election_group(get_backend(head["backend"]))
    context = ElectionContext(
        group, Manifest.from_json(head["manifest"]), element_from_hex(group, head["joint_key"], "joint_key")
    )
    out: dict = {
        "checked": len(entries),
        "V5": [],
        "V6": [],
        "V7": [],
        "V8": [],
        "codes": [],
        "pseudonyms": [],
    }
    ballots: list[tuple[str, EncryptedBallot, object]] = []
    for position, item in enumerate(entries):
        label = f"ballot #{position}"
        try:
            entry = require_fields(item, label, ("tracking_code", "ballot", "eligibility"))
            code = entry["tracking_code"]
            label = f"ballot {describe_tracking_code(code)}"
            ballot = EncryptedBallot.from_json(context, entry["ballot"], label)
        except MalformedInput as exc:
            out["V5"].append(str(exc))
            continue
        if tracking_code_of(entry["ballot"]) != code:
            out["V5"].append(f"{label}: tracking code is not the hash of the ballot")
            continue
        out["codes"].append(code)
        ballots.append((code, ballot, entry["eligibility"]))
    for number, equations_of in (("V6", selection_equations), ("V7", limit_equations)):
        out[number] = [f"ballot {code}" for code in _failing_ballots(context, ballots, equations_of)]
    spec = head["eligibility"]
    if spec is not None:
        out["V8"], out["pseudonyms"] = _eligibility_failures(context, spec, ballots)
    out["sums"] = aggregate_to_json(group, aggregate_ballots(context, (b for _, b, _ in ballots)))
    return out


def _failing_ballots(
    context: ElectionContext,
    ballots: Sequence[tuple[str, EncryptedBallot, object]],
    equations_of: Callable[[ElectionContext, EncryptedBallot], list[Equation]],
) -> list[str]:
    per_ballot: list[tuple[str, list[Equation] | None]] = []
    batch = BatchVerifier(context.group)
    for code, ballot, _ in ballots:
        try:
            equations = equations_of(context, ballot)
        except MalformedInput:
            equations = None
        per_ballot.append((code, equations))
        if equations is not None:
            batch.add(equations)
    if batch.verify() and all(eq is not None for _, eq in per_ballot):
        return []
    failing = []
    for code, equations in per_ballot:
        single = BatchVerifier(context.group)
        if equations is not None:
            single.add(equations)
        if equations is None or not single.verify():
            failing.append(code)
    return failing


def _eligibility_failures(
    context: ElectionContext, spec: dict, ballots: Sequence[tuple[str, EncryptedBallot, object]]
) -> tuple[list[str], list[tuple[str, str]]]:
    failures: list[str] = []
    pseudonyms: list[tuple[str, str]] = []
    try:
        batch = eligibility.EligibilityBatch(
            eligibility.suite_for(context.group.backend),
            bytes.fromhex(spec["issuer_public_key"]),
            spec["roll_id"],
            context.manifest.election_id,
        )
    except (ZkError, ValueError, TypeError) as exc:
        return [f"the roll authority's public key is unusable: {exc}"], []
    chunk = []
    for code, ballot, raw in ballots:
        try:
            proof = eligibility.EligibilityProof.from_json(raw, f"ballot {code} eligibility")
        except MalformedInput as exc:
            failures.append(str(exc))
            continue
        pseudonyms.append((code, proof.pseudonym.hex()))
        if proof.pseudonym != ballot.binding:
            failures.append(f"ballot {code}: the proof's pseudonym is not the one the ballot is bound to")
        else:
            chunk.append((code, proof))
    for (code, _), valid in zip(chunk, batch.verify(chunk), strict=True):
        if not valid:
            failures.append(f"ballot {code}: eligibility proof does not verify for this ballot")
    return failures, pseudonyms
