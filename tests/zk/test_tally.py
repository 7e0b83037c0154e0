"""zk.tally: aggregation, Lagrange combination of any t shares, bounded discrete logs, Helios #170 guard."""

from __future__ import annotations

import pytest

from tests.zk.elections import MANIFEST, run_ceremony
from zk.ballot import ElectionContext, encrypt_ballot
from zk.curve import Backend
from zk.errors import InvalidParameters
from zk.group import g1_group, seeded_scalars
from zk.tally import (
    BabyStepGiantStep,
    DiscreteLogNotFound,
    aggregate_ballots,
    compute_decryption_share,
    discrete_log,
    lagrange_at_zero,
    tally,
    verify_decryption_share,
)
from zk.trustees import joint_public_key, verification_key

CHOICES = [
    {"mayor": [1, 0, 0], "council": [1, 1, 0, 0, 0], "bridge": [1, 0]},
    {"mayor": [0, 0, 1], "council": [0, 0, 0, 0, 0], "bridge": [1, 0]},
    {"mayor": [1, 0, 0], "council": [0, 1, 0, 0, 1], "bridge": [0, 1]},
]
EXPECTED = {"mayor": (2, 0, 1), "council": (1, 2, 0, 0, 1), "bridge": (2, 1)}
CLOSING = b"\x01" * 32  # the hash of the closing statement the trustees checked (zk.record.closing_hash)


@pytest.fixture(scope="module")
def setup(arkworks: Backend):
    group = g1_group(arkworks)
    trustees, record = run_ceremony(group, MANIFEST, 4, 2, b"tally")
    ceremony = trustees[1].ceremony
    context = ElectionContext(group, MANIFEST, joint_public_key(ceremony, record.reveals, record.qualified))
    rng = seeded_scalars(group, b"tally ballots")
    ballots = [encrypt_ballot(context, c, rng=rng)[0] for c in CHOICES]
    aggregate = aggregate_ballots(context, ballots)
    keys = {j: verification_key(ceremony, record.reveals, record.qualified, j) for j in trustees}
    shares = {
        j: compute_decryption_share(context, j, tr.secret_share, keys[j], ballots, aggregate, closing=CLOSING)
        for j, tr in trustees.items()
    }
    return context, ballots, aggregate, keys, shares


@pytest.mark.parametrize("subset", [(1, 2), (3, 4), (1, 4), (1, 2, 3, 4)])
def test_any_threshold_of_valid_shares_decrypts_the_exact_totals(setup, subset: tuple[int, ...]) -> None:
    context, _, aggregate, keys, shares = setup
    result = tally(context, aggregate, [shares[j] for j in subset], keys, 2, len(CHOICES), closing=CLOSING)
    assert result.counts == EXPECTED
    assert result.used_trustees == list(subset[:2])
    assert result.invalid_trustees == []


def test_one_share_is_not_enough(setup) -> None:
    context, _, aggregate, keys, shares = setup
    with pytest.raises(InvalidParameters, match="only 1 valid decryption shares"):
        tally(context, aggregate, [shares[3]], keys, 2, len(CHOICES), closing=CLOSING)


def test_a_share_checked_against_another_trustees_key_is_invalid(setup) -> None:
    context, _, aggregate, keys, shares = setup
    assert verify_decryption_share(context, keys[2], aggregate, shares[2], closing=CLOSING)
    assert not verify_decryption_share(context, keys[1], aggregate, shares[2], closing=CLOSING)


def test_a_share_is_valid_only_for_the_closing_statement_it_was_made_for(setup) -> None:
    """A record that drops a counted or spoiled ballot changes its closing statement: no share verifies."""
    context, _, aggregate, keys, shares = setup
    assert not verify_decryption_share(context, keys[2], aggregate, shares[2], closing=b"\x02" * 32)
    with pytest.raises(InvalidParameters, match="only 0 valid decryption shares"):
        tally(context, aggregate, list(shares.values()), keys, 2, len(CHOICES), closing=b"\x02" * 32)


def test_a_trustee_refuses_to_decrypt_anything_but_the_sum_of_the_recorded_ballots(setup) -> None:
    """Helios #170: an official hands trustees the 'aggregate' of one ballot to learn that ballot's vote."""
    context, ballots, aggregate, keys, shares = setup
    single = aggregate_ballots(context, ballots[:1])
    with pytest.raises(InvalidParameters, match="not the sum of the recorded ballots"):
        compute_decryption_share(context, 1, 0, keys[1], ballots, single, closing=CLOSING)


def test_baby_step_giant_step_finds_every_value_up_to_the_bound_and_nothing_beyond(arkworks: Backend) -> None:
    group = g1_group(arkworks)
    g = group.generator()
    solver = BabyStepGiantStep(group, 1000)
    for m in (0, 1, 31, 32, 33, 999, 1000):
        assert solver.log(group.mul(g, m)) == m
    for m in (1001, 1100, group.order - 1):
        with pytest.raises(DiscreteLogNotFound):
            solver.log(group.mul(g, m))
    assert discrete_log(group, group.mul(g, 100_000), 100_000) == 100_000


def test_lagrange_weights_interpolate_a_polynomial_at_zero() -> None:
    order = 101
    f = lambda x: (7 + 3 * x + 5 * x * x) % order  # noqa: E731
    weights = lagrange_at_zero([2, 5, 9], order)
    assert sum(weights[j] * f(j) for j in (2, 5, 9)) % order == 7
    with pytest.raises(InvalidParameters):
        lagrange_at_zero([1, 1], order)
