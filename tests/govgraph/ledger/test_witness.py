"""tlog-witness semantics through a real `govgraph serve` on 127.0.0.1: status codes, compare-and-swap
state, K-of-N publication, split-view detection."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph import db
from govgraph.ledger import merkle
from govgraph.ledger.checkpoint import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    cosignature_timestamp,
)
from govgraph.ledger.keys import read_signer, read_vkey, read_witness_signer, witness_label
from govgraph.ledger.log import Log
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.note import Signature, Signer, Verifiers, open_note, sign_note
from govgraph.ledger.receipt import make_receipt, verify_receipt
from govgraph.ledger.witness import AddCheckpointRequest, SplitView, Witness, check_same_history
from govgraph.ledger.witness_client import WitnessEndpoint, collect_cosignatures


def _witness_endpoint(server, agency: str) -> WitnessEndpoint:
    vkey = read_vkey(server.settings.ledger_keys_dir, witness_label(agency))
    return WitnessEndpoint(f"{server.url}/ledgers/{agency}/witness", CosignatureVerifier.from_vkey(vkey))


async def _census_log(server, engine) -> Log:
    return await Log.open(engine, "census", read_signer(server.settings.ledger_keys_dir, "census"))


async def _grow(log: Log, count: int):
    start, _ = await log.state()
    await log.append_many([f"census record {start + i}".encode() for i in range(count)])
    return await log.integrate()


async def _add(client: httpx.AsyncClient, url: str, old: int, proof, note: bytes) -> httpx.Response:
    return await client.post(url, content=AddCheckpointRequest(old, tuple(proof), note).encode())


@pytest.mark.e2e
async def test_witness_answers_each_case_with_the_spec_status_code(ledger_server):
    engine = db.create_engine(ledger_server.settings.database_url)
    url = f"{ledger_server.url}/ledgers/deeds/witness/add-checkpoint"
    witness_vkey = read_vkey(ledger_server.settings.ledger_keys_dir, witness_label("deeds"))
    try:
        census = await _census_log(ledger_server, engine)
        head10 = await _grow(census, 10)
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.post(url, content=b"not a request")).status_code == 400
            stranger = Signer.generate("stranger.example/log")
            unknown = sign_note(Checkpoint("stranger.example/log", 1, bytes(32)).body(), stranger)
            assert (await _add(client, url, 0, [], unknown)).status_code == 404
            forged = sign_note(
                Checkpoint(census.origin, 10, head10.root_hash).body(), Signer.generate(census.origin)
            )
            assert (await _add(client, url, 0, [], forged)).status_code == 403
            assert (await _add(client, url, 11, [], head10.note)).status_code == 400

            first = await _add(client, url, 0, [], head10.note)
            assert first.status_code == 200
            cosigned = open_note(
                head10.note + first.content,
                Verifiers(census.verifier, CosignatureVerifier.from_vkey(witness_vkey)),
            )
            assert [s.name for s in cosigned.sigs] == [
                "govgraph.example/census",
                "govgraph.example/deeds/witness",
            ]

            stale = await _add(client, url, 0, [], head10.note)
            assert (stale.status_code, stale.text) == (409, "10\n")
            assert stale.headers["content-type"] == "text/x.tlog.size"

            head15 = await _grow(census, 5)
            proof = await census.consistency_proof(10, 15)
            bad = [proof[0], bytes(32), *proof[2:]] if len(proof) > 1 else [bytes(32)]
            assert (await _add(client, url, 10, bad, head15.note)).status_code == 422
            assert (await _add(client, url, 10, proof, head15.note)).status_code == 200
            again = await _add(client, url, 10, proof, head15.note)
            assert (again.status_code, again.text) == (409, "15\n")
            # The same size is re-cosigned only with the same root and an empty proof.
            assert (await _add(client, url, 15, [], head15.note)).status_code == 200
            assert (await _add(client, url, 15, proof, head15.note)).status_code == 422
        witness = Witness(engine, read_witness_signer(ledger_server.settings.ledger_keys_dir, "deeds"), {})
        assert await witness.latest(census.origin) == (15, head15.root_hash)
    finally:
        await engine.dispose()


@pytest.mark.e2e
async def test_a_checkpoint_is_published_when_k_of_n_witnesses_cosign_and_the_receipt_says_so(ledger_server):
    engine = db.create_engine(ledger_server.settings.database_url)
    try:
        census = await _census_log(ledger_server, engine)
        head = await _grow(census, 40)
        deeds, procurement = (_witness_endpoint(ledger_server, a) for a in ("deeds", "procurement"))
        offline = WitnessEndpoint(
            "http://127.0.0.1:9/ledgers/x/witness",
            CosignatureSigner.from_skey(Signer.generate("offline.example/w").skey).verifier(),
        )
        async with httpx.AsyncClient(timeout=10) as client:
            publication = await collect_cosignatures(census, head, [deeds, procurement, offline], 2, client)
            assert publication.published
            assert publication.cosigned_by == (
                "govgraph.example/deeds/witness",
                "govgraph.example/procurement/witness",
            )
            assert publication.refusals == ("offline.example/w: unreachable (ConnectError)",)
            # Tiles client view: the served checkpoint now carries both cosignatures.
            served = (await client.get(f"{ledger_server.url}/ledgers/census/checkpoint")).content
        assert served.startswith(head.note) and served.count("— ".encode()) == 3
        stored = await census.latest_checkpoint()
        for line in stored.cosignatures:
            name, b64 = line.removeprefix("— ").rstrip("\n").split(" ")
            assert abs(cosignature_timestamp(Signature(name, 0, b64)) - time.time()) < 600

        receipt = await make_receipt(census, 7)
        vkeys = tuple(
            read_vkey(ledger_server.settings.ledger_keys_dir, witness_label(a))
            for a in ("deeds", "procurement")
        )
        verdict = verify_receipt(receipt, census.verifier.vkey, vkeys, quorum=2)
        assert verdict.ok, verdict.report()
        assert (
            "2 witness(es) cosigned it (govgraph.example/deeds/witness, "
            "govgraph.example/procurement/witness); 2 required." in verdict.report()
        )
        three = verify_receipt(receipt, census.verifier.vkey, vkeys, quorum=3)
        assert not three.ok
        assert "Only 2 of the 3 required witnesses cosigned the checkpoint." in three.report()
    finally:
        await engine.dispose()


@pytest.mark.e2e
async def test_a_split_view_is_refused_by_the_witness_and_detected(ledger_server, tmp_path):
    engine = db.create_engine(ledger_server.settings.database_url)
    fork_engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fork.db'}")
    url = f"{ledger_server.url}/ledgers/deeds/witness/add-checkpoint"
    try:
        census = await _census_log(ledger_server, engine)
        honest10 = await _grow(census, 10)
        # The same log key, a second storage: a log operator showing a different history to someone else.
        await create_ledger_tables(fork_engine)
        fork = await Log.create(fork_engine, "census", census.signer)
        await fork.append_many([f"census record {i}".encode() for i in range(9)] + [b"a rewritten record"])
        fork10 = await fork.integrate()
        assert fork10.size == 10 and fork10.root_hash != honest10.root_hash
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await _add(client, url, 0, [], honest10.note)).status_code == 200
            same_size = await _add(client, url, 10, [], fork10.note)
            assert (same_size.status_code, same_size.text) == (409, "10\n")
            await fork.append_many([b"more", b"records"])
            fork12 = await fork.integrate()
            fork_proof = await fork.consistency_proof(10, 12)
            assert (await _add(client, url, 10, fork_proof, fork12.note)).status_code == 422
        honest, forked = (
            Checkpoint.parse(open_note(h.note, [census.verifier]).text) for h in (honest10, fork10)
        )
        with pytest.raises(SplitView, match="two different roots signed for size 10"):
            check_same_history(honest, forked)
        with pytest.raises(SplitView, match="does not extend"):
            check_same_history(
                honest, Checkpoint.parse(open_note(fork12.note, [census.verifier]).text), fork_proof
            )
        honest12 = await _grow(census, 2)
        check_same_history(
            honest,
            Checkpoint(census.origin, 12, honest12.root_hash),
            await census.consistency_proof(10, 12),
        )
    finally:
        await engine.dispose()
        await fork_engine.dispose()


async def test_concurrent_add_checkpoint_calls_swap_the_state_exactly_once(engine, log, log_signer):
    witness_signer = CosignatureSigner.from_skey(Signer.generate("witness.example/w").skey)
    witness = Witness(engine, witness_signer, {log.origin: [log_signer.verifier()]})
    await log.append_many([f"e{i}".encode() for i in range(5)])
    base = await log.integrate()
    assert (await witness.add_checkpoint(AddCheckpointRequest(0, (), base.note).encode())).status == 200
    heads = []
    for _ in range(6):
        await log.append(b"x")
        heads.append(await log.integrate())
    requests = [
        AddCheckpointRequest(5, tuple(await log.consistency_proof(5, h.size)), h.note).encode() for h in heads
    ]
    replies = await asyncio.gather(*(witness.add_checkpoint(r) for r in requests))
    statuses = [r.status for r in replies]
    assert statuses.count(200) == 1 and statuses.count(409) == 5
    winner = heads[statuses.index(200)]
    assert await witness.latest(log.origin) == (winner.size, winner.root_hash)
    assert all(r.body == f"{winner.size}\n".encode() for r in replies if r.status == 409)


async def test_old_zero_needs_an_empty_proof_and_an_empty_tree_needs_the_empty_root(engine, log, log_signer):
    witness = Witness(
        engine,
        CosignatureSigner.from_skey(Signer.generate("w.example/w").skey),
        {log.origin: [log_signer.verifier()]},
    )
    empty = await log.integrate()
    wrong_empty = sign_note(Checkpoint(log.origin, 0, bytes(32)).body(), log_signer)
    assert (await witness.add_checkpoint(AddCheckpointRequest(0, (), wrong_empty).encode())).status == 422
    await log.append_many([b"a", b"b", b"c"])
    head = await log.integrate()
    with_proof = AddCheckpointRequest(0, (merkle.EMPTY_ROOT,), head.note).encode()
    assert (await witness.add_checkpoint(with_proof)).status == 422
    assert (await witness.add_checkpoint(AddCheckpointRequest(0, (), empty.note).encode())).status == 200
    assert await witness.latest(log.origin) == (0, merkle.EMPTY_ROOT)


@pytest.mark.parametrize(
    "body",
    [
        b"old 01\n\nx",
        b"old -1\n\nx",
        b"new 1\n\nx",
        b"old 1\nnot-base64!\n\nx",
        b"old 1\nAAAA\n\nx",
        b"old 1\n" + b"".join(base64.b64encode(bytes(32)) + b"\n" for _ in range(64)) + b"\nx",
        b"old 1\n",
    ],
)
def test_malformed_add_checkpoint_bodies_are_refused(body):
    with pytest.raises(ValueError):
        AddCheckpointRequest.parse(body)


def test_an_old_size_longer_than_a_uint64_is_refused_by_the_grammar():
    # Before the grammar bounded it, 5,000 digits reached int() and its digit-limit message reached the
    # client.
    with pytest.raises(ValueError, match="^first line must be 'old <decimal size>'$"):
        AddCheckpointRequest.parse(b"old " + b"9" * 5000 + b"\n\nx")
    with pytest.raises(ValueError, match="^first line must be 'old <decimal size>'$"):
        AddCheckpointRequest.parse(b"old 1" + b"0" * 20 + b"\n\nx")
    assert AddCheckpointRequest.parse(b"old 1" + b"0" * 19 + b"\n\nx").old_size == 10**19


def test_the_c2sp_example_request_parses(vectors_dir):
    examples = json.loads((vectors_dir / "tlog" / "note" / "c2sp_examples.json").read_text())
    case = examples["format_only"][3]
    request = AddCheckpointRequest.parse(case["body"].encode())
    assert (request.old_size, len(request.proof)) == (case["parsed"]["old_size"], case["parsed"]["proof_len"])
    assert (
        Checkpoint.parse(request.checkpoint.decode().split("\n\n")[0] + "\n").size
        == case["parsed"]["checkpoint_size"]
    )
    assert request.encode() == case["body"].encode()


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda old, proof, rest: (
                f"old {old}\n".encode() + b"".join(p + b"\n" for p in proof) + b"\n" + rest
            ),
            st.integers(-3, 10**20),
            st.lists(st.binary(max_size=48).map(base64.b64encode), max_size=4),
            st.binary(max_size=80),
        ),
    )
)
def test_add_checkpoint_parsing_refuses_garbage_with_value_error_or_round_trips(body):
    try:
        request = AddCheckpointRequest.parse(body)
    except ValueError:
        return
    assert request.encode() == body


async def test_a_tree_size_beyond_storage_range_is_a_clean_400(engine, log, log_signer):
    witness = Witness(
        engine,
        CosignatureSigner.from_skey(Signer.generate("w.example/w").skey),
        {log.origin: [log_signer.verifier()]},
    )
    huge = sign_note(Checkpoint(log.origin, 1 << 63, bytes(32)).body(), log_signer)
    reply = await witness.add_checkpoint(AddCheckpointRequest(0, (), huge).encode())
    assert (reply.status, reply.body) == (400, b"tree size too large for this witness\n")


@pytest.mark.e2e
def test_the_checkpoint_command_publishes_once_the_quorum_of_witnesses_cosigned(ledger_server):
    from typer.testing import CliRunner

    from govgraph.cli import app

    keys = ledger_server.settings.ledger_keys_dir
    witnesses = [
        f"{ledger_server.url}/ledgers/{agency}/witness,{read_vkey(keys, witness_label(agency))}"
        for agency in ("census", "procurement")
    ]
    env = {"GOVGRAPH_DATA": str(ledger_server.settings.data_dir)}
    runner = CliRunner()
    assert runner.invoke(app, ["ledger", "append", "deeds", "deed 1", "deed 2"], env=env).exit_code == 0
    args = ["ledger", "checkpoint", "deeds", *sum((["--witness", w] for w in witnesses), [])]
    published = runner.invoke(app, [*args, "--quorum", "2"], env=env)
    assert published.exit_code == 0, published.output
    assert "published: 2 of 2 witnesses cosigned, 2 required" in published.stderr
    lines = published.stdout.splitlines()
    assert lines[:2] == ["govgraph.example/deeds", "2"]
    assert [line.split(" ")[1] for line in lines[4:]] == [
        "govgraph.example/deeds",
        "govgraph.example/census/witness",
        "govgraph.example/procurement/witness",
    ]
    # Land's own witness does not witness deeds: asking it makes only 2 of 3 cosign, short of a quorum of 3.
    own = f"{ledger_server.url}/ledgers/deeds/witness,{read_vkey(keys, witness_label('deeds'))}"
    short = runner.invoke(app, [*args, "--witness", own, "--quorum", "3"], env=env)
    assert short.exit_code == 1
    assert "witness refused: govgraph.example/deeds/witness: 404 unknown log origin" in short.stderr
    assert "NOT published: 2 of 3 witnesses cosigned, 3 required" in short.stderr
