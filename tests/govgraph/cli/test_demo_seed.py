"""The demo data `govgraph serve` seeds outside production, over the real process started twice on one data
directory: each start's first answer shows every demo entry in a signed, cosigned checkpoint; the welfare
office's programmes, the courts' notarized exhibits and the commission's draft
election are there after the first start (their entries on the ledgers, the exhibits' receipts made on demand
and verified offline), and the second start appends nothing to any ledger."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from govgraph.agencies.courts.demo import DEMO_CASE, DEMO_EXHIBITS
from govgraph.agencies.writes import DEMO_SEED
from govgraph.config import Settings
from govgraph.ledger.checkpoint import CosignatureVerifier, open_checkpoint
from govgraph.ledger.keys import read_vkey, witness_label
from govgraph.ledger.note import Verifier
from tests.support.mutations import ledger_sizes
from tests.support.servers import running_server

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[3]
SEEDED_SIZES = {"courts": 3, "elections": 4, "identity": 3, "land": 5, "procurement": 5, "welfare": 2}
PROGRAMMES = "{ programmes { id title amount currency period startsOn endsOn exclusionContext claimCount } }"
NOTARIZATIONS = "query ($h: Base64!) { notarizations(sha256: $h) { index mediaType caseRef } }"
RECEIPT = "query ($i: UInt64!) { evidenceReceipt(index: $i) { notarization { sha256 } receipt } }"
# Asked first after start-up: the signed sizes, and the registration of a seeded parcel with its receipt.
_SIGNED_SIZES = " ".join(f'{name}: ledger(name: "{name}") {{ size }}' for name in SEEDED_SIZES)
FIRST = f'{{ {_SIGNED_SIZES} parcel(id: "parcel-0001") {{ ledgerEntry {{ ledger index receipt }} }} }}'
ELECTION = """{ electionIds election(id: "northfield-2027-municipal") { state revoting manifest jointKey
  trustees { id index name joined } ledgerEntry { ledger index } }
  electoralRoll(id: "northfield-2027") { issuerPublicKey size } }"""


@dataclass
class Start:
    first: dict[str, Any]  # the answer to FIRST, the first request after start-up
    checkpoints: dict[str, bytes]  # identity's and land's, as served
    uncosigned: int  # checkpoints ever stored without a cosignature
    sizes: dict[str, int]
    leaves: dict[str, list[bytes]]
    programmes: list[dict[str, Any]]
    notarizations: list[list[dict[str, Any]]]  # per demo exhibit
    receipt: dict[str, Any]  # of the first exhibit, asked for after start-up
    election: dict[str, Any]  # the election ids, the demo election and its roll


def _post(url: str, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _leaves(database: Path) -> dict[str, list[bytes]]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT l.name, e.data FROM ledger_entries e JOIN ledger_logs l ON l.id = e.log_id "
            "ORDER BY l.name, e.idx"
        )
        found: dict[str, list[bytes]] = {}
        for name, data in rows:
            found.setdefault(name, []).append(data)
        return found


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture(scope="module")
def starts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Start]]:
    """Two starts of `govgraph serve` on one data directory, what each one showed."""
    data_dir = tmp_path_factory.mktemp("demo")
    database = data_dir / "govgraph.db"
    found = []
    for _ in range(2):
        with running_server(data_dir, "warning") as server:
            sizes, leaves = ledger_sizes(database), _leaves(database)  # before any request
            first = _post(server.url, FIRST)
            checkpoints = {
                name: httpx.get(f"{server.url}/ledgers/{name}/checkpoint", timeout=10).content
                for name in ("identity", "land")
            }
            with sqlite3.connect(database) as connection:
                (uncosigned,) = connection.execute(
                    "SELECT count(*) FROM ledger_checkpoints c WHERE NOT EXISTS "
                    "(SELECT 1 FROM ledger_cosignatures s WHERE s.checkpoint_id = c.id)"
                ).fetchone()
            notarizations = [
                _post(server.url, NOTARIZATIONS, {"h": _b64(exhibit.sha256)})["notarizations"]
                for exhibit in DEMO_EXHIBITS
            ]
            receipt = _post(server.url, RECEIPT, {"i": notarizations[0][0]["index"]})["evidenceReceipt"]
            programmes = _post(server.url, PROGRAMMES)["programmes"]
            election = _post(server.url, ELECTION)
            found.append(
                Start(
                    first=first,
                    checkpoints=checkpoints,
                    uncosigned=uncosigned,
                    sizes=sizes,
                    leaves=leaves,
                    programmes=programmes,
                    notarizations=notarizations,
                    receipt=receipt,
                    election=election,
                )
            )
        log = server.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]
    return data_dir, found


def test_each_start_answers_first_with_every_demo_entry_signed_and_cosigned(starts) -> None:
    data_dir, both = starts
    keys = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)}).ledger_keys_dir
    for start in both:
        first = dict(start.first)
        entry = first.pop("parcel")["ledgerEntry"]
        assert {name: int(ledger["size"]) for name, ledger in first.items()} == SEEDED_SIZES
        assert (entry["ledger"], entry["index"]) == ("land", "0")
        receipt = json.loads(entry["receipt"])
        assert (receipt["origin"], receipt["index"]) == ("govgraph.example/land", 0)
        for name, witness in (("identity", "land"), ("land", "identity")):
            opened = open_checkpoint(
                start.checkpoints[name],
                Verifier.from_vkey(read_vkey(keys, name)),
                witnesses=(CosignatureVerifier.from_vkey(read_vkey(keys, witness_label(witness))),),
                quorum=1,
            )
            assert opened.checkpoint.size == SEEDED_SIZES[name]
        assert start.uncosigned == 0  # every checkpoint ever signed, the empty trees' included
    first, _second = both
    assert {
        name: [json.loads(leaf)["actor"]["role"] for leaf in leaves] for name, leaves in first.leaves.items()
    } == {name: [DEMO_SEED.role] * size for name, size in SEEDED_SIZES.items()}


def test_the_welfare_programmes_are_seeded_with_their_rules_on_the_ledger(starts) -> None:
    _data_dir, (first, second) = starts
    assert first.sizes["welfare"] == second.sizes["welfare"] == 2  # the second start appended nothing
    assert second.programmes == first.programmes
    assert first.programmes == [
        {
            "id": "fuel-hardship-grant",
            "title": "Fuel hardship grant",
            "amount": 30000,
            "currency": "EUR",
            "period": "2027",
            "startsOn": "2026-12-01",
            "endsOn": "2027-11-30",
            "exclusionContext": "welfare/exclusion/hardship/2027",
            "claimCount": 0,
        },
        {
            "id": "heating-allowance",
            "title": "Winter heating allowance",
            "amount": 15000,
            "currency": "EUR",
            "period": "winter-2026",
            "startsOn": "2026-11-01",
            "endsOn": "2027-03-31",
            "exclusionContext": None,
            "claimCount": 0,
        },
    ]
    entries = [json.loads(leaf) for leaf in first.leaves["welfare"]]
    assert [(e["type"], e["programme"], e["exclusionGroup"]) for e in entries] == [
        ("govgraph.welfare.ProgrammeCreated/v1", "heating-allowance", None),
        ("govgraph.welfare.ProgrammeCreated/v1", "fuel-hardship-grant", "hardship"),
    ]
    assert {e["actor"]["role"] for e in entries} == {"service:demo-seed"}
    heating = entries[0]["eligibility"]["credentials"][0]
    assert heating["meta"] == {"schema": "govgraph.identity.citizen/v1"}
    assert heating["claims"] == [
        {"path": ["household_income"], "predicate": {"op": "<", "value": 40000}},
        {"path": ["residence"], "values": ["Northfield", "Riverside"]},
    ]


def test_the_courts_exhibits_are_notarized_and_their_receipts_verify_offline(starts, tmp_path: Path) -> None:
    data_dir, (first, second) = starts
    assert first.sizes["courts"] == second.sizes["courts"] == 3  # the second start appended nothing
    assert second.notarizations == first.notarizations
    assert first.notarizations == [
        [{"index": "0", "mediaType": "text/plain", "caseRef": DEMO_CASE}],
        [{"index": "1", "mediaType": "text/plain", "caseRef": DEMO_CASE}],
        [{"index": "2", "mediaType": "application/json", "caseRef": DEMO_CASE}],
    ]
    entries = [json.loads(leaf) for leaf in first.leaves["courts"]]
    assert [entry["sha256"] for entry in entries] == [_b64(exhibit.sha256) for exhibit in DEMO_EXHIBITS]
    assert {entry["actor"]["role"] for entry in entries} == {"service:demo-seed"}
    # The receipt, made when it was asked for, proves exhibit A's bytes with `govgraph evidence verify`.
    assert first.receipt["notarization"] == {"sha256": _b64(DEMO_EXHIBITS[0].sha256)}
    saved, document = tmp_path / "receipt.json", tmp_path / "exhibit-a.txt"
    saved.write_text(first.receipt["receipt"])
    document.write_bytes(DEMO_EXHIBITS[0].content)
    keys = data_dir / "keys"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "govgraph",
            "evidence",
            "verify",
            str(saved),
            "--data",
            str(document),
            "--vkey",
            (keys / "courts.vkey").read_text().strip(),
            "--tsa-chain",
            str(data_dir / "tsa" / "root.pem"),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == (
        f"OK    The file's SHA-256 ({DEMO_EXHIBITS[0].sha256.hex()}) is the hash the entry records."
    )


def test_the_demo_election_is_a_draft_with_its_manifest_and_three_trustees(starts) -> None:
    _data_dir, (first, second) = starts
    assert first.sizes["elections"] == second.sizes["elections"] == 4  # the second start appended nothing
    assert second.election == first.election
    roll_key = first.election["electoralRoll"]["issuerPublicKey"]
    assert len(roll_key) == 192  # the commission's BBS issuer key for the roll (96 bytes, hex)
    assert first.election["electoralRoll"]["size"] == 0  # nobody registered yet
    assert first.election["electionIds"] == ["northfield-2027-municipal"]
    election = first.election["election"]
    trustees = [
        {"id": "town-clerk", "name": "Northfield Town Clerk"},
        {"id": "voters-league", "name": "Northfield League of Voters"},
        {"id": "university", "name": "University of Northfield, School of Computing"},
    ]
    assert election == {
        "state": "DRAFT",
        "revoting": "LAST_COUNTS",
        "jointKey": None,
        "manifest": {
            "election_id": "northfield-2027-municipal",
            "title": "Northfield municipal elections, 7 March 2027",
            "contests": [
                {
                    "id": "library-referendum",
                    "title": "Referendum: should the council fund the new Riverside public library from the "
                    "2027 budget?",
                    "options": ["yes", "no"],
                    "min_selections": 0,
                    "max_selections": 1,
                },
                {
                    "id": "council-ward-3",
                    "title": "Town council, ward 3: elect up to three councillors",
                    "options": ["amara-osei", "ben-hughes", "chen-li", "dora-novak", "emil-sorensen"],
                    "min_selections": 0,
                    "max_selections": 3,
                },
            ],
            "trustees": trustees,
            "threshold": 2,
            "revoting": "last-wins",
            "electoral_roll": {"id": "northfield-2027", "issuer_public_key": roll_key},
        },
        "trustees": [
            {**trustee, "index": index, "joined": False} for index, trustee in enumerate(trustees, start=1)
        ],
        "ledgerEntry": {"ledger": "elections", "index": "0"},
    }
    entries = [json.loads(leaf) for leaf in first.leaves["elections"]]
    assert [(e["type"], e["election"], e.get("trustee"), e.get("index")) for e in entries] == [
        ("govgraph.elections.ElectionCreated/v1", "northfield-2027-municipal", None, None),
        ("govgraph.elections.TrusteeAdded/v1", "northfield-2027-municipal", "town-clerk", 1),
        ("govgraph.elections.TrusteeAdded/v1", "northfield-2027-municipal", "voters-league", 2),
        ("govgraph.elections.TrusteeAdded/v1", "northfield-2027-municipal", "university", 3),
    ]
    assert {e["actor"]["role"] for e in entries} == {"service:demo-seed"}
    assert (entries[0]["state"], entries[0]["manifest"]["trustees"]) == ("DRAFT", [])


def test_a_second_start_appends_nothing_to_any_ledger(starts) -> None:
    _data_dir, (first, second) = starts
    assert first.sizes == second.sizes == SEEDED_SIZES
    assert second.leaves == first.leaves
