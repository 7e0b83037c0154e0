"""The logs a process sequences (SequencedLogs) on a real SQLite file: created with their keys when missing,
integrated in the background as entries arrive, and every checkpoint stored with the cosignatures of the
other logs' witnesses, taken in the transaction that signs it; a restart continues from the witnesses' state
with consistency proofs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from govgraph.ledger.checkpoint import CosignatureVerifier, open_checkpoint
from govgraph.ledger.keys import read_signer, read_vkey, witness_label, write_signer
from govgraph.ledger.log import Log
from govgraph.ledger.models import LedgerCheckpoint, LedgerCosignature
from govgraph.ledger.note import Signer
from govgraph.ledger.sequencing import SequencedLogs

NAMES = ("identity", "land", "courts")


async def signed_size(log: Log, size: int, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while (head := await log.latest_checkpoint()) is None or head.size < size:
            await asyncio.sleep(0.01)


def witness_verifiers(keys_dir: Path, names) -> tuple[CosignatureVerifier, ...]:
    return tuple(CosignatureVerifier.from_vkey(read_vkey(keys_dir, witness_label(name))) for name in names)


async def cosignature_counts(engine: AsyncEngine) -> list[int]:
    """The number of cosignatures of every stored checkpoint, in signing order."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(func.count(LedgerCosignature.id))
            .select_from(LedgerCheckpoint)
            .outerjoin(LedgerCosignature, LedgerCosignature.checkpoint_id == LedgerCheckpoint.id)
            .group_by(LedgerCheckpoint.id)
            .order_by(LedgerCheckpoint.id)
        )
        return [count for (count,) in rows]


async def test_every_checkpoint_is_stored_with_the_other_witnesses_cosignatures(engine, data_dir: Path):
    keys = data_dir / "keys"
    logs = SequencedLogs(engine, keys, NAMES, interval=0.01)
    await logs.start()
    try:
        for round_number in range(3):
            await asyncio.gather(
                *(
                    logs[name].append(f"{name} {round_number} {i}".encode())
                    for name in NAMES
                    for i in range(5)
                )
            )
        for name in NAMES:
            await signed_size(logs[name], 15)
    finally:
        await logs.stop()
    counts = await cosignature_counts(engine)
    assert len(counts) >= 6 and set(counts) == {2}  # the empty trees' first checkpoints included
    for name in NAMES:
        head = await logs[name].latest_checkpoint()
        others = [other for other in NAMES if other != name]
        opened = open_checkpoint(
            head.published,
            read_signer(keys, name).verifier(),
            witnesses=witness_verifiers(keys, others),
            quorum=2,
        )
        assert (opened.checkpoint.origin, opened.checkpoint.size) == (f"govgraph.example/{name}", 15)


async def test_a_restart_continues_the_witnesses_state_with_consistency_proofs(engine, data_dir: Path):
    keys = data_dir / "keys"
    first = SequencedLogs(engine, keys, NAMES[:2], interval=0.01)
    await first.start()
    await first["land"].append_many([b"a", b"b", b"c"])
    await signed_size(first["land"], 3)
    await first.stop()

    second = SequencedLogs(engine, keys, NAMES[:2], interval=0.01)
    await second.start()
    try:
        assert second["land"].verifier.vkey == first["land"].verifier.vkey  # the same key, read back
        await second["land"].append_many([b"d", b"e"])
        await signed_size(second["land"], 5)
    finally:
        await second.stop()
    head = await second["land"].latest_checkpoint()
    opened = open_checkpoint(
        head.published,
        read_signer(keys, "land").verifier(),
        witnesses=witness_verifiers(keys, ["identity"]),
        quorum=1,
    )
    assert opened.checkpoint.size == 5
    assert set(await cosignature_counts(engine)) == {1}


async def test_a_key_left_by_an_interrupted_start_is_used_not_replaced(engine, data_dir: Path):
    keys = data_dir / "keys"
    left = Signer.generate("govgraph.example/land")
    write_signer(keys, "land", left)  # the key was written, then the process stopped before the log row
    logs = SequencedLogs(engine, keys, ["land"], interval=0.01)
    await logs.start()
    try:
        await logs["land"].append(b"x")
        await signed_size(logs["land"], 1)
    finally:
        await logs.stop()
    assert logs["land"].verifier.vkey == left.vkey
    assert (await Log.names(engine)) == ["land"]


async def test_entries_appended_before_start_are_signed_in_its_first_round(engine, data_dir: Path):
    logs = SequencedLogs(engine, data_dir / "keys", NAMES, interval=0.01, pace=60.0)
    await logs.open()
    for i in range(3):
        await logs["land"].append(f"seed {i}".encode())
    await logs.start()
    try:
        assert await logs.settled(10.0)
        assert [await logs[name].state() for name in NAMES] == [(0, 0), (3, 3), (0, 0)]
        assert (await logs["land"].latest_checkpoint()).size == 3
        # The next round comes `pace` (60 s) after the first: settled waits for it, up to its timeout.
        await logs["land"].append(b"late")
        assert not await logs.settled(0.3)
        assert await logs["land"].state() == (4, 3)
    finally:
        await logs.stop()
