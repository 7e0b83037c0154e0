"""Checkpoints and cosignature/v1 against the Tessera test log, the C2SP examples and the sigsum-go
literal."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    CosignatureSigner,
    CosignatureVerifier,
    QuorumNotMet,
    cosignature_key_id,
    cosignature_message,
    cosignature_timestamp,
    open_checkpoint,
)
from govgraph.ledger.merkle import leaf_hash, root_hash
from govgraph.ledger.note import InvalidSignature, Signer, Verifier, sign_note

TESSERA = ("tlog", "checkpoint", "tessera-testdata-log")


@pytest.fixture(scope="module")
def tessera(vectors_dir: Path) -> tuple[Path, dict]:
    path = vectors_dir.joinpath(*TESSERA)
    return path, json.loads((path / "manifest.json").read_text())


@pytest.fixture(scope="module")
def cosig_vectors(vectors_dir: Path) -> dict:
    return json.loads((vectors_dir / "tlog" / "cosignature" / "cosignature_v1.json").read_text())


def test_every_tessera_checkpoint_verifies_resigns_identically_and_matches_its_entries(tessera):
    path, manifest = tessera
    verifier = Verifier.from_vkey(manifest["vkey"])
    signer = Signer.from_skey(manifest["skey"])
    leaves = [leaf_hash(e.encode()) for e in manifest["entries"]]
    for size in range(16):
        raw = (path / f"checkpoint.{size}").read_bytes()
        opened = open_checkpoint(raw, verifier)
        assert opened.checkpoint.size == size
        assert opened.checkpoint.origin == manifest["origin"]
        assert (
            base64.b64encode(opened.checkpoint.root_hash).decode()
            == manifest["root_hash_b64_by_size"][str(size)]
        )
        assert opened.checkpoint.root_hash == root_hash(leaves[:size])
        assert sign_note(opened.checkpoint.body(), signer) == raw
    assert (path / "checkpoint").read_bytes() == (path / "checkpoint.15").read_bytes()


def test_c2sp_checkpoint_example_parses_and_formats_back(vectors_dir: Path):
    examples = json.loads((vectors_dir / "tlog" / "note" / "c2sp_examples.json").read_text())
    case = examples["format_only"][0]
    body = case["note"].split("\n\n")[0] + "\n"
    checkpoint = Checkpoint.parse(body)
    assert checkpoint.origin == case["parsed"]["origin"]
    assert checkpoint.size == case["parsed"]["tree_size"]
    assert base64.b64encode(checkpoint.root_hash).decode() == case["parsed"]["root_hash_b64"]
    assert list(checkpoint.extensions) == case["parsed"]["extension_lines"]
    assert checkpoint.body() == body


def test_cosignature_line_layout_matches_the_c2sp_example(vectors_dir: Path):
    examples = json.loads((vectors_dir / "tlog" / "note" / "c2sp_examples.json").read_text())
    line_case, message_case = examples["format_only"][1], examples["format_only"][2]
    name, b64 = line_case["line"].removeprefix("— ").split(" ")
    raw = base64.b64decode(b64)
    assert name == line_case["parsed"]["key_name"]
    assert raw[:4].hex() == line_case["parsed"]["key_id_hex"]
    assert int.from_bytes(raw[4:12], "big") == line_case["parsed"]["timestamp"]
    assert len(raw[12:]) == line_case["parsed"]["signature_len"]
    assert (
        cosignature_message(message_case["checkpoint_body"], message_case["timestamp"])
        == message_case["expected_signed_message"].encode()
    )


def test_cosignature_message_bytes_match_sigsum(cosig_vectors):
    for case in cosig_vectors["message_construction"]:
        assert (
            cosignature_message(case["checkpoint_body"], case["timestamp"])
            == case["expected_signed_message"].encode()
        )


def test_cosignature_key_ids_use_type_0x04(vectors_dir: Path):
    keys = json.loads((vectors_dir / "tlog" / "note" / "test_keys.json").read_text())["keys"]
    for key in keys:
        signer = CosignatureSigner.from_skey(key["skey"])
        assert f"{signer.key_id:08x}" == key["cosignature_v1_key_id_hex"]
        assert CosignatureVerifier.from_vkey(key["vkey"]).key_id == signer.key_id
        assert CosignatureVerifier.from_vkey(signer.vkey).key_id == signer.key_id


def test_derived_cosignatures_are_reproduced_byte_for_byte_and_verify(cosig_vectors, tessera):
    _, manifest = tessera
    wit1, sigsum = cosig_vectors["derived_signatures"]
    signer = CosignatureSigner.from_skey(wit1["cosigner_skey"])
    assert f"{signer.key_id:08x}" == wit1["key_id_hex"]
    body = wit1["checkpoint"].split("\n\n")[0] + "\n"
    line = signer.cosign(body, wit1["timestamp"]).line
    assert line == wit1["expected_line"]
    assert wit1["checkpoint"] + line == wit1["expected_cosigned_checkpoint"]
    opened = open_checkpoint(
        wit1["expected_cosigned_checkpoint"].encode(),
        Verifier.from_vkey(manifest["vkey"]),
        witnesses=(CosignatureVerifier.from_vkey(wit1["cosigner_vkey_type1"]),),
        quorum=1,
    )
    assert opened.cosigners == ("Wit1",)
    assert cosignature_timestamp(opened.note.sigs[1]) == 1700000000

    seed = bytes.fromhex(sigsum["seed_hex"])
    name = sigsum["cosigner_name"]
    cosigner = CosignatureSigner(
        name, cosignature_key_id(name, bytes.fromhex(sigsum["public_key_hex"])), seed
    )
    assert cosigner.public_key.hex() == sigsum["public_key_hex"]
    assert f"{cosigner.key_id:08x}" == sigsum["key_id_hex"]
    assert cosigner.cosign(sigsum["checkpoint_body"], sigsum["timestamp"]).line == sigsum["expected_line"]


def test_a_tampered_cosignature_rejects_the_checkpoint_and_missing_ones_fail_the_quorum(
    cosig_vectors, tessera
):
    _, manifest = tessera
    wit1 = cosig_vectors["derived_signatures"][0]
    log = Verifier.from_vkey(manifest["vkey"])
    witness = CosignatureVerifier.from_vkey(wit1["cosigner_vkey_type1"])
    text = wit1["expected_cosigned_checkpoint"]
    # Change the timestamp bytes: the signature no longer covers the message.
    name, b64 = wit1["expected_line"].removeprefix("— ").rstrip("\n").split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[11] ^= 1
    tampered = text.replace(b64, base64.b64encode(bytes(raw)).decode())
    with pytest.raises(InvalidSignature):
        open_checkpoint(tampered.encode(), log, witnesses=(witness,), quorum=1)
    with pytest.raises(QuorumNotMet, match="0 of the required 1"):
        open_checkpoint(wit1["checkpoint"].encode(), log, witnesses=(witness,), quorum=1)
    wit2 = CosignatureVerifier.from_vkey("Wit2+85ecc407+AWVbwFJte9wMQIPSnEnj4KibeO6vSIOEDUTDp3o63c2x")
    with pytest.raises(QuorumNotMet, match="1 of the required 2"):
        open_checkpoint(text.encode(), log, witnesses=(witness, wit2), quorum=2)


@pytest.mark.parametrize(
    "body",
    [
        "origin\n10\nHA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # no final newline
        "origin\n010\nHA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # leading zero
        "origin\n-1\nHA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "origin\n10\nHA5H\n",  # short hash
        "\n10\nHA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "origin\n10\nHA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n",  # empty extension line
        "origin\n10\n",
    ],
)
def test_malformed_checkpoint_bodies_are_refused(body):
    with pytest.raises(CheckpointError):
        Checkpoint.parse(body)


def test_sumdb_tree_note_body_parses_as_a_checkpoint(vectors_dir: Path):
    formats = json.loads((vectors_dir / "tlog" / "tiles" / "sumdb_tlog_formats.json").read_text())
    note = formats["tree_note"]
    checkpoint = Checkpoint.parse(note["expected_text"])
    assert (checkpoint.origin, checkpoint.size) == ("go.sum database tree", note["tree_size"])
    assert checkpoint.root_hash == leaf_hash(note["record"].encode())
    for bad in note["invalid"][1:]:
        with pytest.raises(CheckpointError):
            Checkpoint.parse(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_parsing_arbitrary_text_raises_checkpoint_error_or_round_trips(text):
    try:
        checkpoint = Checkpoint.parse(text)
    except CheckpointError:
        return
    assert checkpoint.body() == text
