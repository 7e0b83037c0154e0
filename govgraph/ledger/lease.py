"""The signing lease: of all the processes appending to one log, only the one holding its lease integrates
and signs. On PostgreSQL the lease is a session advisory lock held on a connection of its own: when the
holding process dies, the server ends its session and frees the lock, and another process's next attempt
takes it over. On SQLite (one machine, one writer at a time) every process may sign.

The lease is about work, not safety: `Log.integrate` starts by taking the log's integration lock (a
transaction-scoped advisory lock on PostgreSQL) and refuses to sign a tree that does not extend the last
checkpoint, so two integrators at once could only waste effort."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# The advisory lock's first key: "glog" (govgraph log); the second is the log's id.
LEASE_CLASS = 0x676C6F67
log = logging.getLogger("govgraph.ledger.lease")


class Lease:
    """The signing lease of one log for this process: `held()` says whether it holds it now, taking it
    when it is free; `release()` gives it up."""

    def __init__(self, engine: AsyncEngine, log_id: int, name: str = "") -> None:
        self.engine = engine
        self.log_id = log_id
        self.name = name or str(log_id)
        self.shared = engine.dialect.name != "postgresql"  # SQLite: no lease, every process signs
        self._connection: AsyncConnection | None = None

    @property
    def holding(self) -> bool:
        """Whether this process held the lease at its last check."""
        return self.shared or self._connection is not None

    async def held(self) -> bool:
        if self.shared:
            return True
        if self._connection is not None:
            try:  # still holding it? A lost connection lost the lock with it.
                await self._connection.execute(select(1))
                return True
            except Exception as exc:
                log.warning("lost the signing lease of log %s: %s", self.name, exc)
                await self._drop()
        connection = await self.engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            taken = (
                await connection.execute(select(func.pg_try_advisory_lock(LEASE_CLASS, self.log_id)))
            ).scalar_one()
        except BaseException:
            await connection.close()
            raise
        if not taken:
            await connection.close()
            return False
        self._connection = connection
        log.info("took the signing lease of log %s", self.name)
        return True

    async def release(self) -> None:
        if self._connection is None:
            return
        try:
            await self._connection.execute(select(func.pg_advisory_unlock(LEASE_CLASS, self.log_id)))
        except Exception as exc:  # the session is gone: so is the lock
            log.warning("releasing the signing lease of log %s: %s", self.name, exc)
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # already broken; the pool discards it
                await connection.invalidate()
