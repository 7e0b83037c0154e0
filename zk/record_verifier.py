"""The independent verifier of an election record: `verify_record` runs the numbered checks of `CHECKS`.

    V1  manifest hash          V6  0/1 selection proofs       V11 aggregate = sum of counted ballots
    V2  trustee commitments    V7  contest selection limits   V12 decryption shares
    V3  qualified trustees     V8  eligibility proofs         V13 results
    V4  joint key              V9  one ballot per pseudonym
    V5  ballots well formed    V10 spoiled ballots

V2 to V4, on the trustees' ceremony, are in `zk.record_ceremony`. Ballots are checked in chunks of
BATCH_CHUNK by `zk.record_ballots.check_ballot_chunk`, here or in worker processes. Keys the auditor pins
(`zk.record_keys.PinnedKeys`) are compared with the record's in V2 (trustees) and V8 (roll authority).
Details: docs/elections.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from zk import eligibility
from zk.ballot import (
    BallotSecrets,
    ElectionContext,
    EncryptedBallot,
    Manifest,
    describe_tracking_code,
    election_group,
    reencrypts_to,
    tracking_code_of,
)
from zk.curve import Backend
from zk.elgamal import Ciphertext
from zk.errors import MalformedInput, ZkError
from zk.json_input import describe
from zk.record import FORMAT, GROUP_NAME, ballot_list_hash, closing_hash
from zk.record_ballots import check_ballot_chunk
from zk.record_ceremony import CeremonyChecks, trustee_indexes
from zk.record_keys import KeyUse, PinnedKeys
from zk.record_report import CHECKS, CheckResult, VerificationReport
from zk.sigma import BatchVerifier
from zk.tally import (
    Aggregate,
    DecryptionShare,
    aggregate_ballots,
    aggregate_from_json,
    combine_shares,
    decryption_share_equations,
)
from zk.trustees import Ceremony, CoefficientReveal, verification_key
from zk.wire import require_fields, require_int, require_list

BATCH_CHUNK = 256  # ballots per random linear combination: bounds memory, and the cost of naming a bad ballot

Progress = Callable[[str, int, int], None]


class _Verifier(CeremonyChecks):
    """One run of the checks: later checks use what earlier ones decoded, and skip what could not be read."""

    def __init__(
        self,
        record: object,
        progress: Progress | None,
        backend: Backend | None,
        workers: int,
        pinned: PinnedKeys,
    ) -> None:
        self.workers = workers
        self.pinned = pinned
        self.keys: list[KeyUse] = []
        self.record = record if isinstance(record, dict) else {}
        self.progress = progress or (lambda step, done, total: None)
        self.results = {spec.number: CheckResult(spec.number, spec.title, spec.sentence) for spec in CHECKS}
        self.group = election_group(backend)
        self.manifest: Manifest | None = None
        self.context: ElectionContext | None = None
        self.ceremony: Ceremony | None = None
        self.reveals: dict[int, CoefficientReveal] = {}
        self.qualified: list[int] = []
        self.ballot_count = 0
        self.chunk_results: list[dict] | None = None
        self.eligibility_checked = False
        # Filled by the checks in order; None means "an earlier check could not read it".
        self.hashes: dict[int, str] = {}
        self.raw_ceremony: dict | None = None
        self.pseudonyms: list[tuple[str, bytes]] | None = None
        self.aggregate: Aggregate | None = None
        self.valid_shares: dict[int, DecryptionShare] | None = None
        self.used: list[int] | None = None
        self.closing: dict | None = None

    def field(self, name: str) -> object:
        if name not in self.record:
            raise MalformedInput(f"the record has no {name!r}")
        return self.record[name]

    def run(self) -> VerificationReport:
        steps = (
            ("V1", self.v1_manifest),
            ("V2", self.v2_commitments),
            ("V3", self.v3_qualified),
            ("V4", self.v4_joint_key),
            ("V5", self.v5_ballots),
            ("V6", self.v6_selections),
            ("V7", self.v7_limits),
            ("V8", self.v8_eligibility),
            ("V9", self.v9_pseudonyms),
            ("V10", self.v10_spoiled),
            ("V11", self.v11_aggregate),
            ("V12", self.v12_shares),
            ("V13", self.v13_results),
        )
        for number, step in steps:
            self.run_step(number, step)
        return self.report()

    def run_step(self, number: str, step: Callable[[CheckResult], None]) -> None:
        result = self.results[number]
        try:
            step(result)
        except (ZkError, KeyError, TypeError, ValueError) as exc:
            result.fail(f"cannot check: {_reason(exc)}")
        except Exception as exc:  # a verifier reports, it never crashes on a hostile record
            result.fail(f"cannot check: the record's structure is invalid ({type(exc).__name__})")

    def report(self) -> VerificationReport:
        report = VerificationReport(list(self.results.values()), keys=self.keys)
        if self.manifest is not None:
            report.election_id = self.manifest.election_id
            if self.results["V13"].status == "pass":
                report.results = self.record["results"]
        return report

    def require(self, result: CheckResult, *needed: object) -> bool:
        """False (and a failure) when an earlier check could not decode what this one needs."""
        if all(n is not None for n in needed):
            return True
        result.fail("cannot check: an earlier check could not read the data this check needs")
        return False

    # V1
    def v1_manifest(self, result: CheckResult) -> None:
        if self.record.get("format") != FORMAT or self.record.get("group") != GROUP_NAME:
            result.fail(f"unknown record format or group (expected {FORMAT} on {GROUP_NAME})")
            return
        self.manifest = Manifest.from_json(self.field("manifest"))
        result.checked = 1
        if self.manifest.hash().hex() != self.field("manifest_hash"):
            result.fail("manifest_hash differs from the hash of the published manifest")
        roll, pinned = self.manifest.electoral_roll, self.pinned.roll
        if roll is not None:
            matches = None if pinned is None else pinned == roll.issuer_public_key
            self.keys.append(
                KeyUse("roll authority", roll.id, roll.issuer_public_key.hex(), pinned is not None, matches)
            )

    # V5 to V8: ballots are checked in chunks, by `check_ballot_chunk`, here or in worker processes
    def _eligibility_spec(self) -> dict | None:
        """What the ballot chunks check eligibility proofs against (the manifest's roll and its authority's
        key) when the manifest names a roll and the record's eligibility section is readable; sets V8's
        outcome for every other case (skip, or fail) and returns None then."""
        result = self.results["V8"]
        scheme = self.record.get("eligibility")
        roll = self.manifest.electoral_roll
        if roll is None:
            result.status = "skip"
            result.note = "the manifest names no electoral roll: this election has no eligibility proofs"
            if scheme is not None:
                result.fail("the record carries an eligibility scheme the manifest does not name")
            if self.pinned.roll is not None:
                result.fail("a roll authority key is pinned, but the manifest names no electoral roll")
            return None
        if self.pinned.roll is not None and self.pinned.roll != roll.issuer_public_key:
            result.fail(
                f"the manifest names a roll authority key for {roll.id} that is not the pinned one: the "
                f"eligibility proofs are made under a key you do not expect"
            )
        if scheme is None:
            result.fail(
                f"the manifest names the electoral roll {roll.id}, but the record has no eligibility proofs"
            )
            return None
        try:
            spec = require_fields(scheme, "eligibility", ("scheme", "credentials_issued"))
        except MalformedInput as exc:
            result.fail(str(exc))
            return None
        if spec["scheme"] != eligibility.SCHEME:
            result.fail(f"the record's eligibility scheme is not {eligibility.SCHEME}")
            return None
        return {"roll_id": roll.id, "issuer_public_key": roll.issuer_public_key.hex()}

    def v5_ballots(self, result: CheckResult) -> None:
        if not self.require(result, self.context):
            return
        items = require_list(self.field("ballots"), "ballots", max_length=None)
        self.ballot_count = len(items)
        spec = self._eligibility_spec()
        self.eligibility_checked = spec is not None
        head = {
            "backend": self.group.backend.name,
            "manifest": self.record["manifest"],
            "joint_key": self.record["joint_key"],
            "eligibility": spec,
        }
        chunks = [(head, items[start : start + BATCH_CHUNK]) for start in range(0, len(items), BATCH_CHUNK)]
        self.progress("V5-V8 ballots", 0, len(items))
        self.chunk_results = []
        done = 0
        for chunk_result in self._map_chunks(chunks):
            self.chunk_results.append(chunk_result)
            done += chunk_result["checked"]
            self.progress("V5-V8 ballots", done, len(items))
        seen: set[str] = set()
        result.checked = len(items)
        for chunk_result in self.chunk_results:
            for failure in chunk_result["V5"]:
                result.fail(failure)
            for code in chunk_result["codes"]:
                if code in seen:
                    result.fail(f"ballot {code}: tracking code appears twice")
                seen.add(code)

    def _map_chunks(self, chunks: list[tuple[dict, list]]) -> Iterable[dict]:
        if self.workers <= 1 or len(chunks) <= 1:
            return (check_ballot_chunk(head, entries) for head, entries in chunks)
        from concurrent.futures import ProcessPoolExecutor

        def run() -> Iterable[dict]:
            with ProcessPoolExecutor(max_workers=self.workers) as pool:
                yield from pool.map(check_ballot_chunk, *zip(*chunks, strict=True))

        return run()

    def _from_chunks(self, result: CheckResult, number: str) -> None:
        if not self.require(result, self.chunk_results):
            return
        for chunk_result in self.chunk_results:
            result.checked += len(chunk_result["codes"])
            for failure in chunk_result[number]:
                result.fail(failure)

    def v6_selections(self, result: CheckResult) -> None:
        self._from_chunks(result, "V6")

    def v7_limits(self, result: CheckResult) -> None:
        self._from_chunks(result, "V7")

    def v8_eligibility(self, result: CheckResult) -> None:
        if not self.require(result, self.context):
            return
        if not self.eligibility_checked:
            return  # _eligibility_spec already recorded why (skip, or the failure)
        self._from_chunks(result, "V8")
        self.pseudonyms = [
            (code, bytes.fromhex(nym)) for c in self.chunk_results for code, nym in c["pseudonyms"]
        ]
        self.no_more_ballots_than_credentials(result)

    def no_more_ballots_than_credentials(self, result: CheckResult) -> None:
        """V8's count: at most one counted ballot per credential the roll's issuer says it issued."""
        issued = self.record["eligibility"]["credentials_issued"]
        if type(issued) is not int or issued < 0:
            result.fail(
                f"credentials_issued must be the number of credentials issued, a non-negative integer, not "
                f"{describe(issued)}"
            )
        elif self.ballot_count > issued:
            result.fail(f"{self.ballot_count} counted ballots but only {issued} credentials issued")

    # V9
    def v9_pseudonyms(self, result: CheckResult) -> None:
        if not self.require(
            result, self.context, self.pseudonyms if self.manifest and self.manifest.electoral_roll else True
        ):
            return
        if self.manifest.electoral_roll is None:
            result.status = "skip"
            result.note = "no electoral roll: pseudonyms are not in use"
            return
        first: dict[bytes, str] = {}
        for code, pseudonym in self.pseudonyms:
            result.checked += 1
            if pseudonym in first:
                result.fail(f"ballot {code} repeats the pseudonym of ballot {first[pseudonym]}")
            else:
                first[pseudonym] = code

    # V10
    def v10_spoiled(self, result: CheckResult) -> None:
        if not self.require(result, self.context):
            return
        counted = self.counted_codes()
        items = require_list(self.field("spoiled"), "spoiled", max_length=None)
        self._matches_closing(result, "spoiled", items)
        for position, item in enumerate(items):
            result.checked += 1
            try:
                entry = require_fields(item, f"spoiled #{position}", ("tracking_code", "ballot", "opening"))
                label = f"spoiled {describe_tracking_code(entry['tracking_code'])}"
                ballot = EncryptedBallot.from_json(self.context, entry["ballot"], label)
                opening = BallotSecrets.from_json(self.manifest, self.group, entry["opening"], label)
            except MalformedInput as exc:
                result.fail(str(exc))
                continue
            code = entry["tracking_code"]
            if tracking_code_of(entry["ballot"]) != code:
                result.fail(f"{label}: tracking code is not the hash of the ballot")
            elif code in counted:
                result.fail(f"{label} is also counted")
            elif not reencrypts_to(self.context, ballot, opening):
                result.fail(f"{label}: the opening does not re-encrypt to the ballot")

    def _matches_closing(self, result: CheckResult, part: str, items: list) -> None:
        """The record's counted or spoiled ballots (`part`) are exactly those the closing statement lists."""
        statement = require_fields(self.field("closing"), "closing", ("counted", "spoiled"))
        committed = require_fields(statement[part], f"closing.{part}", ("ballots", "hash"))
        count = require_int(committed["ballots"], f"closing.{part}.ballots", 0, 2**53)
        codes = [item.get("tracking_code") if isinstance(item, dict) else None for item in items]
        what = "counted ballots" if part == "counted" else "spoiled ballots"
        if count != len(codes):
            result.fail(f"the record lists {len(codes)} {what}, the closing statement commits to {count}")
        elif committed["hash"] != ballot_list_hash(codes):
            result.fail(
                f"the {what} listed are not those the closing statement commits to (the hash of their "
                f"tracking codes differs)"
            )

    # V11
    def v11_aggregate(self, result: CheckResult) -> None:
        if not self.require(result, self.context):
            return
        self.progress("V11 aggregate", 0, 1)
        self.aggregate = aggregate_from_json(self.context, self.field("aggregate"))
        if not self.require(result, self.chunk_results):
            return
        recomputed = self.ballot_sum()
        result.checked = sum(len(cts) for cts in self.aggregate.values())
        for contest in self.manifest.contests:
            for k, option in enumerate(contest.options):
                if self.aggregate[contest.id][k] != recomputed[contest.id][k]:
                    result.fail(
                        f"{contest.id}/{option}: encrypted total is not the sum of the counted ballots"
                    )
        if self.results["V5"].status == "fail":
            result.fail("some ballots could not be read (V5), so the sum cannot be complete")
        self.match_counted_closing(result)
        self.progress("V11 aggregate", 1, 1)

    # What V10 and V11 need of the ballots, overridden by zk.record_stream (which has them accumulated)
    def counted_codes(self) -> set[str] | dict[str, None]:
        return {code for c in (self.chunk_results or []) for code in c["codes"]}

    def ballot_sum(self) -> Aggregate:
        return _sum_aggregates(
            self.context, [aggregate_from_json(self.context, c["sums"]) for c in self.chunk_results]
        )

    def match_counted_closing(self, result: CheckResult) -> None:
        self._matches_closing(
            result, "counted", require_list(self.field("ballots"), "ballots", max_length=None)
        )

    # V12
    def v12_shares(self, result: CheckResult) -> None:
        if not self.require(result, self.context, self.aggregate):
            return
        self.used = require_fields(self.field("tally"), "tally", ("trustees",))["trustees"]
        used = {u for u in self.used if type(u) is int} if isinstance(self.used, list) else set()
        # The shares' proofs bind the closing statement: one that drops or adds a ballot fails them all.
        closing = closing_hash(self.field("closing"))
        self.valid_shares = {}
        invalid = []
        items = require_list(self.field("decryption_shares"), "decryption_shares", max_length=None)
        for position, item in enumerate(items):
            self.progress("V12 decryption shares", position, len(items))
            result.checked += 1
            try:
                share = DecryptionShare.from_json(
                    self.context, item, self.ceremony.n, f"decryption_shares[{position}]"
                )
            except MalformedInput as exc:
                result.fail(str(exc))
                continue
            if share.trustee not in self.qualified or share.trustee in self.valid_shares:
                result.fail(f"share of trustee {share.trustee}: not a qualified trustee, or a second share")
                continue
            key = verification_key(self.ceremony, self.reveals, self.qualified, share.trustee)
            batch = BatchVerifier(self.group)
            try:
                batch.add(
                    decryption_share_equations(self.context, key, self.aggregate, share, closing=closing)
                )
                valid = batch.verify()
            except MalformedInput:
                valid = False
            if valid:
                self.valid_shares[share.trustee] = share
            else:
                invalid.append(share.trustee)
                if share.trustee in used:
                    result.fail(
                        f"trustee {share.trustee}'s share is used for the results but its proof fails"
                    )
        if invalid:
            result.note = f"invalid shares from trustee(s) {', '.join(map(str, invalid))} were rejected"
        self.progress("V12 decryption shares", len(items), len(items))

    # V13
    def v13_results(self, result: CheckResult) -> None:
        if not self.require(result, self.context, self.valid_shares):
            return
        used = trustee_indexes(self.used, "tally.trustees", self.ceremony.n)
        if (
            len(set(used)) != len(used)
            or len(used) < self.ceremony.t
            or any(u not in self.valid_shares for u in used)
        ):
            result.fail(
                f"the results must combine at least {self.ceremony.t} distinct valid shares, "
                f"the record names {used}"
            )
            return
        published = self.field("results")
        if not isinstance(published, dict) or sorted(published) != sorted(
            c.id for c in self.manifest.contests
        ):
            raise MalformedInput("results must have one entry per contest")
        combined = combine_shares(self.context, self.aggregate, [self.valid_shares[u] for u in used])
        bound = self.ballot_count
        g = self.group.generator()
        for contest in self.manifest.contests:
            row = published[contest.id]
            if not isinstance(row, dict) or sorted(row) != sorted(contest.options):
                result.fail(f"{contest.id}: results must give one count per option")
                continue
            for k, option in enumerate(contest.options):
                result.checked += 1
                count = row[option]
                if type(count) is not int or not 0 <= count <= bound:
                    result.fail(f"{contest.id}/{option}: {describe(count)} is not a count in [0, {bound}]")
                elif combined[contest.id][k] != self.group.mul(g, count):
                    result.fail(
                        f"{contest.id}/{option}: the published count {count} is not what the totals "
                        f"decrypt to"
                    )


def _reason(exc: Exception) -> str:
    """What went wrong, for a failure line: a KeyError's text is the repr of a key the record chose."""
    if isinstance(exc, KeyError):
        return f"the record has no {describe(exc.args[0]) if exc.args else 'such key'}"
    return str(exc)


def _sum_aggregates(context: ElectionContext, parts: Sequence[Aggregate]) -> Aggregate:
    group = context.group
    total = aggregate_ballots(context, ())
    for part in parts:
        total = {
            cid: tuple(
                Ciphertext(group.add(a.alpha, b.alpha), group.add(a.beta, b.beta))
                for a, b in zip(total[cid], part[cid], strict=True)
            )
            for cid in total
        }
    return total


def verify_record(
    record: object,
    progress: Progress | None = None,
    backend: Backend | None = None,
    workers: int = 1,
    pinned: PinnedKeys | None = None,
) -> VerificationReport:
    """Run every numbered check on a parsed record (a dict from JSON); never raises for bad content.

    `progress(step, done, total)` is called as the long checks advance; `backend` picks the curve backend
    (default: `get_backend()`), so a record can be cross-checked on the reference backend; `workers` > 1
    checks the ballots (V5 to V8) in that many processes; `pinned` holds the keys the auditor expects (a
    mismatch fails V2 or V8), and the report lists every key as pinned or taken from the record.
    """
    return _Verifier(record, progress, backend, workers, pinned or PinnedKeys()).run()
