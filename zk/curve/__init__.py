"""BLS12-381 behind one small interface, with a fast (arkworks) and a reference (py-ecc) backend.

    from zk.curve import get_backend
    curve = get_backend()            # the default, arkworks
    ref = get_backend("pyecc")       # an explicit backend, e.g. to cross-check

zk reads no environment: the application chooses the backend and passes it down.

See `zk.curve.backend.Backend` for the operations and the encoding rules, `zk.curve.scalar` for scalars mod r
and `zk.hash_to_curve.hash_to_G1` for hashing to G1 with any DST.
"""

from __future__ import annotations

from zk.curve.backend import (
    G1_COFACTOR,
    G1_LENGTH,
    G1_UNCOMPRESSED_LENGTH,
    G2_LENGTH,
    Backend,
    P,
    check_compressed_encoding,
    check_uncompressed_g1,
)
from zk.curve.scalar import (
    SCALAR_LENGTH,
    R,
    random_scalar,
    scalar_from_bytes,
    scalar_inverse,
    scalar_to_bytes,
)
from zk.errors import UnsupportedBackend
from zk.json_input import describe

__all__ = [
    "BACKEND_NAMES",
    "DEFAULT_BACKEND",
    "G1_COFACTOR",
    "G1_LENGTH",
    "G1_UNCOMPRESSED_LENGTH",
    "G2_LENGTH",
    "P",
    "R",
    "SCALAR_LENGTH",
    "Backend",
    "check_compressed_encoding",
    "check_uncompressed_g1",
    "get_backend",
    "random_scalar",
    "scalar_from_bytes",
    "scalar_inverse",
    "scalar_to_bytes",
]

DEFAULT_BACKEND = "arkworks"
BACKEND_NAMES = ("arkworks", "pyecc")

_instances: dict[str, Backend] = {}


def get_backend(name: str = DEFAULT_BACKEND) -> Backend:
    """The backend called `name` (default arkworks), one instance of each."""
    backend = _instances.get(name) if isinstance(name, str) else None
    if backend is not None:
        return backend
    try:
        if name == "arkworks":
            from zk.curve.arkworks import ArkworksBackend as backend_class
        elif name == "pyecc":
            from zk.curve.pyecc import PyEccBackend as backend_class
        else:
            raise UnsupportedBackend(
                f"unknown zk backend {describe(name)}: expected one of {', '.join(BACKEND_NAMES)}"
            )
    except ImportError as exc:
        raise UnsupportedBackend(f"zk backend {describe(name)} is not installed: {exc}") from exc
    backend = _instances[name] = backend_class()
    return backend
