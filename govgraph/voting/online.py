"""`govgraph election verify --url`: fetch a published election's record and check it against the elections
ledger (the record's own checks V1-V13 run on the record as fetched)."""

from __future__ import annotations

from govgraph.voting.api import Api, ApiError
from govgraph.voting.audit import LedgerFindings, compare_with_record, ledger_ballots
from zk.errors import MalformedInput


def fetch_and_check_ledger(
    url: str, election: str, witness_keys: tuple[str, ...] = ()
) -> tuple[dict, LedgerFindings]:
    """The record of `election` at `url`, and the findings of comparing it with the elections ledger."""
    try:
        with Api(url) as api:
            record = api.get_json(f"/elections/{election}/record.json")
            if not isinstance(record, dict):
                raise MalformedInput("the record is not a JSON object")
            found, findings = ledger_ballots(api, election, witness_keys)
    except ApiError as exc:
        raise MalformedInput(str(exc)) from None
    if findings.ok:
        compare_with_record(record, found, findings)
    return record, findings
