"""Sealed bids: hybrid encryption to a threshold committee key, opened only by t committee members together.

Encryption (`seal`): ElGamal key encapsulation on the committee's joint key K (zk.trustees): alpha = r*g and
the shared point S = r*K; a 32-byte key = BLAKE2b-256(personal "gg-sealed-bid-1", encode(alpha) ||
encode(S)); the bid is encrypted with XChaCha20-Poly1305 (libsodium's IETF AEAD, via PyNaCl) under that key
with a random 24-byte nonce, and associated data binding the tender, the bidder and alpha, so a ciphertext
moved to another tender or bidder does not open.

Opening: committee member j posts D_j = x_j*alpha with a Chaum-Pedersen proof that log_g(X_j) = log_alpha(D_j)
(zk.trustees.partial_decrypt), bound by the transcript to the tender, the bid's hash and j. Any t valid
shares give S = sum lambda_j * D_j (Lagrange at zero, zk.tally.lagrange_at_zero), and S gives the key.
Fewer than t shares say nothing about S.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import rfc8785
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
)
from nacl.encoding import RawEncoder
from nacl.exceptions import CryptoError
from nacl.hash import blake2b

from zk.errors import InvalidParameters, InvalidProof, MalformedInput
from zk.group import Element, Group, ScalarSource
from zk.sigma import DleqProof, verify_dleq
from zk.tally import lagrange_at_zero
from zk.transcript import Transcript
from zk.trustees import partial_decrypt, partial_decryption_statement
from zk.wire import b64url, element_from_hex, element_to_hex, from_b64url, require_fields, require_int

VERSION = 1
KDF_PERSON = b"gg-sealed-bid-1"  # BLAKE2b personalisation: at most 16 bytes
NONCE_BYTES = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
TAG_BYTES = 16
MAX_BID_BYTES = 64 * 1024
MAX_LABEL = 256


@dataclass(frozen=True)
class SealedBid:
    """A bid's ciphertext: the encapsulation alpha, the AEAD nonce and the ciphertext (with its tag)."""

    alpha: Element
    nonce: bytes
    ciphertext: bytes

    def to_json(self, group: Group) -> dict:
        return {
            "v": VERSION,
            "alpha": element_to_hex(group, self.alpha),
            "nonce": b64url(self.nonce),
            "ciphertext": b64url(self.ciphertext),
        }

    @classmethod
    def from_json(cls, group: Group, value: object, what: str = "sealed bid") -> SealedBid:
        """Strictly: exactly the four fields, version 1, alpha a G1 element of the subgroup other than the
        identity, a 24-byte nonce, a ciphertext of 17..MAX_BID_BYTES+16 bytes."""
        obj = require_fields(value, what, ("v", "alpha", "nonce", "ciphertext"))
        require_int(obj["v"], f"{what}.v", VERSION, VERSION)
        alpha = element_from_hex(group, obj["alpha"], f"{what}.alpha")
        nonce = from_b64url(obj["nonce"], f"{what}.nonce", length=NONCE_BYTES)
        ciphertext = from_b64url(
            obj["ciphertext"], f"{what}.ciphertext", max_length=MAX_BID_BYTES + TAG_BYTES
        )
        if len(ciphertext) <= TAG_BYTES:
            raise MalformedInput(f"{what}.ciphertext must be longer than its {TAG_BYTES}-byte tag")
        return cls(alpha, nonce, ciphertext)

    def digest(self, group: Group) -> str:
        """SHA-256 of the ciphertext's canonical JSON (RFC 8785), hex: what the ledger holds before the
        deadline."""
        return hashlib.sha256(rfc8785.dumps(self.to_json(group))).hexdigest()


def _label(value: str, what: str) -> bytes:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_LABEL:
        raise InvalidParameters(f"{what} must be 1..{MAX_LABEL} characters")
    return value.encode()


def associated_data(group: Group, tender: str, bidder: str, alpha: Element) -> bytes:
    """What the AEAD binds besides the bid: the tender, the bidder and the encapsulation (RFC 8785 JSON)."""
    _label(tender, "tender")
    _label(bidder, "bidder")
    document = {"alpha": element_to_hex(group, alpha), "bidder": bidder, "tender": tender, "v": VERSION}
    return rfc8785.dumps(document)


def derive_key(group: Group, alpha: Element, shared: Element) -> bytes:
    """The AEAD key from the encapsulation and the shared point r*K = x*alpha."""
    return blake2b(
        group.encode(alpha) + group.encode(shared), digest_size=32, person=KDF_PERSON, encoder=RawEncoder
    )


def seal(
    group: Group,
    committee_key: Element,
    tender: str,
    bidder: str,
    bid: bytes,
    rng: ScalarSource | None = None,
    nonce: bytes | None = None,
) -> SealedBid:
    """Encrypt `bid` to the committee key for `tender` and `bidder`."""
    if not 0 < len(bid) <= MAX_BID_BYTES:
        raise InvalidParameters(f"a bid is 1..{MAX_BID_BYTES} bytes")
    if group.is_identity(committee_key):
        raise InvalidParameters("the committee key must not be the identity")
    r = (rng or group.random_scalar)() % group.order
    if r == 0:
        raise InvalidParameters("the encapsulation scalar must be nonzero")
    alpha = group.mul(group.generator(), r)
    key = derive_key(group, alpha, group.mul(committee_key, r))
    nonce = secrets.token_bytes(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise InvalidParameters(f"the nonce is {NONCE_BYTES} bytes")
    aad = associated_data(group, tender, bidder, alpha)
    return SealedBid(alpha, nonce, crypto_aead_xchacha20poly1305_ietf_encrypt(bid, aad, nonce, key))


def open_with_shared_point(
    group: Group, sealed: SealedBid, tender: str, bidder: str, shared: Element
) -> bytes:
    """The bid, from the shared point x*alpha; InvalidProof when it does not open (another tender or
    bidder, a tampered ciphertext, a wrong point)."""
    key = derive_key(group, sealed.alpha, shared)
    aad = associated_data(group, tender, bidder, sealed.alpha)
    try:
        return crypto_aead_xchacha20poly1305_ietf_decrypt(sealed.ciphertext, aad, sealed.nonce, key)
    except CryptoError:
        raise InvalidProof("the sealed bid does not open with this key, tender and bidder") from None


# --- decryption shares --------------------------------------------------------------------------------------
def share_transcript(group: Group, context: bytes, tender: str, bid_digest: str, member: int) -> Transcript:
    """The transcript a member's share of one bid is proved in: the ceremony's context, the tender, the bid's
    hash and the member."""
    transcript = Transcript(group, b"procurement/bid-opening")
    transcript.append_message(b"context", context)
    transcript.append_message(b"tender", _label(tender, "tender"))
    transcript.append_message(b"bid", bid_digest.encode())
    transcript.append_int(b"member", member)
    return transcript


@dataclass(frozen=True)
class BidShare:
    """Member j's share of one bid: D = x_j * alpha and its proof."""

    member: int
    partial: Element
    proof: DleqProof

    def to_json(self, group: Group) -> dict:
        return {
            "member": self.member,
            "partial": element_to_hex(group, self.partial),
            "proof": self.proof.to_json(group),
        }

    @classmethod
    def from_json(cls, group: Group, value: object, n: int, what: str = "share") -> BidShare:
        obj = require_fields(value, what, ("member", "partial", "proof"))
        member = require_int(obj["member"], f"{what}.member", 1, n)
        partial = element_from_hex(group, obj["partial"], f"{what}.partial")
        return cls(member, partial, DleqProof.from_json(group, obj["proof"], 2, f"{what}.proof"))


def bid_share(
    group: Group,
    context: bytes,
    tender: str,
    sealed: SealedBid,
    member: int,
    secret_share: int,
    verification_key: Element,
    rng: ScalarSource | None = None,
) -> BidShare:
    """Member `member`'s share of `sealed`, proved against its verification key X_j = x_j * g."""
    transcript = share_transcript(group, context, tender, sealed.digest(group), member)
    partial, proof = partial_decrypt(transcript, secret_share, verification_key, sealed.alpha, rng)
    return BidShare(member, partial, proof)


def verify_bid_share(
    group: Group, context: bytes, tender: str, sealed: SealedBid, share: BidShare, verification_key: Element
) -> bool:
    transcript = share_transcript(group, context, tender, sealed.digest(group), share.member)
    statement = partial_decryption_statement(group, verification_key, sealed.alpha, share.partial)
    return verify_dleq(transcript, statement, share.proof)


def combine_bid_shares(group: Group, shares: Sequence[BidShare], threshold: int) -> Element:
    """S = sum lambda_j * D_j over exactly `threshold` shares of distinct members (verified before)."""
    chosen: dict[int, BidShare] = {}
    for share in shares:
        chosen.setdefault(share.member, share)
    if len(chosen) < threshold:
        raise InvalidParameters(f"{len(chosen)} shares, the threshold is {threshold}")
    members = sorted(chosen)[:threshold]
    weights = lagrange_at_zero(members, group.order)
    return group.msm([chosen[j].partial for j in members], [weights[j] for j in members])
