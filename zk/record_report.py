"""The numbered checks V1 to V13 of an election record, and the report the verifier gives on them.

Each check reports pass, fail or skip (skip only for V8 and V9, when the manifest names no electoral roll),
how many items it checked and which records failed; `VerificationReport.plain_text` words it for a reader who
is not a cryptographer, with every piece of record text escaped (`zk.json_input.printable`), so a hostile
record cannot move the cursor or fake a line of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zk.json_input import printable
from zk.record_keys import KeyUse


@dataclass(frozen=True)
class CheckSpec:
    number: str
    title: str
    sentence: str


CHECKS = (
    CheckSpec(
        "V1",
        "Manifest hash",
        "The published manifest (contests, trustees and threshold, the electoral roll and its authority's "
        "key) hashes (SHA-256 of its canonical JSON) to the manifest hash every proof uses.",
    ),
    CheckSpec(
        "V2",
        "Trustee commitments",
        "The key ceremony has the manifest's trustees and threshold; each trustee's coefficient commitments "
        "match the hash it published before anyone revealed, and it proves knowledge of its secret; a "
        "trustee key pinned by the auditor is the trustee's first commitment.",
    ),
    CheckSpec(
        "V3",
        "Qualified trustees",
        "The trustees excluded are exactly those whose commitments were invalid or who failed to answer a "
        "complaint with a valid share, and at least the threshold remain.",
    ),
    CheckSpec(
        "V4",
        "Joint election key",
        "The election key is the sum of the qualified trustees' first commitments, so no trustee or "
        "outsider chose it.",
    ),
    CheckSpec(
        "V5",
        "Ballots well formed",
        "Every counted ballot matches the manifest, is strictly encoded, and its tracking code is the hash "
        "of its contents; tracking codes are unique.",
    ),
    CheckSpec(
        "V6", "Selections are 0 or 1", "Every selection of every counted ballot proves it encrypts 0 or 1."
    ),
    CheckSpec(
        "V7",
        "Contest limits",
        "In every contest of every counted ballot, the number of selections proves to be within the "
        "contest's minimum and maximum.",
    ),
    CheckSpec(
        "V8",
        "Eligibility",
        "Every counted ballot carries a valid credential proof from the electoral roll (under the roll "
        "authority's key the manifest names, and the auditor pinned if any), for this election, made for "
        "this ballot's tracking code, under the pseudonym the ballot is bound to; there are no more counted "
        "ballots than credentials issued.",
    ),
    CheckSpec("V9", "One ballot per voter", "No pseudonym appears on two counted ballots."),
    CheckSpec(
        "V10",
        "Spoiled ballots",
        "Every challenged (spoiled) ballot re-encrypts exactly from its published choices and nonces, none "
        "of them is counted, and they are exactly the spoiled ballots the closing statement commits to.",
    ),
    CheckSpec(
        "V11",
        "Aggregate",
        "The encrypted totals are exactly the sum of all counted ballots, no more and no fewer, and those "
        "are exactly the ballots the closing statement commits to.",
    ),
    CheckSpec(
        "V12",
        "Decryption shares",
        "Each decryption share used for the results proves it was made with that trustee's key share, for "
        "this closing statement; invalid shares are named.",
    ),
    CheckSpec(
        "V13",
        "Results",
        "At least the threshold of distinct valid shares decrypt the encrypted totals to exactly the "
        "published results.",
    ),
)


@dataclass
class CheckResult:
    number: str
    title: str
    sentence: str
    status: str = "pass"  # pass | fail | skip
    checked: int = 0
    failures: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.status != "fail"

    def fail(self, what: str) -> None:
        self.status = "fail"
        self.failures.append(what)

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "title": self.title,
            "sentence": self.sentence,
            "status": self.status,
            "checked": self.checked,
            "failed": len(self.failures),
            "failures": self.failures,
            "note": self.note,
        }


@dataclass
class VerificationReport:
    checks: list[CheckResult]
    election_id: str = ""
    results: dict[str, dict[str, int]] = field(default_factory=dict)
    keys: list[KeyUse] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    def check(self, number: str) -> CheckResult:
        return next(c for c in self.checks if c.number == number)

    def failed(self) -> list[str]:
        return [c.number for c in self.checks if c.status == "fail"]

    def to_json(self) -> dict:
        return {
            "election_id": self.election_id,
            "ok": self.ok,
            "checks": [c.to_json() for c in self.checks],
            "results": self.results,
            "keys": [k.to_json() for k in self.keys],
        }

    def plain_text(self, max_failures: int = 10) -> str:
        """The report for a reader who is not a cryptographer: the verdict, each check in words, the keys the
        verdict rests on, the results, and the verdict again as the last line. Every line is escaped: record
        text (tracking codes, names, messages quoting the record) can hold control characters."""
        name = f'"{self.election_id}"' if self.election_id else "(unreadable)"
        if self.ok:
            verdict = f"Election {name}: VERIFIED. Every check passed; the published results are correct."
        else:
            verdict = (
                f"Election {name}: NOT VERIFIED. {len(self.failed())} check(s) failed: "
                f"{', '.join(self.failed())}. Do not rely on the published results."
            )
        lines = [verdict, ""]
        for c in self.checks:
            mark = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}[c.status]
            lines.append(
                f"{c.number:>4} {mark}  {c.title}: {c.sentence} ({c.checked} checked"
                + (f", {len(c.failures)} failed)" if c.failures else ")")
            )
            if c.note:
                lines.append(f"           note: {c.note.strip()}")
            for failure in c.failures[:max_failures]:
                lines.append(f"           failing: {failure}")
            if len(c.failures) > max_failures:
                lines.append(f"           ... and {len(c.failures) - max_failures} more")
        if self.keys:
            lines += ["", "Keys (an unpinned key is only as trustworthy as whoever published the record):"]
            lines += [f"  {key.sentence()}" for key in self.keys]
        if self.results:
            lines += [
                "",
                "Verified results:" if self.ok else "Results (NOT verified: see the failing checks):",
            ]
            for contest, counts in self.results.items():
                lines.append(
                    f"  {contest}: " + ", ".join(f"{option} {count}" for option, count in counts.items())
                )
        lines += ["", verdict]
        return "\n".join(printable(line) for line in lines)
