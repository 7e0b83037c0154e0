"""The one exception tree of the zk layer: callers catch ZkError, or a precise subclass."""


class ZkError(Exception):
    """Base of every error raised by zk/."""


class MalformedInput(ZkError, ValueError):
    """Bytes or values from outside are not a valid encoding (length, canonical form, subgroup, range)."""


class InvalidProof(ZkError):
    """A well-formed proof or signature does not verify."""


class InvalidParameters(ZkError, ValueError):
    """A caller passed arguments that violate an operation's preconditions (e.g. an index out of range)."""


class UnsupportedBackend(ZkError):
    """The requested curve backend is unknown or its package is not installed."""
