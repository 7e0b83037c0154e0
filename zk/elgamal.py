"""Exponential ElGamal over a prime-order `Group`, with proofs that a ciphertext encrypts one of some values.

(alpha, beta) = (r * g, m * g + r * K): ciphertexts add, and their plaintexts with them. Ciphertexts are
decoded strictly, in the prime-order subgroup: a torsion part would be invisible to the proofs (checked modulo
torsion) and readable by anyone, a subliminal channel for a voting device. Details: docs/elections.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zk.errors import InvalidParameters
from zk.group import Element, Equation, FixedBase, Group, ScalarSource
from zk.json_input import describe
from zk.sigma import DleqStatement, OrProof, or_equations, prove_or, verify_or
from zk.transcript import Transcript
from zk.wire import element_from_hex, element_to_hex, require_fields


@dataclass(frozen=True)
class Ciphertext:
    alpha: Element
    beta: Element

    def to_json(self, group: Group) -> dict:
        return {"alpha": element_to_hex(group, self.alpha), "beta": element_to_hex(group, self.beta)}

    @classmethod
    def from_json(cls, group: Group, value: object, what: str = "ciphertext") -> Ciphertext:
        """Strict decoding: canonical points of the prime-order group (MalformedInput names the point)."""
        obj = require_fields(value, what, ("alpha", "beta"))
        # The identity is a legitimate component of an aggregate (or of a zero-nonce encryption by a careless
        # client); refusing it would only make verification crash-prone, the proofs decide validity.
        return cls(
            element_from_hex(group, obj["alpha"], f"{what}.alpha", allow_identity=True),
            element_from_hex(group, obj["beta"], f"{what}.beta", allow_identity=True),
        )


def keygen(group: Group, rng: ScalarSource | None = None) -> tuple[int, Element]:
    """A (secret, public) key pair s, K = s * g (trustees use `zk.trustees` instead: nobody holds s there)."""
    secret = (rng or group.random_scalar)() % group.order
    return secret, group.mul(group.generator(), secret)


def encrypt(group: Group, public_key: Element, message: int, nonce: int) -> Ciphertext:
    """(nonce * g, message * g + nonce * K)."""
    g = group.generator()
    return Ciphertext(group.mul(g, nonce), group.msm([g, public_key], [message, nonce]))


def add_ciphertexts(group: Group, ciphertexts: Iterable[Ciphertext]) -> Ciphertext:
    """The component-wise sum; it encrypts the sum of the plaintexts under the sum of the nonces."""
    alpha, beta = group.identity(), group.identity()
    for ct in ciphertexts:
        alpha = group.add(alpha, ct.alpha)
        beta = group.add(beta, ct.beta)
    return Ciphertext(alpha, beta)


def decrypt_to_element(group: Group, secret: int, ct: Ciphertext) -> Element:
    """m * g = beta - s * alpha."""
    return group.msm([ct.beta, ct.alpha], [1, -secret])


@dataclass(frozen=True)
class EncryptionStatement(DleqStatement):
    """log_g(alpha) = log_K(beta - value * g), hashed as its defining data: one absorption of g, K, alpha,
    beta and the value instead of the generic term-by-term form (a ballot verifier absorbs two per selection
    and one per allowed total of each contest; the bytes determine the statement just as completely)."""

    value: int = 0

    def absorb(self, transcript: Transcript) -> None:
        encode = transcript.group.encode
        (g, key), ((alpha, _),), ((beta, _), _) = self.bases, *self.publics
        transcript.append_message(
            b"encrypts",
            encode(g)
            + encode(key)
            + encode(alpha)
            + encode(beta)
            + self.value.to_bytes(8, "big", signed=True),
        )


def encryption_statement(group: Group, public_key: Element, ct: Ciphertext, value: int) -> DleqStatement:
    """log_g(alpha) = log_K(beta - value * g): the ciphertext encrypts `value` (witness: the nonce)."""
    g = group.generator()
    return EncryptionStatement((g, public_key), (((ct.alpha, 1),), ((ct.beta, 1), (g, -value))), value)


def _statements(
    group: Group, public_key: Element, ct: Ciphertext, allowed: Sequence[int]
) -> list[DleqStatement]:
    if not allowed or len(set(allowed)) != len(allowed):
        raise InvalidParameters("the allowed values must be distinct and at least one")
    return [encryption_statement(group, public_key, ct, v) for v in allowed]


def prove_encrypts_one_of(
    transcript: Transcript,
    public_key: Element,
    ct: Ciphertext,
    value: int,
    nonce: int,
    allowed: Sequence[int],
    rng: ScalarSource | None = None,
) -> OrProof:
    """Prove that `ct` (made with `nonce`) encrypts a member of `allowed`, without saying which."""
    return EncryptionKey(transcript.group, public_key, tables=False).prove_encrypts_one_of(
        transcript, ct, value, nonce, allowed, rng
    )


class EncryptionKey:
    """A public key K as an encrypting device holds it: with fixed-base tables for g and K (`FixedBase`).

    Every point a ballot's prover computes is then a fixed-base multiple of g or K: the prover knows the nonce
    r of (alpha, beta) = (r * g, m * g + r * K), so a simulated OR-branch's z * g - c * alpha is
    (z - c * r) * g. The proofs are exactly those of the generic prover, several times faster. `tables=False`
    skips the tables (their one-off cost is only worth it for more than a few encryptions).
    """

    def __init__(self, group: Group, public_key: Element, tables: bool = True) -> None:
        self.group = group
        self.public_key = public_key
        if tables:
            self._g_mul = FixedBase(group, group.generator()).mul
            self._k_mul = FixedBase(group, public_key).mul
        else:
            self._g_mul = lambda k: group.mul(group.generator(), k)
            self._k_mul = lambda k: group.mul(public_key, k)

    def encrypt(self, message: int, nonce: int) -> Ciphertext:
        return Ciphertext(self._g_mul(nonce), self.group.add(self._g_mul(message), self._k_mul(nonce)))

    def prove_encrypts_one_of(
        self,
        transcript: Transcript,
        ct: Ciphertext,
        value: int,
        nonce: int,
        allowed: Sequence[int],
        rng: ScalarSource | None = None,
    ) -> OrProof:
        """Prove that `ct` (made with `nonce`) encrypts a member of `allowed`, without saying which."""
        if value not in allowed:
            raise InvalidParameters(f"value {describe(value)} is not among the allowed values")
        group, order = self.group, self.group.order
        values = list(allowed)

        def commit(w: int) -> tuple[Element, ...]:
            return self._g_mul(w), self._k_mul(w)

        def simulate(j: int, c: int, z: int) -> tuple[Element, ...]:
            # z * g - c * alpha = (z - c r) * g;  z * K - c * (beta - v_j g) = (z - c r) * K - c (m - v_j) * g
            u = (z - c * nonce) % order
            return self._g_mul(u), group.add(self._k_mul(u), self._g_mul(-c * (value - values[j])))

        return prove_or(
            transcript,
            _statements(group, self.public_key, ct, values),
            values.index(value),
            nonce,
            rng,
            commit=commit,
            simulate=simulate,
        )


def encrypts_one_of_equations(
    transcript: Transcript, public_key: Element, ct: Ciphertext, allowed: Sequence[int], proof: OrProof
) -> list[Equation]:
    """The proof's equations, to add to a `BatchVerifier` (raises MalformedInput on a shape mismatch)."""
    return or_equations(transcript, _statements(transcript.group, public_key, ct, allowed), proof)


def verify_encrypts_one_of(
    transcript: Transcript, public_key: Element, ct: Ciphertext, allowed: Sequence[int], proof: OrProof
) -> bool:
    return verify_or(transcript, _statements(transcript.group, public_key, ct, allowed), proof)
