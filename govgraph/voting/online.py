"""`govgraph election verify --url`: verify a published election's record against the elections ledger, as a
stream. The ledger's ballots are read (kept as digests) while the record's header and its counted ballots
are, page by page (`/elections/<id>/record/header.json`, `/elections/<id>/record/ballots`), each page fed
to `zk.record_stream.StreamingVerifier` (V1-V13) and to `RecordAgainstLedger`, then dropped (the next page is
read while one is checked; the ballots' proofs are checked in `workers` processes, a few chunks at a time):
memory holds a few pages, never the record."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from govgraph.voting.api import Api, ApiError
from govgraph.voting.audit import LedgerFindings, RecordAgainstLedger, ledger_ballots
from zk.curve import Backend
from zk.errors import MalformedInput
from zk.record_keys import PinnedKeys
from zk.record_report import VerificationReport
from zk.record_stream import StreamingVerifier

PAGE = 100  # counted ballots a request (~17 KB each, ~1.7 MB a page); the service allows up to 2000

WORKERS = min(os.cpu_count() or 1, 4)  # processes checking the ballots' proofs (V5-V8), by default

Progress = Callable[[str, int, int], None]


def ballot_page(document: object, after: int) -> tuple[list, int | None]:
    """A page of `/record/ballots` (`{"ballots": [...], "next": INDEX | null}`, decoded JSON): its entries and
    the `after` of the next page, which must move forward (a service cannot loop the client)."""
    if not isinstance(document, dict) or set(document) != {"ballots", "next"}:
        raise MalformedInput('a page of ballots must be an object with exactly "ballots" and "next"')
    entries, following = document["ballots"], document["next"]
    if not isinstance(entries, list):
        raise MalformedInput("a page's ballots must be a list")
    if following is not None and (type(following) is not int or following <= after):
        raise MalformedInput(f"a page's next must be null or a ledger index after {after}")
    if following is not None and not entries:
        raise MalformedInput("an empty page cannot have a next page")
    return entries, following


def _read_ledger(url: str, election: str, witness_keys: tuple[str, ...]) -> tuple[list, LedgerFindings]:
    with Api(url) as api:
        return ledger_ballots(api, election, witness_keys)


def verify_online(
    url: str,
    election: str,
    witness_keys: tuple[str, ...] = (),
    record_url: str | None = None,
    progress: Progress | None = None,
    backend: Backend | None = None,
    pinned: PinnedKeys | None = None,
    page: int = PAGE,
    workers: int = WORKERS,
) -> tuple[VerificationReport, LedgerFindings]:
    """The record's checks (V1-V13) and the findings of comparing it with the elections ledger read through
    `url`'s /graphql. The record comes from `record_url` (default `url`: `govgraph serve` serves both; split
    apart, the record is the commission's, `govgraph subgraph elections`, and the ledger any gateway's).
    `workers`: processes checking the ballots' proofs (1: in this process); the report is the same."""
    say = progress or (lambda step, done, total: None)
    verifier: StreamingVerifier | None = None
    # Two threads: one reads the ledger while the record streams (the ballots' checks keep the cores busy
    # meanwhile), the other reads the next page of the record while one is checked.
    threads = ThreadPoolExecutor(max_workers=2)
    try:
        say("reading the elections ledger and the record", 0, 0)
        ledger = threads.submit(_read_ledger, url, election, witness_keys)
        with Api(record_url or url) as source:
            header = source.get_json(f"/elections/{election}/record/header.json")
            if not isinstance(header, dict):
                raise MalformedInput("the record's header is not a JSON object")
            closing = header.get("closing")
            total = closing.get("counted", {}).get("ballots") if isinstance(closing, dict) else None
            total = total if type(total) is int else 0
            verifier = StreamingVerifier(
                header,
                lambda step, done, _: say(step, done, max(total, done)),
                backend=backend,
                pinned=pinned,
                workers=workers,
            )
            manifest = header.get("manifest")
            comparison = RecordAgainstLedger(manifest.get("revoting") if isinstance(manifest, dict) else None)
            path = f"/elections/{election}/record/ballots"
            after, pending = -1, threads.submit(source.get_json, path, {"after": -1, "limit": page})
            while pending is not None:
                entries, following = ballot_page(pending.result(), after)
                pending = None
                if following is not None:
                    after = following
                    pending = threads.submit(source.get_json, path, {"after": after, "limit": page})
                verifier.add_ballots(entries)
                comparison.add(entries)
        report = verifier.finish()
        found, findings = ledger.result()
    except ApiError as exc:
        raise MalformedInput(str(exc)) from None
    finally:
        threads.shutdown(wait=False, cancel_futures=True)
        if verifier is not None:
            verifier.close()  # the workers, when a page could not be read
    if findings.ok:
        comparison.finish(found, header.get("spoiled"), findings)
    return report, findings
