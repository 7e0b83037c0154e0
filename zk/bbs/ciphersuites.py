"""The two BBS ciphersuites of the draft (section 7) and their bytes-in, bytes-out API (sections 3.4-3.5).

    from zk.bbs import BLS12_381_SHA_256 as bbs
    sk = bbs.keygen(os.urandom(32)); pk = bbs.sk_to_pk(sk)
    sig = bbs.sign(sk, pk, header, messages)
    proof = bbs.proof_gen(pk, sig, header, ph, messages, [0, 2])
    assert bbs.proof_verify(pk, proof, header, ph, [messages[0], messages[2]], [0, 2])

A suite object is bound to a curve backend: the module-level ones use `zk.curve.get_backend()`'s default
(resolved at first use); `suite.with_backend(get_backend("pyecc"))` gives the same suite on another backend.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Self

from zk.bbs import core
from zk.bbs.encoding import (
    expand_len,
    i2osp,
    octet_point_length,
    octet_scalar_length,
    octets_to_pubkey,
    octets_to_secret_key,
    require_bytes,
)
from zk.curve import Backend, get_backend
from zk.errors import InvalidParameters, ZkError
from zk.hash_to_curve import (
    BLS12381G1_XMD_SHA_256_SSWU_RO,
    BLS12381G1_XOF_SHAKE_256_SSWU_RO,
    HashToCurveSuite,
    hash_to_G1,
)
from zk.json_input import describe

# The mocked-randomness seed of the draft's test vectors: ASCII "3.141592653589793238462643383279".
MOCK_SEED = b"3.141592653589793238462643383279"


class _GeneratorStream:
    """create_generators (section 4.1.1) as a growing list: generator i only depends on the ones before it."""

    def __init__(
        self, suite: Ciphersuite, api_id: bytes, generator_seed: bytes, seed_dst: bytes, generator_dst: bytes
    ) -> None:
        self._suite = suite
        self._seed_dst = seed_dst
        self._generator_dst = generator_dst
        # 4. v = expand_message(generator_seed, seed_dst, expand_len)
        self._v = suite.expand_message(generator_seed, seed_dst, suite.expand_len)
        self.points: list[Any] = []
        self.encodings: list[bytes] = []
        self._lock = threading.Lock()

    def take(self, count: int) -> list[Any]:
        with self._lock:
            # 5. for i in (1, 2, ..., count):
            for i in range(len(self.points) + 1, count + 1):
                # 6. v = expand_message(v || I2OSP(i, 8), seed_dst, expand_len)
                self._v = self._suite.expand_message(
                    self._v + i2osp(i, 8), self._seed_dst, self._suite.expand_len
                )
                # 7. generator_i = hash_to_curve_g1(v, generator_dst)
                point = hash_to_G1(
                    self._v, self._generator_dst, self._suite.hash_to_curve_suite, self._suite.backend
                )
                self.points.append(point)
                self.encodings.append(self._suite.backend.g1_compress(point))
            return self.points[:count]


class BackendVariants:
    """`with_backend(backend)`: this object on another curve backend, one shared instance per backend, so that
    each backend's caches (generators, decoded keys, context points) are built once. The first instance is the
    root that keeps the others. Subclasses call `_init_variants()` and define `backend` and `_on_backend`."""

    def _init_variants(self) -> None:
        self._root = self
        self._variants: dict[str, Self] = {}
        self._variants_lock = threading.Lock()

    def _on_backend(self, backend: Backend) -> Self:
        """A new instance like this one, on `backend`."""
        raise NotImplementedError

    def with_backend(self, backend: Backend) -> Self:
        """This object on `backend` (the one shared instance for that backend)."""
        if backend is self.backend:
            return self
        root = self._root
        if backend is root.backend:  # the root is the variant for its own backend
            return root
        with root._variants_lock:
            variant = root._variants.get(backend.name)
            if variant is None:
                variant = root._variants[backend.name] = self._on_backend(backend)
                variant._root = root
            return variant


class Ciphersuite(BackendVariants):
    """One BBS ciphersuite (section 7) bound to one curve backend."""

    expand_len = expand_len
    octet_scalar_length = octet_scalar_length
    octet_point_length = octet_point_length

    def __init__(
        self, ciphersuite_id: bytes, hash_to_curve_suite: HashToCurveSuite, backend: Backend | None = None
    ) -> None:
        self.ciphersuite_id = ciphersuite_id
        # The api_id of the core BBS interface (section 3): ciphersuite_id || "H2G_HM2S_".
        self.api_id = ciphersuite_id + b"H2G_HM2S_"
        self.hash_to_curve_suite = hash_to_curve_suite
        self.expand_message = hash_to_curve_suite.expand_message
        self._backend = backend
        self._streams: dict[bytes, _GeneratorStream] = {}
        self._init_variants()
        self._p1: Any = None
        self._lock = threading.Lock()
        self._decode_pubkey_cached = lru_cache(maxsize=256)(self._decode_pubkey)

    def __repr__(self) -> str:
        backend = self._backend.name if self._backend else "default"
        return f"<BBS ciphersuite {self.ciphersuite_id.decode()} on {backend}>"

    # --- backend and constants ------------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = get_backend()
        return self._backend

    def _on_backend(self, backend: Backend) -> Ciphersuite:
        return Ciphersuite(self.ciphersuite_id, self.hash_to_curve_suite, backend)

    @property
    def P1(self) -> Any:
        """The fixed G1 point P1: create_generators(1) with the "BP_" seed (section 7)."""
        if self._p1 is None:
            stream = _GeneratorStream(
                self,
                self.api_id,
                self.api_id + b"BP_MESSAGE_GENERATOR_SEED",
                self.api_id + b"SIG_GENERATOR_SEED_",
                self.api_id + b"SIG_GENERATOR_DST_",
            )
            self._p1 = stream.take(1)[0]
        return self._p1

    def _stream(self, api_id: bytes) -> _GeneratorStream:
        with self._lock:
            stream = self._streams.get(api_id)
            if stream is None:
                stream = self._streams[api_id] = _GeneratorStream(
                    self,
                    api_id,
                    api_id + b"MESSAGE_GENERATOR_SEED",
                    api_id + b"SIG_GENERATOR_SEED_",
                    api_id + b"SIG_GENERATOR_DST_",
                )
            return stream

    def create_generators(self, count: int, api_id: bytes | None = None) -> list[Any]:
        """create_generators(count, api_id) (section 4.1.1), cached per api_id as one growing list."""
        if type(count) is not int or count < 0 or count > 2**16:
            raise InvalidParameters(f"generator count out of range: {describe(count)}")
        return self._stream(api_id or self.api_id).take(count)

    def serialized_generators(self, api_id: bytes, q_1: Any, h_points: Sequence[Any]) -> bytes:
        """serialize((Q_1, H_1, ..., H_L)) from the cache when these are this suite's generators."""
        stream = self._streams.get(api_id)
        n = len(h_points) + 1
        if (
            stream is not None
            and len(stream.points) >= n
            and stream.points[0] is q_1
            and all(a is b for a, b in zip(stream.points[1:n], h_points, strict=True))
        ):
            return b"".join(stream.encodings[:n])
        compress = self.backend.g1_compress
        return compress(q_1) + b"".join(compress(h) for h in h_points)

    def decode_pubkey(self, pk: bytes) -> Any:
        """octets_to_pubkey on this suite's backend, memoized: a verifier sees the same few issuer keys."""
        return self._decode_pubkey_cached(require_bytes(pk, "public key"))

    def _decode_pubkey(self, pk: bytes) -> Any:
        return octets_to_pubkey(self.backend, pk)

    # --- hashing ----------------------------------------------------------------------------------------
    def hash_to_scalar(self, msg_octets: bytes, dst: bytes | None = None) -> int:
        """hash_to_scalar (section 4.1.4); the default DST is api_id || "H2S_"."""
        return core.hash_to_scalar(
            self,
            require_bytes(msg_octets, "message"),
            self.api_id + b"H2S_" if dst is None else require_bytes(dst, "DST"),
        )

    def messages_to_scalars(self, messages: Sequence[bytes], api_id: bytes | None = None) -> list[int]:
        """messages_to_scalars (section 4.1.2)."""
        return core.messages_to_scalars(
            self, [require_bytes(m, "message") for m in messages], api_id or self.api_id
        )

    def mocked_random_scalars(self, count: int) -> list[int]:
        """The draft's seeded scalars (Appendix, mocked random scalars): SEED, api_id ||
        "MOCK_RANDOM_SCALARS_DST_"."""
        return core.seeded_random_scalars(self, MOCK_SEED, self.api_id + b"MOCK_RANDOM_SCALARS_DST_", count)

    # --- keys -------------------------------------------------------------------------------------------
    def keygen(self, key_material: bytes, key_info: bytes = b"", key_dst: bytes | None = None) -> bytes:
        """KeyGen (section 3.4.1). The default key_dst follows the text: ciphersuite_id || "KEYGEN_DST_".

        (The draft's keypair fixture passes api_id || "KEYGEN_DST_" explicitly.)
        """
        key_material = require_bytes(key_material, "key_material")
        key_info = require_bytes(key_info, "key_info")
        # 1. if length(key_material) < 32, return INVALID; 2. if length(key_info) > 65535, return INVALID
        if len(key_material) < 32:
            raise InvalidParameters("key_material must be at least 32 bytes")
        if len(key_info) > 65535:
            raise InvalidParameters("key_info must be at most 65535 bytes")
        if key_dst is None:
            key_dst = self.ciphersuite_id + b"KEYGEN_DST_"
        # 3. derive_input = key_material || I2OSP(length(key_info), 2) || key_info
        derive_input = key_material + i2osp(len(key_info), 2) + key_info
        # 4. SK = hash_to_scalar(derive_input, key_dst)
        sk = core.hash_to_scalar(self, derive_input, require_bytes(key_dst, "key_dst"))
        # 5. if SK is INVALID, return INVALID (SK = 0 cannot be a key)
        if sk == 0:
            raise InvalidParameters("KeyGen derived SK = 0")
        return i2osp(sk, self.octet_scalar_length)

    def sk_to_pk(self, sk: bytes) -> bytes:
        """SkToPk (section 3.4.2): W = SK * BP2, compressed (96 bytes)."""
        curve = self.backend
        return curve.g2_compress(curve.g2_mul(curve.g2_generator(), octets_to_secret_key(sk)))

    # --- signatures -------------------------------------------------------------------------------------
    def sign(self, sk: bytes, pk: bytes, header: bytes, messages: Sequence[bytes]) -> bytes:
        """Sign (section 3.5.1). Raises MalformedInput / InvalidParameters for bad inputs."""
        sk_value = octets_to_secret_key(sk)
        pk = require_bytes(pk, "public key")
        self.decode_pubkey(pk)
        header = require_bytes(header, "header")
        # 1. message_scalars = messages_to_scalars(messages, api_id)
        message_scalars = self.messages_to_scalars(messages)
        # 2. generators = create_generators(length(messages) + 1, api_id)
        generators = self.create_generators(len(message_scalars) + 1)
        # 3. signature = CoreSign(SK, PK, generators, header, message_scalars, api_id)
        return core.core_sign(self, sk_value, pk, generators, header, message_scalars, self.api_id)

    def verify(self, pk: bytes, signature: bytes, header: bytes, messages: Sequence[bytes]) -> bool:
        """Verify (section 3.5.2): True or False; never raises for bad input."""
        try:
            pk, header = require_bytes(pk, "public key"), require_bytes(header, "header")
            message_scalars = self.messages_to_scalars(_sequence(messages))
            generators = self.create_generators(len(message_scalars) + 1)
            return core.core_verify(self, pk, signature, generators, header, message_scalars, self.api_id)
        except ZkError:
            return False

    # --- proofs -----------------------------------------------------------------------------------------
    def proof_gen(
        self,
        pk: bytes,
        signature: bytes,
        header: bytes,
        presentation_header: bytes,
        messages: Sequence[bytes],
        disclosed_indexes: Sequence[int],
        *,
        random_scalars: Callable[[int], list[int]] | None = None,
    ) -> bytes:
        """ProofGen (section 3.5.3). `random_scalars(count)`, when given, replaces calculate_random_scalars
        (how the draft's fixtures are reproduced: pass `suite.mocked_random_scalars`)."""
        pk = require_bytes(pk, "public key")
        self.decode_pubkey(pk)
        header = require_bytes(header, "header")
        ph = require_bytes(presentation_header, "presentation header")
        indexes = _indexes(disclosed_indexes)
        message_scalars = self.messages_to_scalars(messages)
        generators = self.create_generators(len(message_scalars) + 1)
        scalars = None
        if random_scalars is not None:
            scalars = list(random_scalars(len(message_scalars) - len(indexes) + 5))
        return core.core_proof_gen(
            self, pk, signature, generators, header, ph, message_scalars, indexes, self.api_id, scalars
        )

    def proof_verify(
        self,
        pk: bytes,
        proof: bytes,
        header: bytes,
        presentation_header: bytes,
        disclosed_messages: Sequence[bytes],
        disclosed_indexes: Sequence[int],
    ) -> bool:
        """ProofVerify (section 3.5.4): `disclosed_messages` lists only the disclosed ones, in index order."""
        try:
            pk, header = require_bytes(pk, "public key"), require_bytes(header, "header")
            ph = require_bytes(presentation_header, "presentation header")
            indexes = _indexes(disclosed_indexes)
            message_scalars = self.messages_to_scalars(_sequence(disclosed_messages))
            return core.core_proof_verify(
                self,
                pk,
                proof,
                lambda L: self.create_generators(L + 1),
                header,
                ph,
                message_scalars,
                indexes,
                self.api_id,
            )
        except ZkError:
            return False


def _sequence(values: Any) -> list:
    if isinstance(values, (bytes, str)) or not isinstance(values, Sequence):
        raise InvalidParameters("messages must be a sequence of bytes")
    return list(values)


def _indexes(values: Any) -> list[int]:
    indexes = _sequence(values)
    if any(type(i) is not int or not 0 <= i < 2**64 for i in indexes):
        raise InvalidParameters("disclosed indexes must be non-negative integers")
    return indexes


BLS12_381_SHA_256 = Ciphersuite(b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_", BLS12381G1_XMD_SHA_256_SSWU_RO)
BLS12_381_SHAKE_256 = Ciphersuite(b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_", BLS12381G1_XOF_SHAKE_256_SSWU_RO)

__all__ = ["BLS12_381_SHA_256", "BLS12_381_SHAKE_256", "MOCK_SEED", "BackendVariants", "Ciphersuite"]
