"""The embedded issuer: its key file (created once, owner-only, refused when others can read it), its kid
(the RFC 7638 thumbprint), what it signs, and its JWKS over HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from govgraph.auth.http import auth_routes
from govgraph.auth.issuer import MAX_TTL, EmbeddedIssuer, IssuerKeyError
from govgraph.auth.roles import InvalidRole
from govgraph.federation.errors import BadUserInput
from tests.govgraph.auth.conftest import AUDIENCE, ISSUER


def rfc7638_thumbprint(jwk: dict) -> str:
    members = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def test_the_key_is_created_once_owner_only(key_path: Path, issuer: EmbeddedIssuer):
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert key_path.parent.stat().st_mode & 0o777 == 0o700
    stored = json.loads(key_path.read_text())
    assert sorted(stored) == ["crv", "d", "kty", "x", "y"]
    assert (stored["kty"], stored["crv"]) == ("EC", "P-256")
    assert list(key_path.parent.iterdir()) == [key_path]  # no staging file left behind
    again = EmbeddedIssuer.load_or_create(key_path, issuer=ISSUER, audience=AUDIENCE)
    assert again.kid == issuer.kid
    assert key_path.read_text() == json.dumps(stored, sort_keys=True) + "\n"


def test_the_kid_is_the_rfc7638_thumbprint(key_path: Path, issuer: EmbeddedIssuer):
    assert issuer.kid == rfc7638_thumbprint(json.loads(key_path.read_text()))
    assert len(issuer.kid) == 43


def test_the_jwks_holds_only_the_public_key(issuer: EmbeddedIssuer, key_path: Path):
    stored = json.loads(key_path.read_text())
    assert issuer.jwks() == {
        "keys": [
            {
                "kty": "EC",
                "crv": "P-256",
                "x": stored["x"],
                "y": stored["y"],
                "kid": issuer.kid,
                "alg": "ES256",
                "use": "sig",
            }
        ]
    }


def test_a_key_file_others_can_read_is_refused(key_path: Path, issuer: EmbeddedIssuer):
    key_path.chmod(0o640)
    with pytest.raises(IssuerKeyError) as refused:
        EmbeddedIssuer.load_or_create(key_path, issuer=ISSUER, audience=AUDIENCE)
    assert str(refused.value) == f"{key_path} is readable by others (mode 640): chmod 600 it or remove it"


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"[]", b'{"kty": "EC"}', b'{"kty": "oct", "k": "c2VjcmV0"}'],
)
def test_a_key_file_that_is_not_a_key_is_refused(key_path: Path, content: bytes):
    key_path.parent.mkdir(parents=True)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(descriptor, content)
    os.close(descriptor)
    with pytest.raises(IssuerKeyError, match=r"is not the issuer's key: "):
        EmbeddedIssuer.load_or_create(key_path, issuer=ISSUER, audience=AUDIENCE)


def test_a_public_key_file_is_refused(key_path: Path, issuer: EmbeddedIssuer):
    public = {k: v for k, v in json.loads(key_path.read_text()).items() if k != "d"}
    key_path.write_text(json.dumps(public))
    with pytest.raises(IssuerKeyError) as refused:
        EmbeddedIssuer.load_or_create(key_path, issuer=ISSUER, audience=AUDIENCE)
    assert str(refused.value) == f"{key_path} is not a P-256 private key"


def test_processes_starting_together_share_one_key(data_dir: Path):
    path = data_dir / "race" / "issuer.jwk"
    kids: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        kids.append(EmbeddedIssuer.load_or_create(path, issuer=ISSUER, audience=AUDIENCE).kid)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kids) == 8 and len(set(kids)) == 1
    assert [p.name for p in path.parent.iterdir()] == ["issuer.jwk"]


def test_issue_checks_subject_roles_and_lifetime(issuer: EmbeddedIssuer):
    with pytest.raises(InvalidRole, match=r"^'root' is not a role"):
        issuer.issue("alice", ["root"])
    for subject in ("", "x" * 256):
        with pytest.raises(BadUserInput) as refused:
            issuer.issue(subject, ["auditor"])
        assert str(refused.value) == "the subject must be 1-255 characters"
    with pytest.raises(BadUserInput, match=r"^the subject must be printable text$"):
        issuer.issue("alice\nroles: admin", ["auditor"])
    for ttl in (0, -5, MAX_TTL + 1):
        with pytest.raises(BadUserInput) as refused:
            issuer.issue("alice", ["auditor"], ttl=ttl)
        assert str(refused.value) == f"the lifetime must be 1-{MAX_TTL} seconds"


def test_the_jwks_is_served_at_the_well_known_path(issuer: EmbeddedIssuer):
    with TestClient(Starlette(routes=auth_routes(issuer))) as client:
        response = client.get("/.well-known/jwks.json")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "public, max-age=300"
        assert response.json() == issuer.jwks()
        assert client.post("/.well-known/jwks.json").status_code == 405
