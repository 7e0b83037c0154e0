"""Unlinkability across epochs: two presentations of one revocable credential, before and after an epoch
change (the witness refreshed in between), look like presentations of two credentials; the membership
proof's C', V' and r^ are fresh and uniform like the rest (the statistical test of
test_credential_unlinkability)."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from tests.zk.credentials import benefit_request
from tests.zk.test_credential_revocation import Registry, refreshed
from tests.zk.test_credential_unlinkability import PUBLIC_FIELDS, chi_square_critical, hidden_elements
from zk.credential import present
from zk.wire import from_b64url


@pytest.fixture(scope="module")
def shown():
    registry = Registry()
    one, two = registry.holder(), registry.holder(name="Grace Hopper", income=12_345)
    request = benefit_request(registry.schema, registry.issuer, context=None)
    before = [present(one, request).to_json() for _ in range(2)]
    registry.revoke(registry.holder(name="Someone Else"), others=3)
    one, two = refreshed(one, registry), refreshed(two, registry)
    after = [present(one, request).to_json() for _ in range(2)]
    other = [present(two, request).to_json() for _ in range(2)]
    for item in before + after + other:
        assert registry.verify(request, item, 0, 1).ok
    return before, after, other


def all_hidden(item: dict) -> list[bytes]:
    proof = from_b64url(item["revocation"]["proof"], "proof")
    return [*hidden_elements(item), proof[:48], proof[48:96], proof[96:]]


def test_only_the_epoch_differs_across_an_epoch_change_and_not_across_credentials(shown):
    before, after, other = shown
    for field in PUBLIC_FIELDS:
        assert len({repr(p[field]) for p in before + after + other}) == 1, field
    assert {p["revocation"]["epoch"] for p in before} == {0}
    assert {p["revocation"]["epoch"] for p in after + other} == {1}
    assert len({tuple(sorted(p)) for p in before + after + other}) == 1
    assert len({len(p["proof"]) for p in before + after + other}) == 1


def test_no_hidden_value_repeats_before_after_or_across_credentials(shown):
    seen: set[bytes] = set()
    for item in [p for group in shown for p in group]:
        values = all_hidden(item)
        assert len(set(values)) == len(values)
        assert not seen & set(values)
        seen |= set(values)


@pytest.mark.parametrize("pair", ["one credential, before and after", "two credentials, same epoch"])
def test_hidden_bytes_are_uniformly_distributed(shown, pair):
    before, after, other = shown
    chosen = before[:1] + after[:1] if pair.startswith("one") else after[:1] + other[:1]
    data = b"".join(e[1:] for p in chosen for e in all_hidden(p))
    assert len(data) > 2000
    counts = Counter(data)
    expected = len(data) / 256
    chi2 = sum((counts.get(b, 0) - expected) ** 2 / expected for b in range(256))
    assert chi2 < chi_square_critical(255, 4.75)
    ones = sum(bin(b).count("1") for b in data)
    assert abs(ones / (8 * len(data)) - 0.5) < 5 * math.sqrt(0.25 / (8 * len(data)))
