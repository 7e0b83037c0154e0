"""A trustee's side of an election, from its own machine: the state file (0600) holds its secrets (the seed
its polynomial and proof are drawn from, its X25519 box seed), which never leave it; every step fetches the
public board, computes locally and uploads, and is acknowledged by the commission or fails with the reason."""

from __future__ import annotations

import json
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from govgraph.voting.api import Api, ApiError, election
from zk.ballot import ElectionContext, Manifest, election_group
from zk.curve import get_backend
from zk.elgamal import Ciphertext
from zk.errors import MalformedInput
from zk.group import Group, seeded_scalars
from zk.json_input import printable
from zk.record import closing_hash, closing_statement
from zk.tally import Aggregate, aggregate_from_json, decryption_share_of_own_aggregate
from zk.trustees import Ceremony, Complaint, SealedShare, Trustee, verification_key
from zk.wire import commitment_from_hex, element_from_hex

STATE_FORMAT = "govgraph-trustee-state/v1"


class TrusteeError(Exception):
    """A step that cannot be taken, in plain words (the CLI prints it and exits nonzero)."""


@dataclass
class TrusteeState:
    api: str
    election: str
    trustee: str
    # 32 secret random bytes the polynomial's coefficients and its proof's nonce are drawn from: each step
    # rebuilds the same Trustee, so that nonce only ever makes the same proof.
    seed: bytes
    box_seed: bytes  # 32 secret random bytes: the X25519 box key

    def to_json(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "api": self.api,
            "election": self.election,
            "trustee": self.trustee,
            "seed": self.seed.hex(),
            "box_seed": self.box_seed.hex(),
        }

    def save(self, path: Path) -> None:
        """Written once, owner-only (0600), never overwritten: the secrets in it are the trustee's share."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(self.to_json(), handle)

    @classmethod
    def load(cls, path: Path) -> TrusteeState:
        from zk.json_input import load_json

        if path.stat().st_mode & 0o077:
            raise TrusteeError(f"{path} is readable by others: it must be 0600")
        document = load_json(path.read_bytes(), what=str(path), strict=True)
        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            raise TrusteeError(f"{path} is not a trustee state file")
        try:
            state = cls(
                document["api"],
                document["election"],
                document["trustee"],
                bytes.fromhex(document["seed"]),
                bytes.fromhex(document["box_seed"]),
            )
        except (KeyError, TypeError, ValueError):
            raise TrusteeError(f"{path} is a damaged trustee state file") from None
        if len(state.seed) != 32 or len(state.box_seed) != 32:
            raise TrusteeError(f"{path} is a damaged trustee state file")
        return state


def _group():
    return election_group(get_backend("arkworks"))


def _me(board: dict, trustee: str) -> dict:
    for item in board["trustees"]:
        if item["id"] == trustee:
            return item
    raise TrusteeError(f"election {board['id']} has no trustee {trustee}")


def _trustee(state: TrusteeState, board: dict) -> tuple[Trustee, Manifest]:
    manifest = Manifest.from_json(board["manifest"])
    group = _group()
    ceremony = Ceremony(group, len(manifest.trustees), manifest.threshold, manifest.hash())
    index = _me(board, state.trustee)["index"]
    return Trustee(ceremony, index, seeded_scalars(group, state.seed), box_seed=state.box_seed), manifest


def _ack(data: dict, field: str) -> str:
    ack = data[field]
    return f"{ack['step']} acknowledged (ledger entry {ack['ledgerIndex']}): {ack['message']}"


def join(api: Api, election_id: str, trustee: str, path: Path) -> str:
    if path.exists():
        raise TrusteeError(f"{path} exists: a trustee joins once (keep that file, it holds your secrets)")
    board = election(api, election_id)
    if board["state"] != "KEY_CEREMONY":
        raise TrusteeError(f"election {election_id} is {board['state']}: trustees join during KEY_CEREMONY")
    state = TrusteeState(api.base, election_id, trustee, secrets.token_bytes(32), secrets.token_bytes(32))
    me, _ = _trustee(state, board)
    state.save(path)
    data = api.graphql(
        "mutation($e: ID!, $t: ID!, $k: String!) { joinCeremony(electionId: $e, trusteeId: $t, boxKey: $k) "
        "{ step ledgerIndex message } }",
        e=election_id,
        t=trustee,
        k=me.box_public_key.hex(),
    )
    return _ack(data, "joinCeremony")


def commit(api: Api, state: TrusteeState) -> str:
    me, _ = _trustee(state, election(api, state.election))
    data = api.graphql(
        "mutation($e: ID!, $t: ID!, $h: String!) { commitCeremony(electionId: $e, trusteeId: $t, "
        "commitmentHash: $h) { step ledgerIndex message } }",
        e=state.election,
        t=state.trustee,
        h=me.commitment_hash(),
    )
    return _ack(data, "commitCeremony")


def share(api: Api, state: TrusteeState) -> str:
    board = election(api, state.election)
    me, _ = _trustee(state, board)
    keys = {t["index"]: bytes.fromhex(t["boxKey"]) for t in board["trustees"] if t["boxKey"]}
    if len(keys) != len(board["trustees"]):
        raise TrusteeError("not every trustee has joined yet: shares are sealed to every trustee's box key")
    sealed = [s.to_json() for s in me.deal(keys)]
    data = api.graphql(
        "mutation($e: ID!, $t: ID!, $r: JSON!, $s: JSON!) { revealCeremony(electionId: $e, trusteeId: $t, "
        "reveal: $r, sealedShares: $s) { step ledgerIndex message } }",
        e=state.election,
        t=state.trustee,
        r=me.reveal.to_json(_group()),
        s=sealed,
    )
    return _ack(data, "revealCeremony")


def _received(me: Trustee, board: dict) -> list[Complaint]:
    from govgraph.voting.ceremony_view import public_messages

    reveals, hashes, sealed = public_messages(me.ceremony, board)
    return me.receive(reveals, hashes, sealed)


def complain(api: Api, state: TrusteeState) -> list[str]:
    """Check the shares dealt to this trustee and report (no complaint: all good); then answer, in public,
    any complaint against this trustee already on the board."""
    board = election(api, state.election)
    me, _ = _trustee(state, board)
    done = []
    if _me(board, state.trustee)["complaints"] is None:
        complaints = [c.to_json() for c in _received(me, board)]
        data = api.graphql(
            "mutation($e: ID!, $t: ID!, $c: JSON!) { reportShareCheck(electionId: $e, trusteeId: $t, "
            "complaints: $c) { step ledgerIndex message } }",
            e=state.election,
            t=state.trustee,
            c=complaints,
        )
        done.append(_ack(data, "reportShareCheck"))
    against = [
        Complaint(c["accuser"], c["accused"])
        for t in board["trustees"]
        for c in t["complaints"] or []
        if c["accused"] == me.index
    ]
    if against:
        answers = [me.answer(c).to_json(_group()) for c in against]
        data = api.graphql(
            "mutation($e: ID!, $t: ID!, $a: JSON!) { answerComplaints(electionId: $e, trusteeId: $t, "
            "answers: $a) { step ledgerIndex message } }",
            e=state.election,
            t=state.trustee,
            a=answers,
        )
        done.append(_ack(data, "answerComplaints"))
    return done


BOARD_PAGE = """query($id: ID!, $first: Int!, $after: Int) { election(id: $id) {
ballots(first: $first, after: $after) { trackingCode ledgerIndex ballot spoiled counted } } }"""


def _board_sum(api: Api, context: ElectionContext) -> tuple[list[str], list[str], Aggregate]:
    """The board's counted and spoiled tracking codes and the sum of the counted ballots' ciphertexts, read
    page by page (a page's ballots are dropped once added). The points are decoded on the curve: their sum
    is compared with the aggregate, which is decoded strictly."""
    group, contests = context.group, {c.id: len(c.options) for c in context.manifest.contests}
    sums = {cid: [[group.identity(), group.identity()] for _ in range(n)] for cid, n in contests.items()}
    counted: list[str] = []
    spoiled: list[str] = []

    def fetch(after: int | None) -> list:
        page = api.graphql(BOARD_PAGE, id=context.manifest.election_id, first=100, after=after)
        found = page.get("election")
        items = found.get("ballots") if isinstance(found, dict) else None
        if not isinstance(items, list):
            raise TrusteeError("the board's page of ballots cannot be read: refusing to decrypt")
        return items

    with ThreadPoolExecutor(max_workers=1) as reader:  # the next page is read while this one is summed
        after, pending = -1, reader.submit(fetch, None)
        while pending is not None:
            items = pending.result()
            last = items[-1].get("ledgerIndex") if items and isinstance(items[-1], dict) else None
            more = len(items) >= 100 and type(last) is int
            if more and last <= after:  # a board cannot send the trustee round in circles
                raise TrusteeError("the board's pages do not move forward: refusing to decrypt")
            pending = reader.submit(fetch, last) if more else None
            after = last if more else after
            add_board_page(group, sums, items, counted, spoiled)
    return counted, spoiled, {cid: tuple(Ciphertext(a, b) for a, b in row) for cid, row in sums.items()}


def add_board_page(
    group: Group, sums: dict[str, list[list]], items: list, counted: list[str], spoiled: list[str]
) -> int | None:
    """Add one page of the board's ballots (`{trackingCode, ledgerIndex, ballot, spoiled, counted}`, decoded
    JSON) to the running sums (contest id -> per option [alpha, beta]) and the code lists; returns the last
    ledger index. Anything unreadable is a TrusteeError naming the ballot."""
    last = None
    for position, item in enumerate(items):
        code = item.get("trackingCode") if isinstance(item, dict) else None
        label = printable(code) if isinstance(code, str) else f"#{position} of a page"
        try:
            index, flags = item["ledgerIndex"], (item["spoiled"], item["counted"])
            if not isinstance(code, str) or type(index) is not int or not all(type(f) is bool for f in flags):
                raise MalformedInput("its tracking code, ledger index or flags are not of their types")
            last = index
            if item["spoiled"]:
                spoiled.append(code)
            if not item["counted"]:
                continue
            counted.append(code)
            ballot_contests = item["ballot"]["contests"]
            ids = [contest["contest_id"] for contest in ballot_contests]
            if not all(isinstance(cid, str) for cid in ids) or sorted(ids) != sorted(sums):
                raise MalformedInput("its contests are not the manifest's")
            for contest in ballot_contests:
                row = sums[contest["contest_id"]]
                selections = contest["selections"]
                if not isinstance(selections, list) or len(selections) != len(row):
                    raise MalformedInput("its selections do not match the manifest")
                for acc, selection in zip(row, selections, strict=True):
                    for k, part in enumerate(("alpha", "beta")):
                        point = commitment_from_hex(
                            group, selection["ciphertext"][part], part, allow_identity=True
                        )
                        acc[k] = group.add(acc[k], point)
        except (MalformedInput, KeyError, TypeError, AttributeError) as exc:
            reason = exc if isinstance(exc, MalformedInput) else "its structure is not a ballot's"
            raise TrusteeError(
                f"the board's ballot {label} cannot be read: refusing to decrypt ({reason})"
            ) from None
    return last


def decryption_share(api: Api, state: TrusteeState) -> dict:
    """This trustee's decryption share of the aggregate it recomputes from the board's ballots, after
    checking those ballots against the published closing statement."""
    from govgraph.voting.ceremony_view import public_answers

    board = election(api, state.election)
    if board["state"] not in ("CLOSED", "TALLYING"):
        raise TrusteeError(
            f"election {state.election} is {board['state']}: shares are made once voting closed"
        )
    me, manifest = _trustee(state, board)
    _received(me, board)
    qualified = board["qualifiedTrustees"]
    me.finalize(qualified, public_answers(me.ceremony, board))
    group = _group()
    context = ElectionContext(group, manifest, element_from_hex(group, board["jointKey"], "joint key"))
    counted, spoiled, running = _board_sum(api, context)
    statement = closing_statement(counted, spoiled)
    if statement != board["closing"]:
        raise TrusteeError(
            "the board's ballots do not match the published closing statement: refusing to decrypt"
        )
    from govgraph.voting.ceremony_view import public_reveals

    reveals = public_reveals(me.ceremony, board)
    key = verification_key(me.ceremony, reveals, qualified, me.index)
    # Decoded strictly: the aggregate is in the prime-order group, so the share reveals nothing of the key
    # share through a torsion part, whatever the ballots' own points (the auditors check those, V5).
    aggregate = aggregate_from_json(context, board["aggregate"])
    if running != aggregate:
        raise TrusteeError("refusing to decrypt: the aggregate is not the sum of the recorded ballots")
    assert me.secret_share is not None
    made = decryption_share_of_own_aggregate(
        context, me.index, me.secret_share, key, aggregate, closing=closing_hash(board["closing"])
    )
    return made.to_json(group)


def decrypt(api: Api, state: TrusteeState, share_document: dict | None = None) -> str:
    document = share_document if share_document is not None else decryption_share(api, state)
    data = api.graphql(
        "mutation($e: ID!, $t: ID!, $s: JSON!) { submitDecryptionShare(electionId: $e, trusteeId: $t, "
        "share: $s) { step ledgerIndex message } }",
        e=state.election,
        t=state.trustee,
        s=document,
    )
    return _ack(data, "submitDecryptionShare")


__all__ = [
    "ApiError",
    "SealedShare",
    "TrusteeError",
    "TrusteeState",
    "commit",
    "complain",
    "decrypt",
    "join",
    "share",
]
