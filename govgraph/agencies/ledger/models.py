"""The ledger subgraph's tables are the ledger's own (govgraph/ledger/models.py), gathered in one MetaData so
the app creates them as it creates any agency's, and nothing else on SQLModel's shared registry."""

from __future__ import annotations

from sqlalchemy import MetaData

from govgraph.ledger.models import LEDGER_TABLES

LEDGER_METADATA = MetaData()
for _table in LEDGER_TABLES:
    _table.to_metadata(LEDGER_METADATA)
