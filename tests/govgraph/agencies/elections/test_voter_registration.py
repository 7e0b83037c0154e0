"""Voter registration by presentation over real HTTP: an official of the commission defines a roll
(district, citizenship, election day); a citizen with a credential from the identity bureau asks the bureau
to register with a commitment, answers the OpenID4VP request with `govgraph wallet present` (citizenship and
residence disclosed, age >= 18 on election day proved, the roll's pseudonym shown), and receives a roll
credential blind-signed under the bureau's issuer key for the roll, which votes. A second registration of the
same credential, a minor, an unanswered request and the clerk's path on such a roll are refused; the roll's
size is public (the bureau's issuance count, which the commission reads), the citizen's id is on no ledger,
and a manifest naming any key but the bureau's is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from govgraph.voting import voter
from tests.govgraph.agencies.elections.ballots import MAYOR_ADA, open_election_on
from tests.govgraph.agencies.elections.conftest import Service, error_of
from tests.support import credential_flows
from tests.support.credential_flows import wallet
from tests.support.mutations import ledger_sizes
from zk.ballot import election_group
from zk.curve import get_backend
from zk.eligibility import finish_enrolment, suite_for

DEFINE = """mutation($id: ID!, $day: Date!) { defineElectoralRoll(id: $id, district: "Riverside",
  citizenship: "NL", electionDay: $day) { id size district citizenship electionDay } }"""
REQUEST = """mutation($roll: ID!, $c: String!) { requestRollRegistration(rollId: $roll, commitment: $c) {
  presentationId requestUri } }"""
REGISTER = """mutation($p: ID!) { registerVoter(presentationId: $p) { roll issuerPublicKey signature
  signerNymEntropy } }"""
ISSUER = """query($roll: ID!) { rollIssuer(rollId: $roll) { roll issuerPublicKey issued }
  electoralRoll(id: $roll) { issuerPublicKey size } }"""
ELECTION_DAY = dt.date.today() + dt.timedelta(days=30)


def citizen_wallet(service: Service, tmp_path: Path, name: str, born: dt.date) -> tuple[str, Path]:
    flows = credential_flows.Service(service.url, service.data)
    clerk = flows.token("registrar", "clerk:identity")
    citizen = flows.enrol(clerk, born, residence="Riverside")
    offer = flows.offer(clerk, citizen)
    path = tmp_path / f"{name}.json"
    received = wallet(path, "receive", offer["offerUri"], "--tx-code", offer["txCode"])
    assert received.returncode == 0, received.stderr
    return citizen, path


def register(service: Service, roll: str, path: Path) -> tuple[dict, tuple]:
    """Ask, present with the wallet, and call registerVoter: the answer and the voter's secrets."""
    group = election_group(get_backend("arkworks"))
    suite = suite_for(group.backend)
    prover_nym = 1 + int.from_bytes(path.name.encode(), "big") % (group.order - 1)
    commitment, blind = suite.commit_with_nym([], [prover_nym])
    asked = service.graphql(REQUEST, roll=roll, c=commitment.hex())["data"]["requestRollRegistration"]
    presented = wallet(path, "present", asked["requestUri"], "--yes")
    answer = service.graphql(REGISTER, p=asked["presentationId"])
    return answer, (presented, prover_nym, blind, asked["presentationId"])


def test_a_citizen_registers_by_presentation_and_votes(service: Service, tmp_path: Path) -> None:
    defined = service.graphql(DEFINE, token=service.token, id="roll-riverside", day=ELECTION_DAY.isoformat())
    assert defined["data"]["defineElectoralRoll"] == {
        "id": "roll-riverside",
        "size": 0,
        "district": "Riverside",
        "citizenship": "NL",
        "electionDay": ELECTION_DAY.isoformat(),
    }
    adult_born = ELECTION_DAY.replace(year=ELECTION_DAY.year - 30)
    citizen, path = citizen_wallet(service, tmp_path, "adult", adult_born)
    sizes = ledger_sizes(service.data / "govgraph.db")
    answer, (presented, prover_nym, blind, _) = register(service, "roll-riverside", path)
    assert presented.returncode == 0, presented.stdout + presented.stderr
    issued = answer["data"]["registerVoter"]
    assert ledger_sizes(service.data / "govgraph.db") == sizes  # registration appends nothing anywhere
    # The identity bureau signed, under its key for the roll; the commission names the same key and counts
    # the bureau's issuance as the roll's size.
    bureau = service.graphql(ISSUER, roll="roll-riverside")["data"]
    assert bureau == {
        "rollIssuer": {
            "roll": "roll-riverside",
            "issuerPublicKey": issued["issuerPublicKey"],
            "issued": 1,
        },
        "electoralRoll": {"issuerPublicKey": issued["issuerPublicKey"], "size": 1},
    }
    other = service.graphql(ISSUER, roll="roll-elsewhere")["data"]["rollIssuer"]
    assert (other["issued"], len(other["issuerPublicKey"])) == (0, 192)
    assert other["issuerPublicKey"] != issued["issuerPublicKey"]  # a key per roll
    group = election_group(get_backend("arkworks"))
    credential = finish_enrolment(
        suite_for(group.backend),
        bytes.fromhex(issued["issuerPublicKey"]),
        "roll-riverside",
        bytes.fromhex(issued["signature"]),
        prover_nym,
        int(issued["signerNymEntropy"], 16),
        blind,
    )
    roll = service.graphql('{ electoralRoll(id: "roll-riverside") { size } }')["data"]["electoralRoll"]
    assert roll == {"size": 1}

    # The same credential again (a new commitment, a new request): its pseudonym for the roll is the same.
    again, (presented, _, _, _) = register(service, "roll-riverside", path)
    assert presented.returncode == 0
    assert error_of(again) == ("CONFLICT", "This voter holds a credential of roll roll-riverside already.")

    election = open_election_on(service, "roll-riverside", seed=51)
    cast = election.cast(voter.encrypt(election.context, credential, MAYOR_ADA)[0])
    assert "errors" not in cast, cast
    assert election.turnout() == 1

    leaves = b"".join(service.ledger_leaves("elections"))
    assert citizen.encode() not in leaves and b"Riverside" in leaves  # the roll's rule is public, not who
    identity = b"".join(service.ledger_leaves("identity"))
    assert b"roll-riverside" not in identity and issued["signature"].encode() not in identity


def test_a_manifest_must_name_the_identity_bureaus_key_for_its_roll(service: Service) -> None:
    bureau = service.graphql(ISSUER, roll="roll-keyed")["data"]["rollIssuer"]["issuerPublicKey"]
    wrong = service.graphql(ISSUER, roll="roll-other")["data"]["rollIssuer"]["issuerPublicKey"]
    manifest = {
        "election_id": "keyed-1",
        "title": "t",
        "contests": [
            {"id": "c", "title": "c", "options": ["a", "b"], "min_selections": 1, "max_selections": 1}
        ],
        "trustees": [],
        "threshold": 1,
        "revoting": "none",
        "electoral_roll": {"id": "roll-keyed", "issuer_public_key": wrong},
    }
    create = "mutation($m: JSON!) { createElection(manifest: $m) { id } }"
    size = service.ledger_size()
    refused = service.graphql(create, token=service.token, m=manifest)
    assert error_of(refused) == (
        "BAD_USER_INPUT",
        "The manifest's electoral roll roll-keyed must name the identity bureau's issuer key for it, "
        f"{bureau} (see `rollIssuer`).",
    )
    assert service.ledger_size() == size
    created = service.graphql(
        create,
        token=service.token,
        m={**manifest, "electoral_roll": {"id": "roll-keyed", "issuer_public_key": bureau}},
    )
    assert created["data"] == {"createElection": {"id": "keyed-1"}}


def test_a_minor_an_unanswered_request_and_the_clerk_path_are_refused(
    service: Service, tmp_path: Path
) -> None:
    service.graphql(DEFINE, token=service.token, id="roll-minors", day=ELECTION_DAY.isoformat())
    minor_born = ELECTION_DAY.replace(year=ELECTION_DAY.year - 17)
    _, path = citizen_wallet(service, tmp_path, "minor", minor_born)
    answer, (presented, _, _, presentation) = register(service, "roll-minors", path)
    assert presented.returncode == 1  # the wallet does not send a proof it knows to be false
    assert error_of(answer) == ("CONFLICT", f"Presentation {presentation} has not been answered yet.")
    assert error_of(service.graphql(REGISTER, p="no-such-presentation")) == (
        "NOT_FOUND",
        "No registration for presentation no-such-presentation.",
    )
    clerk = service.graphql(
        'mutation { registerVoterByClerk(rollId: "roll-minors", citizenId: "cit_x", commitment: "00") '
        "{ roll } }",
        token=service.token,
    )
    assert error_of(clerk) == (
        "CONFLICT",
        "Roll roll-minors registers voters by presentation only (requestRollRegistration).",
    )
    unknown = service.graphql(REQUEST, roll="roll-undefined", c="00")
    assert error_of(unknown) == (
        "NOT_FOUND",
        "No electoral roll roll-undefined is defined for registration by presentation.",
    )
    assert service.graphql('{ electoralRoll(id: "roll-minors") { size } }')["data"]["electoralRoll"] == {
        "size": 0
    }
