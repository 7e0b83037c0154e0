"""The stored log on a real SQLite file: sequencing, integration, signing, proofs from storage, tamper
evidence and concurrent appenders."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from govgraph import db
from govgraph.ledger import merkle
from govgraph.ledger.checkpoint import open_checkpoint
from govgraph.ledger.fsck import fsck
from govgraph.ledger.log import EntryTooLarge, InconsistentTree, Log, LogExists, NotIntegrated
from govgraph.ledger.note import Signer
from govgraph.ledger.sequencing import Sequencer


def _data(i: int) -> bytes:
    return json.dumps({"entry": i}).encode()


async def test_appends_get_consecutive_durable_indexes(log: Log, database_url: str):
    assert [await log.append(_data(i)) for i in range(3)] == [0, 1, 2]
    assert await log.append_many([_data(3), _data(4)]) == range(3, 5)
    other = db.create_engine(database_url)  # a fresh connection sees what was acknowledged
    try:
        reopened = await Log.open(other, "land")
        assert await reopened.state() == (5, 0)
        assert await reopened.entries(0, 5) == [_data(i) for i in range(5)]
    finally:
        await other.dispose()


async def test_integrate_signs_a_checkpoint_over_the_rfc_root(log: Log, log_signer: Signer):
    await log.append_many([_data(i) for i in range(300)])
    head = await log.integrate()
    leaves = [merkle.leaf_hash(_data(i)) for i in range(300)]
    assert (head.size, head.root_hash) == (300, merkle.root_hash(leaves))
    opened = open_checkpoint(head.note, log_signer.verifier())
    assert (opened.checkpoint.origin, opened.checkpoint.size) == ("govgraph.example/land", 300)
    assert opened.checkpoint.root_hash == head.root_hash
    assert await log.integrate() is None
    assert await log.state() == (300, 300)


async def test_an_empty_log_signs_the_empty_tree_once(log: Log):
    head = await log.integrate()
    assert (head.size, head.root_hash) == (0, merkle.EMPTY_ROOT)
    assert await log.integrate() is None


async def test_proofs_from_storage_equal_the_in_memory_proofs_at_any_size(log: Log):
    leaves = []
    for batch in (1, 255, 1, 700, 66000 - 957):
        start = len(leaves)
        await log.append_many([_data(i) for i in range(start, start + batch)])
        leaves += [merkle.leaf_hash(_data(i)) for i in range(start, start + batch)]
        await log.integrate()
    for index, size in (
        (0, 1),
        (0, 256),
        (255, 257),
        (956, 957),
        (65535, 65536),
        (65999, 66000),
        (300, 66000),
    ):
        proof = await log.inclusion_proof(index, size)
        assert proof == merkle.inclusion_proof(leaves[:size], index)
        merkle.verify_inclusion(leaves[index], index, size, proof, await log.root_at(size))
    for old, new in ((1, 256), (256, 257), (257, 957), (957, 66000), (65536, 66000), (66000, 66000)):
        assert await log.consistency_proof(old, new) == merkle.consistency_proof(leaves[:new], old)
    with pytest.raises(NotIntegrated):
        await log.inclusion_proof(5, 66001)


async def test_the_log_reproduces_the_tessera_checkpoints_byte_for_byte(engine, vectors_dir: Path):
    base = vectors_dir / "tlog" / "checkpoint" / "tessera-testdata-log"
    manifest = json.loads((base / "manifest.json").read_text())
    log = await Log.create(engine, "tessera", Signer.from_skey(manifest["skey"]))
    assert (await log.integrate()).note == (base / "checkpoint.0").read_bytes()
    for size, entry in enumerate(manifest["entries"], start=1):
        await log.append(entry.encode())
        head = await log.integrate()
        assert head.note == (base / f"checkpoint.{size}").read_bytes()
        assert await log.tile(0, 0) == (base / "tile" / "0" / "000.p" / str(size)).read_bytes()


async def test_entries_too_large_for_an_entry_bundle_are_refused(log: Log):
    with pytest.raises(EntryTooLarge):
        await log.append(bytes(65536))
    assert await log.append(bytes(65535)) == 0


async def test_a_second_log_with_the_same_name_is_refused(engine, log: Log):
    with pytest.raises(LogExists):
        await Log.create(engine, "land", Signer.generate("other.example/x"))


async def _sql(database_url: str, statement: str, **values) -> None:
    """Change the stored log behind the service's back, on a connection of its own."""
    engine = db.create_engine(database_url)
    try:
        async with engine.begin() as connection:
            assert (await connection.execute(text(statement), values)).rowcount == 1
    finally:
        await engine.dispose()


async def test_editing_one_stored_entry_is_reported_by_fsck_and_breaks_its_proof(log: Log, database_url: str):
    await log.append_many([_data(i) for i in range(600)])
    head = await log.integrate()
    assert (await fsck(log)).clean
    await _sql(database_url, "UPDATE ledger_entries SET data = :data WHERE idx = 300", data=b'{"entry": 999}')
    report = await fsck(log)
    assert report.problems == [
        "checkpoint at size 600: stored root does not match the entries",
        "checkpoint at size 600: signed body does not match the entries",
        "tile 0/1 differs from the hashes of the entries",
        "tile 1/0 differs from the hashes of the entries",
    ]
    proof = await log.inclusion_proof(300, 600)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(merkle.leaf_hash(await log.entry(300)), 300, 600, proof, head.root_hash)


async def _damage_hash(database_url: str, level: int, index: int, position: int) -> None:
    engine = db.create_engine(database_url)
    try:
        async with engine.begin() as connection:
            tile = (
                await connection.execute(
                    text("SELECT hashes FROM ledger_tiles WHERE level = :level AND idx = :idx"),
                    {"level": level, "idx": index},
                )
            ).scalar_one()
            damaged = tile[: 32 * position] + bytes(32) + tile[32 * (position + 1) :]
            await connection.execute(
                text("UPDATE ledger_tiles SET hashes = :hashes WHERE level = :level AND idx = :idx"),
                {"hashes": damaged, "level": level, "idx": index},
            )
    finally:
        await engine.dispose()


async def test_editing_one_stored_hash_is_reported_by_fsck_and_breaks_proofs(log: Log, database_url: str):
    await log.append_many([_data(i) for i in range(600)])
    head = await log.integrate()
    await _damage_hash(database_url, level=0, index=0, position=7)
    assert (await fsck(log)).problems == ["tile 0/0 differs from the hashes of the entries"]
    proof = await log.inclusion_proof(6, 600)  # leaf 7 is leaf 6's sibling
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(merkle.leaf_hash(_data(6)), 6, 600, proof, head.root_hash)


async def test_a_damaged_hash_on_the_growing_edge_blocks_signing(log: Log, database_url: str):
    await log.append_many([_data(i) for i in range(600)])
    await log.integrate()
    # Level-8 node 1 (leaves 256..511) is part of every later root: the next root cannot extend the signed
    # one.
    await _damage_hash(database_url, level=1, index=0, position=1)
    await log.append(_data(600))
    with pytest.raises(InconsistentTree, match="not consistent with signed checkpoint 600"):
        await log.integrate()
    assert (await log.latest_checkpoint()).size == 600
    assert await log.state() == (601, 600)


@pytest.mark.slow
async def test_eight_concurrent_appenders_get_unique_indexes_in_one_consistent_tree(log: Log):
    sequencer = Sequencer(log, interval=0.01)
    sequencer.start()

    async def appender(worker: int) -> list[tuple[int, bytes]]:
        # Each appender is a client with up to 25 requests in flight, each a separate `append` call.
        acked = []
        for chunk in range(0, 1250, 25):
            data = [f"worker {worker} entry {i}".encode() for i in range(chunk, chunk + 25)]
            acked += zip(await asyncio.gather(*(log.append(d) for d in data)), data, strict=True)
        return acked

    try:
        results = [pair for acked in await asyncio.gather(*(appender(w) for w in range(8))) for pair in acked]
    finally:
        await sequencer.stop()
    await log.integrate()
    indexes = sorted(index for index, _ in results)
    assert indexes == list(range(10_000))
    by_index = dict(results)
    stored = await log.entries(0, 10_000)
    assert stored == [by_index[i] for i in range(10_000)]
    head = await log.latest_checkpoint()
    assert head.size == 10_000
    assert head.root_hash == merkle.root_hash([merkle.leaf_hash(d) for d in stored])
    report = await fsck(log)
    assert report.clean, report.summary()
    assert report.checkpoints_checked >= 2


async def test_a_second_connection_appending_at_the_same_time_never_reuses_an_index(
    log: Log, database_url: str, log_signer: Signer
):
    second_engine = db.create_engine(database_url)
    try:
        other = await Log.open(second_engine, "land", log_signer)
        first, second = await asyncio.gather(
            asyncio.gather(*(log.append(f"a{i}".encode()) for i in range(200))),
            asyncio.gather(*(other.append(f"b{i}".encode()) for i in range(200))),
        )
        await other.integrate()
    finally:
        await second_engine.dispose()
    assert sorted(first + second) == list(range(400))
    assert (await fsck(log)).clean


async def test_stopping_the_sequencer_mid_batch_leaves_the_log_writable(log: Log):
    await log.append_many([b"entry %d" % i for i in range(3000)])
    sequencer = Sequencer(log, interval=0.01)
    sequencer.start()
    await asyncio.sleep(0)  # the sequencer is now inside its first integrate
    await sequencer.stop()  # waits for that batch instead of abandoning its transaction
    assert await log.append(b"after stop") == 3000
    head = await log.integrate()
    assert head is not None and head.size == 3001
