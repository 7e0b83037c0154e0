"""Deferred inserts for a group commit's shared run of its writers: the writers' plain INSERTs are held back
and sent together (one executemany per table) before the next statement of any other kind and at the end
of the run, so a batch of writers that only insert costs a few round trips, not a few per writer, while it
holds the log's row.

Nothing a writer can see changes: every other statement (a read, an UPDATE, a DELETE, an INSERT with
RETURNING or ON CONFLICT) first sends what is held back, so it runs on the state immediate execution would
have given it. What does change is when an INSERT fails (at the next flush, not at its own call), and that
an INSERT's result is not there to read. Either makes the run unusable, and write_batch then runs every
writer again, each in its own savepoint on the real connection (the path a refusal already takes): a
writer's outcome is always the one immediate execution gives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Insert

CHUNK = 4096  # rows per executemany


class DeferredUnusable(Exception):
    """The run cannot stand for immediate execution (a held-back INSERT's result was read, or the writer
    used the connection in a way this proxy does not offer): its writers run again one by one."""


class DeferringConnection:
    """Offers a writer `execute` and `dialect` over `connection`, holding plain INSERTs back (see module)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        # Held rows in groups of one table and one set of columns; a table's rows keep their order (a row
        # with other columns than its table's last group starts a new group).
        self._held: list[tuple[Any, tuple[str, ...], list[Mapping[str, Any]]]] = []
        self._last: dict[Any, int] = {}  # table -> its last group's position in _held
        self.unusable = False  # set when a writer read a held-back INSERT's result

    @property
    def dialect(self) -> Dialect:
        return self._connection.dialect

    async def execute(self, statement: Any, parameters: Any = None, **options: Any) -> Any:
        rows = _deferrable(statement, parameters) if not options else None
        if rows is None:
            await self.flush()
            return await self._connection.execute(statement, parameters, **options)
        table = statement.table
        for row in rows:
            position = self._last.get(table)
            if position is None or self._held[position][1] != tuple(row):
                self._last[table] = position = len(self._held)
                self._held.append((table, tuple(row), []))
            self._held[position][2].append(row)
        return _NoResult(self)

    async def flush(self) -> None:
        """Send the held-back INSERTs: one executemany per group (a table's rows with one set of columns),
        groups in the order they began, each table's rows in the order they were given."""
        held, self._held, self._last = self._held, [], {}
        for table, _, rows in held:
            for start in range(0, len(rows), CHUNK):
                await self._connection.execute(insert(table), list(rows[start : start + CHUNK]))

    def __getattr__(self, name: str) -> Any:
        self.unusable = True
        raise DeferredUnusable(f"a writer used connection.{name}, which a deferred run does not offer")


def _deferrable(statement: Any, parameters: Any) -> list[Mapping[str, Any]] | None:
    """The rows of a plain `insert(table)` given its values as parameters, else None (run it now)."""
    if type(statement) is not Insert or parameters is None:
        return None
    if (
        statement._returning
        or statement._return_defaults
        or statement._values is not None
        or statement._multi_values
        or statement.select is not None
        or statement._post_values_clause is not None
        or statement._independent_ctes
        or statement._hints
    ):
        return None
    rows = [parameters] if isinstance(parameters, Mapping) else parameters
    if not isinstance(rows, Sequence) or not rows:
        return None
    for row in rows:
        if not isinstance(row, Mapping) or any(isinstance(value, ClauseElement) for value in row.values()):
            return None
    return [dict(row) for row in rows]


class _NoResult:
    """Stands for a held-back INSERT's result: reading anything of it marks the run unusable."""

    def __init__(self, owner: DeferringConnection) -> None:
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        self._owner.unusable = True
        raise DeferredUnusable(f"a deferred INSERT's result has no {name}")

    def __iter__(self) -> Any:
        self._owner.unusable = True
        raise DeferredUnusable("a deferred INSERT's result has no rows")
