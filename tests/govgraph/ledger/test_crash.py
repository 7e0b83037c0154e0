"""Crash safety: a real appending process is SIGKILLed at random moments; after every kill the log checks
clean, every acknowledged entry is there with its data, and the signed size never goes back."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govgraph.ledger.fsck import fsck
from govgraph.ledger.log import Log
from govgraph.ledger.note import Signer

CHILD = Path(__file__).with_name("crash_appender.py")
ROUNDS = 20


def _wait_for_first_ack(child: subprocess.Popen, ack_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not (ack_path.exists() and ack_path.stat().st_size):
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the appender acknowledged nothing"
        time.sleep(0.01)


@pytest.mark.slow
async def test_sigkilled_appender_never_loses_an_acknowledged_entry_or_rolls_back_a_checkpoint(
    log: Log, log_signer: Signer, database_url: str, data_dir: Path
):
    rng = random.Random(20261121)
    acked: dict[int, bytes] = {}
    signed_sizes = [0]
    kills_with_progress = 0
    for round_number in range(ROUNDS):
        ack_path = data_dir / f"acks-{round_number}"
        child = subprocess.Popen(
            [sys.executable, str(CHILD), database_url, log.name, log_signer.skey, str(ack_path)],
            stderr=subprocess.PIPE,
        )
        if round_number % 7 == 3:
            time.sleep(rng.uniform(0.0, 0.5))  # now and then a kill during start-up
        else:
            _wait_for_first_ack(child, ack_path)
            time.sleep(rng.uniform(0.0, 0.4))  # then at a random moment while it appends and integrates
        assert child.poll() is None, child.stderr.read().decode()
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stderr.close()
        lines = ack_path.read_text().splitlines() if ack_path.exists() else []
        for line in lines:
            index, data = line.split(" ")
            assert int(index) not in acked, f"index {index} was handed out twice"
            acked[int(index)] = data.encode()
        kills_with_progress += bool(lines)

        report = await fsck(log)
        assert report.clean, f"round {round_number}: {report.summary()}"
        next_index, integrated = await log.state()
        assert next_index >= max(acked, default=-1) + 1
        stored = await log.entries(0, next_index)
        assert all(stored[index] == data for index, data in acked.items()), (
            f"round {round_number}: entry lost"
        )
        head = await log.latest_checkpoint()
        size = head.size if head else 0
        assert size >= signed_sizes[-1], (
            f"round {round_number}: signed size went from {signed_sizes[-1]} to {size}"
        )
        signed_sizes.append(size)
    assert kills_with_progress >= ROUNDS - 3, "too few kills landed while the child was appending"
    assert len(acked) > 200
    await log.integrate()
    assert (await fsck(log)).clean
