"""The trustee's reading of the board's ballot pages (`govgraph.voting.trustee.add_board_page`): any page a
hostile board can send is either summed or refused with a TrusteeError naming the ballot, never a crash; an
honest page sums to the ciphertexts' sum."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.voting.trustee import TrusteeError, add_board_page
from zk.ballot import election_group
from zk.curve import get_backend
from zk.wire import element_to_hex

GROUP = election_group(get_backend("arkworks"))
G = GROUP.generator()
POINT = element_to_hex(GROUP, G)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 2**70) | st.floats(-2, 3) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=10,
)


def fresh() -> dict[str, list[list]]:
    return {"mayor": [[GROUP.identity(), GROUP.identity()] for _ in range(2)]}


def honest(code: str, index: int, counted: bool = True, spoiled: bool = False) -> dict:
    selection = {"ciphertext": {"alpha": POINT, "beta": POINT}, "proof": {}}
    contest = {"contest_id": "mayor", "selections": [selection, selection], "limit_proof": {}}
    ballot = {"binding": "00", "contests": [contest]}
    return {
        "trackingCode": code,
        "ledgerIndex": index,
        "ballot": ballot,
        "spoiled": spoiled,
        "counted": counted,
    }


def test_an_honest_page_is_summed_and_its_codes_listed() -> None:
    sums, counted, spoiled = fresh(), [], []
    page = [honest("a", 3), honest("b", 5, counted=False, spoiled=True), honest("c", 8)]
    assert add_board_page(GROUP, sums, page, counted, spoiled) == 8
    assert (counted, spoiled) == (["a", "c"], ["b"])
    double = GROUP.add(G, G)
    assert sums == {"mayor": [[double, double], [double, double]]}


def test_a_ballot_that_is_not_the_manifests_is_refused_by_its_code() -> None:
    short = honest("d", 4)
    short["ballot"]["contests"][0]["selections"].pop()
    other = honest("e", 6)
    other["ballot"]["contests"][0]["contest_id"] = "council"
    for bad, reason in (
        (short, "its selections do not match the manifest"),
        (other, "its contests are not the manifest's"),
    ):
        with pytest.raises(TrusteeError) as refused:
            add_board_page(GROUP, fresh(), [honest("a", 3), bad], [], [])
        code = bad["trackingCode"]
        assert (
            str(refused.value) == f"the board's ballot {code} cannot be read: refusing to decrypt ({reason})"
        )


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(
        JSON
        | st.builds(honest, st.text(max_size=4), st.integers(0, 9))
        | st.fixed_dictionaries(
            {"trackingCode": JSON, "ledgerIndex": JSON, "ballot": JSON, "spoiled": JSON, "counted": JSON}
        ),
        max_size=4,
    )
)
def test_any_page_is_summed_or_refused_never_a_crash(items: list) -> None:
    counted: list[str] = []
    spoiled: list[str] = []
    try:
        last = add_board_page(GROUP, fresh(), items, counted, spoiled)
    except TrusteeError as exc:
        assert str(exc).startswith("the board's ballot ") and "cannot be read: refusing to decrypt" in str(
            exc
        )
        return
    assert all(isinstance(item, dict) for item in items)
    assert last == (items[-1]["ledgerIndex"] if items else None)
    assert all(isinstance(code, str) for code in counted + spoiled)
