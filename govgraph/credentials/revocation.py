"""The issuer's revocation registry for revocable credential configurations (`zk.accumulator`): the
accumulator key (a 0600 file beside the issuer keys), each credential's handle (a private table, never on the
ledger), the epochs (one per revocation batch: the value and the public update data), the epochs a verifier
accepts (the latest, and older ones superseded less than the grace period ago) and the updates a wallet needs
to refresh its witnesses."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govgraph.credentials.configurations import CredentialConfiguration
from govgraph.credentials.keys import KeyFileError
from govgraph.credentials.models import RevocationEpochRow, RevocationHandleRow
from govgraph.credentials.offers import withdraw_pending
from zk.accumulator import Accumulator, AccumulatorKey, UpdateData, remove
from zk.credential.revocation import AcceptedEpochs
from zk.curve import G1_LENGTH, Backend, get_backend
from zk.errors import ZkError
from zk.json_input import load_json
from zk.wire import b64url, canonical_json, from_b64url, require_message, scalar_from_b64, scalar_to_b64

KEY_TYPE = "govgraph.credentials.AccumulatorKey"
MAX_UPDATES_PER_PAGE = 256
_handles = RevocationHandleRow.__table__  # type: ignore[attr-defined]
_epochs = RevocationEpochRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StoredAccumulator:
    key: AccumulatorKey
    initial: Accumulator  # epoch 0


@dataclass(frozen=True)
class Revocation:
    """What one revocation did: the accumulator after it, the batch's update data (None when it found no
    issued credential to remove: the epoch is then unchanged), how many credentials it revoked and how
    many of the citizen's offers it withdrew before their credential was issued."""

    accumulator: Accumulator
    update: UpdateData | None
    revoked: int
    withdrawn: int


class RevocationRegistry:
    """The accumulators of the revocable configurations, over the credential layer's tables."""

    def __init__(
        self,
        engine: AsyncEngine,
        directory: Path,
        configurations: Mapping[str, CredentialConfiguration],
        *,
        grace: float,
        backend: Backend | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.directory = directory
        self.grace = grace
        self.backend = backend or get_backend()
        self.clock = clock
        self.accumulators = {
            cid: self._load_or_create(cid) for cid, c in configurations.items() if c.schema.revocable
        }

    def revocable(self, configuration: str) -> bool:
        return configuration in self.accumulators

    def public_key(self, configuration: str) -> bytes:
        return self.accumulators[configuration].key.public_key

    # --- the key file ---------------------------------------------------------------------------------
    def _path(self, configuration: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in configuration)
        return self.directory / f"{safe}.accumulator.json"

    def _load_or_create(self, configuration: str) -> StoredAccumulator:
        path = self._path(configuration)
        if not path.exists():
            seed = secrets.token_bytes(32)
            key = AccumulatorKey.generate(seed, backend=self.backend)
            initial = self.backend.g1_mul(self.backend.g1_generator(), secrets.randbelow(2**255) + 1)
            document = {
                "type": KEY_TYPE,
                "version": 1,
                "configuration": configuration,
                "seed": b64url(seed),
                "initial": b64url(self.backend.g1_compress(initial)),
            }
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):  # a concurrent creator's file wins
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(canonical_json(document) + b"\n")
                    handle.flush()
                    os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise KeyFileError(f"{path} is readable by others (mode {mode:o}): chmod 600 it")
        try:
            obj = require_message(
                load_json(path.read_bytes(), what=str(path), max_bytes=4096),
                KEY_TYPE,
                ("configuration", "seed", "initial"),
            )
            if obj["configuration"] != configuration:
                raise KeyFileError(f"{path} holds another configuration's accumulator key")
            key = AccumulatorKey.generate(from_b64url(obj["seed"], "seed", length=32), backend=self.backend)
            initial = from_b64url(obj["initial"], "initial", length=G1_LENGTH)
            self.backend.g1_decompress(initial)
        except ZkError as exc:
            raise KeyFileError(f"{path} is not an accumulator key file: {exc}") from None
        return StoredAccumulator(key, Accumulator(0, initial))

    # --- epochs ---------------------------------------------------------------------------------------
    async def latest(self, configuration: str, connection: AsyncConnection | None = None) -> Accumulator:
        """The configuration's current accumulator (epoch 0 until the first revocation)."""
        query = (
            select(_epochs.c.epoch, _epochs.c.accumulator)
            .where(_epochs.c.configuration == configuration)
            .order_by(_epochs.c.epoch.desc())
            .limit(1)
        )
        if connection is None:
            async with self.engine.connect() as own:
                row = (await own.execute(query)).first()
        else:
            row = (await connection.execute(query)).first()
        if row is None:
            return self.accumulators[configuration].initial
        return Accumulator(row.epoch, from_b64url(row.accumulator, "accumulator", length=G1_LENGTH))

    async def accepted(self, configuration: str) -> AcceptedEpochs:
        """The latest epoch, and every older one whose successor was published less than `grace` ago (read
        from the recent rows only, however long the chain)."""
        since = self.clock() - self.grace
        epochs = _epochs.c
        async with self.engine.connect() as connection:
            latest = await self.latest(configuration, connection)
            recent = (
                await connection.execute(
                    select(epochs.epoch).where(
                        epochs.configuration == configuration, epochs.published_at > since
                    )
                )
            ).all()
            wanted = {row.epoch - 1 for row in recent} - {latest.epoch}
            rows = (
                await connection.execute(
                    select(epochs.epoch, epochs.accumulator).where(
                        epochs.configuration == configuration, epochs.epoch.in_(wanted)
                    )
                )
            ).all()
        values = {latest.epoch: latest.value}
        values |= {row.epoch: from_b64url(row.accumulator, "accumulator") for row in rows}
        if 0 in wanted:
            values[0] = self.accumulators[configuration].initial.value
        return AcceptedEpochs(self.public_key(configuration), values)

    async def updates_since(self, configuration: str, epoch: int) -> tuple[int, list[dict[str, Any]]]:
        """The latest epoch and the update data (JSON) of epochs epoch + 1 ... (at most a page of them)."""
        async with self.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(_epochs.c.update)
                    .where(_epochs.c.configuration == configuration, _epochs.c.epoch > epoch)
                    .order_by(_epochs.c.epoch)
                    .limit(MAX_UPDATES_PER_PAGE)
                )
            ).all()
        latest = await self.latest(configuration)
        return latest.epoch, [json.loads(row.update) for row in rows]

    # --- handles and revocation -----------------------------------------------------------------------
    async def record_handle(
        self, connection: AsyncConnection, configuration: str, citizen_id: str, handle: int
    ) -> None:
        """Remember which citizen a credential's handle belongs to, on the issuance's transaction."""
        await connection.execute(
            insert(_handles).values(
                handle=scalar_to_b64(handle), configuration=configuration, citizen_id=citizen_id
            )
        )

    async def unrevoked(self, connection: AsyncConnection, configuration: str, citizen_id: str) -> list[str]:
        rows = await connection.execute(
            select(_handles.c.handle).where(
                _handles.c.configuration == configuration,
                _handles.c.citizen_id == citizen_id,
                _handles.c.revoked_epoch.is_(None),
            )
        )
        return [row.handle for row in rows]

    async def revoke(
        self, connection: AsyncConnection, configuration: str, citizen_id: str, ledger_index: int
    ) -> Revocation | None:
        """Remove the citizen's unrevoked handles of `configuration` in one batch and withdraw their offers
        not yet issued, on `connection`'s transaction: the new epoch row, the handles marked, the offers
        withdrawn. With no handle to remove, only the offers are withdrawn and the epoch stays; None when
        there is neither.

        `connection` must be a transaction of the identity log's write path, as the issuance's is (a
        handle is recorded with its CredentialIssued entry): the log serializes the two, so an issuance
        either committed first, and its handle is in this batch, or commits after and finds its offer
        withdrawn. The credential's witness may be for an older epoch than this one; refreshing brings it
        here (or finds it removed)."""
        handles = await self.unrevoked(connection, configuration, citizen_id)
        withdrawn = await withdraw_pending(connection, configuration, citizen_id)
        current = await self.latest(configuration, connection)
        if not handles:
            return Revocation(current, None, 0, withdrawn) if withdrawn else None
        scalars = [scalar_from_b64(h, "handle") for h in handles]
        accumulator, update_data = remove(
            self.accumulators[configuration].key, current, scalars, backend=self.backend
        )
        await connection.execute(
            insert(_epochs).values(
                configuration=configuration,
                epoch=accumulator.epoch,
                accumulator=b64url(accumulator.value),
                update=canonical_json(update_data.to_json()).decode(),
                published_at=self.clock(),
                ledger_index=ledger_index,
            )
        )
        await connection.execute(
            update(_handles).where(_handles.c.handle.in_(handles)).values(revoked_epoch=accumulator.epoch)
        )
        return Revocation(accumulator, update_data, len(handles), withdrawn)


__all__ = ["Revocation", "RevocationRegistry", "StoredAccumulator"]
