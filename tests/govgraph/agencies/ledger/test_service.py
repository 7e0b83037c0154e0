"""The ledger subgraph's service without GraphQL, on a real SQLite file: snapshots pinned to the latest signed
checkpoint, entry pages and bounds, receipts identical to `govgraph ledger prove`'s, proofs that verify."""

from __future__ import annotations

import pytest

from govgraph.agencies.ledger.service import LedgerService, check_index, check_name
from govgraph.federation.errors import BadUserInput
from govgraph.ledger.log import Log
from govgraph.ledger.merkle import leaf_hash, root_hash, verify_consistency
from govgraph.ledger.note import Signer
from govgraph.ledger.receipt import make_receipt
from tests.govgraph.agencies.ledger.conftest import IDENTITY_ENTRIES, LAND_ENTRIES, WITNESS_TIME


async def test_ledgers_are_pinned_to_their_latest_signed_checkpoint(filled) -> None:
    sessions, engine, logs, _selects = filled
    identity, land = await LedgerService(sessions).ledgers()
    assert (land.name, land.origin, land.vkey, land.size) == (
        "land",
        "govgraph.example/land",
        logs.land_vkey,
        7,
    )
    assert land.root_hash == root_hash([leaf_hash(e) for e in LAND_ENTRIES])
    assert land.published == (await (await Log.open(engine, "land")).latest_checkpoint()).published
    [cosignature] = land.cosignatures()
    assert (cosignature.witness, cosignature.timestamp) == (logs.witness_name, WITNESS_TIME)
    assert land.published.decode().endswith(cosignature.line + "\n")
    # identity acknowledged a fourth entry that no checkpoint covers yet.
    assert (identity.name, identity.size, identity.cosignatures()) == ("identity", 3, [])
    assert await (await Log.open(engine, "identity")).state() == (4, 3)


async def test_a_log_that_never_signed_a_checkpoint_is_not_served(filled) -> None:
    sessions, engine, _logs, _selects = filled
    await Log.create(engine, "courts", Signer.generate("govgraph.example/courts"))
    service = LedgerService(sessions)
    assert [s.name for s in await service.ledgers()] == ["identity", "land"]
    found = await service.ledgers_by_names(["courts", "land", "nobody", "identity"])
    assert [s.name if s else None for s in found] == [None, "land", None, "identity"]


async def test_entries_page_within_the_signed_size(filled) -> None:
    sessions, _engine, _logs, _selects = filled
    service = LedgerService(sessions)
    identity, land = await service.ledgers()
    page = await service.entries(land, None, 3)
    assert [(e.index, e.data) for e in page] == [(i, LAND_ENTRIES[i]) for i in range(3)]
    rest = await service.entries(land, 2, None)
    assert [e.index for e in rest] == [3, 4, 5, 6]
    assert await service.entries(land, 6, 10) == []
    assert await service.entries(land, 2**64 - 1, 100) == []
    assert await service.entries(land, None, 0) == []
    # The acknowledged but unsigned entry 3 of identity is not served.
    assert [e.data for e in await service.entries(identity, None, 100)] == IDENTITY_ENTRIES


@pytest.mark.parametrize("first", [-1, 101])
async def test_first_is_bounded(filled, first: int) -> None:
    sessions, _engine, _logs, _selects = filled
    service = LedgerService(sessions)
    _identity, land = await service.ledgers()
    with pytest.raises(BadUserInput, match=rf"^`first` must lie in 0\.\.100, got {first}\.$"):
        await service.entries(land, None, first)


async def test_an_index_beyond_the_signed_size_is_refused(filled) -> None:
    sessions, _engine, _logs, _selects = filled
    identity, _land = await LedgerService(sessions).ledgers()
    assert check_index(identity, 2) == 2
    with pytest.raises(BadUserInput) as refused:
        check_index(identity, 3)
    assert str(refused.value) == (
        "Entry 3 is beyond ledger identity's signed size 3: it is not in a signed checkpoint yet."
    )


@pytest.mark.parametrize("name", ["", "x" * 65])
def test_ledger_names_are_bounded(name: str) -> None:
    with pytest.raises(BadUserInput, match=r"^A ledger name must be 1\.\.64 characters\.$"):
        check_name(name)


async def test_entries_and_proofs_of_several_logs_are_batched(filled) -> None:
    sessions, _engine, _logs, selects = filled
    service = LedgerService(sessions)
    identity, land = await service.ledgers()
    keys = [(land, 5), (identity, 0), (land, 0), (identity, 3), (land, 6)]
    selects.clear()
    entries = await service.entries_by_keys(keys)
    assert [(e.ledger.name, e.index, e.data) if e else None for e in entries] == [
        ("land", 5, LAND_ENTRIES[5]),
        ("identity", 0, IDENTITY_ENTRIES[0]),
        ("land", 0, LAND_ENTRIES[0]),
        None,  # beyond identity's signed size: not even asked of the database
        ("land", 6, LAND_ENTRIES[6]),
    ]
    assert len(selects) == 2  # one per log
    selects.clear()
    proofs = await service.inclusion_proofs([(land, 5), (identity, 0), (land, 0)])
    assert len(selects) == 2  # one tile level per log
    expected = [
        await (await Log.open(_engine, "land")).inclusion_proof(5, 7),
        await (await Log.open(_engine, "identity")).inclusion_proof(0, 3),
        await (await Log.open(_engine, "land")).inclusion_proof(0, 7),
    ]
    assert proofs == expected


async def test_the_receipt_is_the_one_ledger_prove_writes(filled) -> None:
    sessions, engine, _logs, _selects = filled
    service = LedgerService(sessions)
    _identity, land = await service.ledgers()
    [entry] = await service.entries_by_keys([(land, 4)])
    [proof] = await service.inclusion_proofs([(land, 4)])
    assert entry.receipt(proof) == (await make_receipt(await Log.open(engine, "land"), 4)).to_json()


async def test_consistency_proofs_verify_between_signed_sizes(filled) -> None:
    sessions, _engine, _logs, _selects = filled
    service = LedgerService(sessions)
    _identity, land = await service.ledgers()
    roots = {n: root_hash([leaf_hash(e) for e in LAND_ENTRIES[:n]]) for n in range(1, 8)}
    for old in range(1, 8):
        for new in range(old, 8):
            proof = await service.consistency_proof(land, old, new)
            verify_consistency(old, new, proof, roots[old], roots[new])
    assert await service.consistency_proof(land, 7, 7) == []


@pytest.mark.parametrize(
    ("from_size", "to_size", "message"),
    [
        (0, 3, "`fromSize` must be at least 1: every tree extends the empty one."),
        (4, 3, "`fromSize` (4) must not exceed `toSize` (3)."),
        (3, 8, "`toSize` (8) is beyond ledger land's signed size 7."),
        (3, 2**64 - 1, f"`toSize` ({2**64 - 1}) is beyond ledger land's signed size 7."),
    ],
)
async def test_bad_consistency_sizes_are_refused(filled, from_size: int, to_size: int, message: str) -> None:
    sessions, _engine, _logs, _selects = filled
    service = LedgerService(sessions)
    _identity, land = await service.ledgers()
    with pytest.raises(BadUserInput) as refused:
        await service.consistency_proof(land, from_size, to_size)
    assert str(refused.value) == message


async def test_an_entry_that_is_not_utf8_has_no_text(filled) -> None:
    sessions, engine, _logs, _selects = filled
    log = await Log.create(engine, "binary", Signer.generate("govgraph.example/binary"))
    await log.append_many([b"\xff\xfe not text", b"text"])
    await log.integrate()
    service = LedgerService(sessions)
    [snapshot] = await service.ledgers_by_names(["binary"])
    binary, text = await service.entries(snapshot, None, None)
    assert (binary.data, text.text()) == (b"\xff\xfe not text", "text")
    with pytest.raises(BadUserInput) as refused:
        binary.text()
    assert str(refused.value) == ("Entry 0 of ledger binary is not UTF-8 text: select `dataBase64` instead.")


async def test_a_large_batch_of_entries_is_read_in_bounded_chunks(filled) -> None:
    sessions, engine, _logs, selects = filled
    log = await Log.create(engine, "bulk", Signer.generate("govgraph.example/bulk"))
    await log.append_many([b"%d" % i for i in range(600)])
    await log.integrate()
    service = LedgerService(sessions)
    [bulk] = await service.ledgers_by_names(["bulk"])
    selects.clear()
    entries = await service.entries_by_keys([(bulk, i) for i in reversed(range(600))])
    assert [e.data for e in entries] == [b"%d" % i for i in reversed(range(600))]
    assert len(selects) == 2  # 500 indexes per IN list
