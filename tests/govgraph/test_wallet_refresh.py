"""`govgraph wallet refresh` against an issuer served over real HTTP (a small ASGI app whose answers each test
sets): honest epochs update the witness, a revoked credential is named and left showing the truth, and a
hostile or broken issuer (another accumulator key, no revocation metadata, malformed or tampered update data)
is refused with a plain WalletError and the wallet file left as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from govgraph.wallet.revocation import refresh, revoked
from govgraph.wallet.store import Wallet, WalletError, load, save
from govgraph.wallet.transport import Http
from tests.support.servers import UvicornThread
from tests.zk.revocation import Registry
from zk.accumulator import AccumulatorKey, UpdateData
from zk.wire import b64url


class Issuer:
    """What the fake issuer answers: its metadata's revocation entry and the update pages."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.public_key = registry.key.public_key
        self.listed = True
        self.pages: list | None = None
        self.url = ""

    def metadata(self) -> dict:
        entry: dict = {"format": "govgraph_bbs"}
        if self.listed:
            entry["revocation"] = {
                "accumulator_public_key": b64url(self.public_key),
                "updates_endpoint": self.url + "/updates",
            }
        return {
            "credential_issuer": self.url,
            "credential_configurations_supported": {"benefit-eligibility": entry},
        }

    def updates(self, since: int) -> object:
        if self.pages is not None:
            return self.pages
        updates = [u.to_json() for u in self.registry.updates[since:]]
        return {
            "configuration": "benefit-eligibility",
            "latest": len(self.registry.updates),
            "updates": updates,
        }


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    state = Issuer(Registry())

    async def metadata(_request: Request) -> JSONResponse:
        return JSONResponse(state.metadata())

    async def updates(request: Request) -> JSONResponse:
        return JSONResponse(state.updates(int(request.query_params["since"])))

    app = Starlette(
        routes=[
            Route("/.well-known/openid-credential-issuer", metadata),
            Route("/updates", updates),
        ]
    )
    server = UvicornThread(app).start()
    state.url = server.url
    try:
        yield state
    finally:
        server.stop()


def wallet_with(path: Path, *held) -> bytes:
    save(path, Wallet(credentials=list(held)))
    return path.read_bytes()


def test_honest_epochs_update_the_witness_and_a_revoked_credential_is_named(issuer, tmp_path):
    registry = issuer.registry
    kept, gone = registry.holder(), registry.holder(name="Grace Hopper")
    path = tmp_path / "wallet.json"
    wallet_with(path, kept, gone)
    registry.revoke(gone, others=2)
    registry.revoke(registry.holder(name="Someone"))
    with Http() as http:
        lines = [item.line() for item in refresh(path, issuer.url, http)]
    assert [line.split(": ", 1)[1] for line in lines] == [
        "epoch 0 -> 2",
        "revoked by the issuer in epoch 1",
    ]
    after = load(path).credentials
    assert [c.credential.revocation.witness.epoch for c in after] == [2, 2]
    assert [revoked(c) for c in after] == [False, True]
    with Http() as http:
        assert [item.line().split(": ", 1)[1] for item in refresh(path, issuer.url, http)][0] == (
            "up to date (epoch 2)"
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unlisted", "the issuer publishes no revocation epochs for benefit-eligibility"),
        ("other key", "the issuer's accumulator key for benefit-eligibility is not the credential's"),
        ("not an object", "the issuer's updates answer is not an object with a list of updates"),
        (
            "malformed",
            "the issuer sent update data that is not well formed: govgraph.accumulator.Update fields wrong",
        ),
        (
            "tampered",
            "the issuer's update data does not apply: the update data does not give a valid witness",
        ),
    ],
)
def test_a_hostile_issuer_is_refused_and_the_wallet_is_unchanged(issuer, tmp_path, change, message):
    registry = issuer.registry
    path = tmp_path / "wallet.json"
    before = wallet_with(path, registry.holder())
    registry.revoke(registry.holder(name="Someone"), others=1)
    update = registry.updates[-1]
    if change == "unlisted":
        issuer.listed = False
    elif change == "other key":
        issuer.public_key = AccumulatorKey.generate(b"another issuer").public_key
    elif change == "not an object":
        issuer.pages = [update.to_json()]
    elif change == "malformed":
        issuer.pages = {"latest": 1, "updates": [{"type": "x", "version": 1}]}
    else:
        swapped = UpdateData(update.epoch, update.accumulator, update.coefficients, update.omega[::-1])
        issuer.pages = {"latest": 1, "updates": [swapped.to_json()]}
    with Http() as http, pytest.raises(WalletError) as refused:
        refresh(path, issuer.url, http)
    assert str(refused.value).startswith(message)
    assert path.read_bytes() == before
