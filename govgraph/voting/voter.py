"""A voter's side, through the public API: obtain a roll credential by blind issuance from the identity
bureau (it sees a commitment, never the pseudonym secret), by presenting a citizen credential from the
voter's wallet (`register`) or on a clerk's word (`enrol`); encrypt a ballot bound to the election pseudonym
with its eligibility proof, cast it or challenge it (Benaloh: spoil it with its opening)."""

from __future__ import annotations

import secrets
from pathlib import Path

from govgraph.voting.api import Api, ApiError
from zk.ballot import BallotSecrets, ElectionContext, EncryptedBallot, encrypt_ballot
from zk.eligibility import VoterCredential, election_pseudonym, finish_enrolment, prove_eligibility, suite_for

REGISTER = """mutation($roll: ID!, $citizen: ID!, $commitment: String!) { registerVoterByClerk(rollId: $roll,
citizenId: $citizen, commitment: $commitment) { roll issuerPublicKey signature signerNymEntropy } }"""
REQUEST = """mutation($roll: ID!, $c: String!) { requestRollRegistration(rollId: $roll, commitment: $c) {
presentationId requestUri } }"""
REGISTER_BY_PRESENTATION = """mutation($p: ID!) { registerVoter(presentationId: $p) { roll issuerPublicKey
signature signerNymEntropy } }"""
CAST = """mutation($e: ID!, $b: JSON!) { castBallot(electionId: $e, ballot: $b) { trackingCode ledgerIndex
replaced } }"""
SPOIL = """mutation($e: ID!, $b: JSON!) { spoilBallot(electionId: $e, ballot: $b) { trackingCode
ledgerIndex } }"""


def enrol(api: Api, context_group, roll: str, citizen: str) -> VoterCredential:
    """A roll credential for `citizen` (the clerk's token vouches for its eligibility)."""
    suite = suite_for(context_group.backend)
    prover_nym = secrets.randbelow(context_group.order - 1) + 1
    commitment, blind = suite.commit_with_nym([], [prover_nym])
    issued = api.graphql(REGISTER, roll=roll, citizen=citizen, commitment=commitment.hex())[
        "registerVoterByClerk"
    ]
    return _finish(suite, roll, issued, prover_nym, blind)


def register(api: Api, context_group, roll: str, wallet: Path) -> VoterCredential:
    """A roll credential by presentation: ask to register with a commitment, answer the identity bureau's
    OpenID4VP request with the citizen credential in the wallet at `wallet`, then collect the blind
    signature. ApiError when the verifier refuses the presentation or the bureau the registration."""
    from govgraph.wallet import presentation
    from govgraph.wallet.transport import Http

    suite = suite_for(context_group.backend)
    prover_nym = secrets.randbelow(context_group.order - 1) + 1
    commitment, blind = suite.commit_with_nym([], [prover_nym])
    asked = api.graphql(REQUEST, roll=roll, c=commitment.hex())["requestRollRegistration"]
    with Http() as http:
        ask = presentation.fetch(wallet, asked["requestUri"], http)
        _, answer = presentation.answer(wallet, ask, http, backend=context_group.backend)
    if not answer.accepted:
        reason = answer.failure or answer.error or f"HTTP {answer.status}"
        raise ApiError(f"the verifier refused the presentation: {reason}", "INVALID_PROOF")
    issued = api.graphql(REGISTER_BY_PRESENTATION, p=asked["presentationId"])["registerVoter"]
    return _finish(suite, roll, issued, prover_nym, blind)


def _finish(suite, roll: str, issued: dict, prover_nym: int, blind: int) -> VoterCredential:
    return finish_enrolment(
        suite,
        bytes.fromhex(issued["issuerPublicKey"]),
        roll,
        bytes.fromhex(issued["signature"]),
        prover_nym,
        int(issued["signerNymEntropy"], 16),
        blind,
    )


def encrypt(
    context: ElectionContext, credential: VoterCredential | None, selections: dict[str, list[int]]
) -> tuple[dict, EncryptedBallot, BallotSecrets]:
    """The castBallot document, the ballot and its secrets."""
    roll = context.manifest.electoral_roll
    election = context.manifest.election_id
    if roll is None or credential is None:
        ballot, opened = encrypt_ballot(context, selections)
        return {"ballot": ballot.to_json(context.group), "eligibility": None}, ballot, opened
    suite = suite_for(context.group.backend)
    ballot, opened = encrypt_ballot(
        context, selections, binding=election_pseudonym(suite, credential, election)
    )
    code = ballot.tracking_code(context.group)
    proof = prove_eligibility(suite, roll.issuer_public_key, credential, election, code)
    return {"ballot": ballot.to_json(context.group), "eligibility": proof.to_json()}, ballot, opened


def cast(api: Api, election: str, document: dict) -> dict:
    return api.graphql(CAST, e=election, b=document)["castBallot"]


def spoil(api: Api, context: ElectionContext, ballot: EncryptedBallot, opened: BallotSecrets) -> dict:
    document = {"ballot": ballot.to_json(context.group), "opening": opened.to_json(context.group)}
    return api.graphql(SPOIL, e=context.manifest.election_id, b=document)["spoilBallot"]
