"""The voter's file beside the wallet (`<wallet>.voting.json`, 0600): roll credentials (their pseudonym
secrets never leave the machine), registrations waiting for their presentation, and the ballots cast or
spoiled with their tracking codes.

A registration's secrets (the prover's pseudonym secret and blind) are kept before its commitment is sent,
so a roll credential the commission signs can always be finished here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govgraph.wallet.store import WalletError, exclusive, read_private, write_private
from zk.eligibility import VoterCredential
from zk.errors import MalformedInput
from zk.wire import (
    b64url,
    canonical_json,
    from_b64url,
    parse_json,
    require_list,
    require_message,
    require_str,
    scalar_from_b64,
    scalar_to_b64,
)

VOTING_TYPE = "govgraph.wallet.Voting"
MAX_ITEMS = 10_000


@dataclass(frozen=True)
class Registration:
    """A registration on a roll by presentation, waiting for its presentation to verify."""

    roll: str
    presentation_id: str
    prover_nym: int
    prover_blind: int

    def to_json(self) -> dict:
        return {
            "roll": self.roll,
            "presentation_id": self.presentation_id,
            "prover_nym": scalar_to_b64(self.prover_nym),
            "prover_blind": scalar_to_b64(self.prover_blind),
        }

    @classmethod
    def from_json(cls, value: Any) -> Registration:
        obj = _object(value, "registration", ("roll", "presentation_id", "prover_nym", "prover_blind"))
        return cls(
            require_str(obj["roll"], "roll", max_length=200),
            require_str(obj["presentation_id"], "presentation_id", max_length=200),
            scalar_from_b64(obj["prover_nym"], "prover_nym", nonzero=True),
            scalar_from_b64(obj["prover_blind"], "prover_blind"),
        )


@dataclass(frozen=True)
class Vote:
    """A ballot this wallet sent: cast (counted unless replaced) or spoiled (a Benaloh challenge)."""

    election: str
    tracking_code: str
    spoiled: bool
    at: str  # ISO 8601, UTC

    def to_json(self) -> dict:
        return {
            "election": self.election,
            "tracking_code": self.tracking_code,
            "spoiled": self.spoiled,
            "at": self.at,
        }

    @classmethod
    def from_json(cls, value: Any) -> Vote:
        obj = _object(value, "vote", ("election", "tracking_code", "spoiled", "at"))
        if not isinstance(obj["spoiled"], bool):
            raise MalformedInput("vote.spoiled must be a boolean")
        return cls(
            require_str(obj["election"], "election", max_length=200),
            require_str(obj["tracking_code"], "tracking_code", max_length=200),
            obj["spoiled"],
            require_str(obj["at"], "at", max_length=40),
        )


def roll_credential_to_json(credential: VoterCredential) -> dict:
    return {
        "roll": credential.roll_id,
        "signature": b64url(credential.signature),
        "nym_secrets": [scalar_to_b64(s) for s in credential.nym_secrets],
        "prover_blind": scalar_to_b64(credential.prover_blind),
    }


def roll_credential_from_json(value: Any) -> VoterCredential:
    obj = _object(value, "roll credential", ("roll", "signature", "nym_secrets", "prover_blind"))
    secrets = require_list(obj["nym_secrets"], "nym_secrets", max_length=8)
    return VoterCredential(
        require_str(obj["roll"], "roll", max_length=200),
        from_b64url(obj["signature"], "signature", max_length=1024),
        tuple(scalar_from_b64(s, "nym_secret") for s in secrets),
        scalar_from_b64(obj["prover_blind"], "prover_blind"),
    )


@dataclass
class Voting:
    rolls: list[VoterCredential] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)

    def roll(self, roll_id: str) -> VoterCredential | None:
        return next((c for c in self.rolls if c.roll_id == roll_id), None)

    def to_json(self) -> dict:
        return {
            "type": VOTING_TYPE,
            "version": 1,
            "rolls": [roll_credential_to_json(c) for c in self.rolls],
            "registrations": [r.to_json() for r in self.registrations],
            "votes": [v.to_json() for v in self.votes],
        }

    @classmethod
    def from_json(cls, value: Any) -> Voting:
        obj = require_message(value, VOTING_TYPE, ("rolls", "registrations", "votes"))
        return cls(
            [roll_credential_from_json(c) for c in require_list(obj["rolls"], "rolls", max_length=MAX_ITEMS)],
            [
                Registration.from_json(r)
                for r in require_list(obj["registrations"], "registrations", max_length=MAX_ITEMS)
            ],
            [Vote.from_json(v) for v in require_list(obj["votes"], "votes", max_length=MAX_ITEMS)],
        )


def _object(value: Any, what: str, fields: tuple[str, ...]) -> dict:
    if not isinstance(value, dict) or set(value) != set(fields):
        raise MalformedInput(f"a {what} must be an object with exactly {', '.join(fields)}")
    return value


def voting_path(wallet_path: Path) -> Path:
    return wallet_path.with_name(wallet_path.name.removesuffix(".json") + ".voting.json")


def load_voting(wallet_path: Path) -> Voting:
    path = voting_path(wallet_path)
    data = read_private(path, "voting file")
    if data is None:
        return Voting()
    try:
        return Voting.from_json(parse_json(data, "voting file"))
    except MalformedInput as exc:
        raise WalletError(f"{path} is not a valid voting file: {exc}") from None


def update_voting(wallet_path: Path, change: Callable[[Voting], Any]) -> Any:
    """Read, change and write the voting file under the wallet's lock; returns what `change` returns."""
    with exclusive(wallet_path):
        voting = load_voting(wallet_path)
        result = change(voting)
        write_private(voting_path(wallet_path), canonical_json(voting.to_json()))
        return result


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


__all__ = [
    "Registration",
    "Vote",
    "Voting",
    "load_voting",
    "roll_credential_from_json",
    "roll_credential_to_json",
    "update_voting",
    "voting_path",
]
