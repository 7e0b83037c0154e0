"""Ballots: the election manifest, ballot encryption with validity proofs, tracking codes, Benaloh challenges.

The manifest names the contests, the trustees (ids, names, threshold) and the electoral roll with its
authority's issuer key, so that its hash binds who may hold the election key and who may vote. Per option a
ciphertext (in the prime-order group) with a proof that it encrypts 0 or 1, per contest a proof that their sum
is within [min, max]; every transcript descends from the `ElectionContext` (manifest hash + joint key) and
the ballot's pseudonym `binding`. The tracking code is the SHA-256 of the encrypted ballot's canonical JSON; a
spoiled (Benaloh-challenged) ballot is opened and never counted. Details: docs/elections.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import rfc8785

from zk.curve import G2_LENGTH, Backend
from zk.elgamal import Ciphertext, EncryptionKey, add_ciphertexts, encrypt, encrypts_one_of_equations
from zk.errors import InvalidParameters, MalformedInput
from zk.group import Element, Equation, G1Group, Group, ScalarSource, g1_group
from zk.json_input import describe
from zk.sigma import OrProof, check_equations
from zk.transcript import Transcript
from zk.wire import require_fields, require_list, scalar_from_hex, scalar_to_hex

REVOTING_RULES = ("none", "first-wins", "last-wins")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TRACKING_CODE = re.compile(r"[0-9a-f]{64}")
_MAX_OPTIONS = 64
_MAX_CONTESTS = 64
_MAX_TRUSTEES = 255  # `zk.trustees.Ceremony`'s bound
ROLL_KEY_LENGTH = G2_LENGTH  # a BBS issuer public key: one compressed G2 point


def election_group(backend: Backend | None = None) -> G1Group:
    """The group elections run in: BLS12-381 G1 with elements on the wire uncompressed (96 bytes).

    A ballot of one 5-option contest carries 36 points; decoding them compressed costs a square root each
    (~40 us on arkworks), uncompressed only the curve equation (~1 us), for 1.7 KB more per ballot. The ballot
    box and the record verifier decode every point of every ballot, so this halves their cost per ballot.
    """
    return g1_group(backend, uncompressed=True)


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise MalformedInput(f"{what} must be 1-64 characters of [A-Za-z0-9._-], starting alphanumeric")
    return value


def _count(value: object, what: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise MalformedInput(f"{what} must be an integer in [{low}, {high}]")
    return value


@dataclass(frozen=True)
class Contest:
    id: str
    title: str
    options: tuple[str, ...]
    min_selections: int
    max_selections: int

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "options": list(self.options),
            "min_selections": self.min_selections,
            "max_selections": self.max_selections,
        }

    @classmethod
    def from_json(cls, value: object, what: str = "contest") -> Contest:
        obj = require_fields(value, what, ("id", "title", "options", "min_selections", "max_selections"))
        options = require_list(obj["options"], f"{what}.options", max_length=None)
        if not 1 <= len(options) <= _MAX_OPTIONS:
            raise MalformedInput(f"{what} must have 1 to {_MAX_OPTIONS} options")
        names = tuple(_identifier(o, f"{what}.options[{i}]") for i, o in enumerate(options))
        if len(set(names)) != len(names):
            raise MalformedInput(f"{what} has duplicate option ids")
        if not isinstance(obj["title"], str):
            raise MalformedInput(f"{what}.title must be a string")
        low = _count(obj["min_selections"], f"{what}.min_selections", 0, len(names))
        high = _count(obj["max_selections"], f"{what}.max_selections", max(low, 1), len(names))
        return cls(_identifier(obj["id"], f"{what}.id"), obj["title"], names, low, high)

    @property
    def allowed_totals(self) -> tuple[int, ...]:
        return tuple(range(self.min_selections, self.max_selections + 1))


@dataclass(frozen=True)
class TrusteeIdentity:
    """A trustee as the manifest names it; trustee index i (in the key ceremony) is the i-th of the list."""

    id: str
    name: str

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name}

    @classmethod
    def from_json(cls, value: object, what: str = "trustee") -> TrusteeIdentity:
        obj = require_fields(value, what, ("id", "name"))
        if not isinstance(obj["name"], str) or not 0 < len(obj["name"]) <= 200:
            raise MalformedInput(f"{what}.name must be a string of 1 to 200 characters")
        return cls(_identifier(obj["id"], f"{what}.id"), obj["name"])


@dataclass(frozen=True)
class ElectoralRoll:
    """The roll whose credentials may vote, with its authority's BBS issuer public key: the key every
    eligibility proof is checked against, fixed (by the manifest hash) before the election starts."""

    id: str
    issuer_public_key: bytes

    def to_json(self) -> dict:
        return {"id": self.id, "issuer_public_key": self.issuer_public_key.hex()}

    @classmethod
    def from_json(cls, value: object, what: str = "manifest.electoral_roll") -> ElectoralRoll:
        obj = require_fields(value, what, ("id", "issuer_public_key"))
        key = obj["issuer_public_key"]
        if not isinstance(key, str) or len(key) != 2 * ROLL_KEY_LENGTH:
            raise MalformedInput(f"{what}.issuer_public_key must be {2 * ROLL_KEY_LENGTH} hex digits")
        try:
            raw = bytes.fromhex(key)
        except ValueError:
            raise MalformedInput(f"{what}.issuer_public_key is not hex") from None
        if raw.hex() != key:
            raise MalformedInput(f"{what}.issuer_public_key must be lower-case hex")
        return cls(_identifier(obj["id"], f"{what}.id"), raw)


@dataclass(frozen=True)
class Manifest:
    """What the election is: contests, the trustees and their threshold, the revoting rule and the electoral
    roll (None: no eligibility proofs). Fixed before the key ceremony, whose messages bind its hash."""

    election_id: str
    title: str
    contests: tuple[Contest, ...]
    trustees: tuple[TrusteeIdentity, ...]
    threshold: int
    revoting: str = "none"
    electoral_roll: ElectoralRoll | None = None

    def to_json(self) -> dict:
        return {
            "election_id": self.election_id,
            "title": self.title,
            "contests": [c.to_json() for c in self.contests],
            "trustees": [t.to_json() for t in self.trustees],
            "threshold": self.threshold,
            "revoting": self.revoting,
            "electoral_roll": None if self.electoral_roll is None else self.electoral_roll.to_json(),
        }

    @classmethod
    def from_json(cls, value: object) -> Manifest:
        obj = require_fields(
            value,
            "manifest",
            ("election_id", "title", "contests", "trustees", "threshold", "revoting", "electoral_roll"),
        )
        contests = require_list(obj["contests"], "manifest.contests", max_length=None)
        if not 1 <= len(contests) <= _MAX_CONTESTS:
            raise MalformedInput(f"manifest must have 1 to {_MAX_CONTESTS} contests")
        parsed = tuple(Contest.from_json(c, f"manifest.contests[{i}]") for i, c in enumerate(contests))
        if len({c.id for c in parsed}) != len(parsed):
            raise MalformedInput("manifest has duplicate contest ids")
        trustees = require_list(obj["trustees"], "manifest.trustees", max_length=None)
        if not 1 <= len(trustees) <= _MAX_TRUSTEES:
            raise MalformedInput(f"manifest must name 1 to {_MAX_TRUSTEES} trustees")
        named = tuple(TrusteeIdentity.from_json(t, f"manifest.trustees[{i}]") for i, t in enumerate(trustees))
        if len({t.id for t in named}) != len(named):
            raise MalformedInput("manifest has duplicate trustee ids")
        threshold = _count(obj["threshold"], "manifest.threshold", 1, len(named))
        if obj["revoting"] not in REVOTING_RULES:
            raise MalformedInput(f"manifest.revoting must be one of {', '.join(REVOTING_RULES)}")
        if not isinstance(obj["title"], str):
            raise MalformedInput("manifest.title must be a string")
        roll = obj["electoral_roll"]
        return cls(
            _identifier(obj["election_id"], "manifest.election_id"),
            obj["title"],
            parsed,
            named,
            threshold,
            obj["revoting"],
            None if roll is None else ElectoralRoll.from_json(roll),
        )

    def hash(self) -> bytes:
        """SHA-256 of the canonical (RFC 8785) JSON: the manifest every proof and the record is bound to."""
        return hashlib.sha256(rfc8785.dumps(self.to_json())).digest()

    def contest(self, contest_id: str) -> Contest:
        for contest in self.contests:
            if contest.id == contest_id:
                return contest
        raise KeyError(contest_id)

    def trustee_index(self, trustee_id: str) -> int | None:
        """The key-ceremony index (1-based) of the trustee the manifest names `trustee_id`, or None."""
        for index, trustee in enumerate(self.trustees, start=1):
            if trustee.id == trustee_id:
                return index
        return None


class ElectionContext:
    """What every ballot proof and decryption proof hashes first: the group, manifest hash and joint key."""

    def __init__(self, group: Group, manifest: Manifest, joint_key: Element) -> None:
        self.group = group
        self.manifest = manifest
        self.manifest_hash = manifest.hash()
        self.joint_key = joint_key
        self._root = Transcript(group, b"election/v1")
        self._root.append_message(b"manifest-hash", self.manifest_hash)
        self._root.append_element(b"joint-key", joint_key)
        self._encryption_key: EncryptionKey | None = None

    @property
    def encryption_key(self) -> EncryptionKey:
        """The joint key with fixed-base tables, built on first use (only devices that encrypt need it)."""
        if self._encryption_key is None:
            self._encryption_key = EncryptionKey(self.group, self.joint_key)
        return self._encryption_key

    def transcript(self, purpose: bytes) -> Transcript:
        """A fresh transcript for `purpose` (ballot, decryption share ...) that has absorbed the context."""
        return self._root.fork(b"purpose", purpose)


@dataclass(frozen=True)
class EncryptedContest:
    contest_id: str
    selections: tuple[Ciphertext, ...]
    selection_proofs: tuple[OrProof, ...]
    limit_proof: OrProof

    def to_json(self, group: Group) -> dict:
        return {
            "contest_id": self.contest_id,
            "selections": [
                {"ciphertext": ct.to_json(group), "proof": proof.to_json(group)}
                for ct, proof in zip(self.selections, self.selection_proofs, strict=True)
            ],
            "limit_proof": self.limit_proof.to_json(group),
        }


@dataclass(frozen=True)
class EncryptedBallot:
    """The ballot as cast: ciphertexts and proofs per contest (in manifest order) and the voter binding."""

    binding: bytes
    contests: tuple[EncryptedContest, ...]

    def to_json(self, group: Group) -> dict:
        return {"binding": self.binding.hex(), "contests": [c.to_json(group) for c in self.contests]}

    def tracking_code(self, group: Group) -> str:
        return tracking_code_of(self.to_json(group))

    @classmethod
    def from_json(cls, context: ElectionContext, value: object, what: str = "ballot") -> EncryptedBallot:
        """Strict decoding against the manifest: the contests in order, one selection per option. Ciphertext
        points must lie in the prime-order subgroup: a torsion part would be a publicly readable channel of
        about 126 bits per point for a voting device's malware. Proof commitments are decoded on the curve
        only (`zk.group.G1Group.decode_commitment`)."""
        group = context.group
        obj = require_fields(value, what, ("binding", "contests"))
        if not isinstance(obj["binding"], str) or len(obj["binding"]) > 512:
            raise MalformedInput(f"{what}.binding must be a hex string of at most 256 bytes")
        try:
            binding = bytes.fromhex(obj["binding"])
        except ValueError:
            raise MalformedInput(f"{what}.binding is not hex") from None
        if binding.hex() != obj["binding"]:
            raise MalformedInput(f"{what}.binding must be lower-case hex")
        manifest = context.manifest
        items = require_list(obj["contests"], f"{what}.contests", length=len(manifest.contests))
        contests = []
        for contest, item in zip(manifest.contests, items, strict=True):
            where = f"{what}.contests[{contest.id}]"
            body = require_fields(item, where, ("contest_id", "selections", "limit_proof"))
            if body["contest_id"] != contest.id:
                raise MalformedInput(
                    f"{where}.contest_id is {describe(body['contest_id'])}, expected {describe(contest.id)}"
                )
            selections = require_list(body["selections"], f"{where}.selections", length=len(contest.options))
            cts, proofs = [], []
            for k, selection in enumerate(selections):
                s = require_fields(selection, f"{where}.selections[{k}]", ("ciphertext", "proof"))
                cts.append(
                    Ciphertext.from_json(group, s["ciphertext"], f"{where}.selections[{k}].ciphertext")
                )
                proofs.append(OrProof.from_json(group, s["proof"], 2, 2, f"{where}.selections[{k}].proof"))
            limit = OrProof.from_json(
                group, body["limit_proof"], len(contest.allowed_totals), 2, f"{where}.limit_proof"
            )
            contests.append(EncryptedContest(contest.id, tuple(cts), tuple(proofs), limit))
        return cls(binding, tuple(contests))


def tracking_code_of(ballot_json: dict) -> str:
    """SHA-256 of the encrypted ballot's canonical JSON, hex: what the voter keeps and finds in the record."""
    return tracking_code_of_canonical(canonical_json(ballot_json))


def tracking_code_of_canonical(canonical: bytes) -> str:
    """`tracking_code_of` from the ballot's canonical JSON bytes (`canonical_json`), for a caller that keeps
    them."""
    return hashlib.sha256(b"govgraph/election/v1/tracking-code\x00" + canonical).hexdigest()


_QUOTED = re.compile(r'"[^"]*"')


def canonical_json(document: object) -> bytes:
    """RFC 8785 (JCS). A document of objects, arrays and strings of printable ASCII without `"` or `\\` (a
    ballot: hex and identifiers) is exactly compact JSON with its keys sorted, which the C encoder writes
    about 40 times faster than the rfc8785 package; anything else (a number, a literal, an escape, a
    character beyond ASCII) goes to rfc8785. Keys must be strings, as in any JSON document."""
    try:
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError):  # not JSON, or keys of mixed types: rfc8785 says what is wrong
        return rfc8785.dumps(document)
    # A backslash is an escape (json.dumps escapes controls, quotes and, with ensure_ascii, all beyond ASCII);
    # outside the strings only punctuation may remain: no number, no literal.
    if "\\" in text or _QUOTED.sub("", text).strip("{}[],:"):
        return rfc8785.dumps(document)
    return text.encode()


def describe_tracking_code(code: object) -> str:
    """A tracking code for a message: as is when it has a tracking code's form (64 lower-case hex digits),
    else quoted and escaped (`zk.json_input.describe`): a hostile record's codes can hold anything."""
    if isinstance(code, str) and _TRACKING_CODE.fullmatch(code):
        return code
    return describe(code)


@dataclass(frozen=True)
class BallotSecrets:
    """What only the voter's device knows: the plaintext and nonces (published only for a spoiled ballot)."""

    selections: Mapping[str, tuple[int, ...]]
    nonces: Mapping[str, tuple[int, ...]]

    def to_json(self, group: Group) -> dict:
        return {
            "selections": {cid: list(v) for cid, v in self.selections.items()},
            "nonces": {cid: [scalar_to_hex(group, r) for r in v] for cid, v in self.nonces.items()},
        }

    @classmethod
    def from_json(
        cls, manifest: Manifest, group: Group, value: object, what: str = "opening"
    ) -> BallotSecrets:
        obj = require_fields(value, what, ("selections", "nonces"))
        ids = [c.id for c in manifest.contests]
        for key in ("selections", "nonces"):
            if not isinstance(obj[key], dict) or sorted(obj[key]) != sorted(ids):
                raise MalformedInput(f"{what}.{key} must have one entry per contest")
        selections, nonces = {}, {}
        for contest in manifest.contests:
            values = require_list(
                obj["selections"][contest.id], f"{what}.selections[{contest.id}]", length=len(contest.options)
            )
            selections[contest.id] = tuple(
                _count(v, f"{what}.selections[{contest.id}]", 0, 1) for v in values
            )
            raw = require_list(
                obj["nonces"][contest.id], f"{what}.nonces[{contest.id}]", length=len(contest.options)
            )
            nonces[contest.id] = tuple(scalar_from_hex(group, r, f"{what}.nonces[{contest.id}]") for r in raw)
        return cls(selections, nonces)


def _ballot_transcript(context: ElectionContext, binding: bytes) -> Transcript:
    transcript = context.transcript(b"ballot")
    transcript.append_message(b"binding", binding)
    return transcript


def encrypt_contest(
    context: ElectionContext,
    ballot_transcript: Transcript,
    contest: Contest,
    selections: Sequence[int],
    nonces: Sequence[int],
    rng: ScalarSource | None = None,
) -> EncryptedContest:
    """Ciphertexts and proofs of one contest; `selections` must be valid (use `encrypt_ballot`)."""
    group = context.group
    key = context.encryption_key
    contest_transcript = ballot_transcript.fork(b"contest", contest.id.encode())
    cts = [key.encrypt(m, r) for m, r in zip(selections, nonces, strict=True)]
    proofs = []
    for k, (ct, m, r) in enumerate(zip(cts, selections, nonces, strict=True)):
        proofs.append(
            key.prove_encrypts_one_of(_selection_transcript(contest_transcript, k), ct, m, r, (0, 1), rng)
        )
    total = add_ciphertexts(group, cts)
    limit = key.prove_encrypts_one_of(
        contest_transcript.fork(b"limit"),
        total,
        sum(selections),
        sum(nonces) % group.order,
        contest.allowed_totals,
        rng,
    )
    return EncryptedContest(contest.id, tuple(cts), tuple(proofs), limit)


def _selection_transcript(contest_transcript: Transcript, k: int) -> Transcript:
    return contest_transcript.fork(b"selection", k.to_bytes(2, "big"))


def check_selections(
    manifest: Manifest, selections: Mapping[str, Sequence[int]]
) -> dict[str, tuple[int, ...]]:
    """Each contest's 0/1 choices, one per option, within [min, max]; InvalidParameters otherwise."""
    if set(selections) != {c.id for c in manifest.contests}:
        raise InvalidParameters("a ballot needs a choice list for exactly the manifest's contests")
    checked = {}
    for contest in manifest.contests:
        values = tuple(selections[contest.id])
        if len(values) != len(contest.options) or any(v not in (0, 1) for v in values):
            raise InvalidParameters(f"contest {contest.id}: one 0/1 choice per option is needed")
        if not contest.min_selections <= sum(values) <= contest.max_selections:
            raise InvalidParameters(
                f"contest {contest.id}: {sum(values)} selections outside "
                f"[{contest.min_selections}, {contest.max_selections}]"
            )
        checked[contest.id] = values
    return checked


def encrypt_ballot(
    context: ElectionContext,
    selections: Mapping[str, Sequence[int]],
    binding: bytes = b"",
    rng: ScalarSource | None = None,
) -> tuple[EncryptedBallot, BallotSecrets]:
    """Encrypt a valid plaintext ballot; returns the ballot and the secrets a Benaloh challenge would open."""
    checked = check_selections(context.manifest, selections)
    group = context.group
    draw = rng or group.random_scalar
    transcript = _ballot_transcript(context, binding)
    contests, nonces = [], {}
    for contest in context.manifest.contests:
        nonces[contest.id] = tuple(draw() % group.order for _ in contest.options)
        contests.append(
            encrypt_contest(context, transcript, contest, checked[contest.id], nonces[contest.id], rng)
        )
    return EncryptedBallot(binding, tuple(contests)), BallotSecrets(checked, nonces)


def selection_equations(context: ElectionContext, ballot: EncryptedBallot) -> list[Equation]:
    """The 0/1 proofs' equations of every selection of the ballot (for a `BatchVerifier`)."""
    transcript = _ballot_transcript(context, ballot.binding)
    equations: list[Equation] = []
    for contest in ballot.contests:
        contest_transcript = transcript.fork(b"contest", contest.contest_id.encode())
        for k, (ct, proof) in enumerate(zip(contest.selections, contest.selection_proofs, strict=True)):
            equations.extend(
                encrypts_one_of_equations(
                    _selection_transcript(contest_transcript, k), context.joint_key, ct, (0, 1), proof
                )
            )
    return equations


def limit_equations(context: ElectionContext, ballot: EncryptedBallot) -> list[Equation]:
    """The contests' selection-limit proofs' equations (for a `BatchVerifier`)."""
    group = context.group
    transcript = _ballot_transcript(context, ballot.binding)
    equations: list[Equation] = []
    for contest in ballot.contests:
        spec = context.manifest.contest(contest.contest_id)
        contest_transcript = transcript.fork(b"contest", contest.contest_id.encode())
        total = add_ciphertexts(group, contest.selections)
        # The proof is about the sum (hashed as one point), but its equations can multiply the selections'
        # own points instead: a batch then merges them with the 0/1 proofs' terms (two msm points fewer).
        parts = {
            id(total.alpha): [ct.alpha for ct in contest.selections],
            id(total.beta): [ct.beta for ct in contest.selections],
        }
        for equation in encrypts_one_of_equations(
            contest_transcript.fork(b"limit"),
            context.joint_key,
            total,
            spec.allowed_totals,
            contest.limit_proof,
        ):
            equations.append([(q, k) for p, k in equation for q in parts.get(id(p), (p,))])
    return equations


def verify_ballot(context: ElectionContext, ballot: EncryptedBallot) -> bool:
    """Every 0/1 proof and every limit proof of one ballot (one random linear combination)."""
    try:
        return check_equations(
            context.group, selection_equations(context, ballot) + limit_equations(context, ballot)
        )
    except MalformedInput:
        return False


def reencrypts_to(context: ElectionContext, ballot: EncryptedBallot, secrets: BallotSecrets) -> bool:
    """Benaloh check: the published plaintext and nonces re-encrypt to exactly the ballot's ciphertexts."""
    group = context.group
    try:
        check_selections(context.manifest, secrets.selections)
    except InvalidParameters:
        return False
    for contest in ballot.contests:
        values, nonces = secrets.selections[contest.contest_id], secrets.nonces[contest.contest_id]
        for ct, m, r in zip(contest.selections, values, nonces, strict=True):
            if encrypt(group, context.joint_key, m, r) != ct:
                return False
    return True
