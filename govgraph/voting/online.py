"""`govgraph election verify --url`: fetch a published election's record and check it against the elections
ledger (the record's own checks V1-V13 run on the record as fetched)."""

from __future__ import annotations

from govgraph.voting.api import Api, ApiError
from govgraph.voting.audit import LedgerFindings, compare_with_record, ledger_ballots
from zk.errors import MalformedInput


def fetch_and_check_ledger(
    url: str, election: str, witness_keys: tuple[str, ...] = (), record_url: str | None = None
) -> tuple[dict, LedgerFindings]:
    """The record of `election` at `record_url` (default `url`: `govgraph serve` serves both), and the
    findings of comparing it with the elections ledger read through `url`'s /graphql. Split apart (each
    agency its own process), the record is the commission's (`govgraph subgraph elections`) and the ledger
    any gateway's."""
    try:
        with Api(record_url or url) as source:
            record = source.get_json(f"/elections/{election}/record.json")
        if not isinstance(record, dict):
            raise MalformedInput("the record is not a JSON object")
        with Api(url) as api:
            found, findings = ledger_ballots(api, election, witness_keys)
    except ApiError as exc:
        raise MalformedInput(str(exc)) from None
    if findings.ok:
        compare_with_record(record, found, findings)
    return record, findings
