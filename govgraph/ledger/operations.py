"""What the `govgraph ledger` commands do, as plain async functions over a database engine and a key
directory: create a log and its key, append, sign a checkpoint, write a receipt, check storage. The caller
owns the engine (and disposes of it); the CLI only parses arguments and prints."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from govgraph.ledger.fsck import FsckReport, fsck
from govgraph.ledger.keys import read_signer, write_signer, write_witness_key
from govgraph.ledger.log import Log, LogExists, SignedTreeHead
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.note import Signer
from govgraph.ledger.receipt import Receipt, make_receipt
from govgraph.ledger.witness_client import Publication, WitnessEndpoint, collect_cosignatures

DEFAULT_ORIGIN_PREFIX = "govgraph.example/"


@asynccontextmanager
async def open_log(engine: AsyncEngine, name: str, *, keys_dir: Path | None = None) -> AsyncIterator[Log]:
    """Log `name`, signing with its key from `keys_dir` if one is given."""
    await create_ledger_tables(engine)
    log = await Log.open(engine, name)
    if keys_dir is not None:
        log.use_signer(read_signer(keys_dir, name))
    yield log


async def init_log(engine: AsyncEngine, keys_dir: Path, name: str, origin: str | None = None) -> Log:
    """Create log `name` with a new Ed25519 key named after its origin, and the agency's witness key; key
    files are never overwritten and the log row refuses duplicates, so a second init replaces no key."""
    origin = origin or DEFAULT_ORIGIN_PREFIX + name
    await create_ledger_tables(engine)
    if await Log.taken(engine, name, origin):
        raise LogExists(f"log {name!r} or origin {origin!r} already exists")
    signer = Signer.generate(origin)
    write_signer(keys_dir, name, signer)
    write_witness_key(keys_dir, name, origin)  # the agency also witnesses the others
    log = await Log.create(engine, name, signer)
    await log.integrate()  # the empty tree's checkpoint: every later one must extend it
    return log


async def append_entries(
    engine: AsyncEngine, keys_dir: Path, name: str, entries: Sequence[bytes], integrate: bool = True
) -> tuple[range, SignedTreeHead | None]:
    async with open_log(engine, name, keys_dir=keys_dir if integrate else None) as log:
        indexes = await log.append_many(entries)
        head = await log.integrate() if integrate else None
        return indexes, head


async def sign_checkpoint(engine: AsyncEngine, keys_dir: Path, name: str) -> SignedTreeHead:
    async with open_log(engine, name, keys_dir=keys_dir) as log:
        await log.integrate()
        head = await log.latest_checkpoint()
        assert head is not None  # integrate always leaves a checkpoint
        return head


async def publish_checkpoint(
    engine: AsyncEngine, keys_dir: Path, name: str, witnesses: Sequence[WitnessEndpoint], quorum: int
) -> Publication:
    """Integrate, sign, then ask each witness to cosign; published once `quorum` of them did."""
    async with open_log(engine, name, keys_dir=keys_dir) as log:
        await log.integrate()
        head = await log.latest_checkpoint()
        assert head is not None
        async with httpx.AsyncClient(timeout=10) as client:
            publication = await collect_cosignatures(log, head, witnesses, quorum, client)
        return Publication(
            await log.latest_checkpoint() or head, publication.cosigned_by, publication.refusals, quorum
        )


async def prove(engine: AsyncEngine, name: str, index: int) -> Receipt:
    async with open_log(engine, name) as log:
        return await make_receipt(log, index)


async def check(engine: AsyncEngine, name: str) -> FsckReport:
    async with open_log(engine, name) as log:
        return await fsck(log)
