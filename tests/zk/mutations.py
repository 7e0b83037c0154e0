"""Hypothesis strategies for fuzzing decoders: random bytes, and one-bit or one-byte changes of valid ones."""

from __future__ import annotations

from hypothesis import strategies as st


def mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes of the right and of other lengths, truncations, extensions, and single-bit or single-byte
    changes of `valid`. Cheap to generate, so thousands of cases run in seconds."""

    def flip(i: int, bit: int) -> bytes:
        out = bytearray(valid)
        out[i] ^= 1 << bit
        return bytes(out)

    def set_byte(i: int, value: int) -> bytes:
        out = bytearray(valid)
        out[i] = value
        return bytes(out)

    last = len(valid) - 1
    return st.one_of(
        st.binary(min_size=len(valid), max_size=len(valid)),
        st.binary(max_size=2 * len(valid)),
        st.builds(flip, st.integers(0, last), st.integers(0, 7)),
        st.builds(flip, st.integers(0, last), st.integers(0, 7)),
        st.builds(set_byte, st.integers(0, last), st.integers(0, 255)),
        st.integers(0, last).map(lambda n: valid[:n]),
        st.binary(min_size=1, max_size=64).map(lambda extra: valid + extra),
    )
