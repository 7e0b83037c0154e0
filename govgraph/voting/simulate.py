"""`govgraph election simulate`: one whole election acted out through the public API only, as every role
would (officials, the identity clerk, trustees with their state files in a temporary folder, voters), with
seeded choices; returns the election id, the expected totals and the tracking codes.

Voters register as citizens do: the clerk enrols each citizen (an adult resident of the roll's district)
and offers it a citizen credential, which the voter's wallet (a file in the temporary folder) receives over
OpenID4VCI; the voter then asks the identity bureau to register on the election's roll and answers its
OpenID4VP request from that wallet, and receives the roll credential blind-signed by the bureau."""

from __future__ import annotations

import datetime as dt
import random
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from govgraph.voting import trustee as trustees
from govgraph.voting import voter
from govgraph.voting.api import Api, ApiError, election
from zk.ballot import ElectionContext, Manifest, election_group
from zk.curve import get_backend
from zk.wire import element_from_hex

CONTESTS = [
    {
        "id": "mayor",
        "title": "Mayor",
        "options": ["kestrel", "heron", "wren"],
        "min_selections": 1,
        "max_selections": 1,
    },
    {
        "id": "council",
        "title": "City council (up to two)",
        "options": ["oak", "maple", "birch", "cedar"],
        "min_selections": 0,
        "max_selections": 2,
    },
]
OFFICIAL_STEP = "mutation($e: ID!) {{ {name}(electionId: $e) {{ state }} }}"
DISTRICT, CITIZENSHIP = "Hillcrest", "NL"  # one of the bureau's districts
DEFINE_ROLL = """mutation($id: ID!, $district: String!, $citizenship: String!, $day: Date!) {
defineElectoralRoll(id: $id, district: $district, citizenship: $citizenship, electionDay: $day) { id } }"""
ENROL = "mutation($input: EnrolCitizenInput!) { enrolCitizen(input: $input) { id } }"
OFFER = """mutation($citizen: ID!) { createCredentialOffer(citizenId: $citizen,
schema: "govgraph.identity.citizen/v1") { offerUri txCode } }"""


@dataclass
class Simulation:
    election: str
    expected: dict[str, dict[str, int]]
    tracking_codes: list[str]
    spoiled: list[str] = field(default_factory=list)
    state: str = "DRAFT"
    result: dict | None = None

    def to_json(self) -> dict:
        return {"election": self.election, "expected": self.expected, "tracking_codes": self.tracking_codes}


def _official(api: Api, step: str, election_id: str) -> str:
    return api.graphql(OFFICIAL_STEP.format(name=step), e=election_id)[step]["state"]


def _choose(manifest: Manifest, chooser: random.Random) -> dict[str, list[int]]:
    chosen = {}
    for contest in manifest.contests:
        count = chooser.randint(contest.min_selections, contest.max_selections)
        picked = set(chooser.sample(range(len(contest.options)), count))
        chosen[contest.id] = [1 if k in picked else 0 for k in range(len(contest.options))]
    return chosen


def _citizen_wallet(api: Api, folder: Path, k: int) -> Path:
    """A citizen enrolled by the clerk (an adult of the simulated district) whose wallet has received its
    citizen credential: the wallet's path."""
    from govgraph.wallet.issuance import receive

    citizen = {
        "givenName": "Voter",
        "familyName": f"Number {k}",
        "birthDate": "1990-01-01",
        "residence": DISTRICT,
        "citizenship": CITIZENSHIP,
        "householdIncome": 30_000,
    }
    citizen_id = api.graphql(ENROL, input=citizen)["enrolCitizen"]["id"]
    offer = api.graphql(OFFER, citizen=citizen_id)["createCredentialOffer"]
    wallet = folder / f"wallet-{k}.json"
    receive(wallet, offer["offerUri"], offer["txCode"], backend=get_backend("arkworks"))
    return wallet


def simulate(
    api: Api,
    *,
    voters: int,
    n: int,
    t: int,
    absent: int,
    seed: int,
    leave_open: bool = False,
    revoting: str = "SINGLE",
    trustee_dir: Path | None = None,
    roll: str | None = None,
    progress=lambda message: None,
) -> Simulation:
    """`trustee_dir`: keep the trustees' state files there (default: a temporary folder, removed at the
    end). `roll`: an existing electoral roll to name in the manifest (default: a new roll of the election,
    whose voters the clerk registers)."""
    options = (voters, n, t, absent, seed, leave_open, revoting)
    if trustee_dir is not None:
        return _simulate(api, *options, trustee_dir, roll, progress)
    with tempfile.TemporaryDirectory(prefix="govgraph-trustees-") as folder:
        return _simulate(api, *options, Path(folder), roll, progress)


def _simulate(
    api, voters, n, t, absent, seed, leave_open, revoting, folder: Path, roll, progress
) -> Simulation:
    if not 1 <= t <= n or not 0 <= absent <= n - t or voters < 0:
        raise ValueError(
            "need 1 <= threshold <= trustees, 0 <= absent <= trustees - threshold and voters >= 0"
        )
    chooser = random.Random(seed)
    election_id = f"sim-{seed}-{secrets.token_hex(4)}"
    by_presentation = roll is None
    roll = roll or f"roll-{election_id}"
    if by_presentation:
        day = dt.date.today() + dt.timedelta(days=30)
        api.graphql(DEFINE_ROLL, id=roll, district=DISTRICT, citizenship=CITIZENSHIP, day=day.isoformat())
    # The identity bureau issues the roll's credentials: the manifest names its key (which it publishes).
    key = api.graphql("query($r: ID!) { rollIssuer(rollId: $r) { issuerPublicKey } }", r=roll)["rollIssuer"]
    manifest_document = {
        "election_id": election_id,
        "title": f"Simulated election (seed {seed})",
        "contests": CONTESTS,
        "trustees": [],
        "threshold": t,
        "revoting": "none" if revoting == "SINGLE" else "last-wins",
        "electoral_roll": {"id": roll, "issuer_public_key": key["issuerPublicKey"]},
    }
    api.graphql("mutation($m: JSON!) { createElection(manifest: $m) { id } }", m=manifest_document)
    for i in range(1, n + 1):
        api.graphql(
            "mutation($e: ID!, $t: ID!, $n: String!) "
            "{ addTrustee(electionId: $e, trusteeId: $t, name: $n) { id } }",
            e=election_id,
            t=f"trustee-{i}",
            n=f"Trustee {i}",
        )
    _official(api, "startKeyCeremony", election_id)
    progress(f"election {election_id}: key ceremony with {n} trustees, threshold {t}")
    paths = {i: folder / f"trustee-{i}.json" for i in range(1, n + 1)}
    for i, path in paths.items():
        trustees.join(api, election_id, f"trustee-{i}", path)
    states = {i: trustees.TrusteeState.load(path) for i, path in paths.items()}
    for step in (trustees.commit, trustees.share, trustees.complain):
        for state in states.values():
            step(api, state)
    _official(api, "openVoting", election_id)
    board = election(api, election_id)
    group = election_group(get_backend("arkworks"))
    manifest = Manifest.from_json(board["manifest"])
    context = ElectionContext(group, manifest, element_from_hex(group, board["jointKey"], "joint key"))
    expected = {c.id: dict.fromkeys(c.options, 0) for c in manifest.contests}
    codes, spoiled = [], []
    for k in range(voters):
        if by_presentation:
            credential = voter.register(api, group, roll, _citizen_wallet(api, folder, k))
        else:
            credential = voter.enrol(api, group, roll, f"sim-citizen-{seed}-{k}")
        if k < max(1, voters // 4):  # a few voters challenge a ballot first (Benaloh), then cast
            _, ballot, opened = voter.encrypt(context, credential, _choose(manifest, chooser))
            spoiled.append(voter.spoil(api, context, ballot, opened)["trackingCode"])
        selections = _choose(manifest, chooser)
        document, _, _ = voter.encrypt(context, credential, selections)
        codes.append(voter.cast(api, election_id, document)["trackingCode"])
        for contest in manifest.contests:
            for option, chosen in zip(contest.options, selections[contest.id], strict=True):
                expected[contest.id][option] += chosen
    progress(f"{voters} ballots cast, {len(spoiled)} spoiled")
    simulation = Simulation(election_id, expected, codes, spoiled, "OPEN")
    if leave_open:
        return simulation
    _official(api, "closeVoting", election_id)
    present = sorted(states)[: n - absent]
    for i in present:
        trustees.decrypt(api, states[i])
    simulation.state = _official(api, "publishResult", election_id)
    simulation.result = election(api, election_id)["result"]
    if simulation.result != expected:
        raise ApiError(f"the published result {simulation.result} is not the expected {expected}", "MISMATCH")
    return simulation
