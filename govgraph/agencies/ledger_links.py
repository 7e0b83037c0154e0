"""How an agency's records link to their ledger entries: a LedgerEntry reference (`@key(fields: "ledger
index")`) that the ledger subgraph resolves; the agency knows only which log and which index."""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import Key

from govgraph.federation.scalars import UInt64


@strawberry.federation.type(
    directives=[Key(fields="ledger index", resolvable=False)],
    description="An entry of an agency's ledger, resolved by the ledger subgraph (null until the entry is in "
    "a signed checkpoint).",
)
class LedgerEntry:
    ledger: str
    index: UInt64


def ledger_entry(ledger: str, index: int | None) -> LedgerEntry | None:
    """The reference to entry `index` of log `ledger`, None for a record written before the write path."""
    return None if index is None else LedgerEntry(ledger=ledger, index=UInt64(index))
