"""Child process for the crash test: appends forever (group-committed single appends and batches,
integrating at random), writing each acknowledged `index data` line to a file only after append returned."""

from __future__ import annotations

import asyncio
import os
import random
import sys

from govgraph import db
from govgraph.ledger.log import Log
from govgraph.ledger.note import Signer


async def main(database_url: str, name: str, skey: str, ack_path: str) -> None:
    engine = db.create_engine(database_url)
    log = await Log.open(engine, name, Signer.from_skey(skey))
    ack = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    serial = 0
    while True:
        batch = [f"{os.getpid()}-{serial + i}".encode() for i in range(random.randint(1, 40))]
        serial += len(batch)
        if random.random() < 0.5:
            indexes = list(await log.append_many(batch))
        else:
            indexes = await asyncio.gather(*(log.append(data) for data in batch))
        os.write(ack, "".join(f"{i} {d.decode()}\n" for i, d in zip(indexes, batch, strict=True)).encode())
        if random.random() < 0.5:
            await log.integrate()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
