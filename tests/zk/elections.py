"""Simulated elections for the zk tests: the manifest, the key ceremony, honest ballots and the record.

`run_election` runs a whole election (ceremony, enrolment, ballots, tally, record) with seeded randomness; the
election, record, attack, tally and trustee tests build on it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from hypothesis import assume
from hypothesis import strategies as st
from nacl.public import PublicKey, SealedBox

from zk.ballot import (
    BallotSecrets,
    ElectionContext,
    ElectoralRoll,
    Manifest,
    TrusteeIdentity,
    election_group,
    encrypt_ballot,
)
from zk.curve import Backend, get_backend
from zk.eligibility import (
    RollAuthority,
    VoterCredential,
    election_pseudonym,
    enrol_voter,
    prove_eligibility,
    suite_for,
)
from zk.group import Group, g1_group, seeded_scalars
from zk.record import (
    CastBallot,
    CeremonyRecord,
    build_record,
    canonical_bytes,
    closing_hash,
    closing_statement,
    counted_ballots,
)
from zk.tally import DecryptionShare, aggregate_ballots, compute_decryption_share, tally
from zk.trustees import (
    Ceremony,
    SealedShare,
    Trustee,
    joint_public_key,
    qualified_trustees,
    share_plaintext,
    verification_key,
)

ROLL_ID = "city-roll"


def roll_authority(backend: Backend, seed: bytes) -> RollAuthority:
    """The electoral roll's authority of a simulated election, its key derived from the election's seed."""
    return RollAuthority(suite_for(backend), ROLL_ID, (seed * 32)[:32])


def trustee_identities(n: int) -> list[dict]:
    return [{"id": f"trustee-{i}", "name": f"Trustee {i}"} for i in range(1, n + 1)]


MANIFEST = Manifest.from_json(
    {
        "election_id": "city-2026",
        "title": "City elections 2026",
        "revoting": "last-wins",
        "trustees": trustee_identities(5),
        "threshold": 3,
        "electoral_roll": {
            "id": ROLL_ID,
            "issuer_public_key": roll_authority(get_backend("arkworks"), b"election").public_key.hex(),
        },
        "contests": [
            {
                "id": "mayor",
                "title": "Mayor",
                "options": ["ada", "brook", "chen"],
                "min_selections": 1,
                "max_selections": 1,
            },
            {
                "id": "council",
                "title": "City council (up to two)",
                "options": ["dia", "eli", "fay", "gus", "hal"],
                "min_selections": 0,
                "max_selections": 2,
            },
            {
                "id": "bridge",
                "title": "Build the new bridge?",
                "options": ["yes", "no"],
                "min_selections": 1,
                "max_selections": 1,
            },
        ],
    }
)


def run_ceremony(
    group: Group,
    manifest: Manifest,
    n: int,
    t: int,
    seed: bytes,
    bad_dealing: tuple[int, int] | None = None,
    dealer_answers: bool = True,
) -> tuple[dict[int, Trustee], CeremonyRecord]:
    """The four rounds of the key ceremony. `bad_dealing = (dealer, recipient)`: that dealer seals a wrong
    share to that recipient, which complains; the dealer then answers with the right share in public, or not
    at all."""
    ceremony = Ceremony(group, n, t, manifest.hash())
    rng = seeded_scalars(group, seed + b"/trustees")
    trustees = {
        i: Trustee(ceremony, i, rng, box_seed=hashlib.sha256(seed + bytes([i])).digest())
        for i in range(1, n + 1)
    }
    hashes = {i: tr.commitment_hash() for i, tr in trustees.items()}  # round 1, before any reveal
    box_keys = {i: tr.box_public_key for i, tr in trustees.items()}
    reveals = {i: tr.reveal for i, tr in trustees.items()}
    sealed = [s for tr in trustees.values() for s in tr.deal(box_keys)]
    if bad_dealing is not None:
        dealer, recipient = bad_dealing
        wrong = SealedBox(PublicKey(box_keys[recipient])).encrypt(
            share_plaintext(ceremony, dealer, recipient, trustees[dealer].share_for(recipient) + 1)
        )
        sealed = [
            SealedShare(dealer, recipient, wrong) if (s.dealer, s.recipient) == bad_dealing else s
            for s in sealed
        ]
    complaints = [c for tr in trustees.values() for c in tr.receive(reveals, hashes, sealed)]
    answers = [
        trustees[c.accused].answer(c)
        for c in complaints
        if dealer_answers or bad_dealing is None or c.accused != bad_dealing[0]
    ]
    qualified = qualified_trustees(ceremony, reveals, hashes, complaints, answers)
    for i in qualified:
        trustees[i].finalize(qualified, answers)
    record = CeremonyRecord(n, t, hashes, box_keys, reveals, sealed, complaints, answers, qualified)
    return {i: trustees[i] for i in qualified}, record


def random_selections(manifest: Manifest, chooser: random.Random) -> dict[str, list[int]]:
    selections = {}
    for contest in manifest.contests:
        count = chooser.randint(contest.min_selections, contest.max_selections)
        chosen = set(chooser.sample(range(len(contest.options)), count))
        selections[contest.id] = [1 if k in chosen else 0 for k in range(len(contest.options))]
    return selections


@dataclass
class Election:
    group: Group
    manifest: Manifest
    context: ElectionContext
    trustees: dict[int, Trustee]
    ceremony: CeremonyRecord
    authority: RollAuthority
    credentials: list[VoterCredential]
    cast: list[CastBallot]
    spoiled: list[tuple[CastBallot, BallotSecrets]]
    plaintexts: dict[str, list[int]]  # the expected totals, from the counted ballots' plaintexts
    record: dict


def cast_ballot(
    election_context: ElectionContext,
    authority: RollAuthority,
    credential: VoterCredential,
    selections: dict[str, list[int]],
    rng=None,
) -> tuple[CastBallot, BallotSecrets]:
    if election_context.manifest.electoral_roll is None:  # an election without eligibility proofs
        ballot, secrets = encrypt_ballot(election_context, selections, rng=rng)
        return CastBallot(ballot, ballot.tracking_code(election_context.group)), secrets
    suite = authority.suite
    pseudonym = election_pseudonym(suite, credential, election_context.manifest.election_id)
    ballot, secrets = encrypt_ballot(election_context, selections, binding=pseudonym, rng=rng)
    code = ballot.tracking_code(election_context.group)
    proof = prove_eligibility(
        suite, authority.public_key, credential, election_context.manifest.election_id, code
    )
    return CastBallot(ballot, code, proof.to_json()), secrets


def run_election(
    backend: Backend,
    voters: int,
    spoiled: int = 0,
    absent: tuple[int, ...] = (),
    cheating_tally: tuple[int, ...] = (),
    bad_dealing: tuple[int, int] | None = None,
    seed: bytes = b"election",
    n: int = 5,
    t: int = 3,
    manifest: Manifest = MANIFEST,
    extra: Sequence[Callable[[ElectionContext, RollAuthority, list[VoterCredential]], CastBallot]] = (),
    apply_revoting: bool = True,
) -> Election:
    """Enrol and cast `voters` honest ballots, then the ballots the `extra` callables make (a cheating voter's
    own encoder), tally and build the record; `apply_revoting=False` keeps every cast ballot (a dishonest
    box). The manifest is `manifest` with n trustees, threshold t and (when it names a roll) the roll
    authority of this seed."""
    group = election_group(backend)
    authority = roll_authority(backend, seed)
    manifest = replace(
        manifest,
        trustees=tuple(TrusteeIdentity(**named) for named in trustee_identities(n)),
        threshold=t,
        electoral_roll=None
        if manifest.electoral_roll is None
        else ElectoralRoll(ROLL_ID, authority.public_key),
    )
    trustees, ceremony = run_ceremony(group, manifest, n, t, seed, bad_dealing)
    joint_key = joint_public_key(trustees[min(trustees)].ceremony, ceremony.reveals, ceremony.qualified)
    context = ElectionContext(group, manifest, joint_key)
    rng = seeded_scalars(group, seed + b"/ballots")
    chooser = random.Random(seed)
    credentials = [enrol_voter(authority, rng(), rng()) for _ in range(voters)]
    cast, plaintext = [], []
    for credential in credentials:
        selections = random_selections(manifest, chooser)
        item, _ = cast_ballot(context, authority, credential, selections, rng)
        cast.append(item)
        plaintext.append(selections)
    challenged = []
    for k in range(spoiled):
        item, secrets = cast_ballot(
            context, authority, credentials[k], random_selections(manifest, chooser), rng
        )
        challenged.append((item, secrets))
    cast.extend(make(context, authority, credentials) for make in extra)
    counted = counted_ballots(cast, manifest.revoting) if apply_revoting else cast
    ballots = [c.ballot for c in counted]
    closing = closing_hash(
        closing_statement([c.tracking_code for c in counted], [c.tracking_code for c, _ in challenged])
    )
    aggregate = aggregate_ballots(context, ballots)
    keys = {
        j: verification_key(trustees[j].ceremony, ceremony.reveals, ceremony.qualified, j) for j in trustees
    }
    shares = []
    for j, trustee in trustees.items():
        if j in absent:
            continue
        share = compute_decryption_share(
            context, j, trustee.secret_share, keys[j], ballots, aggregate, rng, closing=closing
        )
        if j in cheating_tally:
            share = corrupt_share(group, share)
        shares.append(share)
    result = tally(context, aggregate, shares, keys, t, 2 * len(ballots), closing=closing)
    record = build_record(
        group,
        manifest,
        ceremony,
        joint_key,
        counted,
        challenged,
        aggregate,
        shares,
        result.used_trustees,
        result.counts,
        credentials_issued=None if manifest.electoral_roll is None else authority.issued,
    )
    totals = {
        c.id: [sum(p[c.id][k] for p in plaintext) for k in range(len(c.options))] for c in manifest.contests
    }
    return Election(
        group,
        manifest,
        context,
        trustees,
        ceremony,
        authority,
        credentials,
        cast,
        challenged,
        totals,
        json.loads(canonical_bytes(record)),
    )


def corrupt_share(group: Group, share: DecryptionShare) -> DecryptionShare:
    """A trustee that adds g to its first partial decryption (keeping its now-invalid proof)."""
    first = next(iter(share.partials))
    partial, proof = share.partials[first][0]
    partials = dict(share.partials)
    partials[first] = ((group.add(partial, group.generator()), proof), *share.partials[first][1:])
    return DecryptionShare(share.trustee, partials)


def enrolled(authority: RollAuthority, credentials: list[VoterCredential]) -> VoterCredential:
    """A fresh voter of the roll, for the cheating ballot."""
    rng = seeded_scalars(g1_group(authority.suite.backend), b"fresh voter")
    credentials.append(enrol_voter(authority, rng(), rng()))
    return credentials[-1]


# Any JSON value (a few leaves): what a hostile record may hold in place of any of its fields.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2**70) | st.floats(-2, 3) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def leaves(value, path=()):
    """Every path into `value` (keys and list indexes), its leaves and containers, the root last."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, (*path, index))
    yield path


def mutated(record: dict, data: st.DataObject) -> tuple[tuple, dict]:
    """A copy of `record` with one field (any but the root, drawn from `data`) replaced by another JSON
    value, and that field's path."""
    path = data.draw(st.sampled_from([p for p in leaves(record) if p]))
    replacement = data.draw(JSON)
    changed = copy.deepcopy(record)
    target = changed
    for key in path[:-1]:
        target = target[key]
    assume(target[path[-1]] != replacement)
    target[path[-1]] = replacement
    return path, changed
