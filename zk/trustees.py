"""The trustees' key ceremony (a Pedersen DKG without a dealer) and their threshold decryption shares.

Four rounds: commit (the hash of each trustee's coefficient commitments, before anyone reveals), reveal
(commitments, a proof of knowledge, shares sealed to each trustee), check (complaints), answer (disputed
shares in public). The qualified trustees' first commitments sum to the joint key, whose secret nobody holds;
at tally, trustee j publishes x_j * alpha with a Chaum-Pedersen proof (`partial_decrypt`).
Details: docs/elections.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import rfc8785
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from zk.errors import InvalidParameters, MalformedInput
from zk.group import Element, Equation, Group, ScalarSource
from zk.sigma import DleqProof, DleqStatement, dleq_equations, prove_dleq, verify_dleq
from zk.transcript import Transcript
from zk.wire import element_from_hex, element_to_hex, require_fields, require_list, scalar_from_hex

_SHARE_TAG = b"govgraph-dkg-share/v1"
_MAX_TRUSTEES = 255


@dataclass(frozen=True)
class Ceremony:
    """The public parameters every message of the ceremony is bound to."""

    group: Group
    n: int
    t: int
    context: bytes  # e.g. the election manifest's hash

    def __post_init__(self) -> None:
        if not 1 <= self.t <= self.n <= _MAX_TRUSTEES:
            raise InvalidParameters(f"need 1 <= t <= n <= {_MAX_TRUSTEES}, got t={self.t}, n={self.n}")

    def transcript(self, label: bytes) -> Transcript:
        transcript = Transcript(self.group, b"election/dkg/" + label)
        transcript.append_message(b"context", self.context)
        transcript.append_int(b"n", self.n)
        transcript.append_int(b"t", self.t)
        return transcript


@dataclass(frozen=True)
class CoefficientReveal:
    """Trustee i's coefficient commitments C_i0..C_i,t-1 and its proof of knowledge of log_g(C_i0)."""

    trustee: int
    coefficients: tuple[Element, ...]
    proof: DleqProof

    def to_json(self, group: Group) -> dict:
        return {
            "trustee": self.trustee,
            "coefficients": [element_to_hex(group, c) for c in self.coefficients],
            "proof": self.proof.to_json(group),
        }

    @classmethod
    def from_json(cls, ceremony: Ceremony, value: object, what: str = "reveal") -> CoefficientReveal:
        group = ceremony.group
        obj = require_fields(value, what, ("trustee", "coefficients", "proof"))
        trustee = _trustee_index(ceremony, obj["trustee"], f"{what}.trustee")
        coefficients = require_list(obj["coefficients"], f"{what}.coefficients", length=ceremony.t)
        return cls(
            trustee,
            tuple(
                element_from_hex(group, c, f"{what}.coefficients[{k}]", allow_identity=True)
                for k, c in enumerate(coefficients)
            ),
            DleqProof.from_json(group, obj["proof"], 1, f"{what}.proof"),
        )

    def commitment_hash(self, group: Group) -> str:
        """The round-1 commitment: SHA-256 of the reveal's canonical JSON (RFC 8785)."""
        return hashlib.sha256(rfc8785.dumps(self.to_json(group))).hexdigest()


@dataclass(frozen=True)
class SealedShare:
    dealer: int
    recipient: int
    sealed: bytes

    def to_json(self) -> dict:
        return {"dealer": self.dealer, "recipient": self.recipient, "sealed": self.sealed.hex()}


@dataclass(frozen=True)
class Complaint:
    """Trustee `accuser` says the share dealt to it by `accused` is missing, unreadable or inconsistent."""

    accuser: int
    accused: int

    def to_json(self) -> dict:
        return {"accuser": self.accuser, "accused": self.accused}

    @classmethod
    def from_json(cls, ceremony: Ceremony, value: object, what: str = "complaint") -> Complaint:
        obj = require_fields(value, what, ("accuser", "accused"))
        return cls(
            _trustee_index(ceremony, obj["accuser"], f"{what}.accuser"),
            _trustee_index(ceremony, obj["accused"], f"{what}.accused"),
        )


@dataclass(frozen=True)
class ComplaintAnswer:
    """The accused dealer's public disclosure of the disputed share f_dealer(recipient)."""

    dealer: int
    recipient: int
    share: int

    def to_json(self, group: Group) -> dict:
        return {
            "dealer": self.dealer,
            "recipient": self.recipient,
            "share": self.share.to_bytes(group.scalar_length, "big").hex(),
        }

    @classmethod
    def from_json(cls, ceremony: Ceremony, value: object, what: str = "answer") -> ComplaintAnswer:
        obj = require_fields(value, what, ("dealer", "recipient", "share"))
        return cls(
            _trustee_index(ceremony, obj["dealer"], f"{what}.dealer"),
            _trustee_index(ceremony, obj["recipient"], f"{what}.recipient"),
            scalar_from_hex(ceremony.group, obj["share"], f"{what}.share"),
        )


def _trustee_index(ceremony: Ceremony, value: object, what: str) -> int:
    if type(value) is not int or not 1 <= value <= ceremony.n:
        raise MalformedInput(f"{what} must be a trustee index in [1, {ceremony.n}]")
    return value


def _pok_transcript(ceremony: Ceremony, trustee: int) -> Transcript:
    transcript = ceremony.transcript(b"coefficient-pok")
    transcript.append_int(b"trustee", trustee)
    return transcript


def _evaluate_polynomial(coefficients: Sequence[int], x: int, order: int) -> int:
    value = 0
    for a in reversed(coefficients):
        value = (value * x + a) % order
    return value


def share_plaintext(ceremony: Ceremony, dealer: int, recipient: int, share: int) -> bytes:
    context = hashlib.sha256(ceremony.context).digest()
    return (
        _SHARE_TAG
        + context
        + dealer.to_bytes(2, "big")
        + recipient.to_bytes(2, "big")
        + share.to_bytes(ceremony.group.scalar_length, "big")
    )


class Trustee:
    """One trustee's side of the ceremony: its polynomial, its X25519 box key, the shares it received."""

    def __init__(
        self, ceremony: Ceremony, index: int, rng: ScalarSource | None = None, box_seed: bytes | None = None
    ) -> None:
        group = ceremony.group
        self.ceremony = ceremony
        self.index = _trustee_index(ceremony, index, "trustee index")
        draw = rng or group.random_scalar
        self._coefficients = [draw() % group.order for _ in range(ceremony.t)]
        g = group.generator()
        commitments = tuple(group.mul(g, a) for a in self._coefficients)
        statement = DleqStatement.of((g,), (commitments[0],))
        proof = prove_dleq(_pok_transcript(ceremony, index), statement, self._coefficients[0], rng)
        self.reveal = CoefficientReveal(index, commitments, proof)
        self._box = PrivateKey.from_seed(box_seed) if box_seed is not None else PrivateKey.generate()
        self._received: dict[int, int] = {}
        self.secret_share: int | None = None

    @property
    def box_public_key(self) -> bytes:
        return bytes(self._box.public_key)

    def commitment_hash(self) -> str:
        return self.reveal.commitment_hash(self.ceremony.group)

    def share_for(self, recipient: int) -> int:
        return _evaluate_polynomial(self._coefficients, recipient, self.ceremony.group.order)

    def deal(self, box_keys: Mapping[int, bytes]) -> list[SealedShare]:
        """f_i(j), sealed to every other trustee j's X25519 key."""
        shares = []
        for recipient, key in sorted(box_keys.items()):
            if recipient == self.index:
                continue
            plaintext = share_plaintext(self.ceremony, self.index, recipient, self.share_for(recipient))
            shares.append(SealedShare(self.index, recipient, SealedBox(PublicKey(key)).encrypt(plaintext)))
        return shares

    def receive(
        self,
        reveals: Mapping[int, CoefficientReveal],
        hashes: Mapping[int, str],
        sealed: Iterable[SealedShare],
    ) -> list[Complaint]:
        """Open and check the shares dealt to this trustee; a complaint for every missing or bad one."""
        group = self.ceremony.group
        opened: dict[int, int] = {self.index: self.share_for(self.index)}
        for item in sealed:
            if item.recipient != self.index or item.dealer in opened:
                continue
            try:
                plaintext = SealedBox(self._box).decrypt(item.sealed)
            except CryptoError:
                continue
            expected = share_plaintext(self.ceremony, item.dealer, self.index, 0)[: -group.scalar_length]
            if len(plaintext) != len(expected) + group.scalar_length or not plaintext.startswith(expected):
                continue
            share = int.from_bytes(plaintext[len(expected) :], "big")
            if share < group.order:
                opened[item.dealer] = share
        complaints = []
        for dealer in range(1, self.ceremony.n + 1):
            reveal = reveals.get(dealer)
            share = opened.get(dealer)
            if (
                reveal is None
                or share is None
                or not verify_reveal(self.ceremony, reveal, hashes.get(dealer))
                or not verify_share(self.ceremony, reveal, self.index, share)
            ):
                complaints.append(Complaint(self.index, dealer))
            else:
                self._received[dealer] = share
        return complaints

    def answer(self, complaint: Complaint) -> ComplaintAnswer:
        """Disclose the disputed share (an honest dealer loses nothing: under t shares reveal nothing)."""
        if complaint.accused != self.index:
            raise InvalidParameters("a trustee only answers complaints against itself")
        return ComplaintAnswer(self.index, complaint.accuser, self.share_for(complaint.accuser))

    def finalize(self, qualified: Sequence[int], answers: Iterable[ComplaintAnswer]) -> int:
        """x_j = sum over QUAL of f_i(j), taking disputed shares from the public answers."""
        order = self.ceremony.group.order
        disclosed = {a.dealer: a.share for a in answers if a.recipient == self.index}
        total = 0
        for dealer in qualified:
            share = self._received.get(dealer, disclosed.get(dealer))
            if share is None:
                raise InvalidParameters(f"no valid share from qualified dealer {dealer}")
            total += share
        self.secret_share = total % order
        return self.secret_share


def verify_reveal(ceremony: Ceremony, reveal: CoefficientReveal, commitment_hash: str | None) -> bool:
    """The reveal matches the trustee's round-1 hash and proves knowledge of log_g(C_i0)."""
    group = ceremony.group
    if commitment_hash is None or reveal.commitment_hash(group) != commitment_hash:
        return False
    if len(reveal.coefficients) != ceremony.t or group.is_identity(reveal.coefficients[0]):
        return False
    statement = DleqStatement.of((group.generator(),), (reveal.coefficients[0],))
    return verify_dleq(_pok_transcript(ceremony, reveal.trustee), statement, reveal.proof)


def verify_share(ceremony: Ceremony, reveal: CoefficientReveal, recipient: int, share: int) -> bool:
    """f_i(j) * g == sum_k j^k * C_ik (Feldman's check)."""
    group = ceremony.group
    powers = [pow(recipient, k, group.order) for k in range(len(reveal.coefficients))]
    expected = group.msm(list(reveal.coefficients), powers)
    return group.is_identity(group.msm([group.generator(), expected], [share, -1]))


def qualified_trustees(
    ceremony: Ceremony,
    reveals: Mapping[int, CoefficientReveal],
    hashes: Mapping[int, str],
    complaints: Iterable[Complaint],
    answers: Iterable[ComplaintAnswer],
) -> list[int]:
    """QUAL: dealers with a valid reveal and every complaint against them answered with a valid share."""
    answered = {(a.dealer, a.recipient): a.share for a in answers}
    excluded = {
        i
        for i in range(1, ceremony.n + 1)
        if i not in reveals or not verify_reveal(ceremony, reveals[i], hashes.get(i))
    }
    for complaint in complaints:
        dealer = complaint.accused
        if dealer in excluded:
            continue
        share = answered.get((dealer, complaint.accuser))
        if share is None or not verify_share(ceremony, reveals[dealer], complaint.accuser, share):
            excluded.add(dealer)
    return [i for i in range(1, ceremony.n + 1) if i not in excluded]


def joint_public_key(
    ceremony: Ceremony, reveals: Mapping[int, CoefficientReveal], qualified: Sequence[int]
) -> Element:
    """K = sum over QUAL of C_i0."""
    if len(qualified) < ceremony.t:
        raise InvalidParameters(f"only {len(qualified)} qualified trustees, threshold is {ceremony.t}")
    group = ceremony.group
    return group.msm([reveals[i].coefficients[0] for i in qualified], [1] * len(qualified))


def verification_key(
    ceremony: Ceremony, reveals: Mapping[int, CoefficientReveal], qualified: Sequence[int], trustee: int
) -> Element:
    """X_j = x_j * g = sum over QUAL, k of j^k * C_ik: trustee j's public share, from public data only."""
    group = ceremony.group
    points, scalars = [], []
    for dealer in qualified:
        for k, c in enumerate(reveals[dealer].coefficients):
            points.append(c)
            scalars.append(pow(trustee, k, group.order))
    return group.msm(points, scalars)


# --- threshold decryption shares ----------------------------------------------------------------------------
def partial_decryption_statement(
    group: Group, verification_key_j: Element, alpha: Element, partial: Element
) -> DleqStatement:
    """log_g(X_j) = log_alpha(D): D is x_j * alpha for the trustee's committed share x_j."""
    return DleqStatement.of((group.generator(), alpha), (verification_key_j, partial))


def partial_decrypt(
    transcript: Transcript,
    secret_share: int,
    verification_key_j: Element,
    alpha: Element,
    rng: ScalarSource | None = None,
) -> tuple[Element, DleqProof]:
    """D = x_j * alpha and its Chaum-Pedersen proof; `transcript` must already bind the ciphertext."""
    group = transcript.group
    partial = group.mul(alpha, secret_share)
    statement = partial_decryption_statement(group, verification_key_j, alpha, partial)
    return partial, prove_dleq(transcript, statement, secret_share, rng)


def partial_decryption_equations(
    transcript: Transcript, verification_key_j: Element, alpha: Element, partial: Element, proof: DleqProof
) -> list[Equation]:
    statement = partial_decryption_statement(transcript.group, verification_key_j, alpha, partial)
    return dleq_equations(transcript, statement, proof)
