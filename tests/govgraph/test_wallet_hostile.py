"""The wallet under hostile input (issue 23): its file loader, its operations on offers, credentials and
presentation requests from outside, and the `govgraph wallet` commands reading such files only ever end in a
WalletError / ZkError (the CLI: exit code 1 and one escaped line); text from issuers and verifiers is shown
with its control characters escaped."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from govgraph import wallet
from govgraph.cli import app
from tests.zk.credentials import benefit_schema
from tests.zk.hostile import hostile_documents
from zk.credential import (
    Attribute,
    CredentialRequest,
    IssuerKey,
    Predicate,
    Schema,
    issue_credential,
    make_offer,
    make_presentation_request,
)
from zk.errors import ZkError
from zk.wire import MAX_MESSAGE_BYTES, canonical_json, parse_json

HOSTILE = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
CLI = settings(HOSTILE, max_examples=60)
TODAY = dt.date(2026, 11, 21)
ATTRIBUTES = {
    "name": "Ada Lovelace",
    "birth_date": dt.date(1990, 5, 17),
    "district": "north",
    "income": 21_000,
    "expires": dt.date(2027, 6, 30),
}


@pytest.fixture(scope="module")
def issuer() -> IssuerKey:
    return IssuerKey.generate(b"hostile wallet test issuer key...")


@pytest.fixture(scope="module")
def schema() -> Schema:
    return benefit_schema(("north", "south"))


def issue_into(path: Path, issuer: IssuerKey, schema: Schema, attributes: dict) -> str:
    offer = make_offer(issuer, schema)
    request = CredentialRequest.from_json(
        parse_json(wallet.request(path, canonical_json(offer.to_json())), "r")
    )
    credential = issue_credential(issuer, offer, request, attributes)
    return wallet.store(path, canonical_json(credential.to_json()))


@pytest.fixture(scope="module")
def documents(tmp_path_factory, issuer, schema) -> dict:
    """A wallet file holding a credential and a pending request, and one message of each kind it reads."""
    path = tmp_path_factory.mktemp("wallet") / "wallet.json"
    issue_into(path, issuer, schema, ATTRIBUTES)
    wallet.request(path, canonical_json(make_offer(issuer, schema).to_json()))
    offer = make_offer(issuer, schema)
    request = CredentialRequest.from_json(
        parse_json(wallet.request(path, canonical_json(offer.to_json())), "r")
    )
    ask = make_presentation_request(
        schema, [issuer.key_id], TODAY, disclose=["district"], predicates=[Predicate("income", "<", 30_000)]
    )
    return {
        "path": path,
        "wallet": parse_json(path.read_bytes(), "wallet"),
        "offer": offer.to_json(),
        "credential": issue_credential(issuer, offer, request, ATTRIBUTES).to_json(),
        "ask": ask.to_json(),
    }


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    os.chmod(path, 0o600)
    return path


def refused_or_done(operation, *args) -> None:
    """The operation returns, or raises WalletError / ZkError: nothing else."""
    try:
        operation(*args)
    except (wallet.WalletError, ZkError):
        pass


# --- the library --------------------------------------------------------------------------------------------
def test_the_wallet_file_loader_refuses_hostile_files_with_a_wallet_error(tmp_path, documents):
    @HOSTILE
    @given(data=hostile_documents(documents["wallet"]))
    def check(data: bytes) -> None:
        refused_or_done(wallet.load, write(tmp_path / "wallet.json", data))

    check()


@pytest.mark.parametrize(
    ("operation", "kind"),
    [(wallet.request, "offer"), (wallet.store, "credential"), (wallet.plan, "ask"), (wallet.present, "ask")],
    ids=["request", "store", "plan", "present"],
)
def test_wallet_operations_refuse_hostile_messages_with_typed_errors(tmp_path, documents, operation, kind):
    path = write(tmp_path / "wallet.json", documents["path"].read_bytes())

    @HOSTILE
    @given(data=hostile_documents(documents[kind]))
    def check(data: bytes) -> None:
        refused_or_done(operation, path, data)

    check()


# --- the CLI ------------------------------------------------------------------------------------------------
def assert_clean_exit(result) -> None:
    """Exit 0, or exit 1 with `govgraph wallet: <reason>` (its lines printable) and no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        assert result.stderr.startswith("govgraph wallet: ")
        assert all(line.isprintable() for line in result.stderr.splitlines())


@pytest.mark.parametrize(
    ("command", "kind"),
    [("request", "offer"), ("store", "credential"), ("present", "ask"), ("list", "wallet")],
)
def test_wallet_commands_end_cleanly_on_hostile_files(tmp_path, documents, command, kind):
    runner = CliRunner()
    path = write(tmp_path / "wallet.json", documents["path"].read_bytes())
    env = {"GOVGRAPH_WALLET": str(path), "GOVGRAPH_DATA": str(tmp_path)}

    @CLI
    @given(data=hostile_documents(documents[kind]))
    def check(data: bytes) -> None:
        if command == "list":
            write(path, data)
            args = ["wallet", "list"]
        else:
            args = ["wallet", command, str(write(tmp_path / "message.json", data))]
            if command == "present":
                args += ["-o", str(tmp_path / "presentation.json")]
        assert_clean_exit(runner.invoke(app, args, env=env))

    check()


def test_a_message_file_past_the_wire_limit_is_refused_in_one_line(tmp_path):
    big = write(tmp_path / "offer.json", b" " * (2 * MAX_MESSAGE_BYTES))
    result = CliRunner().invoke(app, ["wallet", "request", str(big), "--wallet", str(tmp_path / "w.json")])
    assert result.exit_code == 1
    assert result.stderr == (
        f"govgraph wallet: not a valid credential offer: credential offer is larger than "
        f"{MAX_MESSAGE_BYTES} bytes\n"
    )
    assert not (tmp_path / "w.json").exists()


def test_a_wallet_file_past_the_limit_is_refused_without_reading_it_whole(tmp_path):
    path = write(tmp_path / "wallet.json", b" " * (2 * MAX_MESSAGE_BYTES))
    with pytest.raises(wallet.WalletError, match=f"wallet is larger than {MAX_MESSAGE_BYTES} bytes$"):
        wallet.load(path)


def test_a_4301_digit_integer_in_the_wallet_file_is_one_line(tmp_path, documents):
    path = write(tmp_path / "wallet.json", b'{"version": ' + b"9" * 4301 + b"}")
    result = CliRunner().invoke(app, ["wallet", "list", "--wallet", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"govgraph wallet: {path} is not a valid wallet file: "
        "wallet holds an integer longer than 4300 digits\n"
    )


# --- text from issuers and verifiers is shown escaped ------------------------------------------------------
CLEAR = "\x1b[2J\x1b[H"


@pytest.fixture
def spoofing_wallet(tmp_path, issuer):
    """A wallet holding a credential whose schema name, strings and enum values carry terminal escapes."""
    schema = Schema.create(
        CLEAR + "benefit",
        [
            Attribute("name", "string"),
            Attribute("district", "enum", values=("north\x1b[31m", "south")),
            Attribute("residence", "string"),
        ],
    )
    path = tmp_path / "wallet.json"
    attributes = {
        "name": "Ada\x1b[8m",
        "district": "north\x1b[31m",
        "residence": "Paris\x1b]0;pwned\x07",
        "expires": dt.date(2027, 6, 30),
    }
    cid = issue_into(path, issuer, schema, attributes)
    return path, schema, cid


def test_wallet_list_escapes_control_characters(spoofing_wallet, issuer):
    path, _, cid = spoofing_wallet
    result = CliRunner().invoke(app, ["wallet", "list", "--wallet", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{cid}  \\x1b[2J\\x1b[Hbenefit  issuer {issuer.key_id}  expires 2027-06-30\n"
        "    name=Ada\\x1b[8m, district=north\\x1b[31m, residence=Paris\\x1b]0;pwned\\x07,"
        " expires=2027-06-30\n"
    )


def test_wallet_present_escapes_the_request_and_the_credential_text(tmp_path, spoofing_wallet, issuer):
    path, schema, cid = spoofing_wallet
    ask = make_presentation_request(
        schema,
        [issuer.key_id],
        TODAY,
        disclose=["name", "district"],
        predicates=[Predicate("residence", "!=", CLEAR + "elsewhere")],
        context="ctx\x1b[8m",
    )
    request = write(tmp_path / "ask.json", canonical_json(ask.to_json()))
    output = tmp_path / "presentation.json"
    result = CliRunner().invoke(
        app, ["wallet", "present", str(request), "-o", str(output), "--wallet", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"credential {cid}",
        "discloses name = Ada\\x1b[8m",
        "discloses district = north\\x1b[31m",
        "proves expires >= 2026-11-21 (value not revealed)",
        "proves residence != \\x1b[2J\\x1b[Helsewhere (value not revealed)",
        "shows the pseudonym for context 'ctx\\x1b[8m' (the same every time for this context)",
        f"wrote {output}",
    ]


def test_wallet_refusals_escape_control_characters(tmp_path, spoofing_wallet, issuer, schema):
    path, _, cid = spoofing_wallet
    other = make_presentation_request(schema, [issuer.key_id], TODAY, disclose=["district"])
    request = write(tmp_path / "ask.json", canonical_json(other.to_json()))
    runner = CliRunner()
    result = runner.invoke(app, ["wallet", "present", str(request), "--wallet", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        "govgraph wallet: no credential in this wallet can answer the request\n"
        f"  {cid}: another schema (\\x1b[2J\\x1b[Hbenefit)\n"
    )
    chosen = runner.invoke(
        app, ["wallet", "present", str(request), "--wallet", str(path), "--credential", CLEAR]
    )
    assert chosen.exit_code == 1
    assert chosen.stderr == "govgraph wallet: no credential \\x1b[2J\\x1b[H in this wallet\n"
