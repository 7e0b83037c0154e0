"""BBS core operations under the draft's names (draft-irtf-cfrg-bbs-signatures -06..-09, sections 3.6-5).

Proof generation is split into the draft's phases so that extensions (blind issuance, pseudonyms, predicate
proofs) can bind further statements into the same Fiat-Shamir challenge:

    init_res = proof_init(suite, PK, (A, e), generators, random_scalars, header, message_scalars,
                          undisclosed_indexes, api_id)
    challenge = proof_challenge_calculate(suite, init_res, disclosed_indexes, disclosed_scalars, ph, api_id)
    proof = proof_finalize(suite, init_res, challenge, e, random_scalars, undisclosed_scalars)

and verification mirrors it with `proof_verify_init`. Scalars are `int`s mod r; points belong to
`suite.backend`. The `suite` argument is a `zk.bbs.Ciphersuite` (it supplies the backend, expand_message, P1
and the generator cache).

Where the draft writes a sum of point multiplications, we compute one multi-scalar multiplication; where it
writes h(A, W + BP2 * e) * h(B, -BP2), we use an equivalent product with fewer G2 operations. The results
are identical; the step comments keep the draft's formulae.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from zk.bbs.encoding import (
    Proof,
    expand_len,
    i2osp,
    octet_scalar_length,
    octets_to_proof,
    octets_to_signature,
    proof_to_octets,
    signature_to_octets,
)
from zk.curve import R, scalar_inverse
from zk.errors import InvalidParameters
from zk.json_input import describe

if TYPE_CHECKING:
    from zk.bbs.ciphersuites import Ciphersuite

_MAX_LENGTH = 2**64 - 1


def hash_to_scalar(suite: Ciphersuite, msg_octets: bytes, dst: bytes) -> int:
    """hash_to_scalar (section 4.1.4): expand_message to expand_len = 48 bytes, then mod r."""
    if len(dst) > 255:
        raise InvalidParameters("hash_to_scalar DST must be at most 255 bytes")
    uniform_bytes = suite.expand_message(msg_octets, dst, suite.expand_len)
    return int.from_bytes(uniform_bytes, "big") % R


def messages_to_scalars(suite: Ciphersuite, messages: Sequence[bytes], api_id: bytes) -> list[int]:
    """messages_to_scalars (section 4.1.2) with map_to_scalar = hash_to_scalar under
    MAP_MSG_TO_SCALAR_AS_HASH_."""
    map_dst = api_id + b"MAP_MSG_TO_SCALAR_AS_HASH_"
    return [hash_to_scalar(suite, msg, map_dst) for msg in messages]


def calculate_random_scalars(count: int) -> list[int]:
    """calculate_random_scalars (section 4.2.1): expand_len = 48 random bytes each, reduced mod r."""
    return [int.from_bytes(secrets.token_bytes(expand_len), "big") % R for _ in range(count)]


def seeded_random_scalars(suite: Ciphersuite, seed: bytes, dst: bytes, count: int) -> list[int]:
    """seeded_random_scalars (Appendix: mocked random scalars): ONE expand_message(SEED, DST, 48 * count).

    The output depends on `count`: the first 5 of count=10 are not the 5 of count=5.
    """
    if type(count) is not int or not 0 <= suite.expand_len * count <= 65535:
        raise InvalidParameters(f"seeded scalar count out of range: {describe(count)}")
    out_len = suite.expand_len * count
    v = suite.expand_message(seed, dst, out_len)
    return [
        int.from_bytes(v[i * suite.expand_len : (i + 1) * suite.expand_len], "big") % R for i in range(count)
    ]


def calculate_domain(
    suite: Ciphersuite, pk: bytes, q_1: Any, h_points: Sequence[Any], header: bytes, api_id: bytes
) -> int:
    """calculate_domain (section 4.2.3): binds PK, the generators, the api_id and the header."""
    L = len(h_points)
    if len(header) > _MAX_LENGTH or L > _MAX_LENGTH:
        raise InvalidParameters("header or message count too large")
    # 1. domain_dst = api_id || "H2S_"
    domain_dst = api_id + b"H2S_"
    # 2. dom_array = (L, Q_1, H_1, ..., H_L); 3. dom_octs = serialize(dom_array) || api_id
    dom_octs = i2osp(L, 8) + suite.serialized_generators(api_id, q_1, h_points) + api_id
    # 4. dom_input = PK || dom_octs || I2OSP(length(header), 8) || header
    dom_input = pk + dom_octs + i2osp(len(header), 8) + header
    # 5. return hash_to_scalar(dom_input, domain_dst)
    return hash_to_scalar(suite, dom_input, domain_dst)


def core_sign(
    suite: Ciphersuite,
    sk: int,
    pk: bytes,
    generators: Sequence[Any],
    header: bytes,
    messages: Sequence[int],
    api_id: bytes,
) -> bytes:
    """CoreSign (section 3.6.1)."""
    curve = suite.backend
    L = len(messages)
    if len(generators) != L + 1:
        raise InvalidParameters("CoreSign needs L + 1 generators")
    q_1, h_points = generators[0], generators[1:]
    signature_dst = api_id + b"H2S_"
    # 1. domain = calculate_domain(PK, Q_1, (H_1, ..., H_L), header, api_id)
    domain = calculate_domain(suite, pk, q_1, h_points, header, api_id)
    # 2. e = hash_to_scalar(serialize((SK, msg_1, ..., msg_L, domain)), signature_dst)
    e_input = b"".join(i2osp(s, octet_scalar_length) for s in (sk, *messages, domain))
    e = hash_to_scalar(suite, e_input, signature_dst)
    # 3. B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L
    b = curve.g1_msm([suite.P1, q_1, *h_points], [1, domain, *messages])
    # 4. A = B * (1 / (SK + e)); the inverse exists unless SK + e = 0 mod r (negligible, still checked)
    if (sk + e) % R == 0:
        raise InvalidParameters("SK + e = 0 mod r: cannot sign")
    a = curve.g1_mul(b, scalar_inverse(sk + e))
    # 5. return signature_to_octets((A, e))
    return signature_to_octets(curve, a, e)


def core_verify(
    suite: Ciphersuite,
    pk: bytes,
    signature: bytes,
    generators: Sequence[Any],
    header: bytes,
    messages: Sequence[int],
    api_id: bytes,
) -> bool:
    """CoreVerify (section 3.6.2). Raises MalformedInput for undecodable inputs; False if the check fails."""
    curve = suite.backend
    # 1. signature_result = octets_to_signature(signature); 3. W = octets_to_pubkey(PK)
    a, e = octets_to_signature(curve, signature)
    w = suite.decode_pubkey(pk)
    L = len(messages)
    if len(generators) != L + 1:
        raise InvalidParameters("CoreVerify needs L + 1 generators")
    q_1, h_points = generators[0], generators[1:]
    # 4. domain = calculate_domain(PK, Q_1, (H_1, ..., H_L), header, api_id)
    domain = calculate_domain(suite, pk, q_1, h_points, header, api_id)
    # 5. B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L
    # 6. if h(A, W + BP2 * e) * h(B, -BP2) != Identity_GT, return INVALID.
    # Equivalently h(A, W) * h(A * e - B, BP2) == 1 (bilinearity), with A * e - B as ONE msm:
    # A * e - P1 - Q_1 * domain - H_1 * msg_1 - ... - H_L * msg_L. No G2 multiplication is needed.
    a_e_minus_b = curve.g1_msm([a, suite.P1, q_1, *h_points], [e, -1, -domain, *(-m for m in messages)])
    return curve.pairing_check([(a, w), (a_e_minus_b, curve.g2_generator())])


@dataclass(frozen=True)
class InitResult:
    """ProofInit's output (Abar, Bbar, D, T1, T2, domain), the input of ProofChallengeCalculate."""

    a_bar: Any
    b_bar: Any
    d: Any
    t1: Any
    t2: Any
    domain: int


def proof_init(
    suite: Ciphersuite,
    pk: bytes,
    signature: tuple[Any, int],
    generators: Sequence[Any],
    random_scalars: Sequence[int],
    header: bytes,
    messages: Sequence[int],
    undisclosed_indexes: Sequence[int],
    api_id: bytes,
) -> InitResult:
    """ProofInit (section 3.7.1): the prover's commitments, before the challenge."""
    curve = suite.backend
    a, e = signature
    L = len(messages)
    U = len(undisclosed_indexes)
    if len(random_scalars) != U + 5:
        raise InvalidParameters(f"ProofInit needs {U + 5} random scalars, got {len(random_scalars)}")
    if len(generators) != L + 1:
        raise InvalidParameters("ProofInit needs L + 1 generators")
    if any(not 0 <= j < L for j in undisclosed_indexes) or U > L:
        raise InvalidParameters("undisclosed index out of range")
    # 1. (r1, r2, e~, r1~, r3~, m~_j1, ..., m~_jU) = random_scalars
    r1, r2, e_tilde, r1_tilde, r3_tilde, *m_tilde = random_scalars
    q_1, h_points = generators[0], generators[1:]
    # 2. domain = calculate_domain(PK, Q_1, (H_1, ..., H_L), header, api_id)
    domain = calculate_domain(suite, pk, q_1, h_points, header, api_id)
    # 3. B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L
    b = curve.g1_msm([suite.P1, q_1, *h_points], [1, domain, *messages])
    # 4. D = B * r2
    d = curve.g1_mul(b, r2)
    # 5. Abar = A * (r1 * r2)
    a_bar = curve.g1_mul(a, r1 * r2)
    # 6. Bbar = D * r1 - Abar * e
    b_bar = curve.g1_msm([d, a_bar], [r1, -e])
    # 7. T1 = Abar * e~ + D * r1~
    t1 = curve.g1_msm([a_bar, d], [e_tilde, r1_tilde])
    # 8. T2 = D * r3~ + H_j1 * m~_j1 + ... + H_jU * m~_jU
    t2 = curve.g1_msm([d, *(h_points[j] for j in undisclosed_indexes)], [r3_tilde, *m_tilde])
    # 9. return (Abar, Bbar, D, T1, T2, domain)
    return InitResult(a_bar, b_bar, d, t1, t2, domain)


def challenge_octets(
    suite: Ciphersuite,
    init_res: InitResult,
    disclosed_indexes: Sequence[int],
    disclosed_messages: Sequence[int],
    ph: bytes,
    extension_points: Sequence[Any] = (),
    extension_octets: bytes = b"",
) -> bytes:
    """c_octs of ProofChallengeCalculate, exposed so extensions can bind their own statements: the
    `extension_points` are serialized after T2 (before domain), the `extension_octets` appended after ph (the
    per-verifier-linkability draft puts (pseudonym, Ut) and I2OSP(length(context_id), 8) || context_id
    there)."""
    curve = suite.backend
    R_ = len(disclosed_indexes)
    if len(disclosed_messages) != R_:
        raise InvalidParameters("as many disclosed messages as disclosed indexes are needed")
    if len(ph) > _MAX_LENGTH:
        raise InvalidParameters("presentation header too long")
    # c_arr = (R, i1, msg_i1, ..., iR, msg_iR, Abar, Bbar, D, T1, T2, domain)
    parts = [i2osp(R_, 8)]
    for i, msg in zip(disclosed_indexes, disclosed_messages, strict=True):
        parts += [i2osp(i, 8), i2osp(msg, octet_scalar_length)]
    parts += [
        curve.g1_compress(p)
        for p in (init_res.a_bar, init_res.b_bar, init_res.d, init_res.t1, init_res.t2, *extension_points)
    ]
    parts.append(i2osp(init_res.domain, octet_scalar_length))
    # c_octs = serialize(c_arr) || I2OSP(length(ph), 8) || ph
    parts += [i2osp(len(ph), 8), ph, extension_octets]
    return b"".join(parts)


def proof_challenge_calculate(
    suite: Ciphersuite,
    init_res: InitResult,
    disclosed_indexes: Sequence[int],
    disclosed_messages: Sequence[int],
    ph: bytes,
    api_id: bytes,
    extension_points: Sequence[Any] = (),
    extension_octets: bytes = b"",
) -> int:
    """ProofChallengeCalculate (section 3.7.3): the Fiat-Shamir challenge (extensions: see
    challenge_octets)."""
    # 1. challenge_dst = api_id || "H2S_"
    challenge_dst = api_id + b"H2S_"
    c_octs = challenge_octets(
        suite, init_res, disclosed_indexes, disclosed_messages, ph, extension_points, extension_octets
    )
    # return hash_to_scalar(c_octs, challenge_dst)
    return hash_to_scalar(suite, c_octs, challenge_dst)


def proof_finalize(
    suite: Ciphersuite,
    init_res: InitResult,
    challenge: int,
    e_value: int,
    random_scalars: Sequence[int],
    undisclosed_messages: Sequence[int],
) -> bytes:
    """ProofFinalize (section 3.7.2): the responses, serialized with proof_to_octets."""
    U = len(undisclosed_messages)
    if len(random_scalars) != U + 5:
        raise InvalidParameters(f"ProofFinalize needs {U + 5} random scalars, got {len(random_scalars)}")
    # 1. (r1, r2, e~, r1~, r3~, m~_j1, ..., m~_jU) = random_scalars
    r1, r2, e_tilde, r1_tilde, r3_tilde, *m_tilde = random_scalars
    # 2. r3 = r2^-1 (mod r)
    r3 = scalar_inverse(r2)
    # 3. e^ = e~ + e_value * challenge
    e_hat = (e_tilde + e_value * challenge) % R
    # 4. r1^ = r1~ - r1 * challenge
    r1_hat = (r1_tilde - r1 * challenge) % R
    # 5. r3^ = r3~ - r3 * challenge
    r3_hat = (r3_tilde - r3 * challenge) % R
    # 6. m^_j = m~_j + undisclosed_j * challenge
    m_hat = [(mt + m * challenge) % R for mt, m in zip(m_tilde, undisclosed_messages, strict=True)]
    # 7. proof = (Abar, Bbar, D, e^, r1^, r3^, (m^_j1, ..., m^_jU), challenge)
    return proof_to_octets(
        suite.backend,
        (init_res.a_bar, init_res.b_bar, init_res.d),
        (e_hat, r1_hat, r3_hat, *m_hat, challenge),
    )


def proof_verify_init(
    suite: Ciphersuite,
    pk: bytes,
    proof: Proof,
    generators: Sequence[Any],
    header: bytes,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
) -> InitResult:
    """ProofVerifyInit (section 3.7.4): recompute T1, T2 from the responses."""
    curve = suite.backend
    U = len(proof.commitments)
    R_ = len(disclosed_indexes)
    L = R_ + U
    # Indexes must be strictly ascending and in range: anything else is not a statement the prover made
    # (it rejects e.g. proof010's [4, 2, 4, 6]).
    if any(not 0 <= i < L for i in disclosed_indexes) or any(a >= b for a, b in pairwise(disclosed_indexes)):
        raise InvalidParameters("disclosed indexes must be strictly ascending and below L")
    if len(disclosed_messages) != R_:
        raise InvalidParameters("as many disclosed messages as disclosed indexes are needed")
    if len(generators) != L + 1:
        raise InvalidParameters("ProofVerifyInit needs L + 1 generators")
    disclosed = set(disclosed_indexes)
    undisclosed_indexes = [j for j in range(L) if j not in disclosed]
    q_1, h_points = generators[0], generators[1:]
    cp = proof.challenge
    # 4. domain = calculate_domain(PK, Q_1, (H_1, ..., H_L), header, api_id)
    domain = calculate_domain(suite, pk, q_1, h_points, header, api_id)
    # 5. T1 = Bbar * cp + Abar * e^ + D * r1^
    t1 = curve.g1_msm([proof.b_bar, proof.a_bar, proof.d], [cp, proof.e_hat, proof.r1_hat])
    # 6. Bv = P1 + Q_1 * domain + H_i1 * msg_i1 + ... + H_iR * msg_iR
    # 7. T2 = Bv * cp + D * r3^ + H_j1 * m^_j1 + ... + H_jU * m^_jU
    # Both in one msm: Bv * cp expands to P1 * cp + Q_1 * (domain * cp) + H_i * (msg_i * cp).
    t2 = curve.g1_msm(
        [
            suite.P1,
            q_1,
            *(h_points[i] for i in disclosed_indexes),
            proof.d,
            *(h_points[j] for j in undisclosed_indexes),
        ],
        [cp, domain * cp, *(m * cp for m in disclosed_messages), proof.r3_hat, *proof.commitments],
    )
    # 8. return (Abar, Bbar, D, T1, T2, domain)
    return InitResult(proof.a_bar, proof.b_bar, proof.d, t1, t2, domain)


def core_proof_gen(
    suite: Ciphersuite,
    pk: bytes,
    signature: bytes,
    generators: Sequence[Any],
    header: bytes,
    ph: bytes,
    messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
    random_scalars: Sequence[int] | None = None,
) -> bytes:
    """CoreProofGen (section 3.7.1's caller): init, challenge, finalize."""
    # 1. signature_result = octets_to_signature(signature)
    a, e = octets_to_signature(suite.backend, signature)
    L = len(messages)
    R_ = len(disclosed_indexes)
    if R_ > L:
        raise InvalidParameters("more disclosed indexes than messages")
    if any(not 0 <= i < L for i in disclosed_indexes) or any(x >= y for x, y in pairwise(disclosed_indexes)):
        raise InvalidParameters("disclosed indexes must be strictly ascending and below L")
    disclosed = set(disclosed_indexes)
    undisclosed_indexes = [j for j in range(L) if j not in disclosed]
    U = L - R_
    # 5. random_scalars = calculate_random_scalars(5 + U)
    if random_scalars is None:
        random_scalars = calculate_random_scalars(5 + U)
    if len(random_scalars) != 5 + U or any(type(s) is not int or not 0 <= s < R for s in random_scalars):
        raise InvalidParameters(f"need {5 + U} random scalars in [0, r)")
    # 6. init_res = ProofInit(PK, signature_result, generators, random_scalars, header, messages,
    #                         undisclosed_indexes, api_id)
    init_res = proof_init(
        suite, pk, (a, e), generators, random_scalars, header, messages, undisclosed_indexes, api_id
    )
    # 8. challenge = ProofChallengeCalculate(init_res, disclosed_indexes, disclosed_messages, ph, api_id)
    challenge = proof_challenge_calculate(
        suite, init_res, disclosed_indexes, [messages[i] for i in disclosed_indexes], ph, api_id
    )
    # 9. proof = ProofFinalize(init_res, challenge, e, random_scalars, undisclosed_messages)
    return proof_finalize(
        suite, init_res, challenge, e, random_scalars, [messages[j] for j in undisclosed_indexes]
    )


def core_proof_verify(
    suite: Ciphersuite,
    pk: bytes,
    proof: bytes,
    generators_for: Any,
    header: bytes,
    ph: bytes,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
) -> bool:
    """CoreProofVerify (section 3.7.4's caller). `generators_for(L)` returns L + 1 generators once L is
    known."""
    curve = suite.backend
    # 1. proof_result = octets_to_proof(proof); 3. W = octets_to_pubkey(PK)
    parsed = octets_to_proof(curve, proof)
    w = suite.decode_pubkey(pk)
    L = len(parsed.commitments) + len(disclosed_indexes)
    # 4. init_res = ProofVerifyInit(PK, proof_result, generators, header, disclosed_messages,
    #                               disclosed_indexes, api_id)
    init_res = proof_verify_init(
        suite, pk, parsed, generators_for(L), header, disclosed_messages, disclosed_indexes, api_id
    )
    # 5. challenge = ProofChallengeCalculate(init_res, disclosed_indexes, messages, ph, api_id)
    challenge = proof_challenge_calculate(suite, init_res, disclosed_indexes, disclosed_messages, ph, api_id)
    # 6. if cp != challenge, return INVALID
    if parsed.challenge != challenge:
        return False
    # 7. if h(Abar, W) * h(Bbar, -BP2) != Identity_GT, return INVALID
    return curve.pairing_check([(parsed.a_bar, w), (parsed.b_bar, curve.g2_neg(curve.g2_generator()))])
