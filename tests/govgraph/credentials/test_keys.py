"""The issuer's key files: created owner-only, read back the same, rotated with the old keys kept, refused
when others can read them or when a key does not match its id; and the c_nonce-bound proof of possession."""

from __future__ import annotations

import json

import pytest

from govgraph.credentials.configurations import CITIZEN
from govgraph.credentials.keys import IssuerKeys, KeyFileError
from govgraph.credentials.possession import prove_possession, verify_possession
from zk import credential as zkc
from zk.wire import b64url


def test_keys_are_created_0600_and_rotation_keeps_the_old_ones(tmp_path) -> None:
    keys = IssuerKeys(tmp_path / "keys")
    first = keys.load_or_create(CITIZEN.id)
    path = keys.path(CITIZEN.id)
    assert path.name == "govgraph.identity.citizen_v1.json"
    assert (path.stat().st_mode & 0o777, (tmp_path / "keys").stat().st_mode & 0o777) == (0o600, 0o700)
    assert keys.load_or_create(CITIZEN.id) == first
    rotated = keys.rotate(CITIZEN.id)
    assert [k.kid for k in rotated.keys[1:]] == [first.keys[0].kid]
    assert rotated.current != first.current
    assert set(rotated.public_keys()) == {rotated.keys[0].kid, first.keys[0].kid}
    assert keys.load_or_create(CITIZEN.id) == rotated
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_key_file_others_can_read_or_that_lies_is_refused(tmp_path) -> None:
    keys = IssuerKeys(tmp_path)
    keys.load_or_create(CITIZEN.id)
    path = keys.path(CITIZEN.id)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="is readable by others"):
        keys.load_or_create(CITIZEN.id)
    path.chmod(0o600)
    document = json.loads(path.read_text())
    other = zkc.IssuerKey.generate()
    document["keys"][0]["secret_key"] = b64url(other.secret_key)
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError, match="a key's secret key does not belong to its public key"):
        keys.load_or_create(CITIZEN.id)


def test_the_proof_of_possession_binds_the_commitment_to_the_issuer_and_the_nonce() -> None:
    issuer = zkc.IssuerKey.generate()
    request, pending = zkc.request_credential(zkc.make_offer(issuer, CITIZEN.schema))
    other, _ = zkc.request_credential(zkc.make_offer(issuer, CITIZEN.schema))
    proof = prove_possession(pending, "https://id.example", "nonce-1")
    assert verify_possession(request.commitment, proof, "https://id.example", "nonce-1")
    assert not verify_possession(request.commitment, proof, "https://id.example", "nonce-2")
    assert not verify_possession(request.commitment, proof, "https://evil.example", "nonce-1")
    assert not verify_possession(other.commitment, proof, "https://id.example", "nonce-1")
    assert not verify_possession(
        request.commitment, proof[:-1] + bytes([proof[-1] ^ 1]), "https://id.example", "nonce-1"
    )
    assert not verify_possession(b"", b"", "https://id.example", "nonce-1")
