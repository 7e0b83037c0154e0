"""A whole election end to end over real HTTP against a real `govgraph serve`: `govgraph election simulate`
acts as every role through the public API (6 voters registered by presentation with the identity bureau, 3
trustees, threshold 2, one absent at the tally), then `govgraph election verify --url` checks the record
(V1-V13) and the elections ledger, and `govgraph election track` verifies one voter's receipt; the board and
the record endpoint agree with what was cast."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import time

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from govgraph.agencies.elections.record_export import reference_record
from govgraph.config import Settings
from govgraph.ledger.keys import read_vkey, witness_label
from tests.govgraph.agencies.elections.conftest import Service
from zk.record import canonical_bytes

BOARD = """query($id: ID!) { election(id: $id) { state revoting turnout result jointKey
  ballots(first: 100) { trackingCode ledgerIndex counted spoiled ballot ledgerEntry { ledger index } } } }"""


async def reference(service: Service, election: str) -> dict:
    engine = create_async_engine(f"sqlite+aiosqlite:///{service.data / 'govgraph.db'}")
    try:
        return await reference_record(engine, election)
    finally:
        await engine.dispose()


def govgraph(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "govgraph", *args], capture_output=True, text=True, env=os.environ, timeout=300
    )


def test_simulated_election_verifies_against_record_and_ledger(service: Service) -> None:
    done = govgraph(
        "election", "simulate", "--api", service.url, "--token", service.token, "--voters", "6",
        "--trustees", "3", "--threshold", "2", "--absent", "1", "--seed", "5", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    election, expected, codes = printed["election"], printed["expected"], printed["tracking_codes"]
    assert sorted(printed) == ["election", "expected", "tracking_codes"]
    assert len(codes) == len(set(codes)) == 6
    assert sum(expected["mayor"].values()) == 6  # one mayor per ballot
    # The voters registered as citizens do: each presented a citizen credential to the identity bureau, which
    # issued the 6 roll credentials (under the key the manifest names); the roll's rule is on the elections
    # ledger, who is on it is not.
    roll = f"roll-{election}"
    issuer = service.graphql(
        "query($r: ID!, $e: ID!) { rollIssuer(rollId: $r) { issuerPublicKey issued } "
        "electoralRoll(id: $r) { size district } election(id: $e) { manifest } }",
        r=roll,
        e=election,
    )["data"]
    assert issuer["rollIssuer"]["issued"] == 6
    assert issuer["electoralRoll"] == {"size": 6, "district": "Hillcrest"}
    assert issuer["election"]["manifest"]["electoral_roll"] == {
        "id": roll,
        "issuer_public_key": issuer["rollIssuer"]["issuerPublicKey"],
    }
    rules = [json.loads(leaf) for leaf in service.ledger_leaves("elections") if b"RollDefined" in leaf]
    assert [(r["roll"], r["district"]) for r in rules if r["roll"] == roll] == [(roll, "Hillcrest")]
    results = [
        json.loads(leaf)
        for leaf in service.ledger_leaves("identity")
        if b"CredentialIssued" in leaf  # the citizen credentials the voters' wallets received
    ]
    assert len(results) >= 6

    board = service.graphql(BOARD, id=election)["data"]["election"]
    assert (board["state"], board["revoting"], board["turnout"]) == ("PUBLISHED", "SINGLE", 6)
    assert board["result"] == expected
    counted = [b for b in board["ballots"] if b["counted"]]
    spoiled = [b for b in board["ballots"] if b["spoiled"]]
    assert [b["trackingCode"] for b in counted] == codes
    assert len(spoiled) == 1 and spoiled[0]["trackingCode"] not in codes
    assert all(
        b["ledgerEntry"] == {"ledger": "elections", "index": str(b["ledgerIndex"])} for b in board["ballots"]
    )

    verified = govgraph("election", "verify", "--url", service.url, "--election", election)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f'Election "{election}": VERIFIED.' in verified.stdout
    assert "OK    every counted ballot of the record (6) is on the ledger" in verified.stdout
    assert "OK    the ledger counts no ballot the record leaves out" in verified.stdout
    assert "OK    the record's spoiled ballots (1) are exactly the ledger's" in verified.stdout
    assert "Ledger: VERIFIED." in verified.stdout
    # With a witness key given out of band, its cosignature on the checkpoint is verified, not just listed.
    keys = Settings.from_env({"GOVGRAPH_DATA": str(service.data)}).ledger_keys_dir
    witness = read_vkey(keys, witness_label("identity"))
    pinned = govgraph(
        "election", "verify", "--url", service.url, "--election", election, "--witness-key", witness
    )
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert "OK    cosigned by 1 witness(es): govgraph.example/identity/witness\n" in pinned.stdout
    wrong = read_vkey(keys, "identity")  # the identity log's own key is no witness of this log
    refused = govgraph(
        "election", "verify", "--url", service.url, "--election", election, "--witness-key", wrong
    )
    assert refused.returncode == 1
    assert "FAIL  the elections ledger's checkpoint does not verify" in refused.stdout

    # The served record (assembled from the stored documents) is exactly what zk.record.build_record makes
    # from the decoded objects.
    served = httpx.get(f"{service.url}/elections/{election}/record.json")
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    assert served.content == canonical_bytes(asyncio.run(reference(service, election)))

    for _ in range(50):  # the sequencer signs within ~100 ms; a receipt needs the entry in a checkpoint
        tracked = govgraph("election", "track", "--url", service.url, "--election", election, codes[0])
        if "not in a signed checkpoint yet" not in tracked.stdout:
            break
        time.sleep(0.2)
    assert tracked.returncode == 0, tracked.stdout + tracked.stderr
    assert f"Ballot {codes[0]} is on the board of election {election} (PUBLISHED)" in tracked.stdout
    assert "counted." in tracked.stdout
    assert tracked.stdout.rstrip().endswith("The receipt is valid.")

    receipt = service.graphql(
        "query($id: ID!, $c: String!) { election(id: $id) { ballot(trackingCode: $c) { ledgerIndex "
        "ledgerEntry { index receipt } } } }",
        id=election,
        c=codes[0],
    )["data"]["election"]["ballot"]
    document = json.loads(receipt["ledgerEntry"]["receipt"])  # resolved by the ledger subgraph
    assert (document["format"], document["index"]) == ("govgraph-receipt/v1", receipt["ledgerIndex"])
    assert json.loads(base64.b64decode(document["entry"]))["trackingCode"] == codes[0]

    unknown = govgraph("election", "track", "--url", service.url, "--election", election, "0" * 64)
    assert unknown.returncode == 1
    assert f"No ballot with tracking code {'0' * 64} in election {election}." in unknown.stdout


def test_the_ledger_check_names_a_ballot_the_record_leaves_out(service: Service) -> None:
    from govgraph.voting.audit import compare_with_record, ledger_ballots
    from govgraph.voting.simulate import simulate

    with service.api() as api:
        done = simulate(api, voters=3, n=1, t=1, absent=0, seed=13)
        record = api.get_json(f"/elections/{done.election}/record.json")
        for _ in range(50):  # until a signed checkpoint covers the whole election
            found, findings = ledger_ballots(api, done.election)
            if len([b for b in found if not b.spoiled]) == 3:
                break
            time.sleep(0.2)
    assert findings.ok, findings.lines
    dropped = record["ballots"].pop()["tracking_code"]  # a record that leaves a counted ballot out
    compare_with_record(record, found, findings)
    assert not findings.ok
    assert f"FAIL  the ledger counts no ballot the record leaves out; left out: {dropped}" in findings.lines
    assert "FAIL  the record's counted ballots equal the ledger's, in order and content" in findings.lines


def test_record_is_served_only_once_published(service: Service) -> None:
    from govgraph.voting.simulate import simulate

    with service.api() as api:
        opened = simulate(api, voters=1, n=1, t=1, absent=0, seed=11, leave_open=True)
    answer = httpx.get(f"{service.url}/elections/{opened.election}/record.json")
    assert answer.status_code == 409
    assert answer.json() == {
        "error": f"Election {opened.election} is OPEN: its record exists once the result is published."
    }
    missing = httpx.get(f"{service.url}/elections/no-such-election/record.json")
    assert (missing.status_code, missing.json()) == (404, {"error": "No election no-such-election."})
