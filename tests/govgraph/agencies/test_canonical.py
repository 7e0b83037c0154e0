"""The entries' fast canonical JSON against the reference RFC 8785 encoder (zk.wire.canonical_json, rfc8785):
byte for byte on arbitrary JSON values, and refused where the reference refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.agencies.canonical import Encoded, canonical_json
from zk.errors import MalformedInput
from zk.wire import canonical_json as reference

SAFE = 2**53 - 1
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-SAFE, SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=("Cs",)))
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(alphabet=st.characters(exclude_categories=("Cs",))), children, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=600, deadline=None)
@given(VALUES)
def test_it_writes_what_the_reference_writes(value) -> None:
    assert canonical_json(value) == reference(value)


@settings(max_examples=300, deadline=None)
@given(VALUES, VALUES, st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_a_value_given_as_its_own_canonical_bytes_is_written_as_it_would_be(outer, inner, name) -> None:
    # A ballot's canonical bytes, computed once for its tracking code, go into its entry as they are.
    document = {"outer": outer, name: inner}
    spliced = {"outer": outer, name: Encoded(inner, reference(inner))}
    assert canonical_json(spliced) == reference(document)
    assert canonical_json([Encoded(inner, reference(inner))]) == reference([inner])


@pytest.mark.parametrize(
    "value",
    [
        {"a": '\x00\x1f\x7f\b\t\n\f\r"\\ é 𝄞 \u2028'},
        {"\U0001f600": 1, "\ufb01": 2, "z": 3, "": 4},  # UTF-16 order puts the emoji before U+FB01
        [1e21, 1e-7, 0.1, -0.0, 5e-324, 1.7976931348623157e308, 250.0, 123456789012345680.0],
        (SAFE, -SAFE, True, False, None),
        {
            "type": "govgraph.land.ParcelRegistered/v1",
            "area": 512.5,
            "actor": {"role": "clerk:land", "id": "x"},
        },
    ],
)
def test_edge_cases_match_the_reference(value) -> None:
    assert canonical_json(value) == reference(value)


@pytest.mark.parametrize(
    "value", [2**53, -(2**53), float("nan"), float("inf"), {1: "x"}, "\ud800", {"k": object()}, b"bytes"]
)
def test_what_the_reference_refuses_is_refused(value) -> None:
    with pytest.raises(MalformedInput):
        reference(value)
    with pytest.raises(MalformedInput, match=r"^the value cannot be written as canonical JSON \(RFC 8785\)$"):
        canonical_json(value)
