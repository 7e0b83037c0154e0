"""The credential flows end to end over real HTTP: `govgraph wallet` processes (and the wallet's client code)
against a real `govgraph serve`. Two citizens (17 and 30) receive credentials; a verifier asks for
age >= 18 AND residence disclosed; the adult is VERIFIED with exactly residence disclosed, the minor's wallet
refuses and a forced proof is REJECTED predicate_failed; wrong PINs, reused and expired offers, replayed
responses and responses for another request are refused with the spec's error or the cause."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from govgraph.credentials.issuer import PRE_AUTHORIZED_GRANT
from govgraph.wallet.presentation import fetch, post
from govgraph.wallet.store import load
from govgraph.wallet.transport import Http
from tests.support.credential_flows import adult_and_residence, wallet, years_ago
from zk import credential as zkc
from zk.wire import parse_json

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def citizens(desk):
    """The adult's and the minor's wallets, each holding a credential received with `govgraph wallet`."""
    service = desk.service
    wallets = {}
    for name, age in (("adult", 30), ("minor", 17)):
        citizen = service.enrol(desk.clerk, years_ago(desk.today, age))
        offer = service.offer(desk.clerk, citizen)
        path = desk.tmp / f"{name}.json"
        done = wallet(path, "receive", offer["offerUri"], "--tx-code", offer["txCode"])
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("stored credential ")
        wallets[name] = path
    return wallets


def offer_code(desk, offer: dict) -> str:
    """The pre-authorized code in the offer object the offer URI points to."""
    url = httpx.URL(offer["offerUri"]).params["credential_offer_uri"]
    body = httpx.get(url).json()
    return body["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]


def redeem(desk, code: str, tx_code: str) -> httpx.Response:
    return httpx.post(
        desk.service.url + "/credentials/token",
        data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": tx_code},
    )


def test_the_adult_is_verified_with_exactly_residence_disclosed(desk, citizens) -> None:
    ask = desk.service.ask(desk.official, adult_and_residence(desk.today), "benefit check")
    assert desk.service.result(desk.official, ask["id"])["status"] == "PENDING"
    done = wallet(citizens["adult"], "present", ask["requestUri"], "--yes")
    assert done.returncode == 0, done.stderr
    cutoff = years_ago(desk.today, 18).isoformat()
    assert done.stdout.splitlines()[-4:] == [
        "discloses residence = Riverside",
        f"proves expires >= {desk.today.isoformat()} (value not revealed)",
        f"proves birth_date <= {cutoff} (value not revealed)",
        "sent: the verifier accepted the presentation",
    ]
    assert desk.service.result(desk.official, ask["id"]) == {
        "id": ask["id"],
        "status": "VERIFIED",
        "purpose": "benefit check",
        "disclosed": {"residence": "Riverside"},
        "predicates": [f"expires >= {desk.today.isoformat()}", f"birth_date <= {cutoff}"],
        "pseudonym": None,
        "pseudonymContext": None,
        "failure": None,
    }


def test_the_minors_wallet_refuses_and_a_forced_proof_is_rejected(desk, citizens) -> None:
    ask = desk.service.ask(desk.official, adult_and_residence(desk.today))
    done = wallet(citizens["minor"], "present", ask["requestUri"], "--yes")
    assert done.returncode == 1
    cutoff = years_ago(desk.today, 18).isoformat()
    assert done.stderr.startswith("govgraph wallet: no credential in this wallet can answer the request\n")
    assert f"does not satisfy birth_date <= {cutoff}" in done.stderr
    assert desk.service.result(desk.official, ask["id"])["status"] == "PENDING"
    # The minor's credential, made to prove the false statement anyway, over the same HTTP endpoint.
    with Http() as http:
        request = fetch(citizens["minor"], ask["requestUri"], http)
        held = load(citizens["minor"]).credentials[0]
        ask_zk = zkc.PresentationRequest.from_json(parse_json(request.request_json, "request"))
        forced = zkc.present(held, ask_zk, unchecked=True)
        answer = post(request, forced.to_json(), http)
    assert (answer.accepted, answer.status, answer.error, answer.failure) == (
        False,
        400,
        "invalid_request",
        "predicate_failed",
    )
    result = desk.service.result(desk.official, ask["id"])
    assert (result["status"], result["failure"], result["disclosed"], result["predicates"]) == (
        "REJECTED",
        "predicate_failed",
        None,
        [],
    )


def test_a_wrong_pin_is_invalid_grant_and_the_fifth_locks_the_offer(desk) -> None:
    citizen = desk.service.enrol(desk.clerk, years_ago(desk.today, 40))
    offer = desk.service.offer(desk.clerk, citizen)
    wrong = "000000" if offer["txCode"] != "000000" else "111111"
    done = wallet(desk.tmp / "pin.json", "receive", offer["offerUri"], "--tx-code", wrong)
    assert done.returncode == 1
    assert done.stderr == (
        "govgraph wallet: the issuer refused (HTTP 400): invalid_grant: "
        "the tx_code is wrong (4 attempts left)\n"
    )
    code = offer_code(desk, offer)
    for left in (3, 2, 1):
        response = redeem(desk, code, wrong)
        assert (response.status_code, response.json()) == (
            400,
            {"error": "invalid_grant", "error_description": f"the tx_code is wrong ({left} attempts left)"},
        )
    response = redeem(desk, code, wrong)
    assert response.json()["error_description"] == (
        "the tx_code is wrong; the offer is now locked: ask the clerk for a new one"
    )
    response = redeem(desk, code, offer["txCode"])  # the right PIN, too late
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_a_reused_offer_is_refused(desk) -> None:
    citizen = desk.service.enrol(desk.clerk, years_ago(desk.today, 50))
    offer = desk.service.offer(desk.clerk, citizen)
    code = offer_code(desk, offer)
    first = wallet(desk.tmp / "reuse.json", "receive", offer["offerUri"], "--tx-code", offer["txCode"])
    assert first.returncode == 0, first.stderr
    again = wallet(desk.tmp / "reuse-2.json", "receive", offer["offerUri"], "--tx-code", offer["txCode"])
    assert again.returncode == 1
    assert again.stderr == (
        "govgraph wallet: the issuer refused (HTTP 404): invalid_request: no such credential offer "
        "(used, locked or expired)\n"
    )
    response = redeem(desk, code, offer["txCode"])
    assert (response.status_code, response.json()) == (
        400,
        {
            "error": "invalid_grant",
            "error_description": "the pre-authorized code is not valid (unknown, already used, or expired)",
        },
    )


def test_an_expired_offer_is_refused(desk) -> None:
    citizen = desk.service.enrol(desk.clerk, years_ago(desk.today, 60))
    offer = desk.service.offer(desk.clerk, citizen)
    code = offer_code(desk, offer)
    desk.service.expire_offers()
    response = redeem(desk, code, offer["txCode"])
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    done = wallet(desk.tmp / "late.json", "receive", offer["offerUri"], "--tx-code", offer["txCode"])
    assert (done.returncode, done.stderr.split(": ")[1]) == (1, "the issuer refused (HTTP 404)")


def _answered(desk, citizens) -> tuple[dict, dict, Path]:
    """A request the adult answered over HTTP, with the vp_token form that answered it."""
    ask = desk.service.ask(desk.official, adult_and_residence(desk.today))
    with Http() as http:
        request = fetch(citizens["adult"], ask["requestUri"], http)
    held = load(citizens["adult"]).credentials[0]
    zk_ask = zkc.PresentationRequest.from_json(parse_json(request.request_json, "request"))
    vp_token = json.dumps({"citizen": [zkc.present(held, zk_ask).to_json()]})
    form = {"vp_token": vp_token, "state": request.state}
    response = httpx.post(request.response_uri, data=form)
    assert (response.status_code, response.json()) == (200, {})
    return ask, form, request.response_uri


def test_a_replayed_response_is_rejected_replayed(desk, citizens) -> None:
    ask, form, response_uri = _answered(desk, citizens)
    replay = httpx.post(response_uri, data=form)
    assert (replay.status_code, replay.json()) == (
        400,
        {
            "error": "invalid_request",
            "error_description": "the presentation is rejected: replayed",
            "govgraph_failure": "replayed",
        },
    )
    assert desk.service.result(desk.official, ask["id"])["status"] == "VERIFIED"  # the first answer stands


def test_a_response_for_another_request_is_rejected_wrong_nonce(desk, citizens) -> None:
    _, form, response_uri = _answered(desk, citizens)
    other = desk.service.ask(desk.official, adult_and_residence(desk.today))
    state = httpx.URL(httpx.URL(other["requestUri"]).params["request_uri"]).path.rsplit("/", 1)[1]
    response = httpx.post(response_uri, data={**form, "state": state})
    assert (response.status_code, response.json()["govgraph_failure"]) == (400, "wrong_nonce")
    result = desk.service.result(desk.official, other["id"])
    assert (result["status"], result["failure"]) == ("REJECTED", "wrong_nonce")


def test_an_expired_request_is_expired(desk, citizens) -> None:
    ask = desk.service.ask(desk.official, adult_and_residence(desk.today))
    desk.service.expire_request(ask["id"])
    assert desk.service.result(desk.official, ask["id"])["status"] == "EXPIRED"
    done = wallet(citizens["adult"], "present", ask["requestUri"], "--yes")
    assert (done.returncode, done.stderr) == (
        1,
        "govgraph wallet: the verifier refused (HTTP 404): invalid_request: no such presentation request "
        "(answered or expired)\n",
    )


def test_the_issuance_entries_hold_no_attribute_value(desk, citizens) -> None:
    entries = [json.loads(e) for e in desk.service.ledger_entries("identity")]
    issued = [e for e in entries if e["type"] == "govgraph.identity.CredentialIssued/v1"]
    assert [e["count"] for e in issued] == list(range(1, len(issued) + 1))
    for entry in issued:
        assert set(entry) == {"type", "actor", "time", "schema", "key", "count"}
        assert entry["schema"] == "govgraph.identity.citizen/v1"
        assert entry["actor"]["role"] == "clerk:identity"
        assert entry["key"].startswith("bbs:")


def test_pseudonyms_are_stable_per_context_and_differ_across_contexts(desk, citizens) -> None:
    shown = []
    for context in ("benefit-2026", "benefit-2026", "election-2027"):
        ask = desk.service.ask(desk.official, adult_and_residence(desk.today, context))
        done = wallet(citizens["adult"], "present", ask["requestUri"], "--yes")
        assert done.returncode == 0, done.stderr
        assert (
            f"shows the pseudonym for context '{context}' (the same every time for this context)"
            in done.stdout
        )
        result = desk.service.result(desk.official, ask["id"])
        assert (result["status"], result["pseudonymContext"]) == ("VERIFIED", context)
        shown.append(result["pseudonym"])
    assert shown[0] == shown[1] != shown[2]


def test_only_the_requester_reads_a_result_and_only_agencies_and_services_ask(desk) -> None:
    ask = desk.service.ask(desk.official, adult_and_residence(desk.today))
    other = desk.service.token("official-cy", "official:welfare")
    assert desk.service.result(other, ask["id"]) is None
    auditor = desk.service.token("audrey", "auditor")
    body = desk.service.graphql(
        'mutation($d: JSON!) { createPresentationRequest(dcql: $d, purpose: "x") { id } }',
        {"d": adult_and_residence(desk.today)},
        auditor,
    )
    assert [(e["extensions"]["code"], e["message"]) for e in body["errors"]] == [
        ("FORBIDDEN", "this operation requires the role clerk:* or official:* or service:*")
    ]


def test_a_query_the_verifier_cannot_ask_is_bad_user_input(desk) -> None:
    dcql = adult_and_residence(desk.today)
    dcql["credentials"][0]["claims"].append({"path": ["expires"]})
    body = desk.service.graphql(
        'mutation($d: JSON!) { createPresentationRequest(dcql: $d, purpose: "x") { id } }',
        {"d": dcql},
        desk.official,
    )
    assert [(e["extensions"]["code"], e["message"]) for e in body["errors"]] == [
        (
            "BAD_USER_INPUT",
            "dcql: claims[2]: expires is never disclosed; every presentation proves expires >= today",
        )
    ]
