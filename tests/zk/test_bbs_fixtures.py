"""BBS BLS12-381-SHA-256: every fixture of the draft (../shared/vectors/bbs) reproduces byte for byte, on both
backends; every valid/invalid expectation holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import VECTORS_DIR
from tests.zk.conftest import case_files, load_json, unhex
from zk.bbs import BLS12_381_SHA_256, Ciphersuite
from zk.curve import Backend

FIXTURES = "bbs/bls12-381-sha-256"  # read through the `fixtures` fixture (tests/zk/conftest.py)
SIGNATURE_FILES = case_files(FIXTURES, "signature")
PROOF_FILES = case_files(FIXTURES, "proof")


@pytest.fixture
def suite(backend: Backend) -> Ciphersuite:
    return BLS12_381_SHA_256.with_backend(backend)


def test_the_fixture_folder_has_every_case(fixtures: Path) -> None:
    assert fixtures == VECTORS_DIR / FIXTURES
    assert len(SIGNATURE_FILES) == 10 and len(PROOF_FILES) == 15


def test_api_id_is_the_ciphersuite_id_with_the_h2g_hm2s_suffix() -> None:
    assert BLS12_381_SHA_256.ciphersuite_id == b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_"
    assert BLS12_381_SHA_256.api_id == b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_H2G_HM2S_"


def test_keygen_and_sk_to_pk_reproduce_the_keypair(suite: Ciphersuite, fixtures: Path) -> None:
    case = load_json(fixtures / "keypair.json")
    # The fixture's key_dst is api_id || "KEYGEN_DST_" (see the vectors' README), passed explicitly.
    assert unhex(case["keyDst"]) == suite.api_id + b"KEYGEN_DST_"
    sk = suite.keygen(unhex(case["keyMaterial"]), unhex(case["keyInfo"]), unhex(case["keyDst"]))
    assert sk.hex() == case["keyPair"]["secretKey"]
    assert suite.sk_to_pk(sk).hex() == case["keyPair"]["publicKey"]


def test_keygen_default_dst_is_the_ciphersuite_id_one(suite: Ciphersuite, fixtures: Path) -> None:
    case = load_json(fixtures / "keypair.json")
    material, info = unhex(case["keyMaterial"]), unhex(case["keyInfo"])
    assert suite.keygen(material, info) == suite.keygen(material, info, suite.ciphersuite_id + b"KEYGEN_DST_")
    assert suite.keygen(material, info).hex() != case["keyPair"]["secretKey"]


def test_p1_and_create_generators_reproduce_the_generators(suite: Ciphersuite, fixtures: Path) -> None:
    case = load_json(fixtures / "generators.json")
    curve = suite.backend
    assert curve.g1_compress(suite.P1).hex() == case["P1"]
    generators = suite.create_generators(11)
    assert curve.g1_compress(generators[0]).hex() == case["Q1"]
    assert [curve.g1_compress(h).hex() for h in generators[1:]] == case["MsgGenerators"]
    # A shorter request is a prefix of the cached list.
    assert suite.create_generators(3) == generators[:3]


def test_messages_to_scalars_reproduces_map_message_to_scalar_as_hash(
    suite: Ciphersuite, fixtures: Path
) -> None:
    case = load_json(fixtures / "MapMessageToScalarAsHash.json")
    assert unhex(case["dst"]) == suite.api_id + b"MAP_MSG_TO_SCALAR_AS_HASH_"
    assert len(case["cases"]) == 10
    scalars = suite.messages_to_scalars([unhex(c["message"]) for c in case["cases"]])
    assert [s.to_bytes(32, "big").hex() for s in scalars] == [c["scalar"] for c in case["cases"]]


def test_hash_to_scalar_reproduces_h2s(suite: Ciphersuite, fixtures: Path) -> None:
    case = load_json(fixtures / "h2s.json")
    assert unhex(case["dst"]) == suite.api_id + b"H2S_"
    assert (
        suite.hash_to_scalar(unhex(case["message"]), unhex(case["dst"])).to_bytes(32, "big").hex()
        == case["scalar"]
    )
    assert suite.hash_to_scalar(unhex(case["message"])).to_bytes(32, "big").hex() == case["scalar"]


def test_mocked_random_scalars_reproduce_mocked_rng(suite: Ciphersuite, fixtures: Path) -> None:
    case = load_json(fixtures / "mockedRng.json")
    assert unhex(case["seed"]) == b"3.141592653589793238462643383279"
    assert unhex(case["dst"]) == suite.api_id + b"MOCK_RANDOM_SCALARS_DST_"
    scalars = suite.mocked_random_scalars(case["count"])
    assert [s.to_bytes(32, "big").hex() for s in scalars] == case["mockedScalars"]
    # count goes into expand_message: the first 5 of count 10 are not the scalars of count 5.
    assert suite.mocked_random_scalars(5) != scalars[:5]


@pytest.mark.parametrize("name", SIGNATURE_FILES)
def test_signature_fixture(suite: Ciphersuite, fixtures: Path, name: str) -> None:
    case = load_json(fixtures / "signature" / name)
    pk, sk = unhex(case["signerKeyPair"]["publicKey"]), unhex(case["signerKeyPair"]["secretKey"])
    header, messages = unhex(case["header"]), [unhex(m) for m in case["messages"]]
    signature = unhex(case["signature"])
    assert suite.verify(pk, signature, header, messages) is case["result"]["valid"]
    if case["result"]["valid"]:
        assert suite.sign(sk, pk, header, messages).hex() == case["signature"]


@pytest.mark.parametrize("name", PROOF_FILES)
def test_proof_fixture(suite: Ciphersuite, fixtures: Path, name: str) -> None:
    case = load_json(fixtures / "proof" / name)
    pk, signature = unhex(case["signerPublicKey"]), unhex(case["signature"])
    header, ph = unhex(case["header"]), unhex(case["presentationHeader"])
    messages = [unhex(m) for m in case["messages"]]
    indexes = case["disclosedIndexes"]
    disclosed = [messages[i] for i in indexes]
    assert (
        suite.proof_verify(pk, unhex(case["proof"]), header, ph, disclosed, indexes)
        is case["result"]["valid"]
    )
    if case["result"]["valid"]:
        trace = case["trace"]["random_scalars"]
        mocked = suite.mocked_random_scalars(5 + len(messages) - len(indexes))
        assert [s.to_bytes(32, "big").hex() for s in mocked] == [
            trace["r1"],
            trace["r2"],
            trace["e_tilde"],
            trace["r1_tilde"],
            trace["r3_tilde"],
            *trace["m_tilde_scalars"],
        ]
        proof = suite.proof_gen(
            pk, signature, header, ph, messages, indexes, random_scalars=suite.mocked_random_scalars
        )
        assert proof.hex() == case["proof"]


def test_proof010_has_the_unsorted_duplicated_index_list(fixtures: Path) -> None:
    # The README's pitfall: the verifier is handed [4, 2, 4, 6] and must say INVALID, not crash.
    case = load_json(fixtures / "proof" / "proof010.json")
    assert case["disclosedIndexes"] == [4, 2, 4, 6] and case["result"]["valid"] is False
