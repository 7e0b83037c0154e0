"""The Fiat-Shamir transcript of every proof here: labelled, length-prefixed absorptions into SHAKE-256.

The first absorption is the protocol's domain (with the group's name), so a challenge from one protocol can
never be replayed in another; every challenge is absorbed back (strong Fiat-Shamir). Details: docs/zk.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from zk.group import Combination, Element, Group

PROTOCOL_PREFIX = b"govgraph/sigma/v1"

# (label, data length) -> the absorption's length-prefixed header: a verifier absorbs ~160 per ballot.
_FRAMES: dict[tuple[bytes, int], bytes] = {}
_FRAME_CACHE_MAX_LENGTH = 256


class Transcript:
    """A Fiat-Shamir transcript: labelled absorptions into SHAKE-256, challenges squeezed mod the group order.

    Every absorption is (len(label), label, len(data), data) with fixed-width lengths, so two different
    sequences of messages can never produce the same sponge input.
    """

    def __init__(self, group: Group, domain: bytes) -> None:
        self.group = group
        self._state = hashlib.shake_256()
        self._absorb(b"domain", PROTOCOL_PREFIX + b"/" + group.name + b"/" + domain)

    def _absorb(self, label: bytes, data: bytes) -> None:
        frame = _FRAMES.get((label, len(data)))
        if frame is None:
            frame = len(label).to_bytes(2, "big") + label + len(data).to_bytes(8, "big")
            if len(data) <= _FRAME_CACHE_MAX_LENGTH:  # labels are the code's constants: a bounded cache
                _FRAMES[label, len(data)] = frame
        self._state.update(frame + data)

    def append_message(self, label: bytes, data: bytes) -> None:
        self._absorb(label, bytes(data))

    def append_int(self, label: bytes, value: int) -> None:
        """A small signed integer (an index, a plaintext value), as 8-byte two's complement."""
        self._absorb(label, value.to_bytes(8, "big", signed=True))

    def append_scalar(self, label: bytes, k: int) -> None:
        self._absorb(label, (k % self.group.order).to_bytes(self.group.scalar_length, "big"))

    def append_element(self, label: bytes, a: Element) -> None:
        self._absorb(label, self.group.encode(a))

    def append_elements(self, label: bytes, points: Sequence[Element]) -> None:
        self._absorb(label, b"".join(self.group.encode(p) for p in points))

    def append_combination(self, label: bytes, combination: Combination) -> None:
        self.append_int(label + b"/terms", len(combination))
        for point, coefficient in combination:
            self.append_element(label + b"/point", point)
            self.append_scalar(label + b"/coefficient", coefficient)

    def challenge_scalar(self, label: bytes) -> int:
        """A challenge mod the order from 64 squeezed bytes (bias < 2^-250), then absorbed back."""
        self._absorb(b"challenge", label)
        value = int.from_bytes(self._state.copy().digest(64), "big") % self.group.order
        self.append_scalar(b"challenge-value", value)
        return value

    def fork(self, label: bytes, data: bytes = b"") -> Transcript:
        """A child transcript that has absorbed all of this one plus (label, data); this one is unchanged."""
        child = object.__new__(Transcript)
        child.group = self.group
        child._state = self._state.copy()
        child._absorb(label, data)
        return child
