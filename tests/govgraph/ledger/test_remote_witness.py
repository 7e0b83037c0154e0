"""A witness in another process cosigning over HTTP inside the signing transaction (RemoteWitness), on a
real PostgreSQL: the cosignature is stored with the checkpoint, a witness that already holds a larger
size is asked again from it (409), and a witness that cannot be reached or signs with another key leaves
the checkpoint stored without its cosignature; the sequencer offers such a checkpoint again until the witness
cosigns it, and a slow witness holds up no append."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govgraph import db
from govgraph.ledger.http import Ledgers, ledger_routes
from govgraph.ledger.keys import write_witness_key
from govgraph.ledger.log import Log
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.sequencing import Sequencer, open_or_create
from govgraph.ledger.witness_client import RemoteWitness
from tests.support.databases import PostgresServer
from tests.support.servers import UvicornThread, free_port


@pytest.fixture
def database(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


def witness_server(database_url: str, keys: Path) -> UvicornThread:
    """The identity agency's witness endpoint in a server of its own (its own engine and event loop)."""
    return UvicornThread(witness_server_app(database_url, keys)).start()


def witness_server_app(database_url: str, keys: Path) -> Starlette:

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = db.create_engine(database_url)
        app.state.ledgers = Ledgers(engine, keys)
        yield
        await engine.dispose()

    return Starlette(routes=ledger_routes(), lifespan=lifespan)


@pytest.fixture
async def logs(database: str, tmp_path: Path) -> AsyncIterator[tuple[Log, Path, str]]:
    """The land log (signing here) and the identity log with its witness key, served over HTTP."""
    keys = tmp_path / "keys"
    engine = db.create_engine(database)
    await create_ledger_tables(engine)
    land = await open_or_create(engine, keys, "land")
    await open_or_create(engine, keys, "identity")
    server = witness_server(database, keys)
    try:
        yield land, keys, f"{server.url}/ledgers/identity/witness"
    finally:
        server.stop()
        await engine.dispose()


async def test_the_remote_witness_cosigns_in_the_signing_transaction(logs):
    land, keys, prefix = logs
    land.cosigners = [RemoteWitness("identity", prefix, keys, land.verifier)]
    await land.append_many([b"deed 0", b"deed 1"])
    first = await land.integrate()
    assert first.size == 2 and len(first.cosignatures) == 1
    assert first.cosignatures[0].startswith("\u2014 govgraph.example/identity/witness ")
    await land.append(b"deed 2")
    second = await land.integrate()  # asked with a consistency proof from 2
    assert second.size == 3 and len(second.cosignatures) == 1
    assert (await land.latest_checkpoint()).published == second.published


async def test_a_witness_ahead_of_what_this_process_knows_is_asked_again_from_its_size(logs):
    land, keys, prefix = logs
    land.cosigners = [RemoteWitness("identity", prefix, keys, land.verifier)]
    await land.append_many([b"deed 0", b"deed 1"])
    await land.integrate()
    # Another process (a restarted signer) knows nothing of what the witness holds: 409, then from 2.
    land.cosigners = [RemoteWitness("identity", prefix, keys, land.verifier)]
    await land.append(b"deed 2")
    head = await land.integrate()
    assert head.size == 3 and len(head.cosignatures) == 1


async def test_an_unreachable_or_foreign_witness_leaves_the_checkpoint_uncosigned(logs, tmp_path: Path):
    land, keys, prefix = logs
    unreachable = f"http://127.0.0.1:{free_port()}/ledgers/identity/witness"
    land.cosigners = [RemoteWitness("identity", unreachable, keys, land.verifier)]
    await land.append(b"deed 0")
    head = await land.integrate()
    assert (head.size, head.cosignatures) == (1, ())
    # The vkey this process holds is not the witness's: its cosignature does not verify and is not kept.
    other = tmp_path / "other-keys"
    write_witness_key(other, "identity", "govgraph.example/identity")
    land.cosigners = [RemoteWitness("identity", prefix, other, land.verifier)]
    await land.append(b"deed 1")
    head = await land.integrate()
    assert (head.size, head.cosignatures) == (2, ())
    assert (await land.latest_checkpoint()).cosignatures == ()


async def test_a_checkpoint_signed_while_the_witness_was_down_is_offered_again_when_it_is_back(
    logs, database: str, tmp_path: Path
):
    land, keys, _ = logs
    port = free_port()
    prefix = f"http://127.0.0.1:{port}/ledgers/identity/witness"  # nothing listens there yet
    land.cosigners = [RemoteWitness("identity", prefix, keys, land.verifier)]
    sequencer = Sequencer(land, interval=0.05, reoffer_interval=0.2)
    sequencer.start()
    try:
        await land.append_many([b"deed 0", b"deed 1"])
        head = await wait_for(lambda: land.latest_checkpoint(), lambda head: head and head.size == 2)
        assert head.cosignatures == () and sequencer.cosigned == (0, 1)
        server = UvicornThread(witness_server_app(database, keys), port=port).start()
        try:
            cosigned = await wait_for(lambda: land.latest_checkpoint(), lambda head: head.cosignatures)
        finally:
            server.stop()
    finally:
        await sequencer.stop()
    # The same checkpoint, now with the witness's line; no new one was signed for it.
    assert (cosigned.id, cosigned.size, cosigned.note) == (head.id, 2, head.note)
    assert cosigned.cosignatures[0].startswith("\u2014 govgraph.example/identity/witness ")
    assert sequencer.cosigned == (1, 1)


async def test_appends_go_on_while_a_slow_witness_holds_up_the_signing_transaction(logs):
    land, keys, _ = logs
    answered = asyncio.Event()

    async def slow(_request: Request) -> Response:
        await asyncio.sleep(1.5)
        answered.set()
        return Response("busy", status_code=503)

    server = UvicornThread(Starlette(routes=[Route("/w/add-checkpoint", slow, methods=["POST"])])).start()
    try:
        land.cosigners = [RemoteWitness("identity", f"{server.url}/w", keys, land.verifier)]
        await land.append(b"deed 0")
        signing = asyncio.create_task(land.integrate())
        await asyncio.sleep(0.3)  # the signing transaction now waits for the witness
        started = time.monotonic()
        index = await land.append(b"deed 1")  # another append of this log, in this process
        waited = time.monotonic() - started
        head = await signing
    finally:
        server.stop()
    assert index == 1 and waited < 0.5, waited
    assert (head.size, head.cosignatures) == (1, ())  # the witness refused: stored without its line
    assert await land.state() == (2, 1)


async def wait_for(read, done, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not done(value := await read()):
        assert time.monotonic() < deadline, value
        await asyncio.sleep(0.05)
    return value
