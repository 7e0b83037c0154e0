"""Hypothesis over the gateway's graphql-transport-ws message decoding: any text or bytes a client sends is a
message (a JSON object with a string type) or a 4400 close, never another exception; any message a remote
subgraph sends is one, or a MalformedInput / SubgraphStreamError ending that subscription; the size check
counts UTF-8 bytes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from govgraph.federation.gateway.transport_ws import (
    INVALID_MESSAGE,
    _Close,
    _decoded,
    _operation_id,
    _too_big,
    _well_formed,
)
from govgraph.federation.gateway.ws_client import SubgraphStreamError, _message
from zk.errors import MalformedInput

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def check(raw: str | bytes) -> None:
    try:
        message = _decoded(raw)
    except _Close as close:
        assert close.code == INVALID_MESSAGE
        return
    assert isinstance(message, dict) and isinstance(message["type"], str)
    try:
        assert isinstance(_operation_id(message), str)
    except _Close as close:
        assert close.code == INVALID_MESSAGE
    assert _well_formed(message.get("payload")) in (True, False)


@given(st.binary(max_size=300) | st.text(max_size=300))
def test_any_bytes_decode_or_close_4400(raw: str | bytes) -> None:
    check(raw)


@given(JSON, st.sampled_from(["subscribe", "complete", "connection_init", "ping", 3, None]))
def test_any_json_message_decodes_or_closes_4400(payload: object, kind: object) -> None:
    check(json.dumps({"type": kind, "id": payload, "payload": payload}))
    check(json.dumps(payload))


def test_deep_nesting_is_refused_as_invalid() -> None:
    check("[" * 10_000 + "]" * 10_000)


class _Socket:
    def __init__(self, raw: str | bytes) -> None:
        self.raw = raw

    async def recv(self) -> str | bytes:
        return self.raw


@given(st.binary(max_size=300) | st.text(max_size=300))
async def test_any_subgraph_message_decodes_or_is_refused(raw: str | bytes) -> None:
    try:
        message = await _message(_Socket(raw))
    except (MalformedInput, SubgraphStreamError):
        return
    assert isinstance(message, dict) and isinstance(message["type"], str)


@given(st.text(max_size=200), st.integers(min_value=0, max_value=400))
def test_the_size_limit_counts_utf8_bytes(text: str, limit: int) -> None:
    assert _too_big(text, limit) == (len(text.encode()) > limit)
    assert _too_big(text.encode(), limit) == (len(text.encode()) > limit)
