"""API keys on a real SQLite file: created with roles and shown once, only a hash stored (the database files'
bytes never hold the key), verified, revoked by name or id, listed without secrets."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from govgraph import db
from govgraph.auth.apikeys import ApiKeyStore, create_api_key_tables, metadata
from govgraph.auth.failures import AuthenticationFailed, Reason
from govgraph.auth.roles import InvalidRole
from govgraph.federation.errors import BadUserInput, Conflict, NotFound
from govgraph.federation.principal import AuthMethod, Principal

KEY = re.compile(r"gg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")


@pytest.fixture
async def store(data_dir: Path) -> AsyncIterator[ApiKeyStore]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{data_dir / 'govgraph.db'}")
    await create_api_key_tables(engine)
    yield ApiKeyStore(db.session_factory(engine))
    await engine.dispose()


async def refusal(store: ApiKeyStore, key: str) -> tuple[Reason, str]:
    with pytest.raises(AuthenticationFailed) as refused:
        await store.verify(key)
    return refused.value.reason, str(refused.value)


def test_the_table_has_its_own_metadata():
    assert sorted(metadata.tables) == ["auth_api_keys"]


async def test_a_created_key_verifies_to_its_name_and_roles(store: ApiKeyStore):
    created = await store.create("tally-bot", ["service:tally", "auditor"])
    assert KEY.fullmatch(created.key)
    assert created.key.startswith(f"gg_{created.record.id}_")
    assert created.key not in repr(created)
    record = await store.verify(created.key)
    assert (record.id, record.name, record.roles) == (
        created.record.id,
        "tally-bot",
        frozenset({"service:tally", "auditor"}),
    )
    assert record.revoked is False and record.revoked_at is None
    assert record.created_at.tzinfo is datetime.UTC
    assert record.principal() == Principal(
        "tally-bot", frozenset({"service:tally", "auditor"}), AuthMethod.API_KEY
    )


async def test_the_plaintext_key_is_never_stored(store: ApiKeyStore, data_dir: Path):
    created = await store.create("ci", ["service:ci"])
    secret = created.key.removeprefix("gg_").split("_", 1)[1]  # the id is hex; the secret may hold "_"
    stored = b"".join(path.read_bytes() for path in sorted(data_dir.glob("govgraph.db*")))
    assert len(stored) > 0
    assert created.key.encode() not in stored
    assert secret.encode() not in stored
    # What is stored instead: the SHA-256 of the key, and the public id.
    assert hashlib.sha256(created.key.encode()).hexdigest().encode() in stored
    assert created.record.id.encode() in stored


async def test_unknown_and_forged_keys_are_refused(store: ApiKeyStore):
    created = await store.create("ci", ["service:ci"])
    unknown = (Reason.API_KEY_UNKNOWN, "the API key is not known")
    key_id, secret = created.key.removeprefix("gg_").split("_", 1)  # the id is hex; the secret may hold "_"
    assert secret != secret[::-1]
    assert await refusal(store, f"gg_{key_id}_{secret[::-1]}") == unknown  # right id, wrong secret
    assert await refusal(store, "gg_0123456789abcdef_" + "A" * 43) == unknown  # no such id
    malformed = (Reason.MALFORMED, "the API key is not of the form gg_<id>_<secret>")
    for text in ("", "gg_", created.key + "x", created.key.upper(), "Bearer " + created.key, secret):
        assert await refusal(store, text) == malformed


async def test_a_revoked_key_is_refused_by_name_or_id(store: ApiKeyStore):
    first = await store.create("first", ["clerk:land"])
    second = await store.create("second", ["clerk:land"])
    revoked = await store.revoke("first")
    assert revoked.revoked is True and revoked.name == "first"
    assert await refusal(store, first.key) == (Reason.API_KEY_REVOKED, "the API key has been revoked")
    assert (await store.revoke(second.record.id)).name == "second"
    assert await refusal(store, second.key) == (Reason.API_KEY_REVOKED, "the API key has been revoked")
    # Revoking again changes nothing.
    assert (await store.revoke("first")).revoked_at == revoked.revoked_at
    with pytest.raises(NotFound) as missing:
        await store.revoke("nobody")
    assert str(missing.value) == "no API key with id or name 'nobody'"


async def test_list_shows_every_key_without_secrets(store: ApiKeyStore):
    one = await store.create("one", ["auditor"])
    two = await store.create("two", ["service:two", "trustee"])
    await store.revoke("one")
    listed = await store.list_keys()
    assert [(k.id, k.name, k.roles, k.revoked) for k in listed] == [
        (one.record.id, "one", frozenset({"auditor"}), True),
        (two.record.id, "two", frozenset({"service:two", "trustee"}), False),
    ]
    assert all(not hasattr(k, "key") and not hasattr(k, "key_hash") for k in listed)


async def test_create_refuses_bad_names_roles_and_duplicates(store: ApiKeyStore):
    await store.create("ci", ["service:ci"])
    with pytest.raises(Conflict) as duplicate:
        await store.create("ci", ["auditor"])
    assert str(duplicate.value) == "an API key named 'ci' exists already"
    await store.revoke("ci")
    with pytest.raises(Conflict):
        await store.create("ci", ["auditor"])  # names stay taken after revocation
    for name in ("", "-x", "a b", "x" * 65, "ci\n"):
        with pytest.raises(BadUserInput) as bad:
            await store.create(name, ["auditor"])
        assert str(bad.value) == (
            "an API key name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    with pytest.raises(InvalidRole, match=r"^'root' is not a role"):
        await store.create("root-bot", ["root"])
    with pytest.raises(BadUserInput) as no_role:
        await store.create("nobody", [])
    assert str(no_role.value) == "an API key needs at least one role"
    assert [k.name for k in await store.list_keys()] == ["ci"]
