"""The auditor's checks against a running service: the election record's numbered checks (V1-V13) plus the
record against the elections ledger (every ballot of the record is in the ledger under a signed, cosigned
checkpoint, and the ledger holds no ballot the record leaves out); and one voter's tracking: the ballot's
entry and its receipt, verified offline."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from govgraph.ledger.checkpoint import CheckpointError, CosignatureVerifier, QuorumNotMet, open_checkpoint
from govgraph.ledger.merkle import leaf_hash, root_hash
from govgraph.ledger.note import InvalidKey, NoteError, Verifier
from govgraph.ledger.receipt import Receipt, verify_receipt
from govgraph.voting.api import Api
from zk.ballot import canonical_json
from zk.json_input import load_json
from zk.record import counted_ballots

LEDGER = "elections"
CHECKPOINT = """query($name: String!) { ledger(name: $name) { origin verifierKey size checkpoint { text size
rootHash cosignatures { witness } } } }"""
ENTRIES = """query($name: String!, $after: UInt64, $first: Int) { ledger(name: $name) { entries(after: $after,
first: $first) { index dataBase64 } } }"""
BALLOT_CAST = "govgraph.elections.BallotCast/v1"
BALLOT_SPOILED = "govgraph.elections.BallotSpoiled/v1"


@dataclass
class LedgerFindings:
    ok: bool = True
    lines: list[str] = field(default_factory=list)

    def add(self, ok: bool, text: str) -> None:
        self.ok = self.ok and ok
        self.lines.append(("OK    " if ok else "FAIL  ") + text)


@dataclass(frozen=True, slots=True)
class _LedgerBallot:
    """A ballot on the ledger, kept small: its contents only as a digest (`content_digest`)."""

    index: int
    code: str
    digest: bytes  # of [code, ballot, eligibility] (cast) or [code, ballot] (spoiled)
    pseudonym: str | None
    spoiled: bool

    @property
    def eligibility(self) -> dict | None:  # what zk.record.counted_ballots reads
        return None if self.pseudonym is None else {"pseudonym": self.pseudonym}


def content_digest(*parts: object) -> bytes:
    """SHA-256 of the parts' canonical JSON (RFC 8785, by `zk.ballot.canonical_json`: the C encoder for
    documents of plain strings, as ballots are; their sorted JSON when a hostile service made them
    uncanonical)."""
    try:
        text = canonical_json(list(parts))
    except ValueError:
        text = b"\x00" + json.dumps(list(parts), sort_keys=True, default=repr).encode()
    return hashlib.sha256(text).digest()


def _code(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=repr)


def ledger_ballots(
    api: Api, election: str, witness_keys: tuple[str, ...] = ()
) -> tuple[list[_LedgerBallot], LedgerFindings]:
    """The election's ballots on the elections ledger, read entry by entry up to its latest checkpoint, whose
    signature (and cosignatures) are checked and whose root the entries must rebuild."""
    findings = LedgerFindings()
    ledger = api.graphql(CHECKPOINT, name=LEDGER)["ledger"]
    if ledger is None:
        findings.add(False, "the service has no signed elections ledger")
        return [], findings
    checkpoint = ledger["checkpoint"]
    try:
        log_key = Verifier.from_vkey(ledger["verifierKey"])
        witnesses = tuple(CosignatureVerifier.from_vkey(key) for key in witness_keys)
        opened = open_checkpoint(
            checkpoint["text"].encode(), log_key, witnesses=witnesses, quorum=len(witnesses)
        )
        findings.add(
            True, f"the checkpoint of {checkpoint['size']} entries is signed by the log key {log_key.name}"
        )
    except (InvalidKey, NoteError, CheckpointError, QuorumNotMet) as exc:
        findings.add(False, f"the elections ledger's checkpoint does not verify: {exc}")
        return [], findings
    cosigners = opened.cosigners if witnesses else tuple(c["witness"] for c in checkpoint["cosignatures"])
    findings.add(
        bool(cosigners),
        f"cosigned by {len(cosigners)} witness(es): {', '.join(cosigners) or 'none'}"
        + ("" if witnesses else " (witness keys not given: cosignatures listed, not verified)"),
    )
    size = int(checkpoint["size"])
    leaves, found, after = [], [], None
    while len(leaves) < size:
        page = api.graphql(ENTRIES, name=LEDGER, after=after, first=100)["ledger"]["entries"]
        if not page:
            break
        for entry in page[: size - len(leaves)]:  # entries appended after the checkpoint are not under it
            data = base64.b64decode(entry["dataBase64"])
            leaves.append(leaf_hash(data))
            document = json.loads(data)
            if document.get("election") == election and document.get("type") in (BALLOT_CAST, BALLOT_SPOILED):
                spoiled = document["type"] == BALLOT_SPOILED
                proof = document.get("eligibility")
                pseudonym = proof.get("pseudonym") if isinstance(proof, dict) else None
                code = document.get("trackingCode")
                parts = (code, document.get("ballot")) if spoiled else (code, document.get("ballot"), proof)
                found.append(
                    _LedgerBallot(
                        int(entry["index"]),
                        _code(code),
                        content_digest(*parts),
                        pseudonym if isinstance(pseudonym, str) else None,
                        spoiled,
                    )
                )
        after = page[-1]["index"]
    rebuilt = len(leaves) == size and root_hash(leaves[:size]) == base64.b64decode(checkpoint["rootHash"])
    findings.add(rebuilt, f"the {len(leaves)} entries read rebuild the checkpoint's Merkle root")
    return found, findings


class RecordAgainstLedger:
    """The record's counted ballots, fed in chunks, against the ledger's ballots counted by the manifest's
    revoting rule: exactly the same, in ledger order, with the same contents; and its spoiled ballots exactly
    the ledger's spoiled. Keeps a tracking code and a digest per ballot, never a ballot's contents, so that
    the record can be read before, or while, the ledger is."""

    def __init__(self, revoting: object) -> None:
        self.revoting = revoting
        self.record: list[tuple[str, bytes]] = []  # per counted ballot of the record: its code and digest

    def add(self, entries: Iterable[object]) -> None:
        for entry in entries:
            item = entry if isinstance(entry, dict) else {}
            code = item.get("tracking_code")
            self.record.append(
                (_code(code), content_digest(code, item.get("ballot"), item.get("eligibility")))
            )

    def finish(self, found: list[_LedgerBallot], spoiled: object, findings: LedgerFindings) -> None:
        counted = counted_ballots([item for item in found if not item.spoiled], self.revoting)  # type: ignore[arg-type]
        record_codes = {code for code, _ in self.record}
        ledger_codes = {b.code for b in counted}
        missing, extra = record_codes - ledger_codes, ledger_codes - record_codes
        findings.add(
            not missing,
            f"every counted ballot of the record ({len(self.record)}) is on the ledger"
            + (f"; missing: {', '.join(sorted(missing))}" if missing else ""),
        )
        findings.add(
            not extra,
            "the ledger counts no ballot the record leaves out"
            + (f"; left out: {', '.join(sorted(extra))}" if extra else ""),
        )
        findings.add(
            len(self.record) == len(counted)
            and all(digest == b.digest for (_, digest), b in zip(self.record, counted, strict=True)),
            "the record's counted ballots equal the ledger's, in order and content",
        )
        items = spoiled if isinstance(spoiled, list) else []
        record_spoiled = [
            content_digest(b.get("tracking_code"), b.get("ballot")) if isinstance(b, dict) else b""
            for b in items
        ]
        findings.add(
            isinstance(spoiled, list) and record_spoiled == [b.digest for b in found if b.spoiled],
            f"the record's spoiled ballots ({len(items)}) are exactly the ledger's",
        )


def compare_with_record(record: dict, found: list[_LedgerBallot], findings: LedgerFindings) -> None:
    """`RecordAgainstLedger` on a record held whole."""
    comparison = RecordAgainstLedger(record["manifest"]["revoting"])
    comparison.add(record["ballots"])
    comparison.finish(found, record["spoiled"], findings)


TRACK = """query($e: ID!, $code: String!) { election(id: $e) { state ballot(trackingCode: $code) {
trackingCode ledgerIndex spoiled counted ledgerEntry { receipt } } }
ledger(name: "elections") { verifierKey } }"""


def track(api: Api, election: str, code: str) -> tuple[bool, str]:
    """Find one ballot by its tracking code and verify its ledger receipt offline."""
    data = api.graphql(TRACK, e=election, code=code)
    board = data["election"]
    if board is None:
        return False, f"No election {election}."
    ballot = board["ballot"]
    if ballot is None:
        return False, f"No ballot with tracking code {code} in election {election}."
    lines = [
        f"Ballot {code} is on the board of election {election} ({board['state']}), "
        f"ledger entry {ballot['ledgerIndex']}: "
        + (
            "spoiled (challenged), never counted."
            if ballot["spoiled"]
            else "counted."
            if ballot["counted"]
            else "replaced by a later ballot."
        )
    ]
    entry = ballot["ledgerEntry"]
    if entry is None:
        return False, "\n".join(
            [*lines, "Its entry is not in a signed checkpoint yet: try again in a moment."]
        )
    receipt = Receipt.from_document(load_json(entry["receipt"], what="the receipt", strict=True))
    verdict = verify_receipt(receipt, data["ledger"]["verifierKey"])
    lines.append(verdict.report())
    return verdict.ok, "\n".join(lines)
