"""IETF BBS signatures (draft-irtf-cfrg-bbs-signatures): the BLS12-381-SHA-256 and -SHAKE-256 ciphersuites.

`BLS12_381_SHA_256` and `BLS12_381_SHAKE_256` are `Ciphersuite` objects with keygen, sk_to_pk, sign, verify,
proof_gen, proof_verify (bytes in, bytes out); `zk.bbs.core` holds the draft's internal operations
(proof_init, proof_challenge_calculate, proof_finalize, proof_verify_init, ...) for extensions.

Extensions, one suite object per ciphersuite each: `BLIND_BLS12_381_SHA_256` / `..._SHAKE_256` (blind
issuance, `zk.bbs.blind`) and `PSEUDONYM_BLS12_381_SHA_256` / `..._SHAKE_256` (per-verifier pseudonyms,
`zk.bbs.pseudonym`).
"""

from zk.bbs.blind import BLIND_BLS12_381_SHA_256, BLIND_BLS12_381_SHAKE_256, BlindCiphersuite
from zk.bbs.ciphersuites import BLS12_381_SHA_256, BLS12_381_SHAKE_256, MOCK_SEED, Ciphersuite
from zk.bbs.pseudonym import PSEUDONYM_BLS12_381_SHA_256, PSEUDONYM_BLS12_381_SHAKE_256, PseudonymCiphersuite

__all__ = [
    "BLIND_BLS12_381_SHAKE_256",
    "BLIND_BLS12_381_SHA_256",
    "BLS12_381_SHA_256",
    "BLS12_381_SHAKE_256",
    "MOCK_SEED",
    "PSEUDONYM_BLS12_381_SHAKE_256",
    "PSEUDONYM_BLS12_381_SHA_256",
    "BlindCiphersuite",
    "Ciphersuite",
    "PseudonymCiphersuite",
]
