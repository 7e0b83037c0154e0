"""The queries that page through an election's ballots by ledger index (closeVoting's sum, the record's
pages, the board's pages) read the index on (election_id, ledger_index) of the migrated SQLite schema: each
page reads its own rows, not every ballot of the election sorted again (quadratic over a 10^5-ballot
election)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import Select
from sqlalchemy.dialects import sqlite

from govgraph import migrations
from govgraph.agencies.elections.board import ballot_page_query
from govgraph.agencies.elections.service import ballots, counted_ballots_page

WALK = (
    "SEARCH elections_ballot USING INDEX elections_ballot_in_ledger_order (election_id=? AND ledger_index>?)"
)


def plan(database: Path, query: Select) -> list[str]:
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with sqlite3.connect(database) as connection:
        return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}")]


def test_ballot_pages_read_the_election_s_ballots_in_ledger_order(tmp_path: Path) -> None:
    database = tmp_path / "govgraph.db"
    asyncio.run(migrations.upgrade(f"sqlite+aiosqlite:///{database}"))
    record_page = counted_ballots_page("e1", 41, 100).add_columns(
        ballots.c.tracking_code, ballots.c.eligibility
    )
    assert plan(database, counted_ballots_page("e1", 41, 500)) == [WALK]  # closeVoting's sum
    assert plan(database, record_page) == [WALK]  # /record/ballots and record.json
    assert plan(database, ballot_page_query("e1", 101, 41)) == [WALK]  # the board's ballots(after:)
    assert plan(database, ballot_page_query("e1", 101, None)) == [
        "SEARCH elections_ballot USING INDEX elections_ballot_in_ledger_order (election_id=?)"
    ]
