"""The write path through a real `govgraph serve` process over HTTP (/graphql, the embedded gateway) with
tokens from its embedded issuer: the seeded demo ledgers, roles, idempotency keys on every mutation, typed
refusals that append nothing, 50 concurrent sales of one parcel, no raw personal data in any leaf of any
ledger after every mutation and the credential flows, cosigned checkpoints, and receipts that verify offline
with `govgraph ledger verify-receipt`."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from govgraph.agencies.identity.service import DEMO_CITIZENS
from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import Settings
from govgraph.ledger.keys import read_vkey, witness_label
from tests.support.credential_flows import CITIZEN, adult_and_residence, wallet
from tests.support.mutations import mutations
from tests.support.procurement import run_every_procurement_mutation
from tests.support.servers import LiveServer, running_server
from tests.support.welfare_flows import CREATE, OPEN, PAY, SUBMIT, eligibility, programme_input
from zk.wire import canonical_json

pytestmark = pytest.mark.e2e

ENROL = """mutation ($input: EnrolCitizenInput!, $key: String) {
  enrolCitizen(input: $input, idempotencyKey: $key) { id enrolledBy { id } ledgerEntry { ledger index } } }"""
REGISTER = """mutation ($input: RegisterParcelInput!, $key: String) {
  registerParcel(input: $input, idempotencyKey: $key) { id owner { id } ledgerEntry { ledger index } } }"""
REGISTER_MANY = """mutation ($input: [RegisterParcelInput!]!, $key: String) {
  registerParcels(input: $input, idempotencyKey: $key) { id ledgerEntry { index } } }"""
TRANSFER = """mutation ($input: TransferTitleInput!, $key: String) {
  transferTitle(input: $input, idempotencyKey: $key) {
    id current owner { id } ledgerEntry { ledger index } } }"""
OFFER = """mutation ($citizen: ID!, $schema: String!, $key: String) {
  createCredentialOffer(citizenId: $citizen, schema: $schema, idempotencyKey: $key) { offerUri txCode } }"""
NOTARIZE = """mutation ($sha256: Base64!, $key: String) {
  notarize(sha256: $sha256, mediaType: "application/pdf", caseRef: "CV-2026-7", idempotencyKey: $key) {
    notarization { index } } }"""
ASK = """mutation ($dcql: JSON!, $purpose: String!, $key: String) {
  createPresentationRequest(dcql: $dcql, purpose: $purpose, idempotencyKey: $key) { id requestUri } }"""
RESULT = "query ($id: ID!) { presentationResult(id: $id) { status disclosed } }"
REVOKE = """mutation ($citizen: ID!, $schema: String!, $reason: String!, $key: String) {
  revokeCredentials(citizenId: $citizen, schema: $schema, reason: $reason, idempotencyKey: $key) {
    epoch } }"""
REVOCABLE = "govgraph.identity.revocable-citizen/v1"
PERSON = {
    "givenName": "Quirinus",
    "familyName": "Zabolotny",
    "birthDate": "1963-07-19",
    "residence": "Eastgate",
    "citizenship": "NL",
    "householdIncome": 73519,
}
CLERK_SUBJECT = "registrar-oona"
# a keyed hash; an issuer key id; a public encoding of 48+ bytes (a revocation epoch's accumulator value,
# its update data's points and coefficients; procurement's hex digests, group elements, sealed shares); hex
# of 16+ bytes (the elections' digests and points)
OPAQUE = re.compile(r"[A-Za-z0-9_-]{43}|bbs:[A-Za-z0-9_-]{22}|[A-Za-z0-9_-]{64,}|(?:[0-9a-f]{2}){16,}")
# the entries each ledger's demo seed appends (identity: citizens; land: parcels and the sale; procurement:
# releases; welfare: programmes; courts: exhibits)
MUTATIONS = ("enrolCitizen", "registerParcel", "registerParcels", "transferTitle")  # checked below


@dataclass
class Service:
    server: LiveServer
    settings: Settings
    clerk: str  # a token holding clerk:land, clerk:identity and clerk:courts
    stranger: str  # a token holding auditor only

    def post(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.server.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=30,
        )
        return response.json()

    def next_indexes(self) -> dict[str, int]:
        """Every ledger's acknowledged size, read from the database file."""
        with sqlite3.connect(self.settings.data_dir / "govgraph.db") as connection:
            return dict(connection.execute("SELECT name, next_index FROM ledger_logs"))

    def leaves(self) -> dict[str, list[bytes]]:
        with sqlite3.connect(self.settings.data_dir / "govgraph.db") as connection:
            rows = connection.execute(
                "SELECT l.name, e.data FROM ledger_entries e JOIN ledger_logs l ON l.id = e.log_id "
                "ORDER BY l.name, e.idx"
            )
            found: dict[str, list[bytes]] = {}
            for name, data in rows:
                found.setdefault(name, []).append(data)
            return found

    def signed_size(self, name: str) -> int:
        ledger = self.post("query ($n: String!) { ledger(name: $n) { size } }", {"n": name})["data"]["ledger"]
        return 0 if ledger is None else int(ledger["size"])

    def wait_until_signed(self, name: str, size: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.signed_size(name) < size:
            assert time.monotonic() < deadline, f"{name} not signed at {size}"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    data_dir = tmp_path_factory.mktemp("write-path")
    settings = Settings.from_env({"GOVGRAPH_DATA": str(data_dir)})
    with running_server(data_dir, log_level="warning") as server:
        issuer = EmbeddedIssuer.load_or_create(
            settings.auth_issuer_key_path, issuer=settings.token_issuer, audience=settings.token_audience
        )
        yield Service(
            server,
            settings,
            issuer.issue(CLERK_SUBJECT, ["clerk:land", "clerk:identity", "clerk:courts"]),
            issuer.issue("auditor-uma", ["auditor"]),
        )
        log = server.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]


def only_error(body: dict) -> tuple[str, str, list]:
    assert body.get("data") is None and len(body["errors"]) == 1, body
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"], error.get("path")


def test_the_write_path_mutations_are_in_the_composed_schema_and_none_is_public(service: Service) -> None:
    body = service.post("{ __schema { mutationType { fields { name description } } } }")
    fields = {
        field["name"]: field["description"] for field in body["data"]["__schema"]["mutationType"]["fields"]
    }
    assert set(MUTATIONS) <= set(fields)
    assert [name for name in MUTATIONS if fields[name].startswith("Public:")] == []


def test_every_mutation_of_the_composed_schema_takes_an_optional_idempotency_key(service: Service) -> None:
    found = mutations(lambda body: service.post(body["query"], body.get("variables")))
    assert set(MUTATIONS) <= {mutation.name for mutation in found}
    without = {
        mutation.name: mutation.arguments.get("idempotencyKey")
        for mutation in found
        if mutation.arguments.get("idempotencyKey") != "String"
    }
    assert without == {}


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (ENROL, {"input": PERSON}, "enrolCitizen"),
        (
            REGISTER,
            {"input": {"id": "auth-1", "area": 1.5, "locality": "Eastgate", "owner": "cit_a"}},
            "registerParcel",
        ),
        (
            REGISTER_MANY,
            {"input": [{"id": "auth-2", "area": 1.5, "locality": "Eastgate", "owner": "cit_a"}]},
            "registerParcels",
        ),
        (
            TRANSFER,
            {"input": {"parcel": "parcel-0004", "seller": "cit_91c4d6ab02f3e715", "buyer": "cit_b"}},
            "transferTitle",
        ),
    ],
)
def test_every_mutation_needs_its_clerk_role_and_a_refusal_appends_nothing(
    service: Service, query: str, variables: dict, field: str
) -> None:
    before = service.next_indexes()
    role = "clerk:identity" if field == "enrolCitizen" else "clerk:land"
    assert only_error(service.post(query, variables)) == (
        "UNAUTHENTICATED",
        "authentication required: send a bearer token or an API key",
        [field],
    )
    assert only_error(service.post(query, variables, service.stranger)) == (
        "FORBIDDEN",
        f"this operation requires the role {role}",
        [field],
    )
    assert service.next_indexes() == before


@pytest.mark.parametrize(
    ("query", "variables", "code", "message"),
    [
        (
            ENROL,
            {"input": {**PERSON, "birthDate": "1963-02-30"}},
            "BAD_USER_INPUT",
            "Variable '$input' has invalid value at .birthDate: Date '1963-02-30' is not a calendar date.",
        ),
        (
            ENROL,
            {"input": {**PERSON, "residence": "Atlantis"}},
            "BAD_USER_INPUT",
            "`residence` must be a district: Eastgate, Hillcrest, Northfield, Riverside.",
        ),
        (
            ENROL,
            {"input": {**PERSON, "householdIncome": -1}},
            "BAD_USER_INPUT",
            "`householdIncome` must lie in 0..1000000000.",
        ),
        (
            ENROL,
            {"input": PERSON, "key": "two words"},
            "BAD_USER_INPUT",
            "An idempotency key is 1..128 printable ASCII characters without spaces.",
        ),
        (
            REGISTER,
            {"input": {"id": "bad-1", "area": -3, "locality": "Eastgate", "owner": "cit_a"}},
            "BAD_USER_INPUT",
            "`area` must be above 0 and at most 10000000000 square metres.",
        ),
        (
            REGISTER,
            {
                "input": {
                    "id": "bad-1",
                    "area": 3,
                    "locality": "Eastgate",
                    "owner": "cit_a",
                    "registeredOn": "2999-01-01",
                }
            },
            "BAD_USER_INPUT",
            "`registeredOn` must lie between 1800-01-01 and today.",
        ),
        (
            REGISTER,
            {"input": {"id": "parcel-0001", "area": 3, "locality": "Eastgate", "owner": "cit_a"}},
            "CONFLICT",
            "Parcel parcel-0001 is registered already.",
        ),
        (REGISTER_MANY, {"input": []}, "BAD_USER_INPUT", "Register 1..256 parcels at a time, not 0."),
        (
            REGISTER_MANY,
            {"input": [{"id": "bad-2", "area": 3, "locality": "", "owner": "cit_a"}]},
            "BAD_USER_INPUT",
            "`locality` must be 1..100 printable characters.",
        ),
        (
            TRANSFER,
            {"input": {"parcel": "parcel-9999", "seller": "cit_a", "buyer": "cit_b"}},
            "NOT_FOUND",
            "No parcel parcel-9999.",
        ),
        (
            TRANSFER,
            {"input": {"parcel": "parcel-0002", "seller": "cit_a", "buyer": "cit_b"}},
            "CONFLICT",
            "Parcel parcel-0002 is not held by cit_a.",
        ),
        (
            TRANSFER,
            {"input": {"parcel": "parcel-0002", "seller": "cit_a", "buyer": "cit_a"}},
            "BAD_USER_INPUT",
            "The buyer must be someone other than the seller.",
        ),
    ],
)
def test_bad_input_on_every_mutation_is_a_typed_error_and_appends_nothing(
    service: Service, query: str, variables: dict, code: str, message: str
) -> None:
    before = service.next_indexes()
    body = service.post(query, variables, service.clerk)
    assert only_error(body)[:2] == (code, message)
    assert service.next_indexes() == before


def test_a_retried_enrolment_returns_the_first_citizen_and_appends_nothing(service: Service) -> None:
    person = {**PERSON, "givenName": "Idem"}
    first = service.post(ENROL, {"input": person, "key": "enrol-idem-1"}, service.clerk)["data"][
        "enrolCitizen"
    ]
    after_first = service.next_indexes()
    again = service.post(ENROL, {"input": person, "key": "enrol-idem-1"}, service.clerk)["data"][
        "enrolCitizen"
    ]
    assert again == first and first["enrolledBy"] == {"id": "identity-bureau"}
    assert service.next_indexes() == after_first
    changed = service.post(
        ENROL, {"input": {**person, "householdIncome": 1}, "key": "enrol-idem-1"}, service.clerk
    )
    assert only_error(changed) == (
        "CONFLICT",
        "This idempotency key was used for another operation or other input.",
        ["enrolCitizen"],
    )
    assert service.next_indexes() == after_first


def test_fifty_concurrent_sales_of_one_parcel_over_http_sell_it_once(service: Service) -> None:
    parcel = {"id": "race-0001", "area": 640.0, "locality": "Riverside", "owner": "cit_racer"}
    assert (
        service.post(REGISTER, {"input": parcel}, service.clerk)["data"]["registerParcel"]["id"]
        == "race-0001"
    )
    before = service.next_indexes()["land"]

    async def sell_to_all() -> list[dict]:
        async with httpx.AsyncClient(timeout=60) as client:

            async def sell(buyer: str) -> dict:
                variables = {"input": {"parcel": "race-0001", "seller": "cit_racer", "buyer": buyer}}
                response = await client.post(
                    f"{service.server.url}/graphql",
                    json={"query": TRANSFER, "variables": variables},
                    headers={"authorization": f"Bearer {service.clerk}"},
                )
                return response.json()

            return await asyncio.gather(*(sell(f"cit_buyer_{i:02d}") for i in range(50)))

    bodies = asyncio.run(sell_to_all())
    sold = [body["data"]["transferTitle"] for body in bodies if body.get("data")]
    refused = [only_error(body) for body in bodies if not body.get("data")]
    assert len(sold) == 1 and sold[0]["current"] is True
    assert refused == [("CONFLICT", "Parcel race-0001 is not held by cit_racer.", ["transferTitle"])] * 49
    assert service.next_indexes()["land"] == before + 1
    transfers = [
        entry
        for entry in map(json.loads, service.leaves()["land"])
        if entry["type"] == "govgraph.land.TitleTransferred/v1" and entry["parcel"] == "race-0001"
    ]
    assert [entry["title"] for entry in transfers] == [sold[0]["id"]]


def test_no_leaf_of_any_ledger_holds_raw_personal_data(service: Service, tmp_path: Path) -> None:
    # Every mutation, once more, with data of its own to look for.
    enrolled = service.post(ENROL, {"input": PERSON}, service.clerk)["data"]["enrolCitizen"]["id"]
    owner = {"owner": enrolled, "locality": "Eastgate", "area": 12.5}
    assert service.post(REGISTER, {"input": {**owner, "id": "privacy-1"}}, service.clerk)["data"]
    assert service.post(REGISTER_MANY, {"input": [{**owner, "id": "privacy-2"}]}, service.clerk)["data"]
    sale = {"parcel": "privacy-1", "seller": enrolled, "buyer": "cit_e27a8f5d3c6b1049"}
    assert service.post(TRANSFER, {"input": sale}, service.clerk)["data"]
    # The land registry's restrictions on the new citizen's parcel, each registered and ended; the lease's
    # tenant is the new citizen too.
    for register, end, restriction in (
        ("registerLease", "endLease", {"tenant": enrolled, "endsOn": "2099-01-01"}),
        (
            "registerMortgage",
            "dischargeMortgage",
            {"lender": "Bank of Eastgate", "amount": "1", "currency": "EUR"},
        ),
        ("placeCaution", "liftCaution", {"lodgedBy": "District Court", "reason": "Privacy scan"}),
    ):
        kind = {"registerLease": "RegisterLease", "registerMortgage": "RegisterMortgage"}.get(
            register, "PlaceCaution"
        )
        placed = service.post(
            f"mutation ($input: {kind}Input!) {{ {register}(input: $input) {{ id }} }}",
            {"input": {"parcel": "privacy-2", **restriction}},
            service.clerk,
        )["data"][register]["id"]
        assert service.post(f'mutation {{ {end}(id: "{placed}") {{ active }} }}', None, service.clerk)["data"]
    exhibit = base64.b64encode(hashlib.sha256(PERSON["familyName"].encode()).digest()).decode()
    assert service.post(NOTARIZE, {"sha256": exhibit}, service.clerk)["data"]
    # The credential flows: the new citizen and a demo citizen each receive a credential with `govgraph
    # wallet` (the issuance appends to the identity ledger), and the demo citizen answers a presentation
    # request that asks for a disclosed claim, a predicate over the birth date and a pseudonym.
    wallets = {}
    for citizen, schema in ((enrolled, CITIZEN), ("cit_5b0e2f7c1a9d4e83", CITIZEN), (enrolled, REVOCABLE)):
        variables = {"citizen": citizen, "schema": schema, "key": f"privacy/{citizen}/{schema}"}
        offer = service.post(OFFER, variables, service.clerk)["data"]["createCredentialOffer"]
        wallets[citizen] = tmp_path / f"{citizen}.json"
        received = wallet(wallets[citizen], "receive", offer["offerUri"], "--tx-code", offer["txCode"])
        assert received.returncode == 0, received.stderr
    # the revocable credential is revoked: the identity ledger gets the epoch, naming no citizen
    revoked = {"citizen": enrolled, "schema": REVOCABLE, "reason": "court_order"}
    assert service.post(REVOKE, revoked, service.clerk)["data"]["revokeCredentials"] == {"epoch": 1}
    today = dt.datetime.now(dt.UTC).date()
    variables = {"dcql": adult_and_residence(today, context="privacy"), "purpose": "privacy scan"}
    ask = service.post(ASK, variables, service.clerk)["data"]["createPresentationRequest"]
    presented = wallet(wallets["cit_5b0e2f7c1a9d4e83"], "present", ask["requestUri"], "--yes")
    assert presented.returncode == 0, presented.stderr
    assert service.post(RESULT, {"id": ask["id"]}, service.clerk)["data"]["presentationResult"] == {
        "status": "VERIFIED",
        "disclosed": {"residence": "Northfield"},
    }
    # The welfare office: a programme, the demo citizen's claim (openClaim, the wallet, submitClaim) and a
    # payment run.
    official = EmbeddedIssuer.load_or_create(
        service.settings.auth_issuer_key_path,
        issuer=service.settings.token_issuer,
        audience=service.settings.token_audience,
    ).issue("official-wes", ["official:welfare"])
    rule = programme_input("privacy", today, eligibility=eligibility(today, income_below=50_000))
    assert service.post(CREATE, {"input": rule}, official)["data"]
    invitation = service.post(OPEN, {"programme": "privacy"})["data"]["openClaim"]
    claimed = wallet(wallets["cit_5b0e2f7c1a9d4e83"], "present", invitation["requestUri"], "--yes")
    assert claimed.returncode == 0, claimed.stderr
    made = service.post(SUBMIT, {"invitation": invitation["id"]})["data"]["submitClaim"]
    payment = {"claim": made["id"], "paidOn": today.isoformat()}
    assert service.post(PAY, {"input": [payment]}, official)["data"]
    ran = {
        "enrolCitizen",
        "registerParcel",
        "registerParcels",
        "transferTitle",
        "createCredentialOffer",
        "createPresentationRequest",
        "createProgramme",
        "openClaim",
        "submitClaim",
        "recordPayments",
        "revokeCredentials",
        "registerLease",
        "endLease",
        "registerMortgage",
        "dischargeMortgage",
        "placeCaution",
        "liftCaution",
        "notarize",
        *run_an_election(service, enrolled, wallets[enrolled], tmp_path),
    }
    ran |= run_every_procurement_mutation(service.server, service.settings)
    found = mutations(lambda body: service.post(body["query"], body.get("variables")))
    assert ran == {mutation.name for mutation in found}  # a new mutation joins this scan

    people = [*DEMO_CITIZENS.values()]
    forbidden = {CLERK_SUBJECT, COMMISSION_SUBJECT, enrolled, *DEMO_CITIZENS}  # who acted, every citizen id
    forbidden |= {
        PERSON["givenName"],
        PERSON["familyName"],
        PERSON["birthDate"],
        str(PERSON["householdIncome"]),
    }
    for person in people:
        birth = person.birth_date
        forbidden |= {person.given_name, person.family_name, str(person.household_income)}
        forbidden |= {
            birth.isoformat(),
            birth.strftime("%d/%m/%Y"),
            birth.strftime("%m/%d/%Y"),
            birth.strftime("%Y%m%d"),
        }
    leaves = service.leaves()
    assert sorted(leaves) == ["courts", "elections", "identity", "land", "procurement", "welfare"]
    # welfare: the two demo programmes, then this test's programme, claim and payment; courts: the three
    # demo exhibits, then this test's exhibit
    assert len(leaves["welfare"]) == 2 + 3 and len(leaves["courts"]) == 3 + 1
    assert len(leaves["identity"]) >= 6 and len(leaves["land"]) >= 8
    issued = [json.loads(leaf) for leaf in leaves["identity"] if b"CredentialIssued" in leaf]
    assert len(issued) >= 3 and {entry["schema"] for entry in issued} == {CITIZEN, REVOCABLE}
    epochs = [json.loads(leaf) for leaf in leaves["identity"] if b"RevocationEpoch" in leaf]
    assert [(entry["schema"], entry["epoch"], entry["reason"]) for entry in epochs] == [
        (REVOCABLE, 1, "court_order")
    ]
    for name, entries in leaves.items():
        for index, leaf in enumerate(entries):
            text = leaf.decode()
            document = json.loads(text)
            # Short values ("Ada") turn up by chance inside random base64url: those are looked for in every
            # name and value but the opaque identifiers; the others in the whole leaf as well.
            fields = [item.lower() for item in readable(document)]
            found = sorted(
                value
                for value in forbidden
                if any(value.lower() in item for item in fields)
                or (len(value) >= 6 and value.lower() in text.lower())
            )
            assert found == [], f"{name} entry {index} holds {found}: {text}"
            assert canonical_json(document) == leaf  # RFC 8785: the leaf is its own canonical form
            assert sorted(document["actor"]) == ["id", "role"]
            assert document["type"].startswith(f"govgraph.{name}.")


COMMISSION_SUBJECT = "commission-cy"
ELECTION_MUTATIONS = {
    "createElection", "addTrustee", "startKeyCeremony", "joinCeremony", "commitCeremony", "revealCeremony",
    "reportShareCheck", "answerComplaints", "openVoting", "registerVoterByClerk", "spoilBallot", "castBallot",
    "closeVoting", "submitDecryptionShare", "publishResult", "defineElectoralRoll", "requestRollRegistration",
    "registerVoter",
}  # fmt: skip


def run_an_election(service: Service, citizen: str, citizen_wallet: Path, tmp_path: Path) -> set[str]:
    """Every elections mutation through the API: a simulated election (its voters registered by the clerk
    under the simulation's citizen ids), a roll credential for `citizen` by the clerk and one by presentation
    (with the citizen's wallet), and a trustee answering (no) complaints."""
    from govgraph.voting import trustee, voter
    from govgraph.voting.api import Api
    from govgraph.voting.simulate import CONTESTS, simulate
    from zk.ballot import election_group
    from zk.curve import get_backend
    from zk.eligibility import suite_for

    issuer = EmbeddedIssuer.load_or_create(
        service.settings.auth_issuer_key_path,
        issuer=service.settings.token_issuer,
        audience=service.settings.token_audience,
    )
    token = issuer.issue(COMMISSION_SUBJECT, ["official:elections", "clerk:identity", "trustee"])
    with Api(service.server.url, token) as api:
        simulate(api, voters=2, n=2, t=1, absent=1, seed=3)
        group = election_group(get_backend("arkworks"))
        voter.enrol(api, group, "privacy-roll", citizen)
        day = (dt.date.today() + dt.timedelta(days=10)).isoformat()
        api.graphql(
            'mutation($d: Date!) { defineElectoralRoll(id: "privacy-by-presentation", district: "Eastgate", '
            'citizenship: "NL", electionDay: $d) { id } }',
            d=day,
        )
        commitment, _ = suite_for(group.backend).commit_with_nym([], [12345])
        asked = api.graphql(
            'mutation($c: String!) { requestRollRegistration(rollId: "privacy-by-presentation", '
            "commitment: $c) { presentationId requestUri } }",
            c=commitment.hex(),
        )["requestRollRegistration"]
        presented = wallet(citizen_wallet, "present", asked["requestUri"], "--yes")
        assert presented.returncode == 0, presented.stderr
        api.graphql(
            "mutation($p: ID!) { registerVoter(presentationId: $p) { signature } }", p=asked["presentationId"]
        )
        manifest = {
            "election_id": "privacy-answers", "title": "t", "contests": CONTESTS, "threshold": 1,
            "trustees": [{"id": "solo", "name": "Solo"}], "revoting": "none", "electoral_roll": None,
        }  # fmt: skip
        api.graphql("mutation($m: JSON!) { createElection(manifest: $m) { id } }", m=manifest)
        api.graphql('mutation { startKeyCeremony(electionId: "privacy-answers") { id } }')
        trustee.join(api, "privacy-answers", "solo", tmp_path / "solo.json")
        state = trustee.TrusteeState.load(tmp_path / "solo.json")
        trustee.commit(api, state)
        trustee.share(api, state)
        api.graphql(
            'mutation { answerComplaints(electionId: "privacy-answers", trusteeId: "solo", answers: []) '
            "{ message } }"
        )
    return ELECTION_MUTATIONS


def readable(value: object) -> Iterator[str]:
    """Every member name, string and number of a JSON document except its opaque identifiers (keyed
    hashes: HMAC-SHA256 in base64url; issuer key ids), as text."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield name
            yield from readable(item)
    elif isinstance(value, list):
        for item in value:
            yield from readable(item)
    elif isinstance(value, str):
        if not OPAQUE.fullmatch(value):
            yield value
    else:
        yield json.dumps(value)


def test_a_receipt_fetched_through_graphql_verifies_offline(service: Service, tmp_path: Path) -> None:
    sale = {"parcel": "parcel-0004", "seller": "cit_91c4d6ab02f3e715", "buyer": "cit_5b0e2f7c1a9d4e83"}
    title = service.post(TRANSFER, {"input": sale, "key": "receipt-sale"}, service.clerk)["data"][
        "transferTitle"
    ]
    index = int(title["ledgerEntry"]["index"])
    service.wait_until_signed("land", index + 1)
    body = service.post(
        '{ ledger(name: "land") { verifierKey } '
        'parcel(id: "parcel-0004") { titles { id ledgerEntry { index receipt } } } }'
    )["data"]
    [entry] = [t["ledgerEntry"] for t in body["parcel"]["titles"] if t["id"] == title["id"]]
    assert entry["index"] == str(index)
    path = tmp_path / "receipt.json"
    path.write_text(entry["receipt"])
    witness = read_vkey(service.settings.ledger_keys_dir, witness_label("identity"))
    verified = subprocess.run(
        [sys.executable, "-m", "govgraph", "ledger", "verify-receipt", str(path)]
        + ["--vkey", body["ledger"]["verifierKey"], "--witness-vkey", witness, "--quorum", "1"],
        capture_output=True,
        text=True,
        env={"GOVGRAPH_DATA": str(tmp_path)},
        timeout=60,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.endswith("The receipt is valid.\n")
