"""The voting booth's work on the voter's machine, through the service's public GraphQL: read an election's
manifest, register on its roll by presentation (the commission signs a commitment, never sees the pseudonym
secret), seal a ballot with its eligibility proof, cast it or challenge it (Benaloh), and check a challenged
ballot's published opening against its ciphertexts, independently of the service."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from govgraph.voting import voter
from govgraph.voting.api import Api, ApiError, election
from govgraph.wallet.store import WalletError
from govgraph.wallet.voting import Registration, Vote, load_voting, now, update_voting
from zk.ballot import BallotSecrets, ElectionContext, EncryptedBallot, Manifest, election_group, reencrypts_to
from zk.curve import Backend
from zk.eligibility import VoterCredential, finish_enrolment, suite_for
from zk.errors import ZkError
from zk.wire import element_from_hex

REQUEST_REGISTRATION = """mutation($roll: ID!, $commitment: String!) {
  requestRollRegistration(rollId: $roll, commitment: $commitment) { presentationId requestUri expiresAt } }"""
REGISTER = """mutation($id: ID!) { registerVoter(presentationId: $id) {
  roll issuerPublicKey signature signerNymEntropy } }"""
BOARD_BALLOT = """query($e: ID!, $code: String!) { election(id: $e) {
  ballot(trackingCode: $code) { trackingCode spoiled counted ballot opening } } }"""


@dataclass(frozen=True)
class Election:
    """An election as the booth shows it: its state and manifest, and the context ballots are sealed in
    (None before the key ceremony has made the joint key)."""

    id: str
    state: str
    manifest: Manifest
    context: ElectionContext | None


@dataclass(frozen=True)
class Sealed:
    """A ballot sealed for casting or challenging: what is sent, and what only this machine knows."""

    election: str
    document: dict  # the castBallot document (ballot and eligibility proof)
    ballot: EncryptedBallot
    opening: BallotSecrets
    tracking_code: str


@dataclass(frozen=True)
class Check:
    """A challenged ballot checked from the public board: whether its published opening re-encrypts to its
    ciphertexts, and what it says (contest title -> chosen option names)."""

    tracking_code: str
    matches: bool
    says: dict[str, list[str]]


def open_election(api: Api, election_id: str, backend: Backend) -> Election:
    found = election(api, election_id)
    try:
        manifest = Manifest.from_json(found["manifest"])
        context = None
        if found.get("jointKey"):
            group = election_group(backend)
            context = ElectionContext(
                group, manifest, element_from_hex(group, found["jointKey"], "joint key")
            )
    except ZkError as exc:
        raise WalletError(f"the service's election {election_id} cannot be read: {exc}") from None
    return Election(election_id, str(found["state"]), manifest, context)


def start_registration(api: Api, wallet_path: Path, roll: str, backend: Backend) -> str:
    """Ask to register on `roll`; returns the verifier's openid4vp:// request to answer with the wallet. The
    secrets behind the commitment are kept in the voting file with the registration."""
    suite = suite_for(backend)
    prover_nym = secrets.randbelow(election_group(backend).order - 1) + 1
    commitment, blind = suite.commit_with_nym([], [prover_nym])
    made = api.graphql(REQUEST_REGISTRATION, roll=roll, commitment=commitment.hex())[
        "requestRollRegistration"
    ]
    registration = Registration(roll, str(made["presentationId"]), prover_nym, blind)
    update_voting(wallet_path, lambda voting: voting.registrations.append(registration))
    return str(made["requestUri"])


def finish_registration(api: Api, wallet_path: Path, roll: str, backend: Backend) -> VoterCredential:
    """Once the registration's presentation verified: have the commitment signed and keep the roll
    credential (checked against the roll's key before it is kept)."""
    pending = [r for r in load_voting(wallet_path).registrations if r.roll == roll]
    if not pending:
        raise WalletError(f"this wallet has not asked to register on the roll {roll}")
    registration = pending[-1]
    issued = api.graphql(REGISTER, id=registration.presentation_id)["registerVoter"]
    try:
        credential = finish_enrolment(
            suite_for(backend),
            bytes.fromhex(issued["issuerPublicKey"]),
            roll,
            bytes.fromhex(issued["signature"]),
            registration.prover_nym,
            int(issued["signerNymEntropy"], 16),
            registration.prover_blind,
        )
    except (ZkError, ValueError) as exc:
        raise WalletError(f"the commission's roll credential does not verify: {exc}") from None

    def keep(voting):
        voting.rolls = [c for c in voting.rolls if c.roll_id != roll] + [credential]
        voting.registrations = [r for r in voting.registrations if r.roll != roll]

    update_voting(wallet_path, keep)
    return credential


def seal(found: Election, credential: VoterCredential | None, selections: dict[str, list[int]]) -> Sealed:
    """Encrypt the selections (bound to the election pseudonym, with the eligibility proof when the election
    has a roll)."""
    if found.context is None:
        raise WalletError("this election has no encryption key yet: voting has not opened")
    roll = found.manifest.electoral_roll
    if roll is not None and credential is None:
        raise WalletError(f"you are not registered on the electoral roll {roll.id}: register first")
    if roll is not None and credential is not None and credential.roll_id != roll.id:
        raise WalletError(f"your roll credential is for {credential.roll_id}, not {roll.id}")
    try:
        document, ballot, opening = voter.encrypt(found.context, credential, selections)
    except ZkError as exc:
        raise WalletError(f"the ballot cannot be sealed: {exc}") from None
    return Sealed(found.id, document, ballot, opening, ballot.tracking_code(found.context.group))


def cast(api: Api, wallet_path: Path, sealed: Sealed) -> Vote:
    receipt = voter.cast(api, sealed.election, sealed.document)
    vote = Vote(sealed.election, str(receipt["trackingCode"]), False, now())
    update_voting(wallet_path, lambda voting: voting.votes.append(vote))
    return vote


def challenge(api: Api, wallet_path: Path, found: Election, sealed: Sealed) -> Check:
    """Spoil the sealed ballot (publish it with its opening), then check it as anyone could: read it back
    from the public board and re-encrypt the published opening."""
    assert found.context is not None
    receipt = voter.spoil(api, found.context, sealed.ballot, sealed.opening)
    vote = Vote(sealed.election, str(receipt["trackingCode"]), True, now())
    update_voting(wallet_path, lambda voting: voting.votes.append(vote))
    return check_spoiled(api, found, vote.tracking_code)


def check_spoiled(api: Api, found: Election, tracking_code: str) -> Check:
    assert found.context is not None
    board = api.graphql(BOARD_BALLOT, e=found.id, code=tracking_code)["election"]
    item = board and board["ballot"]
    if not item or not item.get("spoiled") or item.get("opening") is None:
        raise WalletError(f"the board shows no spoiled ballot {tracking_code} with its opening")
    context = found.context
    try:
        ballot = EncryptedBallot.from_json(context, item["ballot"])
        opening = BallotSecrets.from_json(context.manifest, context.group, item["opening"])
    except ZkError as exc:
        raise WalletError(f"the board's spoiled ballot cannot be read: {exc}") from None
    matches = ballot.tracking_code(context.group) == tracking_code and reencrypts_to(context, ballot, opening)
    says = {
        contest.title: [
            o for o, chosen in zip(contest.options, opening.selections[contest.id], strict=True) if chosen
        ]
        for contest in context.manifest.contests
    }
    return Check(tracking_code, matches, says)


__all__ = [
    "ApiError",
    "Check",
    "Election",
    "Sealed",
    "cast",
    "challenge",
    "check_spoiled",
    "finish_registration",
    "open_election",
    "seal",
    "start_registration",
]
