"""A committee member against the office's /graphql: `join` draws the member's polynomial and box key and
posts its commitment; `reveal`, `check` and `shares` post the later rounds. The polynomial's coefficients and
the box key's seed stay in the state file (owner-only): the office never sees them. Every answer from the
office is decoded strictly (zk.trustees, zk.sealed_bid) before the member signs anything with its share."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from zk.curve import Backend
from zk.errors import ZkError
from zk.group import g1_group
from zk.json_input import load_json
from zk.sealed_bid import SealedBid, bid_share
from zk.trustees import Ceremony, CoefficientReveal, SealedShare, Trustee, verification_key
from zk.wire import scalar_from_hex, scalar_to_hex

TENDER = """query ($t: ID!) { sealedTender(id: $t) { id members threshold context publicKey qualified opened
  committee { member commitmentHash boxKey reveal sealedShares } bids { id ciphertext current } } }"""
COMMIT = """mutation ($t: ID!, $h: String!, $k: String!, $i: String) {
  commitToTenderKey(tender: $t, commitmentHash: $h, boxKey: $k, idempotencyKey: $i) { id } }"""
REVEAL = """mutation ($t: ID!, $r: JSON!, $s: JSON!, $i: String) {
  revealTenderKeyShares(tender: $t, reveal: $r, sealedShares: $s, idempotencyKey: $i) { id } }"""
CHECK = """mutation ($t: ID!, $a: [Int!]!, $i: String) {
  checkTenderKeyShares(tender: $t, accused: $a, idempotencyKey: $i) { publicKey qualified } }"""
SHARES = """mutation ($t: ID!, $s: JSON!, $i: String) {
  postBidShares(tender: $t, shares: $s, idempotencyKey: $i) { opened } }"""
MAX_STATE_BYTES = 64 * 1024


class CommitteeError(Exception):
    """The office refused a step, answered something unreadable, or the state file is unusable."""


@dataclass
class Member:
    """One member's state for one tender: where the office is, who it is, and its secrets."""

    url: str
    token: str
    state_path: Path
    backend: Backend | None = None

    def _post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            response = httpx.post(
                f"{self.url.rstrip('/')}/graphql",
                json={"query": query, "variables": variables},
                headers={"authorization": f"Bearer {self.token}"},
                timeout=60,
            )
            body = load_json(response.content, what="the office's answer")
        except (httpx.HTTPError, ZkError) as error:
            raise CommitteeError(f"the office at {self.url} did not answer: {error}") from None
        if not isinstance(body, dict):
            raise CommitteeError("the office's answer is not a GraphQL response")
        if body.get("errors"):
            error = body["errors"][0]
            code = (error.get("extensions") or {}).get("code", "ERROR")
            raise CommitteeError(f"{code}: {error.get('message')}")
        return body.get("data") or {}

    def _tender(self, tender: str) -> dict[str, Any]:
        found = self._post(TENDER, {"t": tender}).get("sealedTender")
        if not isinstance(found, dict):
            raise CommitteeError(f"no sealed-bid tender {tender}")
        return found

    # --- the state file -------------------------------------------------------------------------------------
    def _save(self, state: dict[str, Any]) -> None:
        temporary = self.state_path.with_name(f".{self.state_path.name}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.state_path)

    def _load(self) -> tuple[dict[str, Any], Trustee]:
        try:
            state = load_json(self.state_path.read_bytes(), what="state file", max_bytes=MAX_STATE_BYTES)
            ceremony = Ceremony(self._group(), state["n"], state["t"], bytes.fromhex(state["context"]))
            coefficients = [scalar_from_hex(ceremony.group, c, "coefficient") for c in state["coefficients"]]
            trustee = _trustee(ceremony, state["member"], coefficients, bytes.fromhex(state["boxSeed"]))
        except (OSError, ZkError, KeyError, TypeError, ValueError) as error:
            raise CommitteeError(f"the state file {self.state_path} is unusable: {error}") from None
        return state, trustee

    def _group(self):
        return g1_group(self.backend)

    # --- the rounds -----------------------------------------------------------------------------------------
    def join(self, tender: str, member: int) -> str:
        """Round 1: draw the polynomial and box key, keep them, post the commitment hash and box key."""
        if self.state_path.exists():
            raise CommitteeError(f"{self.state_path} exists: one state file per member and tender")
        found = self._tender(tender)
        group = self._group()
        ceremony = Ceremony(group, found["members"], found["threshold"], bytes.fromhex(found["context"]))
        coefficients = [group.random_scalar() % group.order for _ in range(ceremony.t)]
        seed = secrets.token_bytes(32)
        trustee = _trustee(ceremony, member, coefficients, seed)
        state = {
            "tender": tender,
            "member": member,
            "n": ceremony.n,
            "t": ceremony.t,
            "context": found["context"],
            "coefficients": [scalar_to_hex(group, c) for c in coefficients],
            "boxSeed": seed.hex(),
            "reveal": trustee.reveal.to_json(group),  # posted in round 2: its hash is the commitment
        }
        self._save(state)
        variables = {
            "t": tender,
            "h": trustee.commitment_hash(),
            "k": trustee.box_public_key.hex(),
            "i": f"commit/{tender}",
        }
        self._post(COMMIT, variables)
        return trustee.commitment_hash()

    def reveal(self) -> int:
        """Round 2: the kept reveal, and a share sealed to each other member's box key."""
        state, trustee = self._load()
        found = self._tender(state["tender"])
        boxes = {row["member"]: bytes.fromhex(row["boxKey"]) for row in found["committee"]}
        if len(boxes) < state["n"]:
            raise CommitteeError(f"{state['n'] - len(boxes)} members have not committed yet")
        sealed = [share.to_json() for share in trustee.deal(boxes)]
        variables = {
            "t": state["tender"],
            "r": state["reveal"],
            "s": sealed,
            "i": f"reveal/{state['tender']}",
        }
        self._post(REVEAL, variables)
        return len(sealed)

    def _received(self, state: dict[str, Any], trustee: Trustee, found: dict[str, Any]) -> list[int]:
        """Open and check the shares dealt to this member; the dealers it accuses."""
        ceremony = trustee.ceremony
        rows = found["committee"]
        if len(rows) < state["n"] or any(row["reveal"] is None for row in rows):
            raise CommitteeError("not every member has revealed yet")
        try:
            reveals = {row["member"]: CoefficientReveal.from_json(ceremony, row["reveal"]) for row in rows}
            sealed = [
                SealedShare(item["dealer"], item["recipient"], bytes.fromhex(item["sealed"]))
                for row in rows
                for item in row["sealedShares"]
            ]
        except (ZkError, KeyError, TypeError, ValueError) as error:
            raise CommitteeError(f"the office's ceremony record is unreadable: {error}") from None
        hashes = {row["member"]: row["commitmentHash"] for row in rows}
        return sorted({complaint.accused for complaint in trustee.receive(reveals, hashes, sealed)})

    def check(self) -> list[int]:
        """Round 3: check the shares dealt to this member and post the dealers it accuses ([] confirms)."""
        state, trustee = self._load()
        accused = self._received(state, trustee, self._tender(state["tender"]))
        self._post(CHECK, {"t": state["tender"], "a": accused, "i": f"check/{state['tender']}"})
        return accused

    def shares(self) -> bool:
        """After the deadline: this member's proved share of every current bid. True when the bids opened."""
        state, trustee = self._load()
        found = self._tender(state["tender"])
        qualified = found["qualified"]
        if not qualified or state["member"] not in qualified:
            raise CommitteeError("this member is not among the qualified members (or the key is not formed)")
        self._received(state, trustee, found)
        secret = trustee.finalize(qualified, [])
        ceremony = trustee.ceremony
        reveals = {
            row["member"]: CoefficientReveal.from_json(ceremony, row["reveal"]) for row in found["committee"]
        }
        key = verification_key(ceremony, reveals, qualified, state["member"])
        documents = {}
        for bid in found["bids"]:
            if bid["current"]:
                try:
                    sealed = SealedBid.from_json(ceremony.group, bid["ciphertext"])
                except ZkError as error:
                    raise CommitteeError(f"bid {bid['id']} is unreadable: {error}") from None
                share = bid_share(
                    ceremony.group, ceremony.context, state["tender"], sealed, state["member"], secret, key
                )
                documents[bid["id"]] = share.to_json(ceremony.group)
        answer = self._post(SHARES, {"t": state["tender"], "s": documents, "i": f"shares/{state['tender']}"})
        return bool(answer["postBidShares"]["opened"])


def _trustee(ceremony: Ceremony, member: int, coefficients: list[int], seed: bytes) -> Trustee:
    """The member's Trustee with its kept coefficients (the proof nonce drawn afterwards is fresh; the
    reveal that counts is the kept one) and its box key from the kept seed."""
    drawn = iter(coefficients)
    group = ceremony.group
    return Trustee(ceremony, member, lambda: next(drawn, None) or group.random_scalar(), box_seed=seed)
