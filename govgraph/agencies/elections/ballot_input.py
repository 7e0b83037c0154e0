"""The ballot documents castBallot and spoilBallot take, decoded at the API boundary: strictly, against the
election's manifest and joint key, into zk objects; anything else is BAD_USER_INPUT naming what is wrong.

    castBallot:  {"ballot": <zk.ballot.EncryptedBallot JSON>, "eligibility": <EligibilityProof JSON> | null}
    spoilBallot: {"ballot": <EncryptedBallot JSON>, "opening": <zk.ballot.BallotSecrets JSON>}
"""

from __future__ import annotations

from dataclasses import dataclass

from govgraph.federation.errors import BadUserInput
from zk.ballot import (
    BallotSecrets,
    ElectionContext,
    EncryptedBallot,
    canonical_json,
    tracking_code_of_canonical,
)
from zk.eligibility import EligibilityProof
from zk.errors import MalformedInput


@dataclass(frozen=True)
class BallotInput:
    """A decoded ballot: the zk ballot, its JSON (`document`, re-encoded) and that JSON's RFC 8785 bytes
    (`canonical`), its tracking code, and its eligibility proof or its Benaloh opening."""

    ballot: EncryptedBallot
    document: dict
    canonical: bytes
    tracking_code: str
    eligibility: EligibilityProof | None = None
    opening: BallotSecrets | None = None

    @property
    def pseudonym(self) -> str | None:
        return None if self.eligibility is None else self.eligibility.pseudonym.hex()


def _fields(value: object, expected: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise BadUserInput("The ballot must be a JSON object.")
    if sorted(value) != sorted(expected):
        raise BadUserInput(f"The ballot document has exactly the fields {', '.join(expected)}.")
    return value


def decode_cast(context: ElectionContext, value: object) -> BallotInput:
    """A cast ballot: well formed for this manifest, with an eligibility proof exactly when the manifest names
    a roll, bound (the ballot's `binding`) to the proof's pseudonym."""
    document = _fields(value, ("ballot", "eligibility"))
    ballot = _ballot(context, document["ballot"])
    roll = context.manifest.electoral_roll
    proof = document["eligibility"]
    if roll is None:
        if proof is not None:
            raise BadUserInput("This election has no electoral roll: `eligibility` must be null.")
        eligibility = None
    else:
        try:
            eligibility = EligibilityProof.from_json(proof, "eligibility")
        except MalformedInput as exc:
            raise BadUserInput(f"Malformed ballot: {exc}.") from None
        if ballot.binding != eligibility.pseudonym:
            raise BadUserInput("Malformed ballot: its binding is not the eligibility proof's pseudonym.")
    encoded = ballot.to_json(context.group)
    canonical = canonical_json(encoded)
    return BallotInput(ballot, encoded, canonical, tracking_code_of_canonical(canonical), eligibility)


def decode_spoil(context: ElectionContext, value: object) -> BallotInput:
    """A challenged ballot with its opening (the plaintext and nonces) for the Benaloh check."""
    document = _fields(value, ("ballot", "opening"))
    ballot = _ballot(context, document["ballot"])
    try:
        opening = BallotSecrets.from_json(context.manifest, context.group, document["opening"])
    except MalformedInput as exc:
        raise BadUserInput(f"Malformed opening: {exc}.") from None
    encoded = ballot.to_json(context.group)
    canonical = canonical_json(encoded)
    return BallotInput(ballot, encoded, canonical, tracking_code_of_canonical(canonical), opening=opening)


def _ballot(context: ElectionContext, value: object) -> EncryptedBallot:
    try:
        return EncryptedBallot.from_json(context, value, "ballot")
    except MalformedInput as exc:
        raise BadUserInput(f"Malformed ballot: {exc}.") from None
    except (TypeError, ValueError, KeyError, IndexError) as exc:  # a decoder that let one through
        raise BadUserInput(f"Malformed ballot: {type(exc).__name__}.") from None
