"""Blind issuance: issuer keys, the offer, request and credential messages, and the holder's secrets.

The credential is a blind BBS signature with the pseudonym extension (`zk.bbs.pseudonym`): the issuer signs
the attribute scalars and, blindly, the holder's `nym_secret` (the holder's random value plus the issuer's
entropy, so neither chooses it alone) under the holder's `prover_blind`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zk.accumulator import (
    Accumulator,
    AccumulatorKey,
    Witness,
    membership_witness,
    new_handle,
    verify_witness,
)
from zk.bbs import core
from zk.bbs.blind import deserialize_and_validate_commit, finalize_blind_sign
from zk.bbs.ciphersuites import BLS12_381_SHA_256
from zk.bbs.encoding import (
    COMMITMENT_LENGTH_FLOOR,
    SIGNATURE_LENGTH,
    octet_scalar_length,
    octets_to_secret_key,
)
from zk.bbs.pseudonym import PseudonymCiphersuite
from zk.credential.revocation import CredentialRevocation
from zk.credential.schema import Schema, suite_for
from zk.curve import G2_LENGTH, Backend, R, random_scalar
from zk.errors import InvalidParameters, InvalidProof, MalformedInput
from zk.wire import (
    b64url,
    from_b64url,
    require_message,
    require_str,
    scalar_from_b64,
    scalar_to_b64,
)

NONCE_MIN, NONCE_MAX = 16, 64
KEY_ID_PATTERN = re.compile(r"bbs:[A-Za-z0-9_-]{22}")
# A credential request commits to one value, the holder's nym: C, s^, m^_1, challenge.
COMMITMENT_LENGTH = COMMITMENT_LENGTH_FLOOR + octet_scalar_length

_KEY_ID_PREFIX = b"govgraph/issuer-key/v1\x00"


def issuer_key_id(public_key: bytes) -> str:
    """ "bbs:" || base64url(SHA-256("govgraph/issuer-key/v1" || 0x00 || PK)[:16]): the name a later issue
    anchors on the identity ledger."""
    return "bbs:" + b64url(hashlib.sha256(_KEY_ID_PREFIX + bytes(public_key)).digest()[:16])


@dataclass(frozen=True)
class IssuerKey:
    secret_key: bytes = field(repr=False)
    public_key: bytes

    @classmethod
    def generate(cls, key_material: bytes | None = None) -> IssuerKey:
        suite = BLS12_381_SHA_256
        sk = suite.keygen(
            key_material if key_material is not None else os.urandom(32), b"govgraph credential issuer"
        )
        return cls(sk, suite.sk_to_pk(sk))

    @property
    def key_id(self) -> str:
        return issuer_key_id(self.public_key)


def key_id_from_json(value: Any, what: str) -> str:
    return require_str(value, what, pattern=KEY_ID_PATTERN)


# --- the messages ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CredentialOffer:
    schema: Schema
    issuer_key: str
    public_key: bytes
    nonce: bytes

    TYPE = "govgraph.credential.CredentialOffer"

    def to_json(self) -> dict:
        return {
            "type": self.TYPE,
            "version": 1,
            "schema": self.schema.to_json(),
            "issuer_key": self.issuer_key,
            "public_key": b64url(self.public_key),
            "nonce": b64url(self.nonce),
        }

    @classmethod
    def from_json(cls, value: Any) -> CredentialOffer:
        obj = require_message(value, cls.TYPE, ("schema", "issuer_key", "public_key", "nonce"))
        public_key = from_b64url(obj["public_key"], "offer.public_key", length=G2_LENGTH)
        issuer_key = key_id_from_json(obj["issuer_key"], "offer.issuer_key")
        if issuer_key_id(public_key) != issuer_key:
            raise MalformedInput("offer.issuer_key is not the key id of offer.public_key")
        return cls(
            Schema.from_json(obj["schema"]),
            issuer_key,
            public_key,
            nonce_from_json(obj["nonce"], "offer.nonce"),
        )


@dataclass(frozen=True)
class CredentialRequest:
    offer_nonce: bytes
    commitment: bytes  # commitment_with_proof to the holder's nym value (zk.bbs.pseudonym.commit_with_nym)

    TYPE = "govgraph.credential.CredentialRequest"

    def to_json(self) -> dict:
        return {
            "type": self.TYPE,
            "version": 1,
            "offer_nonce": b64url(self.offer_nonce),
            "commitment": b64url(self.commitment),
        }

    @classmethod
    def from_json(cls, value: Any) -> CredentialRequest:
        obj = require_message(value, cls.TYPE, ("offer_nonce", "commitment"))
        return cls(
            nonce_from_json(obj["offer_nonce"], "request.offer_nonce"),
            from_b64url(obj["commitment"], "request.commitment", length=COMMITMENT_LENGTH),
        )


@dataclass(frozen=True)
class Credential:
    schema: Schema
    issuer_key: str
    public_key: bytes
    attributes: Mapping[str, Any]
    signature: bytes
    signer_nym_entropy: int
    # a revocable schema's handle and witness (zk.credential.revocation); None otherwise
    revocation: CredentialRevocation | None = None

    TYPE = "govgraph.credential.Credential"

    def to_json(self) -> dict:
        out = {
            "type": self.TYPE,
            "version": 1,
            "schema": self.schema.to_json(),
            "issuer_key": self.issuer_key,
            "public_key": b64url(self.public_key),
            "attributes": self.schema.values_to_json(self.attributes),
            "signature": b64url(self.signature),
            "signer_nym_entropy": scalar_to_b64(self.signer_nym_entropy),
        }
        if self.revocation is not None:
            out["revocation"] = self.revocation.to_json()
        return out

    @classmethod
    def from_json(cls, value: Any) -> Credential:
        obj = require_message(
            value,
            cls.TYPE,
            ("schema", "issuer_key", "public_key", "attributes", "signature", "signer_nym_entropy"),
            ("revocation",),
        )
        schema = Schema.from_json(obj["schema"])
        public_key = from_b64url(obj["public_key"], "credential.public_key", length=G2_LENGTH)
        issuer_key = key_id_from_json(obj["issuer_key"], "credential.issuer_key")
        if issuer_key_id(public_key) != issuer_key:
            raise MalformedInput("credential.issuer_key is not the key id of credential.public_key")
        return cls(
            schema,
            issuer_key,
            public_key,
            schema.values_from_json(obj["attributes"], "credential.attributes"),
            from_b64url(obj["signature"], "credential.signature", length=SIGNATURE_LENGTH),
            scalar_from_b64(obj["signer_nym_entropy"], "credential.signer_nym_entropy"),
            _revocation_from_json(schema, obj.get("revocation")),
        )


def _revocation_from_json(schema: Schema, value: Any) -> CredentialRevocation | None:
    """A revocable schema's credential carries its revocation data; any other carries none."""
    if schema.revocable != (value is not None):
        raise MalformedInput("credential.revocation is present exactly when the schema is revocable")
    return None if value is None else CredentialRevocation.from_json(value, "credential.revocation")


@dataclass(frozen=True)
class PendingRequest:
    """The holder's secrets between request and credential: a wallet keeps them and never sends them."""

    offer: CredentialOffer
    prover_nym: int = field(repr=False)
    prover_blind: int = field(repr=False)


@dataclass(frozen=True)
class HeldCredential:
    """A credential with the holder's secrets: the prover blind and the blind-issued nym secret."""

    credential: Credential
    prover_blind: int = field(repr=False)
    nym_secret: int = field(repr=False)


def nonce_from_json(value: Any, what: str) -> bytes:
    data = from_b64url(value, what, max_length=NONCE_MAX)
    if len(data) < NONCE_MIN:
        raise MalformedInput(f"{what} must be at least {NONCE_MIN} bytes")
    return data


def make_offer(issuer: IssuerKey, schema: Schema) -> CredentialOffer:
    return CredentialOffer(schema, issuer.key_id, issuer.public_key, os.urandom(32))


def request_credential(
    offer: CredentialOffer, *, backend: Backend | None = None
) -> tuple[CredentialRequest, PendingRequest]:
    """The holder's commitment to a fresh random nym value (CommitWithNym, no other committed messages)."""
    suite = suite_for(backend)
    prover_nym = random_scalar()
    commitment, prover_blind = suite.commit_with_nym([], [prover_nym])
    return CredentialRequest(offer.nonce, commitment), PendingRequest(offer, prover_nym, prover_blind)


def issue_credential(
    issuer: IssuerKey,
    offer: CredentialOffer,
    request: CredentialRequest,
    attributes: Mapping[str, Any],
    *,
    backend: Backend | None = None,
    accumulator_key: AccumulatorKey | None = None,
    accumulator: Accumulator | None = None,
) -> Credential:
    """BlindSignWithNym over the encoded attributes (and, for a revocable schema, a fresh random revocation
    handle, with its witness for `accumulator` under `accumulator_key`). Raises InvalidParameters for
    attributes that don't fit the schema or a request for another offer, MalformedInput / InvalidProof for a
    bad commitment."""
    suite = suite_for(backend)
    if request.offer_nonce != offer.nonce or offer.issuer_key != issuer.key_id:
        raise InvalidParameters("the credential request answers another offer")
    scalars = offer.schema.encode(suite, attributes)
    revocation = None
    if offer.schema.revocable:
        if accumulator_key is None or accumulator is None:
            raise InvalidParameters("a revocable schema's credential needs the accumulator and its key")
        handle = new_handle()
        witness = membership_witness(accumulator_key, accumulator, handle, backend=suite.backend)
        revocation = CredentialRevocation(
            handle, accumulator_key.public_key, Witness(accumulator.epoch, accumulator.value, witness)
        )
        scalars.append(handle)
    generators = suite.generators(len(scalars))
    blind_generators = suite.blind_generators(1)
    commitment = deserialize_and_validate_commit(
        suite.base, request.commitment, blind_generators, suite.api_id
    )
    entropy = random_scalar()
    # B = P1 + Q_1 * domain + sum(H_i * msg_i) + C + J_1 * signer_nym_entropy (zk.bbs.pseudonym)
    signature = finalize_blind_sign(
        suite.base,
        octets_to_secret_key(issuer.secret_key),
        issuer.public_key,
        generators,
        blind_generators,
        offer.schema.header(),
        scalars,
        commitment,
        suite.api_id,
        [blind_generators[-1]],
        [entropy],
    )
    return Credential(
        offer.schema, issuer.key_id, issuer.public_key, dict(attributes), signature, entropy, revocation
    )


def all_messages(suite: PseudonymCiphersuite, held: HeldCredential) -> tuple[list[int], list[Any]]:
    """messages || prover_blind || nym_secret, and their generators (Q_1, H_1..H_L, Q_2, J_1); a revocable
    schema's messages end with the revocation handle."""
    credential = held.credential
    scalars = credential.schema.encode(suite, credential.attributes)
    if credential.schema.revocable:
        if credential.revocation is None:
            raise InvalidParameters("a revocable schema's credential carries its revocation data")
        scalars.append(credential.revocation.handle)
    generators = suite.generators(len(scalars)) + suite.blind_generators(1)
    return [*scalars, held.prover_blind, held.nym_secret], generators


def accept_credential(
    pending: PendingRequest, credential: Credential, *, backend: Backend | None = None
) -> HeldCredential:
    """VerifyFinalizeWithNym: the held credential, or InvalidProof when the signature does not verify (or the
    credential is for another offer's schema or key)."""
    suite = suite_for(backend)
    offer = pending.offer
    if credential.schema != offer.schema or credential.issuer_key != offer.issuer_key:
        raise InvalidProof("the credential is not for the offered schema and issuer key")
    held = HeldCredential(
        credential, pending.prover_blind, (pending.prover_nym + credential.signer_nym_entropy) % R
    )
    messages, generators = all_messages(suite, held)
    if held.nym_secret == 0 or not core.core_verify(
        suite.base,
        credential.public_key,
        credential.signature,
        generators,
        credential.schema.header(),
        messages,
        suite.api_id,
    ):
        raise InvalidProof("the issuer's signature does not verify over the attributes and the holder secret")
    revocation = credential.revocation
    if revocation is not None and not verify_witness(
        revocation.public_key,
        Accumulator(revocation.witness.epoch, revocation.witness.accumulator),
        revocation.handle,
        revocation.witness.witness,
        backend=suite.backend,
    ):
        raise InvalidProof("the credential's revocation witness does not verify")
    return held


__all__ = [
    "Credential",
    "CredentialOffer",
    "CredentialRequest",
    "HeldCredential",
    "IssuerKey",
    "PendingRequest",
    "accept_credential",
    "issue_credential",
    "issuer_key_id",
    "make_offer",
    "request_credential",
]
