"""The election record verified as a stream: the record's header first, then its counted ballots in chunks.

`StreamingVerifier(header)` takes the record without its `ballots` list (every other field, spoiled ballots
included) and runs V1 to V4 on it; `add_ballots(entries)` takes the counted ballot entries in record order, in
chunks of any size; `finish()` runs the rest and returns the same `VerificationReport` as
`zk.record_verifier.verify_record` on the whole record. The ballots are regrouped into chunks of BATCH_CHUNK
and checked by the same `check_ballot_chunk`, so failures are the same, worded the same, in the same order.

What is kept per ballot is only what the record-wide checks need: its tracking code (V5 duplicates, V10) and
its pseudonym (V9); the sum of the ciphertexts (V11) and the hash of the tracking codes (the closing
statement) are accumulated. A ballot's contents are dropped once its chunk is checked. The chunks may be
checked in worker processes (`workers`), a few at a time, their results taken in record order. No I/O: the
caller reads the record and feeds it.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections import deque
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor

import rfc8785

from zk.curve import Backend
from zk.elgamal import Ciphertext
from zk.errors import MalformedInput
from zk.record_ballots import check_ballot_chunk
from zk.record_keys import PinnedKeys
from zk.record_report import CheckResult, VerificationReport
from zk.record_verifier import BATCH_CHUNK, Progress, _Verifier
from zk.tally import Aggregate, aggregate_ballots, aggregate_from_json
from zk.wire import require_fields

_LIST_TAG = b"govgraph/election/v1/ballot-list\x00"
IN_FLIGHT = 2  # chunks of BATCH_CHUNK ballots in the workers at most, per worker: memory stays bounded


class ListHash:
    """`zk.record.ballot_list_hash` computed item by item: SHA-256 of the tag and the canonical JSON list."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256(_LIST_TAG + b"[")
        self.count = 0
        self.error: MalformedInput | None = None

    def add(self, value: object) -> None:
        try:
            piece = rfc8785.dumps(value)
        except ValueError:  # rfc8785.CanonicalizationError: lone surrogates, integers beyond 2^53
            self.error = MalformedInput("the tracking codes cannot be written as canonical JSON")
            piece = b"null"
        self._hash.update(b"," + piece if self.count else piece)
        self.count += 1

    def hexdigest(self) -> str:
        if self.error is not None:
            raise self.error
        final = self._hash.copy()
        final.update(b"]")
        return final.hexdigest()


class _StreamVerifier(_Verifier):
    """`_Verifier` with the ballot checks (V5-V9) fed chunk by chunk, V10 and V11 reading the accumulators."""

    def __init__(
        self,
        header: object,
        progress: Progress | None,
        backend: Backend | None,
        pinned: PinnedKeys,
        workers: int = 1,
    ) -> None:
        super().__init__(header, progress, backend, workers, pinned)
        self.pool: ProcessPoolExecutor | None = None
        self.pending: deque[Future] = deque()  # chunks in the workers, in record order
        self.buffer: list = []
        self.codes_hash = ListHash()
        self.seen: dict[str, None] = {}  # readable ballots' tracking codes, in order
        self.first: dict[bytes, str] = {}  # pseudonym -> the first ballot that used it
        self.v9_failures: list[str] = []
        self.v9_checked = 0
        self.sum: Aggregate | None = None
        self.broken: Exception | None = None  # why a chunk could not be checked at all
        self.head: dict | None = None
        self.finished = False
        for number, step in (
            ("V1", self.v1_manifest),
            ("V2", self.v2_commitments),
            ("V3", self.v3_qualified),
            ("V4", self.v4_joint_key),
        ):
            self.run_step(number, step)
        if self.context is not None:
            self.run_step("V8", self._start_eligibility)

    def _start_eligibility(self, result: CheckResult) -> None:
        spec = self._eligibility_spec()
        self.eligibility_checked = spec is not None
        self.head = {
            "backend": self.group.backend.name,
            "manifest": self.record["manifest"],
            "joint_key": self.record["joint_key"],
            "eligibility": spec,
        }
        self.sum = aggregate_ballots(self.context, ())

    def add(self, entries: list) -> None:
        if self.finished:
            raise MalformedInput("the verification is finished: no more ballots")
        for item in entries:
            self.ballot_count += 1
            self.codes_hash.add(item.get("tracking_code") if isinstance(item, dict) else None)
            if self.head is not None and self.broken is None:
                self.buffer.append(item)
                if len(self.buffer) >= BATCH_CHUNK:
                    self._check_chunk()
        self.progress("V5-V8 ballots", self.ballot_count, self.ballot_count)

    def _check_chunk(self) -> None:
        chunk, self.buffer = self.buffer, []
        if self.workers <= 1:
            try:
                out = check_ballot_chunk(self.head, chunk)
            except Exception as exc:  # reported as V5's "cannot check", as verify_record does
                self.broken = exc
                return
            self._absorb(out)
            return
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        self.pending.append(self.pool.submit(check_ballot_chunk, self.head, chunk))
        while len(self.pending) > IN_FLIGHT * self.workers:
            self._collect()

    def _collect(self) -> None:
        """The oldest chunk's results, taken in record order as the sequential path takes them; once a chunk
        could not be checked, the results of the chunks after it are dropped, as they are never checked
        there."""
        future = self.pending.popleft()
        try:
            out = future.result()
        except BrokenExecutor:
            raise
        except Exception as exc:
            if self.broken is None:
                self.broken = exc
            return
        if self.broken is None:
            self._absorb(out)

    def _drain(self) -> None:
        while self.pending:
            self._collect()
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            for future in self.pending:
                future.cancel()
            self.pending.clear()
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _absorb(self, out: dict) -> None:
        try:
            part = aggregate_from_json(self.context, out["sums"])
        except Exception as exc:
            self.broken = exc
            return
        v5 = self.results["V5"]
        for failure in out["V5"]:
            v5.fail(failure)
        for code in out["codes"]:
            if code in self.seen:
                v5.fail(f"ballot {code}: tracking code appears twice")
            self.seen[code] = None
        for number in ("V6", "V7", *(("V8",) if self.eligibility_checked else ())):
            self.results[number].checked += len(out["codes"])
            for failure in out[number]:
                self.results[number].fail(failure)
        for code, nym in out["pseudonyms"]:
            pseudonym = bytes.fromhex(nym)
            self.v9_checked += 1
            if pseudonym in self.first:
                self.v9_failures.append(
                    f"ballot {code} repeats the pseudonym of ballot {self.first[pseudonym]}"
                )
            else:
                self.first[pseudonym] = code
        group = self.group
        self.sum = {
            cid: tuple(
                Ciphertext(group.add(a.alpha, b.alpha), group.add(a.beta, b.beta))
                for a, b in zip(self.sum[cid], part[cid], strict=True)
            )
            for cid in self.sum
        }

    def finish(self) -> VerificationReport:
        if self.finished:
            raise MalformedInput("the verification is already finished")
        self.finished = True
        if self.head is not None and self.broken is None and self.buffer:
            self._check_chunk()
        self._drain()
        if self.head is None or self.broken is not None:
            self.chunk_results = None
            # Without a context (or with an unreadable chunk) the rest fails as in verify_record
            for number, step in (
                ("V5", self.v5_ballots),
                ("V6", self.v6_selections),
                ("V7", self.v7_limits),
                ("V8", self.v8_eligibility if self.context is None else self._v8_broken),
                ("V9", self.v9_pseudonyms),
                *self._record_wide(),
            ):
                self.run_step(number, step)
            return self.report()
        self.chunk_results = []  # non-None: the chunks were read (their results are accumulated)
        self.results["V5"].checked = self.ballot_count
        for number, step in (("V8", self._v8_finish), ("V9", self._v9_finish), *self._record_wide()):
            self.run_step(number, step)
        return self.report()

    def _record_wide(self) -> tuple:
        """V10-V13, which read the accumulators, not the ballots."""
        return (
            ("V10", self.v10_spoiled),
            ("V11", self.v11_aggregate),
            ("V12", self.v12_shares),
            ("V13", self.v13_results),
        )

    def v5_ballots(self, result: CheckResult) -> None:
        if self.require(result, self.context) and self.broken is not None:
            raise self.broken

    def _v8_broken(self, result: CheckResult) -> None:
        if self.eligibility_checked:
            self.require(result, None)

    def _v8_finish(self, result: CheckResult) -> None:
        if self.eligibility_checked:
            self.no_more_ballots_than_credentials(result)

    def _v9_finish(self, result: CheckResult) -> None:
        if self.manifest.electoral_roll is None:
            result.status = "skip"
            result.note = "no electoral roll: pseudonyms are not in use"
            return
        if not self.require(result, True if self.eligibility_checked else None):
            return
        result.checked = self.v9_checked
        for failure in self.v9_failures:
            result.fail(failure)

    def counted_codes(self) -> dict[str, None]:
        return self.seen

    def ballot_sum(self) -> Aggregate:
        return self.sum

    def match_counted_closing(self, result: CheckResult) -> None:
        statement = require_fields(self.field("closing"), "closing", ("counted", "spoiled"))
        committed = require_fields(statement["counted"], "closing.counted", ("ballots", "hash"))
        count = committed["ballots"]
        if type(count) is not int or not 0 <= count <= 2**53:
            self._matches_closing(result, "counted", [])  # raises the same MalformedInput
        if count != self.codes_hash.count:
            result.fail(
                f"the record lists {self.codes_hash.count} counted ballots, the closing statement commits to "
                f"{count}"
            )
        elif committed["hash"] != self.codes_hash.hexdigest():
            result.fail(
                "the counted ballots listed are not those the closing statement commits to (the hash of "
                "their tracking codes differs)"
            )


class StreamingVerifier:
    """Verify a record fed as its header and then its counted ballots, in memory that does not grow with the
    ballots' contents (only with their tracking codes and pseudonyms)."""

    def __init__(
        self,
        header: object,
        progress: Progress | None = None,
        backend: Backend | None = None,
        pinned: PinnedKeys | None = None,
        workers: int = 1,
    ) -> None:
        """`header`: the record as a parsed JSON object, without `ballots` (a `ballots` field is ignored:
        the ballots are those given to `add_ballots`). `workers` > 1 checks the chunks in that many worker
        processes, at most IN_FLIGHT chunks each at a time, their results taken in record order: the
        report is the same as with one. Call `finish()` or `close()` to end the workers."""
        if isinstance(header, dict) and "ballots" in header:
            header = {k: v for k, v in header.items() if k != "ballots"}
        self._verifier = _StreamVerifier(header, progress, backend, pinned or PinnedKeys(), workers)

    def __enter__(self) -> StreamingVerifier:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """End the worker processes (a verification abandoned before `finish`)."""
        self._verifier.close()

    @property
    def ballots(self) -> int:
        return self._verifier.ballot_count

    def add_ballots(self, entries: list) -> None:
        """The next counted ballot entries (`{"tracking_code", "ballot", "eligibility"}`) in record order."""
        if not isinstance(entries, list):
            raise MalformedInput("a chunk of ballots must be a JSON list")
        self._verifier.add(entries)

    def finish(self) -> VerificationReport:
        """Every numbered check's verdict, once all the ballots were given."""
        return self._verifier.finish()
