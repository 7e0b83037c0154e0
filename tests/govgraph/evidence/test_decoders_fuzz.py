"""Hypothesis fuzz of every decoder the evidence code has for outside input: receipt files, time-stamp tokens,
certificate files, TSA requests and replies, OpenTimestamps proofs. Each either reads its input or raises its
own typed error; mutated valid inputs are refused or read back to what verifies."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.evidence.authority import TimestampAuthority, load_or_create_authority
from govgraph.evidence.ots import InvalidOtsProof, read_proof
from govgraph.evidence.receipt import EvidenceReceipt, EvidenceReceiptError
from govgraph.evidence.timestampers import TimestampUnavailable, check_reply
from govgraph.evidence.timestamps import Trust, Unreadable, read_certificates, read_response, verify_timestamp

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
DIGEST = hashlib.sha256(b"exhibit").digest()


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> TimestampAuthority:
    return load_or_create_authority(tmp_path_factory.mktemp("tsa"))


@pytest.fixture(scope="module")
def token(authority: TimestampAuthority) -> bytes:
    return authority.timestamp(DIGEST, nonce=99)


def flips(data: bytes) -> st.SearchStrategy[bytes]:
    """`data` with one byte changed, cut short, or with bytes appended."""
    changed = st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)).map(
        lambda edit: data[: edit[0]] + bytes([data[edit[0]] ^ edit[1]]) + data[edit[0] + 1 :]
    )
    cut = st.integers(0, len(data) - 1).map(lambda end: data[:end])
    longer = st.binary(min_size=1, max_size=8).map(lambda tail: data + tail)
    return st.one_of(changed, cut, longer)


@FUZZ
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_are_a_token_or_unreadable(data: bytes) -> None:
    try:
        read_response(data)
    except Unreadable:
        pass


@FUZZ
@given(data=st.data())
def test_a_mutated_token_never_verifies_for_other_data_and_never_crashes(
    authority: TimestampAuthority, token: bytes, data: st.DataObject
) -> None:
    mutated = data.draw(flips(token))
    trust = Trust.of([authority.root])
    try:
        response = read_response(mutated)
        verdict = verify_timestamp(response, b"exhibit", trust)
    except Unreadable:
        return
    if verdict.valid:  # a change the signature does not cover (e.g. DER length forms the parser accepts)
        assert verdict.info is not None and verdict.info.message_imprint == DIGEST
    assert not verify_timestamp(response, b"another exhibit", trust).valid


@FUZZ
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_are_certificates_or_unreadable(data: bytes) -> None:
    try:
        read_certificates(data)
    except Unreadable:
        pass
    try:
        read_certificates(
            b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(data) + b"-----END CERTIFICATE-----\n"
        )
    except Unreadable:
        pass


@FUZZ
@given(data=st.binary(max_size=512))
def test_the_tsa_answers_any_request_with_a_response(authority: TimestampAuthority, data: bytes) -> None:
    answer = authority.answer(data)
    read_response(answer)  # always a TimeStampResp: granted, or a rejection with its failure bit


@FUZZ
@given(data=st.data())
def test_a_tsa_reply_is_checked_whatever_it_holds(token: bytes, data: st.DataObject) -> None:
    reply = data.draw(st.one_of(flips(token), st.binary(max_size=512)))
    try:
        assert check_reply(reply, DIGEST, 99) == reply
    except TimestampUnavailable:
        pass


@FUZZ
@given(data=st.binary(max_size=1024))
def test_arbitrary_bytes_are_an_ots_proof_or_invalid(data: bytes) -> None:
    try:
        read_proof(data)
    except InvalidOtsProof as exc:
        assert exc.kind


@FUZZ
@given(data=st.data())
def test_a_mutated_ots_proof_is_read_or_refused(standards_dir: Path, data: st.DataObject) -> None:
    proof = (standards_dir / "evidence" / "opentimestamps" / "merkle1.txt.ots").read_bytes()
    try:
        read_proof(data.draw(flips(proof)))
    except InvalidOtsProof as exc:
        assert exc.kind


def json_values() -> st.SearchStrategy[object]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**60), 2**60), st.text(max_size=20))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=20,
    )


@FUZZ
@given(data=st.one_of(st.binary(max_size=1024), json_values().map(lambda value: json.dumps(value).encode())))
def test_arbitrary_input_is_a_receipt_or_refused(data: bytes) -> None:
    try:
        EvidenceReceipt.from_json(data)
    except EvidenceReceiptError:
        pass


@FUZZ
@given(field=st.sampled_from(["format", "ledger", "timestamp"]), value=json_values())
def test_a_receipt_with_a_field_replaced_is_refused(token: bytes, field: str, value: object) -> None:
    document = {
        "format": "govgraph-evidence/v1",
        "ledger": {
            "format": "govgraph-receipt/v1",
            "origin": "govgraph.example/courts",
            "index": 0,
            "entry": base64.b64encode(b"{}").decode(),
            "tree_size": 1,
            "inclusion_proof": [],
            "checkpoint": "govgraph.example/courts\n1\nAAAA\n\n",
        },
        "timestamp": {"covers": "checkpoint-body", "token": base64.b64encode(token).decode()},
    }
    EvidenceReceipt.from_document(document)  # the unchanged document reads
    original = document[field]
    document[field] = value
    try:
        EvidenceReceipt.from_json(json.dumps(document))
    except EvidenceReceiptError:
        return
    assert value == original  # only the value replaced reads
