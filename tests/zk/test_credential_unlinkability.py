"""Unlinkability: presentations of one credential look like presentations of two different credentials with
the same disclosed values. Every field is either public (equal for all) or fresh and uniformly distributed;
for a revocable credential also across an epoch change (the witness refreshed in between), where the
membership proof's C', V' and r^ are fresh and uniform like the rest and only the epoch is shown."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

import pytest

from tests.zk.credentials import benefit_request, benefit_schema, citizen
from tests.zk.revocation import Registry, refreshed
from zk.credential import (
    IssuerKey,
    Predicate,
    make_presentation_request,
    present,
)
from zk.rangeproof import FINAL_LENGTH, proof_length
from zk.wire import b64url, from_b64url

TODAY = dt.date(2026, 11, 21)
PUBLIC_FIELDS = ("type", "version", "schema", "issuer_key", "nonce", "disclosed")


@pytest.fixture(scope="module")
def presentations():
    schema = benefit_schema(("north", "south"))
    issuer = IssuerKey.generate(b"unlinkability test issuer key material")
    one = citizen(issuer, schema)
    two = citizen(
        issuer,
        schema,
        name="Grace Hopper",
        birth_date=dt.date(1961, 2, 3),
        income=12_345,
        expires=dt.date(2028, 1, 1),
    )
    request = make_presentation_request(
        schema, [issuer.key_id], TODAY, disclose=["district"], predicates=[Predicate("income", "<", 30_000)]
    )
    same = [present(one, request).to_json() for _ in range(3)]
    other = [present(two, request).to_json()]
    return same, other


def hidden_elements(shown: dict) -> list[bytes]:
    """Every non-disclosed value of a presentation, split into its group elements and scalars."""
    proof = from_b64url(shown["proof"], "proof")
    out = [proof[i : i + 48] for i in range(0, 144, 48)] + [
        proof[i : i + 32] for i in range(144, len(proof), 32)
    ]
    scalars_end = 4 * 48 + (3 + 2 * FINAL_LENGTH) * 32  # A, S, T1, T2, then tau_x, mu, t^, a, b
    for item in shown["predicates"]:
        out.append(from_b64url(item["commitment"], "c"))
        link = from_b64url(item["link"], "l")  # T || gamma^
        out += [link[:48], link[48:]]
        rp = from_b64url(item["proof"], "p")
        out += [rp[i : i + 48] for i in range(0, 192, 48)]
        out += [rp[i : i + 32] for i in range(192, scalars_end, 32)]
        out += [rp[i : i + 48] for i in range(scalars_end, len(rp), 48)]
    return out


def test_presentations_have_the_same_shape_and_public_fields_whichever_credential(presentations):
    same, other = presentations
    everyone = same + other
    for field in PUBLIC_FIELDS:
        assert len({repr(p[field]) for p in everyone}) == 1, field
    assert {tuple(sorted(p)) for p in everyone} == {tuple(sorted(everyone[0]))}
    assert len({len(p["proof"]) for p in everyone}) == 1
    assert len({tuple(len(v) for item in p["predicates"] for v in item.values()) for p in everyone}) == 1


def test_no_hidden_value_repeats_within_or_across_credentials(presentations):
    same, other = presentations
    elements = [hidden_elements(p) for p in same + other]
    assert len({len(e) for e in elements}) == 1
    seen: set[bytes] = set()
    for values in elements:
        assert len(set(values)) == len(values)
        assert not seen & set(values)
        seen |= set(values)


def chi_square_critical(df: int, z: float) -> float:
    """Wilson-Hilferty approximation of the chi-square quantile for a standard normal quantile z."""
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


@pytest.mark.parametrize("group", ["one credential, three presentations", "another credential"])
def test_hidden_bytes_are_uniformly_distributed(presentations, group):
    same, other = presentations
    chosen = same if group.startswith("one") else other + same[:1]
    # The first byte of each element carries encoding flags (points) or is bounded by r (scalars): skip it.
    data = b"".join(e[1:] for p in chosen for e in hidden_elements(p))
    assert len(data) > 4000
    counts = Counter(data)
    expected = len(data) / 256
    chi2 = sum((counts.get(b, 0) - expected) ** 2 / expected for b in range(256))
    # p = 1e-6 upper quantile (z = 4.75) for 255 degrees of freedom: about 377
    assert chi2 < chi_square_critical(255, 4.75)
    ones = sum(bin(b).count("1") for b in data)
    assert abs(ones / (8 * len(data)) - 0.5) < 5 * math.sqrt(0.25 / (8 * len(data)))


def test_the_range_bit_lengths_do_not_depend_on_the_hidden_value(presentations):
    # the proof length follows from the request and the schema bounds, never from the value
    same, other = presentations
    lengths = {len(item["proof"]) for p in same + other for item in p["predicates"]}
    assert lengths == {len(b64url(bytes(proof_length(16, 1))))} == {1195}


# --- revocable credentials across an epoch change ---------------------------------------------------------
@pytest.fixture(scope="module")
def across_epochs():
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


def hidden_with_membership(item: dict) -> list[bytes]:
    proof = from_b64url(item["revocation"]["proof"], "proof")
    return [*hidden_elements(item), proof[:48], proof[48:96], proof[96:]]


def test_only_the_epoch_differs_across_an_epoch_change_and_not_across_credentials(across_epochs):
    before, after, other = across_epochs
    for field in PUBLIC_FIELDS:
        assert len({repr(p[field]) for p in before + after + other}) == 1, field
    assert {p["revocation"]["epoch"] for p in before} == {0}
    assert {p["revocation"]["epoch"] for p in after + other} == {1}
    assert len({tuple(sorted(p)) for p in before + after + other}) == 1
    assert len({len(p["proof"]) for p in before + after + other}) == 1


def test_no_hidden_value_repeats_across_epochs_or_credentials(across_epochs):
    seen: set[bytes] = set()
    for item in [p for group in across_epochs for p in group]:
        values = hidden_with_membership(item)
        assert len(set(values)) == len(values)
        assert not seen & set(values)
        seen |= set(values)


@pytest.mark.parametrize("pair", ["one credential, before and after", "two credentials, same epoch"])
def test_hidden_bytes_across_epochs_are_uniformly_distributed(across_epochs, pair):
    before, after, other = across_epochs
    chosen = before[:1] + after[:1] if pair.startswith("one") else after[:1] + other[:1]
    data = b"".join(e[1:] for p in chosen for e in hidden_with_membership(p))
    assert len(data) > 2000
    counts = Counter(data)
    expected = len(data) / 256
    chi2 = sum((counts.get(b, 0) - expected) ** 2 / expected for b in range(256))
    assert chi2 < chi_square_critical(255, 4.75)
    ones = sum(bin(b).count("1") for b in data)
    assert abs(ones / (8 * len(data)) - 0.5) < 5 * math.sqrt(0.25 / (8 * len(data)))
