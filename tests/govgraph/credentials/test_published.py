"""A verifier in another process than the issuer trusts what the issuer's metadata publishes: decoded
strictly (another issuer, a key id that is not its key's, a key of the wrong length are refused; no other
exception for any input), the keys and accumulators the issuer holds, and the revocation epochs it accepts
are the issuer's own, read from the shared database with no secret (a real SQLite file, a real issuer, a
real HTTP server for the fetch)."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from govgraph import db
from govgraph.credentials.configurations import CITIZEN_V1, REVOCABLE_CITIZEN_V1
from govgraph.credentials.issuer import METADATA_PATH
from govgraph.credentials.published import PublishedIssuer, PublishedRevocation, published_configurations
from govgraph.credentials.service import CredentialServices, start_credentials
from tests.support.servers import UvicornThread
from zk.accumulator import new_handle
from zk.errors import MalformedInput
from zk.wire import b64url

ISSUER = "https://issuer.example"
WANTED = (CITIZEN_V1, REVOCABLE_CITIZEN_V1)


@pytest.fixture
async def issuer(tmp_path: Path) -> AsyncIterator[CredentialServices]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'credentials.db'}")
    services = await start_credentials(
        engine,
        base_url=ISSUER,
        data_dir=tmp_path,
        registry=None,
        verify_workers=0,  # type: ignore[arg-type]
    )
    try:
        yield services
    finally:
        services.close()
        await engine.dispose()


def document(services: CredentialServices) -> bytes:
    assert services.issuer is not None
    return json.dumps(services.issuer.metadata()).encode()


async def test_the_published_keys_and_accumulators_are_the_issuers(issuer: CredentialServices):
    published = published_configurations(document(issuer), ISSUER, WANTED)
    assert set(published) == set(WANTED)
    assert issuer.issuer is not None and issuer.revocation is not None
    for name in WANTED:
        assert dict(published[name].keys) == issuer.issuer.key_sets[name].public_keys()
    assert (published[CITIZEN_V1].accumulator_key, published[CITIZEN_V1].initial_accumulator) == (None, None)
    revocable = published[REVOCABLE_CITIZEN_V1]
    assert revocable.accumulator_key == issuer.revocation.public_key(REVOCABLE_CITIZEN_V1)
    stored = issuer.revocation.accumulators[REVOCABLE_CITIZEN_V1].initial
    assert revocable.initial_accumulator == stored.value


async def test_the_verifier_elsewhere_accepts_the_issuers_epochs(issuer: CredentialServices):
    registry = issuer.revocation
    assert registry is not None
    elsewhere = PublishedIssuer(ISSUER, WANTED)
    elsewhere.configurations = published_configurations(document(issuer), ISSUER, WANTED)
    view = PublishedRevocation(registry.engine, elsewhere, grace=registry.grace)
    assert (view.revocable(REVOCABLE_CITIZEN_V1), view.revocable(CITIZEN_V1)) == (True, False)
    assert await view.accepted(REVOCABLE_CITIZEN_V1) == await registry.accepted(REVOCABLE_CITIZEN_V1)
    async with registry.engine.begin() as connection:  # one credential issued, then revoked: epoch 1
        await registry.record_handle(connection, REVOCABLE_CITIZEN_V1, "cit-1", new_handle())
        await registry.revoke(connection, REVOCABLE_CITIZEN_V1, "cit-1", 7)
    accepted = await view.accepted(REVOCABLE_CITIZEN_V1)
    assert accepted == await registry.accepted(REVOCABLE_CITIZEN_V1)
    assert set(accepted.values) == {0, 1}


async def test_the_metadata_is_fetched_over_http_and_a_failure_is_kept_until_it_comes(
    issuer: CredentialServices,
):
    metadata = json.loads(document(issuer))
    served = UvicornThread(
        Starlette(routes=[Route(METADATA_PATH, lambda _request: JSONResponse(metadata))])
    ).start()
    try:
        metadata["credential_issuer"] = served.url  # what that issuer calls itself
        fetcher = PublishedIssuer(served.url + "/", WANTED)
        assert (fetcher.failure, fetcher.keys(CITIZEN_V1)) == ("not fetched yet", {})
        await fetcher.fetch()
        assert fetcher.failure is None
        assert issuer.issuer is not None
        assert dict(fetcher.keys(CITIZEN_V1)) == issuer.issuer.key_sets[CITIZEN_V1].public_keys()
        metadata["credential_issuer"] = "https://impostor.example"
        await fetcher.fetch()  # refused: the keys trusted so far stay
        assert fetcher.failure == "MalformedInput" and fetcher.keys(CITIZEN_V1)
    finally:
        served.stop()
    await fetcher.fetch()
    assert fetcher.failure == "ConnectError"


async def test_metadata_that_is_not_the_issuers_is_refused(issuer: CredentialServices):
    good = json.loads(document(issuer))
    entry = ["credential_configurations_supported", CITIZEN_V1]

    def changed(path: list[str], value) -> bytes:
        bad = copy.deepcopy(good)
        target = bad
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        return json.dumps(bad).encode()

    key = good["credential_configurations_supported"][CITIZEN_V1]["issuer_keys"][0]
    cases = {
        "the metadata names another credential_issuer": changed(["credential_issuer"], "https://x.example"),
        "configuration 'govgraph.identity.citizen/v1' lists no issuer keys (1..64)": changed(
            [*entry, "issuer_keys"], []
        ),
        "an issuer key's kid is not its key's id": changed([*entry, "issuer_keys"], [{**key, "kid": "k1"}]),
        "an issuer key is not an object": changed([*entry, "issuer_keys"], ["key"]),
    }
    for message, bad in cases.items():
        with pytest.raises(MalformedInput) as refused:
            published_configurations(bad, ISSUER, WANTED)
        assert str(refused.value) == message
    short = changed([*entry, "issuer_keys"], [{**key, "public_key": b64url(b"\x01" * 95)}])
    with pytest.raises(MalformedInput, match="issuer public key"):
        published_configurations(short, ISSUER, WANTED)
    with pytest.raises(MalformedInput):
        published_configurations(b"{not json", ISSUER, WANTED)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        JSON.map(lambda value: json.dumps(value).encode()),
        st.fixed_dictionaries(
            {
                "credential_issuer": st.just(ISSUER),
                "credential_configurations_supported": st.dictionaries(
                    st.sampled_from(WANTED),
                    st.fixed_dictionaries({"issuer_keys": JSON, "revocation": JSON}),
                ),
            }
        ).map(lambda value: json.dumps(value).encode()),
    )
)
def test_any_document_is_decoded_or_refused_with_malformed_input(raw: bytes):
    try:
        published = published_configurations(raw, ISSUER, WANTED)
    except MalformedInput:
        return
    assert set(published) <= set(WANTED)
