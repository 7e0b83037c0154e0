"""The citizen's wallet: a 0600 file, request -> store -> list -> present through the library and the
`govgraph wallet` CLI, with the verifier accepting what the wallet writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from govgraph import wallet
from govgraph.cli import app
from tests.zk.credentials import benefit_schema, citizen, json_values, paths, replaced
from tests.zk.mutations import mutations
from zk.credential import (
    CredentialOffer,
    CredentialRequest,
    IssuerKey,
    Predicate,
    Schema,
    age_at_least,
    issue_credential,
    make_offer,
    make_presentation_request,
    request_credential,
    verify_presentation,
)
from zk.errors import MalformedInput
from zk.wire import MAX_MESSAGE_BYTES, canonical_json, parse_json

TODAY = dt.date(2026, 11, 21)
ATTRIBUTES = {
    "name": "Ada Lovelace",
    "birth_date": dt.date(1990, 5, 17),
    "district": "north",
    "income": 21_000,
    "expires": dt.date(2027, 6, 30),
}


@pytest.fixture(scope="module")
def schema() -> Schema:
    return benefit_schema(("north", "south"))


@pytest.fixture(scope="module")
def issuer() -> IssuerKey:
    return IssuerKey.generate(b"wallet test issuer key material..")


def issue_into(path: Path, issuer: IssuerKey, schema: Schema, **changes) -> str:
    """The issuer's side around the wallet's request and store; returns the stored credential id."""
    offer = make_offer(issuer, schema)
    request_bytes = wallet.request(path, canonical_json(offer.to_json()))
    request = CredentialRequest.from_json(parse_json(request_bytes, "request"))
    credential = issue_credential(issuer, offer, request, {**ATTRIBUTES, **changes})
    return wallet.store(path, canonical_json(credential.to_json()))


def benefit_request(schema: Schema, issuer: IssuerKey):
    return make_presentation_request(
        schema,
        [issuer.key_id],
        TODAY,
        disclose=["district"],
        predicates=[age_at_least(18, TODAY), Predicate("income", "<", 30_000)],
        context="benefit-2026",
    )


def test_the_wallet_file_is_created_0600_and_holds_the_credential(tmp_path, issuer, schema):
    path = tmp_path / "wallet.json"
    cid = issue_into(path, issuer, schema)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = wallet.load(path)
    assert loaded.pending == [] and len(loaded.credentials) == 1
    assert wallet.credential_id(loaded.credentials[0]) == cid and len(cid) == 12
    [summary] = wallet.list_credentials(path)
    assert summary.to_json() == {
        "id": cid,
        "schema": "benefit-eligibility",
        "issuer_key": issuer.key_id,
        "attributes": {
            "name": "Ada Lovelace",
            "birth_date": "1990-05-17",
            "district": "north",
            "income": 21000,
            "expires": "2027-06-30",
        },
        "expires": "2027-06-30",
    }
    # no temporary file left behind; the lock file holds nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wallet.json", "wallet.json.lock"]
    assert (tmp_path / "wallet.json.lock").read_bytes() == b""


def test_a_wallet_too_large_to_load_again_is_never_written(tmp_path, issuer, schema):
    # `save` used to write what `load` refuses (past ~500 credentials): every credential became unreadable.
    path = tmp_path / "wallet.json"
    issue_into(path, issuer, schema)
    before = path.read_bytes()
    held = wallet.load(path).credentials[0]
    copies = MAX_MESSAGE_BYTES // len(canonical_json(wallet.held_credential_to_json(held))) + 1
    with pytest.raises(wallet.WalletError) as refused:
        wallet.save(path, wallet.Wallet(credentials=[held] * copies))
    assert str(refused.value).startswith("the wallet would be ")
    assert str(refused.value).endswith(
        f"more than the {MAX_MESSAGE_BYTES} a wallet file may hold ({copies} credentials, "
        "0 pending requests); nothing was changed"
    )
    assert path.read_bytes() == before
    assert len(wallet.load(path).credentials) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".wallet-")] == []


def test_a_wallet_readable_by_others_is_refused(tmp_path, issuer, schema):
    path = tmp_path / "wallet.json"
    issue_into(path, issuer, schema)
    os.chmod(path, 0o644)
    with pytest.raises(wallet.WalletError, match="readable by others .*chmod 600"):
        wallet.load(path)


def test_a_corrupt_wallet_file_is_a_wallet_error(tmp_path):
    path = tmp_path / "wallet.json"
    path.write_bytes(b'{"type": "govgraph.wallet.Wallet", "version": 1, "pending": [], "credentials": [1]}')
    os.chmod(path, 0o600)
    with pytest.raises(wallet.WalletError, match="not a valid wallet file"):
        wallet.load(path)


def test_the_wallet_presents_and_the_verifier_accepts(tmp_path, issuer, schema):
    path = tmp_path / "wallet.json"
    cid = issue_into(path, issuer, schema)
    ask = benefit_request(schema, issuer)
    chosen, presentation = wallet.present(path, canonical_json(ask.to_json()))
    assert chosen.lines() == [
        f"credential {cid}",
        "discloses district = north",
        "proves expires >= 2026-11-21 (value not revealed)",
        "proves birth_date <= 2008-11-21 (value not revealed)",
        "proves income < 30000 (value not revealed)",
        "shows the pseudonym for context 'benefit-2026' (the same every time for this context)",
    ]
    result = verify_presentation(ask, presentation, {issuer.key_id: issuer.public_key})
    assert result.ok and result.disclosed == {"district": "north"}


def test_the_wallet_picks_the_credential_that_qualifies_and_explains_when_none_does(tmp_path, issuer, schema):
    path = tmp_path / "wallet.json"
    minor = issue_into(path, issuer, schema, birth_date=dt.date(2010, 1, 1))
    adult = issue_into(path, issuer, schema)
    ask = canonical_json(benefit_request(schema, issuer).to_json())
    assert wallet.plan(path, ask).credential_id == adult
    with pytest.raises(wallet.WalletError, match=f"{minor}: does not satisfy birth_date <= 2008-11-21"):
        wallet.plan(path, ask, minor)
    with pytest.raises(wallet.WalletError, match="no credential nope"):
        wallet.plan(path, ask, "nope")


def test_a_credential_without_its_pending_request_is_not_stored(tmp_path, issuer, schema):
    path = tmp_path / "wallet.json"
    offer = make_offer(issuer, schema)
    other_path = tmp_path / "other.json"
    request = CredentialRequest.from_json(
        parse_json(wallet.request(other_path, canonical_json(offer.to_json())), "request")
    )
    credential = issue_credential(issuer, offer, request, ATTRIBUTES)
    with pytest.raises(wallet.WalletError, match="no pending request"):
        wallet.store(path, canonical_json(credential.to_json()))
    with pytest.raises(wallet.WalletError, match="not a valid credential"):
        wallet.store(path, b'{"type": "govgraph.credential.Credential"}')


def test_the_cli_runs_request_store_list_present(tmp_path, issuer, schema):
    runner = CliRunner()
    env = {"GOVGRAPH_WALLET": str(tmp_path / "wallet.json"), "GOVGRAPH_DATA": str(tmp_path)}
    offer = make_offer(issuer, schema)
    (tmp_path / "offer.json").write_bytes(canonical_json(offer.to_json()))
    result = runner.invoke(
        app,
        ["wallet", "request", str(tmp_path / "offer.json"), "-o", str(tmp_path / "request.json")],
        env=env,
    )
    assert result.exit_code == 0, result.output
    request = CredentialRequest.from_json(parse_json((tmp_path / "request.json").read_bytes(), "request"))
    credential = issue_credential(issuer, CredentialOffer.from_json(offer.to_json()), request, ATTRIBUTES)
    (tmp_path / "credential.json").write_bytes(canonical_json(credential.to_json()))
    stored = runner.invoke(app, ["wallet", "store", str(tmp_path / "credential.json")], env=env)
    assert stored.exit_code == 0, stored.output
    cid = stored.stdout.strip()
    listed = runner.invoke(app, ["wallet", "list", "--json"], env=env)
    assert [c["id"] for c in json.loads(listed.stdout)] == [cid]
    text = runner.invoke(app, ["wallet", "list"], env=env).stdout
    assert text.startswith(f"{cid}  benefit-eligibility  issuer {issuer.key_id}  expires 2027-06-30\n")
    ask = benefit_request(schema, issuer)
    (tmp_path / "ask.json").write_bytes(canonical_json(ask.to_json()))
    shown = runner.invoke(
        app,
        ["wallet", "present", str(tmp_path / "ask.json"), "-o", str(tmp_path / "presentation.json")],
        env=env,
    )
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[:2] == [f"credential {cid}", "discloses district = north"]
    assert "proves income < 30000 (value not revealed)" in shown.stdout
    presentation = (tmp_path / "presentation.json").read_bytes()
    assert verify_presentation(ask, presentation, {issuer.key_id: issuer.public_key}).ok


def test_the_cli_explains_a_refusal_in_one_line(tmp_path, issuer, schema):
    path = tmp_path / "wallet.json"
    issue_into(path, issuer, schema, income=30_000)
    (tmp_path / "ask.json").write_bytes(canonical_json(benefit_request(schema, issuer).to_json()))
    result = CliRunner().invoke(
        app,
        [
            "wallet",
            "present",
            str(tmp_path / "ask.json"),
            "--wallet",
            str(path),
            "-o",
            str(tmp_path / "p.json"),
        ],
    )
    assert result.exit_code == 1
    assert "govgraph wallet: no credential in this wallet can answer the request" in result.output
    assert "does not satisfy income < 30000" in result.output
    assert not (tmp_path / "p.json").exists()


def test_concurrent_requests_do_not_lose_each_others_pending_entry(tmp_path, issuer, schema):
    import threading

    path = tmp_path / "wallet.json"
    offers = [canonical_json(make_offer(issuer, schema).to_json()) for _ in range(6)]
    threads = [threading.Thread(target=wallet.request, args=(path, offer)) for offer in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    nonces = {p.offer.nonce for p in wallet.load(path).pending}
    assert nonces == {CredentialOffer.from_json(parse_json(o, "offer")).nonce for o in offers}


# --- the file's entries: the holder's secrets, round-tripped and their decoders fuzzed --------------------
ENTRY_FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
        HealthCheck.too_slow,
    ],
)
ENTRY_CODECS = {
    "PendingRequest": (wallet.pending_request_to_json, wallet.pending_request_from_json),
    "HeldCredential": (wallet.held_credential_to_json, wallet.held_credential_from_json),
}


@pytest.fixture(scope="module")
def entries(issuer, schema) -> dict:
    _, pending = request_credential(make_offer(issuer, schema))
    return {"PendingRequest": pending, "HeldCredential": citizen(issuer, schema)}


@pytest.mark.parametrize("kind", ENTRY_CODECS)
def test_every_wallet_entry_round_trips_through_canonical_json(entries, kind):
    to_json, from_json = ENTRY_CODECS[kind]
    data = canonical_json(to_json(entries[kind]))
    decoded = from_json(parse_json(data, kind))
    assert decoded == entries[kind]
    assert canonical_json(to_json(decoded)) == data


@pytest.mark.parametrize("kind", ENTRY_CODECS)
def test_every_wallet_entry_decoder_refuses_or_round_trips_mutated_bytes(entries, kind):
    to_json, from_json = ENTRY_CODECS[kind]
    data = canonical_json(to_json(entries[kind]))

    @ENTRY_FUZZ
    @given(mutated=mutations(data))
    def check(mutated: bytes) -> None:
        try:
            decoded = from_json(parse_json(mutated, kind))
        except MalformedInput:
            return
        again = canonical_json(to_json(decoded))
        assert from_json(parse_json(again, "again")) == decoded

    check()


@pytest.mark.parametrize("kind", ENTRY_CODECS)
def test_every_wallet_entry_decoder_refuses_arbitrary_json_in_any_field(entries, kind):
    to_json, from_json = ENTRY_CODECS[kind]
    original = to_json(entries[kind])
    all_paths = list(paths(original))

    @ENTRY_FUZZ
    @given(index=st.integers(0, len(all_paths) - 1), new=json_values)
    def check(index: int, new) -> None:
        candidate = replaced(original, all_paths[index], new)
        try:
            decoded = from_json(candidate)
        except MalformedInput:
            return
        assert canonical_json(to_json(decoded)) == canonical_json(candidate)

    check()
