"""The committee members' commands (`govgraph procurement member join/reveal/check/shares`) against a real
`govgraph serve`: two members form the tender key, a company bids, and after the deadline their shares open
the bid; the members' secrets stay in their owner-only state files and never reach the office."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

from typer.testing import CliRunner

from govgraph.cli import app
from tests.govgraph.agencies.procurement.committee import BID, OPEN, TENDER, rfc3339
from tests.govgraph.agencies.procurement.office import OFFICIAL, Office
from zk.group import g1_group
from zk.sealed_bid import seal
from zk.wire import element_from_hex


def member(office: Office, j: int, *arguments: str) -> tuple[int, str, str]:
    token = office.token(f"cli-member-{j}", OFFICIAL)
    result = CliRunner().invoke(
        app, ["procurement", "member", *arguments, "--url", office.server.url], env={"GOVGRAPH_TOKEN": token}
    )
    return result.exit_code, result.stdout, result.stderr


def test_two_members_open_a_bid_with_the_member_commands(office: Office, tmp_path: Path) -> None:
    deadline = time.time() + 5
    committee = ["bearer:cli-member-1", "bearer:cli-member-2"]
    tender = {"ocid": "ocds-gvgr01-0700", "tender": "t-700", "deadline": rfc3339(deadline), "threshold": 2}
    assert "errors" not in office.post(OPEN, {"input": {**tender, "committee": committee}}, office.official)
    states = {j: tmp_path / f"member-{j}.json" for j in (1, 2)}
    for j in (1, 2):
        code, out, err = member(office, j, "join", "t-700", "--member", str(j), "--state", str(states[j]))
        assert (code, err) == (0, ""), err
        assert out.startswith(f"committed to the tender key of t-700 as member {j}: ")
        assert stat.S_IMODE(states[j].stat().st_mode) == 0o600
    assert member(office, 1, "join", "t-700", "--member", "1", "--state", str(states[1])) == (
        1,
        "",
        f"govgraph procurement member: {states[1]} exists: one state file per member and tender\n",
    )
    for j in (1, 2):
        assert member(office, j, "reveal", "--state", str(states[j])) == (
            0,
            "revealed; 1 shares sealed to the other members\n",
            "",
        )
    for j in (1, 2):
        assert member(office, j, "check", "--state", str(states[j])) == (0, "checked: accused nobody\n", "")
    state = office.post(TENDER, {"t": "t-700"})["data"]["sealedTender"]
    assert state["qualified"] == [1, 2]
    group = g1_group()
    offer = {"amount": 4200, "currency": "EUR"}
    key = element_from_hex(group, state["publicKey"], "publicKey")
    bid = seal(group, key, "t-700", "service:acme", json.dumps(offer).encode()).to_json(group)
    assert "errors" not in office.post(
        BID, {"t": "t-700", "b": bid}, office.token("acme-bot", "service:acme")
    )
    early = member(office, 1, "shares", "--state", str(states[1]))
    assert early[0] == 1
    assert early[2] == (
        f"govgraph procurement member: CONFLICT: The bids of t-700 open only after its deadline, "
        f"{rfc3339(deadline)}.\n"
    )
    time.sleep(max(0.0, deadline - time.time()) + 0.05)
    assert member(office, 1, "shares", "--state", str(states[1])) == (
        0,
        "shares posted; the bids stay sealed until t members post\n",
        "",
    )
    assert member(office, 2, "shares", "--state", str(states[2])) == (
        0,
        "shares posted; the bids are open\n",
        "",
    )
    [opened] = office.post(TENDER, {"t": "t-700"})["data"]["sealedTender"]["bids"]
    assert opened["value"] == offer
    # The office never held a member's coefficients or box seed.
    database = (office.settings.data_dir / "govgraph.db").read_bytes()
    for j in (1, 2):
        kept = json.loads(states[j].read_text())
        assert [
            secret for secret in [*kept["coefficients"], kept["boxSeed"]] if secret.encode() in database
        ] == []


def test_a_member_command_without_a_state_file_fails_with_one_line(office: Office, tmp_path: Path) -> None:
    code, out, err = member(office, 1, "reveal", "--state", str(tmp_path / "none.json"))
    assert (code, out) == (1, "")
    assert err.startswith(
        f"govgraph procurement member: the state file {tmp_path / 'none.json'} is unusable: "
    )
