"""Child process for the lease test: appends to one log forever while its Sequencer integrates whenever it
holds the log's signing lease; writes each acknowledged `index data` line to a file after append returned."""

from __future__ import annotations

import asyncio
import os
import sys

from govgraph import db
from govgraph.ledger.lease import Lease
from govgraph.ledger.log import Log
from govgraph.ledger.note import Signer
from govgraph.ledger.sequencing import Sequencer


async def main(database_url: str, name: str, skey: str, ack_path: str) -> None:
    engine = db.create_engine(database_url)
    log = await Log.open(engine, name, Signer.from_skey(skey))
    Sequencer(log, Lease(engine, log.id, name), interval=0.02, lease_retry=0.2).start()
    ack = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    serial = 0
    while True:
        batch = [f"{os.getpid()}-{serial + i}".encode() for i in range(8)]
        serial += len(batch)
        indexes = await asyncio.gather(*(log.append(data) for data in batch))
        os.write(ack, "".join(f"{i} {d.decode()}\n" for i, d in zip(indexes, batch, strict=True)).encode())
        await asyncio.sleep(0.01)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
