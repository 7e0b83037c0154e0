"""The ledger subgraph in the real app (in-process, real SQLite file), through its own endpoint and through
the embedded gateway at /graphql: ledgers, checkpoints with cosignatures, entries, receipts that verify with
`govgraph ledger verify-receipt`, consistency proofs that verify, entities, and exact error codes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from govgraph.agencies.registry import LEDGER
from govgraph.cli import app as cli
from govgraph.config import Settings
from govgraph.federation.context import RequestContext
from govgraph.ledger.log import Log
from govgraph.ledger.merkle import leaf_hash, root_hash, verify_consistency
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.note import Signer
from tests.govgraph.agencies.ledger.conftest import (
    IDENTITY_ENTRIES,
    LAND_ENTRIES,
    WITNESS_TIME,
    Logs,
    append_and_sign,
    run_on_database,
)

SUBGRAPH = "/subgraphs/ledger/graphql"
ENDPOINTS = [SUBGRAPH, "/graphql"]


def run(client: TestClient, url: str, query: str, variables: dict | None = None) -> dict:
    response = client.post(url, json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def errors(body: dict) -> list[tuple[str, str, list]]:
    return [(e["message"], e["extensions"]["code"], e.get("path")) for e in body["errors"]]


@pytest.fixture
def served(logs: Logs, client: TestClient) -> tuple[Logs, TestClient]:
    """The app over a database holding the two logs."""
    return logs, client


@pytest.mark.parametrize("url", ENDPOINTS)
def test_ledgers_list_every_log_with_its_latest_checkpoint(served, url: str) -> None:
    logs, client = served
    body = run(
        client,
        url,
        "{ ledgers { name origin verifierKey size checkpoint { size rootHash "
        "cosignatures { witness keyId timestamp } } } }",
    )
    witness_key_id = logs.witness_vkey.split("+")[1]
    assert body == {
        "data": {
            "ledgers": [
                {
                    "name": "identity",
                    "origin": "govgraph.example/identity",
                    "verifierKey": logs.identity_vkey,
                    "size": "3",
                    "checkpoint": {
                        "size": "3",
                        "rootHash": b64(root_hash([leaf_hash(e) for e in IDENTITY_ENTRIES])),
                        "cosignatures": [],
                    },
                },
                {
                    "name": "land",
                    "origin": "govgraph.example/land",
                    "verifierKey": logs.land_vkey,
                    "size": "7",
                    "checkpoint": {
                        "size": "7",
                        "rootHash": b64(root_hash([leaf_hash(e) for e in LAND_ENTRIES])),
                        "cosignatures": [
                            {
                                "witness": "govgraph.example/identity/witness",
                                "keyId": witness_key_id,
                                "timestamp": str(WITNESS_TIME),
                            }
                        ],
                    },
                },
            ]
        }
    }


def test_the_checkpoint_text_is_the_published_note_with_its_cosignature(served) -> None:
    logs, client = served
    body = run(
        client,
        SUBGRAPH,
        '{ ledger(name: "land") { checkpoint { text signedAt cosignatures { line signature } } } }',
    )
    checkpoint = body["data"]["ledger"]["checkpoint"]
    head, signatures = checkpoint["text"].split("\n\n")
    assert head.split("\n") == [
        "govgraph.example/land",
        "7",
        b64(root_hash([leaf_hash(e) for e in LAND_ENTRIES])),
    ]
    [cosignature] = checkpoint["cosignatures"]
    log_line, witness_line, end = signatures.split("\n")
    assert (log_line.startswith("— govgraph.example/land "), witness_line, end) == (
        True,
        cosignature["line"],
        "",
    )
    # The line carries key ID, timestamp and the 64-byte signature; the field is the signature alone.
    raw = base64.b64decode(witness_line.rsplit(" ", 1)[1])
    assert base64.b64decode(cosignature["signature"]) == raw[12:] and len(raw) == 76
    assert checkpoint["signedAt"].endswith("+00:00")


@pytest.mark.parametrize("url", ENDPOINTS)
def test_entries_page_with_after_and_first(served, url: str) -> None:
    _logs, client = served
    query = (
        'query ($after: UInt64, $first: Int) { ledger(name: "land") { '
        "entries(after: $after, first: $first) { ledger index leafHash data dataBase64 } } }"
    )
    first_page = run(client, url, query, {"first": 4})["data"]["ledger"]["entries"]
    assert [e["index"] for e in first_page] == ["0", "1", "2", "3"]
    assert first_page[1] == {
        "ledger": "land",
        "index": "1",
        "leafHash": b64(leaf_hash(LAND_ENTRIES[1])),
        "data": LAND_ENTRIES[1].decode(),
        "dataBase64": b64(LAND_ENTRIES[1]),
    }
    rest = run(client, url, query, {"after": first_page[-1]["index"], "first": 4})["data"]["ledger"]
    assert [e["index"] for e in rest["entries"]] == ["4", "5", "6"]
    end = run(client, url, query, {"after": "6"})["data"]["ledger"]["entries"]
    assert end == []


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_receipt_fetched_through_graphql_verifies_offline(served, url: str, tmp_path: Path) -> None:
    logs, client = served
    body = run(
        client,
        url,
        '{ ledger(name: "land") { verifierKey entry(index: "5") { index data receipt } } }',
    )
    ledger = body["data"]["ledger"]
    assert ledger["entry"]["data"] == LAND_ENTRIES[5].decode()
    path = tmp_path / "receipt.json"
    path.write_text(ledger["entry"]["receipt"])
    runner = CliRunner()
    verified = runner.invoke(cli, ["ledger", "verify-receipt", str(path), "--vkey", ledger["verifierKey"]])
    assert verified.exit_code == 0, verified.output
    root = b64(root_hash([leaf_hash(e) for e in LAND_ENTRIES]))
    assert verified.stdout.endswith(
        f"OK    Entry 5 is in the log's tree of size 7 (root {root}).\nThe receipt is valid.\n"
    )
    # The checkpoint in the receipt carries identity's witness cosignature: a quorum of one is met.
    quorum = runner.invoke(
        cli,
        ["ledger", "verify-receipt", str(path), "--vkey", logs.land_vkey]
        + ["--witness-vkey", logs.witness_vkey, "--quorum", "1"],
    )
    assert quorum.exit_code == 0, quorum.output
    assert "1 witness(es) cosigned it (govgraph.example/identity/witness); 1 required." in quorum.stdout
    wrong_key = runner.invoke(
        cli, ["ledger", "verify-receipt", str(path), "--vkey", Signer.generate("govgraph.example/land").vkey]
    )
    assert wrong_key.exit_code == 1 and wrong_key.stdout.endswith("The receipt is NOT valid.\n")


def test_a_consistency_proof_links_an_earlier_checkpoint_to_a_later_one(served, settings: Settings) -> None:
    _logs, client = served
    before = run(client, SUBGRAPH, '{ ledger(name: "land") { checkpoint { size rootHash } } }')
    old = before["data"]["ledger"]["checkpoint"]
    more = [f'{{"seq":{i}}}'.encode() for i in range(7, 12)]
    run_on_database(settings, lambda engine, keys: append_and_sign(engine, keys, "land", more))
    after = run(
        client,
        "/graphql",
        'query ($from: UInt64!, $to: UInt64!) { ledger(name: "land") { size checkpoint { rootHash } '
        "consistencyProof(fromSize: $from, toSize: $to) } }",
        {"from": old["size"], "to": "12"},
    )
    ledger = after["data"]["ledger"]
    assert ledger["size"] == "12"
    proof = [base64.b64decode(node) for node in ledger["consistencyProof"]]
    new_root = base64.b64decode(ledger["checkpoint"]["rootHash"])
    verify_consistency(7, 12, proof, base64.b64decode(old["rootHash"]), new_root)
    assert new_root == root_hash([leaf_hash(e) for e in LAND_ENTRIES + more])


def test_entities_by_key_are_resolved_and_unknown_ones_are_null(served) -> None:
    _logs, client = served
    body = run(
        client,
        SUBGRAPH,
        "query ($r: [_Any!]!) { _entities(representations: $r) { "
        "... on LedgerEntry { ledger index data } ... on Ledger { name size } } }",
        {
            "r": [
                {"__typename": "LedgerEntry", "ledger": "land", "index": "2"},
                {"__typename": "LedgerEntry", "ledger": "identity", "index": "0"},
                {"__typename": "LedgerEntry", "ledger": "identity", "index": "3"},  # not signed yet
                {"__typename": "LedgerEntry", "ledger": "nobody", "index": "0"},
                {"__typename": "Ledger", "name": "identity"},
                {"__typename": "Ledger", "name": "nobody"},
            ]
        },
    )
    assert body == {
        "data": {
            "_entities": [
                {"ledger": "land", "index": "2", "data": LAND_ENTRIES[2].decode()},
                {"ledger": "identity", "index": "0", "data": IDENTITY_ENTRIES[0].decode()},
                None,
                None,
                {"name": "identity", "size": "3"},
                None,
            ]
        }
    }


@pytest.mark.parametrize(
    ("representation", "message"),
    [
        ({"ledger": "land"}, "A LedgerEntry representation carries `ledger` and `index`, nothing else."),
        (
            {"ledger": "land", "index": "1", "extra": 1},
            "A LedgerEntry representation carries `ledger` and `index`, nothing else.",
        ),
        ({"ledger": "land", "index": "01"}, "`index` must be a UInt64 (a decimal string)."),
        ({"ledger": "land", "index": True}, "`index` must be a UInt64 (a decimal string)."),
        ({"ledger": "land", "index": str(2**64)}, f"`index` must lie in 0..{2**64 - 1}."),
        ({"ledger": 7, "index": "1"}, "`ledger` must be a string."),
        ({"ledger": "", "index": "1"}, "A ledger name must be 1..64 characters."),
    ],
)
def test_malformed_entry_representations_are_bad_user_input(
    served, representation: dict, message: str
) -> None:
    _logs, client = served
    body = run(
        client,
        SUBGRAPH,
        "query ($r: [_Any!]!) { _entities(representations: $r) { ... on LedgerEntry { index } } }",
        {"r": [{"__typename": "LedgerEntry", **representation}]},
    )
    assert body["data"] == {"_entities": [None]}
    assert errors(body) == [(message, "BAD_USER_INPUT", ["_entities", 0])]


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize(
    ("query", "variables", "data", "message", "path"),
    [
        (
            '{ ledger(name: "identity") { size entry(index: "3") { data } } }',
            None,
            {"ledger": {"size": "3", "entry": None}},
            "Entry 3 is beyond ledger identity's signed size 3: it is not in a signed checkpoint yet.",
            ["ledger", "entry"],
        ),
        (
            '{ ledger(name: "land") { entries(first: 101) { index } } }',
            None,
            {"ledger": None},
            "`first` must lie in 0..100, got 101.",
            ["ledger", "entries"],
        ),
        (
            '{ ledger(name: "land") { consistencyProof(fromSize: "5", toSize: "3") } }',
            None,
            {"ledger": None},
            "`fromSize` (5) must not exceed `toSize` (3).",
            ["ledger", "consistencyProof"],
        ),
        (
            '{ ledger(name: "land") { consistencyProof(fromSize: "0", toSize: "3") } }',
            None,
            {"ledger": None},
            "`fromSize` must be at least 1: every tree extends the empty one.",
            ["ledger", "consistencyProof"],
        ),
        (
            '{ ledger(name: "land") { consistencyProof(fromSize: "3", toSize: "8") } }',
            None,
            {"ledger": None},
            "`toSize` (8) is beyond ledger land's signed size 7.",
            ["ledger", "consistencyProof"],
        ),
        (
            "query ($name: String!) { ledger(name: $name) { size } }",
            {"name": "x" * 65},
            {"ledger": None},
            "A ledger name must be 1..64 characters.",
            ["ledger"],
        ),
    ],
)
def test_bad_input_gets_exact_codes(served, url, query, variables, data, message, path) -> None:
    _logs, client = served
    body = run(client, url, query, variables)
    assert body["data"] == data
    assert errors(body) == [(message, "BAD_USER_INPUT", path)]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_malformed_index_variable_is_bad_user_input(served, url: str) -> None:
    _logs, client = served
    body = run(
        client,
        url,
        'query ($i: UInt64!) { ledger(name: "land") { entry(index: $i) { index } } }',
        {"i": "-1"},
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "data" not in body or body["data"] is None


def test_unknown_ledger_is_null(served) -> None:
    _logs, client = served
    assert run(client, "/graphql", '{ ledger(name: "nobody") { size } }') == {"data": {"ledger": None}}


def test_an_entry_that_is_not_utf8_refuses_data_but_serves_its_bytes(
    settings: Settings, client: TestClient
) -> None:
    async def binary_log(engine, _keys) -> None:
        await create_ledger_tables(engine)
        log = await Log.create(engine, "binary", Signer.generate("govgraph.example/binary"))
        await log.append_many([b"\xff not text"])
        await log.integrate()

    run_on_database(settings, binary_log)
    query = '{ ledger(name: "binary") { entry(index: "0") { dataBase64 %s } } }'
    assert run(client, SUBGRAPH, query % "") == {
        "data": {"ledger": {"entry": {"dataBase64": b64(b"\xff not text")}}}
    }
    body = run(client, SUBGRAPH, query % "data")
    assert body["data"] == {"ledger": {"entry": None}}
    assert errors(body) == [
        (
            "Entry 0 of ledger binary is not UTF-8 text: select `dataBase64` instead.",
            "BAD_USER_INPUT",
            ["ledger", "entry", "data"],
        )
    ]


async def test_receipts_of_every_entry_of_every_ledger_take_a_fixed_number_of_selects(filled) -> None:
    sessions, _engine, _logs, selects = filled
    context = RequestContext(request=None, response=None, sessions=sessions)
    selects.clear()
    result = await LEDGER.schema().execute(
        "{ ledgers { name entries(first: 100) { index receipt } } }", context_value=context
    )
    assert result.errors is None
    assert [(ledger["name"], len(ledger["entries"])) for ledger in result.data["ledgers"]] == [
        ("identity", 3),
        ("land", 7),
    ]
    # Snapshots (logs with checkpoints, cosignatures), one page per ledger, the tiles of each ledger's
    # inclusion proofs: 2 + 2 + 2, not one per entry.
    assert len(selects) == 6
