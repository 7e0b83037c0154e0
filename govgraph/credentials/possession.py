"""The holder's proof of possession in the credential request (our declared OID4VCI proof type
`govgraph_bbs_commitment`): the blind-issuance commitment to the holder's secret with its proof of knowledge
(what `zk.credential.issue_credential` checks), plus a second proof of knowledge of the same opening whose
Fiat-Shamir challenge is bound to the issuer and its c_nonce, so a request cannot be replayed.

The second proof is the blind BBS draft's CoreCommit over the same committed value with the same
secret_prover_blind (so the same commitment C) and fresh randomness, under a domain-separated api_id:
api_id || "GOVGRAPH_OID4VCI_POP_" || base64url(SHA-256(I2OSP(len(aud), 8) || aud || c_nonce))."""

from __future__ import annotations

import hashlib

from zk.bbs import core
from zk.bbs.blind import core_commit, core_commit_verify, octets_to_commitment_with_proof
from zk.bbs.encoding import i2osp
from zk.credential import PendingRequest, suite_for
from zk.curve import Backend
from zk.errors import ZkError
from zk.wire import b64url

PROOF_TYPE = "govgraph_bbs_commitment"
_LABEL = b"GOVGRAPH_OID4VCI_POP_"


def bound_api_id(api_id: bytes, audience: str, c_nonce: str) -> bytes:
    aud = audience.encode("utf-8")
    digest = hashlib.sha256(i2osp(len(aud), 8) + aud + c_nonce.encode("utf-8")).digest()
    return api_id + _LABEL + b64url(digest).encode("ascii")


def prove_possession(
    pending: PendingRequest, audience: str, c_nonce: str, *, backend: Backend | None = None
) -> bytes:
    """The binding proof for `pending`'s commitment (its secrets stay in the wallet)."""
    suite = suite_for(backend)
    s_tilde, m_tilde = core.calculate_random_scalars(2)
    proof, _ = core_commit(
        suite.base,
        [pending.prover_nym],
        suite.blind_generators(1),
        bound_api_id(suite.api_id, audience, c_nonce),
        [pending.prover_blind, s_tilde, m_tilde],
    )
    return proof


def verify_possession(
    commitment: bytes, binding: bytes, audience: str, c_nonce: str, *, backend: Backend | None = None
) -> bool:
    """Whether `binding` proves knowledge of the opening of `commitment`'s C for this issuer and c_nonce.
    Never raises for bad input."""
    suite = suite_for(backend)
    try:
        request = octets_to_commitment_with_proof(suite.backend, commitment)
        parsed = octets_to_commitment_with_proof(suite.backend, binding)
        if parsed.commitment != request.commitment or len(parsed.m_hats) != 1:
            return False
        return core_commit_verify(
            suite.base, parsed, suite.blind_generators(1), bound_api_id(suite.api_id, audience, c_nonce)
        )
    except ZkError:
        return False
