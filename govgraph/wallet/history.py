"""The history of presentations beside the wallet (`<wallet>.history.json`, 0600): to whom the citizen
answered, when, for what purpose, what was disclosed and what only proved, and the verifier's verdict (or
that the citizen declined). It never leaves the machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgraph.wallet.store import WalletError, exclusive, read_private, write_private
from zk.errors import MalformedInput
from zk.wire import canonical_json, parse_json, require_list, require_message, require_str

HISTORY_TYPE = "govgraph.wallet.History"
MAX_ENTRIES = 1000  # the oldest entries go first


@dataclass(frozen=True)
class Presented:
    at: str  # ISO 8601, UTC
    verifier: str  # the verifier's origin (its response URI's scheme, host and port)
    purpose: str
    disclosed: dict[str, str]
    proved: tuple[str, ...]  # plain sentences
    pseudonym_context: str | None
    outcome: str  # "accepted", "declined", or "rejected: <cause>"

    def to_json(self) -> dict:
        return {
            "at": self.at,
            "verifier": self.verifier,
            "purpose": self.purpose,
            "disclosed": self.disclosed,
            "proved": list(self.proved),
            "pseudonym_context": self.pseudonym_context,
            "outcome": self.outcome,
        }

    @classmethod
    def from_json(cls, value: Any) -> Presented:
        fields = ("at", "verifier", "purpose", "disclosed", "proved", "pseudonym_context", "outcome")
        if not isinstance(value, dict) or set(value) != set(fields):
            raise MalformedInput(f"a history entry must be an object with exactly {', '.join(fields)}")
        disclosed = value["disclosed"]
        if not isinstance(disclosed, dict) or not all(isinstance(v, str) for v in disclosed.values()):
            raise MalformedInput("a history entry's disclosed must map names to text")
        context = value["pseudonym_context"]
        return cls(
            require_str(value["at"], "at", max_length=40),
            require_str(value["verifier"], "verifier", max_length=2048),
            require_str(value["purpose"], "purpose", max_length=4096),
            dict(disclosed),
            tuple(require_str(p, "proved", max_length=4096) for p in require_list(value["proved"], "proved")),
            None if context is None else require_str(context, "pseudonym_context", max_length=4096),
            require_str(value["outcome"], "outcome", max_length=4096),
        )


def history_path(wallet_path: Path) -> Path:
    return wallet_path.with_name(wallet_path.name.removesuffix(".json") + ".history.json")


def load_history(wallet_path: Path) -> list[Presented]:
    """The presentations made, oldest first."""
    path = history_path(wallet_path)
    data = read_private(path, "history")
    if data is None:
        return []
    try:
        document = require_message(parse_json(data, "history"), HISTORY_TYPE, ("presentations",))
        entries = require_list(document["presentations"], "presentations", max_length=MAX_ENTRIES)
        return [Presented.from_json(entry) for entry in entries]
    except MalformedInput as exc:
        raise WalletError(f"{path} is not a valid history file: {exc}") from None


def record(wallet_path: Path, entry: Presented) -> None:
    with exclusive(wallet_path):
        entries = [*load_history(wallet_path), entry][-MAX_ENTRIES:]
        document = {"type": HISTORY_TYPE, "version": 1, "presentations": [e.to_json() for e in entries]}
        write_private(history_path(wallet_path), canonical_json(document))


__all__ = ["Presented", "history_path", "load_history", "record"]
