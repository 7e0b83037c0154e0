"""The election's state machine and its trustees over real HTTP: every step from the wrong state is CONFLICT
with the reason and appends nothing; the roles are enforced; a cheating trustee's decryption share is refused
with its proof failure and the tally proceeds from the others; a dealer's bad share draws a complaint, which
an answer in public settles (else the dealer leaves QUAL); `govgraph trustee` keeps its secrets in a 0600
state file and fails loudly (nonzero, with the reason) when an upload is refused."""

from __future__ import annotations

import copy
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govgraph.voting import trustee as trustees
from govgraph.voting.api import Api, all_ballots, election
from govgraph.voting.simulate import CONTESTS, simulate
from tests.govgraph.agencies.elections.ballots import CAST
from tests.govgraph.agencies.elections.conftest import Service, error_of
from tests.support.credentials import issue_token
from tests.support.servers import UvicornThread

STEP = "mutation($e: ID!) {{ {name}(electionId: $e) {{ state }} }}"
CREATE = (
    "mutation($m: JSON!, $r: RevotingPolicy) { createElection(manifest: $m, revoting: $r) "
    "{ id state revoting } }"
)
ADD = 'mutation($e: ID!, $t: ID!) { addTrustee(electionId: $e, trusteeId: $t, name: "Trustee") { id } }'


def manifest(election: str, trustees: list[dict] | None = None, threshold: int = 1) -> dict:
    return {
        "election_id": election,
        "title": "State machine",
        "contests": CONTESTS,
        "trustees": trustees or [],
        "threshold": threshold,
        "revoting": "none",
        "electoral_roll": None,
    }


def step(service: Service, name: str, election: str, token: str | None = None) -> dict:
    return service.graphql(STEP.format(name=name), token=token or service.token, e=election)


def test_steps_from_the_wrong_state_are_conflicts(service: Service) -> None:
    created = service.graphql(CREATE, token=service.token, m=manifest("states-1"))["data"]["createElection"]
    assert created == {"id": "states-1", "state": "DRAFT", "revoting": "SINGLE"}
    size = service.ledger_size()
    for name, target in (("openVoting", "OPEN"), ("closeVoting", "CLOSED"), ("publishResult", "PUBLISHED")):
        assert error_of(step(service, name, "states-1")) == (
            "CONFLICT",
            f"Election states-1 is DRAFT: it cannot move to {target}.",
        )
    assert error_of(service.graphql(CAST, e="states-1", b={})) == (
        "CONFLICT",
        "Election states-1 is DRAFT: casting a ballot needs it OPEN.",
    )
    assert service.ledger_size() == size
    # Without trustees the manifest is incomplete: the ceremony cannot start.
    code, message = error_of(step(service, "startKeyCeremony", "states-1"))
    assert code == "CONFLICT" and message.startswith(
        "Election states-1 cannot start its key ceremony: manifest"
    )
    assert "errors" not in service.graphql(ADD, token=service.token, e="states-1", t="t-1")
    assert step(service, "startKeyCeremony", "states-1")["data"]["startKeyCeremony"] == {
        "state": "KEY_CEREMONY"
    }
    assert error_of(service.graphql(ADD, token=service.token, e="states-1", t="t-2")) == (
        "CONFLICT",
        "Election states-1 is KEY_CEREMONY: adding a trustee needs it DRAFT.",
    )
    assert error_of(step(service, "openVoting", "states-1")) == (
        "CONFLICT",
        "Election states-1's key ceremony is not finished: trustee(s) t-1 have not checked their shares.",
    )
    assert error_of(service.graphql(CREATE, token=service.token, m=manifest("states-1"))) == (
        "CONFLICT",
        "Election states-1 exists already.",
    )
    assert service.ledger_size() == size + 2  # TrusteeAdded, StateChanged


def test_roles_are_enforced(service: Service) -> None:
    voter = issue_token(service.data, "someone", "clerk:land")
    code, _ = error_of(service.graphql(CREATE, token=voter, m=manifest("states-2")))
    assert code == "FORBIDDEN"
    code, _ = error_of(
        service.graphql(
            'mutation { joinCeremony(electionId: "states-1", trusteeId: "t-1", boxKey: "00") { step } }',
            token=voter,
        )
    )
    assert code == "FORBIDDEN"
    bad = manifest("states-2")
    bad["revoting"] = "first-wins"
    assert error_of(service.graphql(CREATE, token=service.token, m=bad)) == (
        "BAD_USER_INPUT",
        "The revoting policy is SINGLE or LAST_COUNTS (manifest revoting none or last-wins).",
    )


def test_cheating_trustee_share_is_refused_and_the_tally_proceeds(service: Service, tmp_path: Path) -> None:
    with service.api() as api:
        opened = simulate(api, voters=3, n=3, t=2, absent=0, seed=31, leave_open=True, trustee_dir=tmp_path)
        assert step(service, "closeVoting", opened.election)["data"]["closeVoting"] == {"state": "CLOSED"}
        states = {i: trustees.TrusteeState.load(tmp_path / f"trustee-{i}.json") for i in (1, 2, 3)}
        share = trustees.decryption_share(api, states[1])
        cheat = copy.deepcopy(share)
        first = cheat["partials"]["mayor"][0]
        first["partial"] = share["partials"]["mayor"][1]["partial"]
        size = service.ledger_size()
        answer = service.graphql(
            'mutation($e: ID!, $s: JSON!) { submitDecryptionShare(electionId: $e, trusteeId: "trustee-1", '
            "share: $s) { message } }",
            token=service.token,
            e=opened.election,
            s=cheat,
        )
        assert error_of(answer) == (
            "INVALID_PROOF",
            "Trustee trustee-1's decryption share fails its Chaum-Pedersen proof against its verification "
            "key, the aggregate and the closing statement: refused, not counted.",
        )
        assert service.ledger_size() == size
        assert election(api, opened.election)["state"] == "CLOSED"
        assert "decryption share verified; 1 of 2 needed" in trustees.decrypt(api, states[2])
        assert election(api, opened.election)["state"] == "TALLYING"
        assert error_of(step(service, "publishResult", opened.election)) == (
            "CONFLICT",
            f"Election {opened.election} cannot publish: only 1 valid decryption shares, threshold is 2.",
        )
        trustees.decrypt(api, states[3])  # trustee 1 stays out: n - t absent never block
        assert step(service, "publishResult", opened.election)["data"]["publishResult"] == {
            "state": "PUBLISHED"
        }
        assert election(api, opened.election)["result"] == opened.expected


def govgraph(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "govgraph", *args], capture_output=True, text=True, timeout=120
    )


def test_trustee_cli_keeps_secrets_0600_and_fails_loudly(service: Service, tmp_path: Path) -> None:
    named = manifest("states-cli", [{"id": "solo", "name": "Solo"}])
    assert "errors" not in service.graphql(CREATE, token=service.token, m=named)
    state = tmp_path / "solo.json"
    common = (
        "--api",
        service.url,
        "--election",
        "states-cli",
        "--token",
        service.token,
        "--state",
        str(state),
    )
    early = govgraph("trustee", "join", *common, "--trustee", "solo")
    assert early.returncode == 1
    assert "FAILED: election states-cli is DRAFT: trustees join during KEY_CEREMONY" in early.stderr
    assert not state.exists()
    step(service, "startKeyCeremony", "states-cli")
    joined = govgraph("trustee", "join", *common, "--trustee", "solo")
    assert joined.returncode == 0, joined.stderr
    assert joined.stdout.startswith("join acknowledged (ledger entry ")
    assert joined.stdout.rstrip().endswith("joined as trustee 1")
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert (
        state.read_text().count(service.token) == 0
    )  # the state holds the trustee's secrets, no credentials
    committed = govgraph("trustee", "commit", *common)
    assert (
        committed.returncode == 0 and "commitment recorded; 0 trustee(s) still to commit" in committed.stdout
    )
    again = govgraph("trustee", "commit", *common)
    assert again.returncode == 1
    assert "FAILED: CONFLICT: Trustee solo has committed already." in again.stderr
    for name, said in (
        ("share", "reveal verified; 0 sealed share(s) recorded"),
        ("complain", "no complaints"),
    ):
        done = govgraph("trustee", name, *common)
        assert done.returncode == 0 and said in done.stdout, done.stderr
    os.chmod(state, 0o644)
    exposed = govgraph("trustee", "decrypt", *common)
    assert exposed.returncode == 1
    assert f"FAILED: {state} is readable by others: it must be 0600" in exposed.stderr


def _ceremony_with_a_bad_dealing(service: Service, tmp_path: Path, election_id: str) -> dict:
    """Three trustees, threshold 2; trustee 1 seals a wrong share to trustee 2 (the others deal honestly)."""
    from nacl.public import PublicKey, SealedBox

    from zk.trustees import share_plaintext

    named = manifest(election_id, [{"id": f"t{i}", "name": f"T{i}"} for i in (1, 2, 3)], threshold=2)
    assert "errors" not in service.graphql(CREATE, token=service.token, m=named)
    step(service, "startKeyCeremony", election_id)
    with service.api() as api:
        for i in (1, 2, 3):
            trustees.join(api, election_id, f"t{i}", tmp_path / f"t{i}.json")
        states = {i: trustees.TrusteeState.load(tmp_path / f"t{i}.json") for i in (1, 2, 3)}
        for i in (1, 2, 3):
            trustees.commit(api, states[i])
        board = election(api, election_id)
        dealer, _ = trustees._trustee(states[1], board)
        keys = {t["index"]: bytes.fromhex(t["boxKey"]) for t in board["trustees"]}
        sealed = [s.to_json() for s in dealer.deal(keys)]
        wrong = share_plaintext(dealer.ceremony, 1, 2, dealer.share_for(2) + 1)
        sealed[0]["sealed"] = SealedBox(PublicKey(keys[2])).encrypt(wrong).hex()
        answer = service.graphql(
            'mutation($e: ID!, $r: JSON!, $s: JSON!) { revealCeremony(electionId: $e, trusteeId: "t1", '
            "reveal: $r, sealedShares: $s) { message } }",
            token=service.token,
            e=election_id,
            r=dealer.reveal.to_json(dealer.ceremony.group),
            s=sealed,
        )
        assert answer["data"]["revealCeremony"]["message"] == "reveal verified; 2 sealed share(s) recorded"
        trustees.share(api, states[2])
        trustees.share(api, states[3])
        assert trustees.complain(api, states[2])[0].endswith("1 complaint(s) recorded")
        assert trustees.complain(api, states[3])[0].endswith("no complaints")
    return states


def test_a_complaint_answered_in_public_keeps_the_dealer(service: Service, tmp_path: Path) -> None:
    states = _ceremony_with_a_bad_dealing(service, tmp_path, "states-answered")
    with service.api() as api:
        done = trustees.complain(api, states[1])  # its own check, then the answer to trustee 2's complaint
        assert done[0].endswith("no complaints") and done[1].endswith("1 answer(s) verified")
        opened = step(service, "openVoting", "states-answered")["data"]["openVoting"]
        assert opened == {"state": "OPEN"}
        assert election(api, "states-answered")["qualifiedTrustees"] == [1, 2, 3]
        step(service, "closeVoting", "states-answered")
        trustees.decrypt(api, states[2])  # its share of dealer 1 is the one disclosed in public
        trustees.decrypt(api, states[3])
        assert step(service, "publishResult", "states-answered")["data"]["publishResult"] == {
            "state": "PUBLISHED"
        }


def test_an_unanswered_complaint_excludes_the_dealer(service: Service, tmp_path: Path) -> None:
    _ceremony_with_a_bad_dealing(service, tmp_path, "states-unanswered")
    with service.api() as api:
        answer = service.graphql(
            'mutation { reportShareCheck(electionId: "states-unanswered", trusteeId: "t1", complaints: []) '
            "{ message } }",
            token=service.token,
        )
        assert answer["data"]["reportShareCheck"]["message"] == "no complaints"  # and no answer
        assert step(service, "openVoting", "states-unanswered")["data"]["openVoting"] == {"state": "OPEN"}
        assert election(api, "states-unanswered")["qualifiedTrustees"] == [2, 3]


def test_a_trustee_refuses_a_board_whose_ballots_do_not_sum_to_the_aggregate(
    service: Service, tmp_path: Path
) -> None:
    """The trustee sums the board's ballots page by page; a board (here a proxy in front of the real one)
    that shows a counted ballot other than the one summed into the aggregate, or one it cannot read, gets no
    share."""
    tamper = {"how": None}

    async def graphql(request: Request) -> Response:
        body = await request.body()
        headers = {
            "authorization": request.headers.get("authorization", ""),
            "content-type": "application/json",
        }
        answer = httpx.post(f"{service.url}/graphql", content=body, headers=headers).json()
        page = ((answer.get("data") or {}).get("election") or {}).get("ballots")
        counted = [b for b in page or [] if b["counted"]]
        if counted and tamper["how"] == "swap":  # the plaintexts moved between options: another sum
            selections = counted[0]["ballot"]["contests"][0]["selections"]
            selections[0], selections[1] = selections[1], selections[0]
        elif counted and tamper["how"] == "truncate":
            counted[0]["ballot"]["contests"][0]["selections"].pop()
        return Response(json.dumps(answer), media_type="application/json")

    proxy = UvicornThread(Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])).start()
    try:
        with service.api() as api:
            opened = simulate(
                api, voters=3, n=1, t=1, absent=0, seed=32, leave_open=True, trustee_dir=tmp_path
            )
            assert step(service, "closeVoting", opened.election)["data"]["closeVoting"] == {"state": "CLOSED"}
            state = trustees.TrusteeState.load(tmp_path / "trustee-1.json")
            with Api(proxy.url, service.token) as shown:
                first = next(b for b in all_ballots(api, opened.election) if b["counted"])["trackingCode"]
                for how, message in (
                    ("swap", "refusing to decrypt: the aggregate is not the sum of the recorded ballots"),
                    ("truncate", f"the board's ballot {first} cannot be read: refusing to decrypt"),
                ):
                    tamper["how"] = how
                    with pytest.raises(trustees.TrusteeError) as refused:
                        trustees.decryption_share(shown, state)
                    assert str(refused.value).startswith(message), how
                tamper["how"] = None
                share = trustees.decryption_share(shown, state)  # the same board, untouched
            assert sorted(share["partials"]) == sorted(c["id"] for c in CONTESTS)
            assert "decryption share verified" in trustees.decrypt(api, state, share)
            assert step(service, "publishResult", opened.election)["data"]["publishResult"] == {
                "state": "PUBLISHED"
            }
            assert election(api, opened.election)["result"] == opened.expected
    finally:
        proxy.stop()
