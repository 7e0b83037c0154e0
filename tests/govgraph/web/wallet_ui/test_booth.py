"""The voting booth of the wallet page over real HTTP: register on a roll through the consent screen, seal a
ballot, challenge it (the opening read back from the public board and checked), seal again and cast; the
tracking codes kept in the voting file and found on the public board; bad ballots refused in sentences."""

from __future__ import annotations

import datetime as dt
import html
import re

from govgraph.wallet.voting import load_voting
from tests.govgraph.web.wallet_ui.conftest import ELECTION_DAY, Government, WalletPage, csrf_of
from tests.support.credential_flows import years_ago

BOARD = """query($e: ID!, $code: String!) { election(id: $e) { turnout ballot(trackingCode: $code) {
  spoiled counted } } }"""


def receive(client, government: Government, token: str) -> None:
    offer = government.offer(years_ago(dt.date.today(), 40))
    answer = client.post(
        "/receive", data={"csrf_token": token, "offer": offer["offerUri"], "pin": offer["txCode"]}
    )
    assert answer.status_code == 200, answer.text


def test_a_voter_registers_challenges_a_ballot_and_casts_one(
    government: Government, wallet_page: WalletPage
) -> None:
    election = government.open_election("roll-booth-http", seed=71)
    client = wallet_page.logged_in()
    token = csrf_of(client.get("/").text)
    receive(client, government, token)

    page = client.get(f"/booth/{election}")
    assert "Register on the electoral roll first" in page.text
    consent = client.post(f"/booth/{election}/register", data={"csrf_token": token})
    text = html.unescape(consent.text)
    assert "<li>Your citizenship: <strong>NL</strong></li>" in text
    assert "<li>Your place of residence: <strong>Riverside</strong></li>" in text
    assert f"that you will be at least 18 years old on {ELECTION_DAY.isoformat()} (born on" in text
    assert "a pseudonym for \u201cgovgraph-roll/roll-booth-http\u201d" in text
    key = re.search(r'name="consent" value="([^"]+)"', consent.text).group(1)
    registered = client.post(
        "/present/answer", data={"csrf_token": token, "consent": key, "decision": "accept"}
    )
    assert registered.status_code == 303, registered.text
    assert registered.headers["location"] == f"/booth/{election}?registered=1"
    assert [c.roll_id for c in load_voting(wallet_page.path).rolls] == ["roll-booth-http"]
    assert "You are registered on the roll roll-booth-http" in client.get(f"/booth/{election}").text

    too_many = client.post(
        f"/booth/{election}/seal",
        data={
            "csrf_token": token,
            "contest.mayor": "0",
            "contest.council.0": "1",
            "contest.council.1": "1",
            "contest.council.2": "1",
        },
    )
    assert too_many.status_code == 400
    assert "takes 0 to 2 choices and you marked 3: change your choices" in html.unescape(too_many.text)

    sealed = client.post(
        f"/booth/{election}/seal", data={"csrf_token": token, "contest.mayor": "1", "contest.council.3": "1"}
    )
    assert sealed.status_code == 200, sealed.text
    assert (
        "<li>Mayor: heron</li>" in sealed.text and "<li>City council (up to two): cedar</li>" in sealed.text
    )
    spoiled_code = re.search(r'id="tracking-code">([0-9a-f]{64})<', sealed.text).group(1)
    key = re.search(r'name="sealed" value="([^"]+)"', sealed.text).group(1)
    checked = client.post(f"/booth/{election}/challenge", data={"csrf_token": token, "sealed": key})
    assert checked.status_code == 200, checked.text
    assert 'data-check="verified"' in checked.text
    assert "<li>Mayor: heron</li>" in checked.text
    replay = client.post(f"/booth/{election}/cast", data={"csrf_token": token, "sealed": key})
    assert "This sealed ballot was already cast or challenged" in replay.text

    sealed = client.post(f"/booth/{election}/seal", data={"csrf_token": token, "contest.mayor": "2"})
    key = re.search(r'name="sealed" value="([^"]+)"', sealed.text).group(1)
    cast = client.post(f"/booth/{election}/cast", data={"csrf_token": token, "sealed": key})
    assert cast.status_code == 200, cast.text
    code = re.search(r'id="tracking-code">([0-9a-f]{64})<', cast.text).group(1)
    assert f'href="{government.url}/elections/{election}?code={code}"' in cast.text

    votes = load_voting(wallet_page.path).votes
    assert [(v.election, v.tracking_code, v.spoiled) for v in votes] == [
        (election, spoiled_code, True),
        (election, code, False),
    ]
    board = government.flows.data(BOARD, {"e": election, "code": code}, government.token)["election"]
    assert board == {"turnout": 1, "ballot": {"spoiled": False, "counted": True}}
    board = government.flows.data(BOARD, {"e": election, "code": spoiled_code}, government.token)["election"]
    assert board["ballot"] == {"spoiled": True, "counted": False}
