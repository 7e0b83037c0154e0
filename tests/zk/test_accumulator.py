"""The dynamic accumulator: witnesses verify exactly for members of an epoch, a batch removal's public update
data moves every other holder's witness to the next epoch (equal to the issuer's fresh witness and to the
naive one-removal-at-a-time rule), a removed holder learns it, and the update data's decoder is strict."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zk.credentials import json_values, paths, replaced
from zk.accumulator import (
    Accumulator,
    AccumulatorKey,
    Revoked,
    UpdateData,
    Witness,
    initial_accumulator,
    membership_witness,
    new_handle,
    remove,
    update_witness,
    update_witness_one_by_one,
    verify_witness,
)
from zk.curve import R, get_backend
from zk.errors import InvalidParameters, MalformedInput
from zk.wire import b64url, canonical_json, parse_json

ARKWORKS = get_backend("arkworks")


@pytest.fixture(scope="module")
def key() -> AccumulatorKey:
    return AccumulatorKey.generate(b"accumulator test key material")


def witness_for(key, accumulator, handle, backend=ARKWORKS) -> Witness:
    return Witness(
        accumulator.epoch, accumulator.value, membership_witness(key, accumulator, handle, backend=backend)
    )


def test_a_witness_verifies_for_its_handle_and_epoch_only(key, backend):
    accumulator = initial_accumulator(backend)
    handle = new_handle()
    witness = membership_witness(key, accumulator, handle, backend=backend)
    assert verify_witness(key.public_key, accumulator, handle, witness, backend=backend)
    assert not verify_witness(key.public_key, accumulator, (handle + 1) % R, witness, backend=backend)
    other = initial_accumulator(backend)
    assert not verify_witness(key.public_key, other, handle, witness, backend=backend)
    stranger = AccumulatorKey.generate(b"another issuer")
    assert not verify_witness(stranger.public_key, accumulator, handle, witness, backend=backend)
    assert not verify_witness(key.public_key, accumulator, handle, b"\x00" * 48, backend=backend)


def test_the_key_is_deterministic_from_key_material_and_random_without():
    assert AccumulatorKey.generate(b"m") == AccumulatorKey.generate(b"m")
    assert AccumulatorKey.generate().public_key != AccumulatorKey.generate().public_key
    assert len(AccumulatorKey.generate(b"m").public_key) == 96


def test_a_batch_update_gives_the_issuers_fresh_witness_and_the_naive_one(key, backend):
    v0 = initial_accumulator(backend)
    mine, removed = new_handle(), [new_handle() for _ in range(4)]
    witness = witness_for(key, v0, mine, backend)
    v1, update = remove(key, v0, removed, backend=backend)
    assert (v1.epoch, update.epoch, update.accumulator) == (1, 1, v1.value)
    assert len(update.omega) == 4 and len(update.coefficients) == 5
    assert update.size == 5 * 48 + 5 * 32
    new = update_witness(key.public_key, mine, witness, [update], backend=backend)
    assert new == Witness(1, v1.value, membership_witness(key, v1, mine, backend=backend))
    # the reference: one removal at a time, with each intermediate value
    values, current = [], v0
    for handle in removed:
        current, _ = remove(key, current, [handle], backend=backend)
        values.append(current.value)
    assert values[-1] == v1.value
    assert update_witness_one_by_one(key.public_key, mine, witness, removed, values, backend=backend) == new
    assert not verify_witness(key.public_key, v1, mine, witness.witness, backend=backend)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 6), min_size=1, max_size=4))
def test_consecutive_batches_keep_every_remaining_witness_valid(key, sizes):
    accumulator = initial_accumulator(ARKWORKS)
    holders = [new_handle() for _ in range(3)]
    witnesses = [witness_for(key, accumulator, h) for h in holders]
    updates = []
    for size in sizes:
        accumulator, update = remove(key, accumulator, [new_handle() for _ in range(size)], backend=ARKWORKS)
        updates.append(UpdateData.from_json(parse_json(canonical_json(update.to_json()), "update")))
    for handle, witness in zip(holders, witnesses, strict=True):
        new = update_witness(key.public_key, handle, witness, updates, backend=ARKWORKS)
        assert new.epoch == accumulator.epoch == len(sizes)
        assert verify_witness(key.public_key, accumulator, handle, new.witness, backend=ARKWORKS)


def test_a_removed_holder_learns_it_and_gets_no_witness(key):
    v0 = initial_accumulator(ARKWORKS)
    mine = new_handle()
    witness = witness_for(key, v0, mine)
    v1, update = remove(key, v0, [new_handle(), mine, new_handle()], backend=ARKWORKS)
    with pytest.raises(Revoked, match="revoked in epoch 1"):
        update_witness(key.public_key, mine, witness, [update], backend=ARKWORKS)
    with pytest.raises(Revoked):
        update_witness_one_by_one(key.public_key, mine, witness, [mine], [v1.value], backend=ARKWORKS)


def test_batches_apply_in_epoch_order_only(key):
    v0 = initial_accumulator(ARKWORKS)
    mine = new_handle()
    witness = witness_for(key, v0, mine)
    v1, first = remove(key, v0, [new_handle()], backend=ARKWORKS)
    _, second = remove(key, v1, [new_handle()], backend=ARKWORKS)
    with pytest.raises(InvalidParameters, match="epoch 2 does not follow epoch 0"):
        update_witness(key.public_key, mine, witness, [second], backend=ARKWORKS)
    with pytest.raises(InvalidParameters, match="epoch 1 does not follow epoch 1"):
        update_witness(key.public_key, mine, witness, [first, first], backend=ARKWORKS)
    assert update_witness(key.public_key, mine, witness, [], backend=ARKWORKS) == witness


def test_tampered_update_data_is_refused_not_applied(key):
    v0 = initial_accumulator(ARKWORKS)
    mine = new_handle()
    witness = witness_for(key, v0, mine)
    _, update = remove(key, v0, [new_handle(), new_handle()], backend=ARKWORKS)
    swapped = UpdateData(update.epoch, update.accumulator, update.coefficients, update.omega[::-1])
    with pytest.raises(MalformedInput, match="does not give a valid witness"):
        update_witness(key.public_key, mine, witness, [swapped], backend=ARKWORKS)
    shifted = UpdateData(
        update.epoch, update.accumulator, (update.coefficients[0] + 1, *update.coefficients[1:]), update.omega
    )
    with pytest.raises(MalformedInput, match="does not give a valid witness"):
        update_witness(key.public_key, mine, witness, [shifted], backend=ARKWORKS)
    unreduced = UpdateData(
        update.epoch, update.accumulator, update.coefficients, (b"\x9f" + b"\xff" * 47,) * 2
    )
    with pytest.raises(MalformedInput, match="update.omega"):
        update_witness(key.public_key, mine, witness, [unreduced], backend=ARKWORKS)


def test_removal_batches_are_distinct_nonzero_handles(key):
    v0 = initial_accumulator(ARKWORKS)
    handle = new_handle()
    for bad in ([], [handle, handle], [0], [R]):
        with pytest.raises(InvalidParameters):
            remove(key, v0, bad, backend=ARKWORKS)


def test_the_update_data_of_1000_removals_is_80_kilobytes(key):
    v0 = initial_accumulator(ARKWORKS)
    _, update = remove(key, v0, [new_handle() for _ in range(1000)], backend=ARKWORKS)
    assert update.size == 1001 * 48 + 1001 * 32 == 80_080
    assert len(canonical_json(update.to_json())) < 107_000


def test_the_accumulator_message_round_trips_and_is_strict():
    accumulator = initial_accumulator(ARKWORKS)
    assert Accumulator.from_json(accumulator.to_json()) == accumulator
    with pytest.raises(MalformedInput, match="not in compressed form"):
        Accumulator.from_json({**accumulator.to_json(), "value": b64url(b"\x00" * 48)})
    with pytest.raises(MalformedInput, match="accumulator.epoch"):
        Accumulator.from_json({**accumulator.to_json(), "epoch": -1})


@pytest.fixture(scope="module")
def update_json(key) -> dict:
    _, update = remove(key, initial_accumulator(ARKWORKS), [new_handle(), new_handle()], backend=ARKWORKS)
    return update.to_json()


def test_the_update_decoder_names_what_is_wrong(update_json):
    assert UpdateData.from_json(update_json).to_json() == update_json
    cases = {
        "coefficients": (b64url(b"\x00" * 32 * 2), "must be 3 scalars for 2 points"),
        "omega": (b64url(b"\x00" * 47), "non-empty list of 48-byte points"),
        "epoch": (0, "update.epoch must be in"),
    }
    for field, (value, message) in cases.items():
        with pytest.raises(MalformedInput, match=message):
            UpdateData.from_json({**update_json, field: value})
    unreduced = b64url(R.to_bytes(32, "big") * 3)
    with pytest.raises(MalformedInput, match="not reduced"):
        UpdateData.from_json({**update_json, "coefficients": unreduced})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_update_decoder_accepts_or_raises_malformed_input_only(update_json, data):
    path = data.draw(st.sampled_from(list(paths(update_json))))
    candidate = replaced(update_json, path, data.draw(json_values))
    try:
        decoded = UpdateData.from_json(candidate)
    except MalformedInput:
        return
    assert isinstance(decoded, UpdateData)
