"""Receipts as documents: made from storage, checked offline, and refused cleanly when malformed."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.ledger.log import Log
from govgraph.ledger.receipt import Receipt, ReceiptError, make_receipt, verify_receipt
from zk.json_input import load_json


async def test_a_receipt_round_trips_through_json_and_verifies(log: Log, log_signer):
    await log.append_many([f"deed {i}".encode() for i in range(21)])
    await log.integrate()
    receipt = await make_receipt(log, 13)
    again = Receipt.from_document(load_json(receipt.to_json(), strict=True))
    assert again == receipt
    assert (again.index, again.tree_size, again.entry, len(again.inclusion_proof)) == (13, 21, b"deed 13", 5)
    assert verify_receipt(again, log_signer.vkey).ok


async def test_a_receipt_moved_to_another_index_or_size_fails(log: Log, log_signer):
    await log.append_many([f"deed {i}".encode() for i in range(21)])
    await log.integrate()
    receipt = await make_receipt(log, 13)
    moved = Receipt(
        receipt.origin, 12, receipt.entry, receipt.tree_size, receipt.inclusion_proof, receipt.checkpoint
    )
    assert not verify_receipt(moved, log_signer.vkey).ok
    resized = Receipt(receipt.origin, 13, receipt.entry, 20, receipt.inclusion_proof, receipt.checkpoint)
    verdict = verify_receipt(resized, log_signer.vkey)
    assert not verdict.ok
    assert "FAIL  The receipt's tree size 20 is not the checkpoint's size 21." in verdict.report()
    assert not verify_receipt(receipt, "not a key").ok


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.none() | st.integers() | st.text(max_size=20) | st.lists(st.integers(), max_size=3),
        st.dictionaries(
            st.sampled_from(
                ["format", "origin", "index", "entry", "tree_size", "inclusion_proof", "checkpoint"]
            ),
            st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=20), st.lists(st.text(max_size=8))),
        ).map(lambda d: {"format": "govgraph-receipt/v1", **d}),
    )
)
def test_malformed_receipts_raise_receipt_error(document):
    try:
        receipt = Receipt.from_document(document)
    except ReceiptError:
        return
    assert receipt.index >= 0 and receipt.tree_size >= 0
    assert isinstance(base64.b64encode(receipt.entry), bytes)
