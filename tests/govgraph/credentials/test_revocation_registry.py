"""The issuer's revocation registry on a real SQLite file with a controlled clock: the accumulator key file
(0600, the same key on restart, refused when others can read it), handles recorded per citizen, one epoch per
batch (withdrawing the citizen's unissued offers), the epochs a verifier accepts within the grace period, the
updates a wallet fetches; and the GOVGRAPH_REVOCATION_GRACE setting."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from govgraph import db
from govgraph.config import ConfigError, Settings
from govgraph.credentials import models
from govgraph.credentials.configurations import REVOCABLE_CITIZEN_V1, standard_configurations
from govgraph.credentials.keys import KeyFileError
from govgraph.credentials.offers import OfferBook
from govgraph.credentials.revocation import RevocationRegistry
from zk.accumulator import UpdateData, Witness, membership_witness, new_handle, update_witness, verify_witness

GRACE = 100.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[RevocationRegistry, Clock]]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'revocation.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(models.metadata.create_all)
    clock = Clock()
    registry = RevocationRegistry(
        engine, tmp_path / "keys", standard_configurations(), grace=GRACE, clock=clock
    )
    try:
        yield registry, clock
    finally:
        await engine.dispose()


async def issue(registry: RevocationRegistry, citizen: str) -> int:
    handle = new_handle()
    async with registry.engine.begin() as connection:
        await registry.record_handle(connection, REVOCABLE_CITIZEN_V1, citizen, handle)
    return handle


async def revoke(registry: RevocationRegistry, citizen: str):
    async with registry.engine.begin() as connection:
        return await registry.revoke(connection, REVOCABLE_CITIZEN_V1, citizen, 7)


async def test_the_key_file_is_private_and_read_back_on_restart(setup, tmp_path):
    registry, clock = setup
    assert registry.revocable(REVOCABLE_CITIZEN_V1) and not registry.revocable("govgraph.identity.citizen/v1")
    path = tmp_path / "keys" / "govgraph.identity.revocable-citizen_v1.accumulator.json"
    assert path.stat().st_mode & 0o777 == 0o600
    again = RevocationRegistry(registry.engine, tmp_path / "keys", standard_configurations(), grace=GRACE)
    assert again.public_key(REVOCABLE_CITIZEN_V1) == registry.public_key(REVOCABLE_CITIZEN_V1)
    assert (await again.latest(REVOCABLE_CITIZEN_V1)).epoch == 0
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="readable by others"):
        RevocationRegistry(registry.engine, tmp_path / "keys", standard_configurations(), grace=GRACE)


async def test_a_batch_removes_the_citizens_handles_and_other_witnesses_follow(setup):
    registry, clock = setup
    key = registry.accumulators[REVOCABLE_CITIZEN_V1].key
    start = await registry.latest(REVOCABLE_CITIZEN_V1)
    mine = await issue(registry, "cit_mine")
    witness = Witness(0, start.value, membership_witness(key, start, mine))
    first, second = await issue(registry, "cit_gone"), await issue(registry, "cit_gone")
    done = await revoke(registry, "cit_gone")
    assert (done.accumulator.epoch, done.revoked, len(done.update.omega)) == (1, 2, 2)
    assert done.update.removes(first) and done.update.removes(second) and not done.update.removes(mine)
    assert await revoke(registry, "cit_gone") is None  # nothing left to revoke: no epoch
    latest, updates = await registry.updates_since(REVOCABLE_CITIZEN_V1, 0)
    assert latest == 1 and [UpdateData.from_json(u) for u in updates] == [done.update]
    new = update_witness(registry.public_key(REVOCABLE_CITIZEN_V1), mine, witness, [done.update])
    assert verify_witness(registry.public_key(REVOCABLE_CITIZEN_V1), done.accumulator, mine, new.witness)
    assert await registry.updates_since(REVOCABLE_CITIZEN_V1, 1) == (1, [])


async def test_a_revocation_withdraws_the_citizens_unissued_offers_only(setup):
    registry, _ = setup
    book = OfferBook(registry.engine)
    offers = {
        name: (await book.create(configuration, citizen, "bearer:clerk")).id
        for name, configuration, citizen in [
            ("offered", REVOCABLE_CITIZEN_V1, "cit_gone"),
            ("redeemed", REVOCABLE_CITIZEN_V1, "cit_gone"),
            ("issued", REVOCABLE_CITIZEN_V1, "cit_gone"),
            ("other schema", "govgraph.identity.citizen/v1", "cit_gone"),
            ("other citizen", REVOCABLE_CITIZEN_V1, "cit_stays"),
        ]
    }
    async with registry.engine.begin() as connection:
        for name in ("redeemed", "issued"):
            await connection.execute(
                models.CredentialOfferRow.__table__.update()
                .where(models.CredentialOfferRow.__table__.c.id == offers[name])
                .values(state=name)
            )
    only_offers = await revoke(registry, "cit_gone")  # no handle yet: the offers go, the epoch stays
    assert (only_offers.accumulator.epoch, only_offers.update, only_offers.revoked) == (0, None, 0)
    assert only_offers.withdrawn == 2
    states = {name: (await book.get(offer_id)).state for name, offer_id in offers.items()}
    assert states == {
        "offered": "withdrawn",
        "redeemed": "withdrawn",
        "issued": "issued",
        "other schema": "offered",
        "other citizen": "offered",
    }
    assert await revoke(registry, "cit_gone") is None  # nothing issued, nothing pending
    await issue(registry, "cit_gone")
    done = await revoke(registry, "cit_gone")
    assert (done.accumulator.epoch, done.revoked, done.withdrawn) == (1, 1, 0)


async def test_older_epochs_are_accepted_until_the_grace_period_after_their_successor(setup):
    registry, clock = setup
    initial = await registry.latest(REVOCABLE_CITIZEN_V1)
    accepted = await registry.accepted(REVOCABLE_CITIZEN_V1)
    assert accepted.values == {0: initial.value} and accepted.public_key == registry.public_key(
        REVOCABLE_CITIZEN_V1
    )
    await issue(registry, "cit_a")
    one = (await revoke(registry, "cit_a")).accumulator
    clock.now += 60
    await issue(registry, "cit_b")
    two = (await revoke(registry, "cit_b")).accumulator
    # epoch 0 superseded 60 s ago, epoch 1 just now: all three within the 100 s grace period
    assert (await registry.accepted(REVOCABLE_CITIZEN_V1)).values == {
        0: initial.value,
        1: one.value,
        2: two.value,
    }
    clock.now += 41  # epoch 0's successor is 101 s old
    assert set((await registry.accepted(REVOCABLE_CITIZEN_V1)).values) == {1, 2}
    clock.now += 60  # epoch 1's successor is 101 s old
    assert (await registry.accepted(REVOCABLE_CITIZEN_V1)).values == {2: two.value}


def test_the_grace_setting_defaults_to_a_day_and_takes_whole_seconds():
    assert Settings.from_env({}).revocation_grace == 86_400
    assert Settings.from_env({"GOVGRAPH_REVOCATION_GRACE": " 0 "}).revocation_grace == 0
    assert Settings.from_env({"GOVGRAPH_REVOCATION_GRACE": "3600"}).revocation_grace == 3600
    for value in ("-1", "1.5", "1e3", "7776001", "١٢", ""):
        with pytest.raises(ConfigError) as refused:
            Settings.from_env({"GOVGRAPH_REVOCATION_GRACE": value})
        assert str(refused.value) == (
            f"GOVGRAPH_REVOCATION_GRACE={value!r} is invalid: expected a whole number of seconds from 0 to "
            "7776000 (90 days)"
        )
