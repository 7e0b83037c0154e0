"""Federated tracing (ftv1): a per-field timing tree, protobuf-encoded as Apollo's `Trace` message.

Only answered when the caller asks with `apollo-federation-include-trace: ftv1` (gateways do; browsers don't),
so normal traffic pays nothing: the HTTP view sets TRACE_REQUESTED and the extension factory picks the
tracing extension only then. Field numbers follow Apollo's reports.proto (Trace, Trace.Node, Trace.Error,
google.protobuf.Timestamp); the encoder below writes just the fields a gateway reads."""

from __future__ import annotations

import base64
import contextvars
import time
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLResolveInfo
from strawberry.extensions import SchemaExtension
from strawberry.utils.await_maybe import AwaitableOrValue

from govgraph.federation.errors import classify

TRACE_HEADER = "apollo-federation-include-trace"
TRACE_VERSION = "ftv1"
TRACE_REQUESTED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "govgraph_trace_requested", default=False
)

# Wire types (protobuf encoding guide, "Message Structure").
_VARINT, _LEN = 0, 2


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _tag(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _uint(number: int, value: int) -> bytes:
    return _tag(number, _VARINT) + _varint(value) if value else b""


def _bytes(number: int, value: bytes) -> bytes:
    return _tag(number, _LEN) + _varint(len(value)) + value


def _string(number: int, value: str) -> bytes:
    return _bytes(number, value.encode()) if value else b""


def _timestamp(nanoseconds_since_epoch: int) -> bytes:
    seconds, nanos = divmod(nanoseconds_since_epoch, 1_000_000_000)
    return _uint(1, seconds) + _uint(2, nanos)


class TraceNode:
    """Trace.Node: a field (response_name) or a list element (index), with times relative to the trace
    start."""

    __slots__ = (
        "response_name",
        "index",
        "type",
        "parent_type",
        "original_field_name",
        "start",
        "end",
        "errors",
        "children",
    )

    def __init__(self, response_name: str = "", index: int | None = None) -> None:
        self.response_name = response_name
        self.index = index
        self.type = self.parent_type = self.original_field_name = ""
        self.start = self.end = 0
        self.errors: list[str] = []
        self.children: list[TraceNode] = []

    def encode(self) -> bytes:
        out = bytearray()
        out += _string(1, self.response_name)
        if self.index is not None:
            out += _tag(2, _VARINT) + _varint(self.index)
        out += _string(3, self.type)
        out += _uint(8, self.start) + _uint(9, self.end)
        for message in self.errors:
            out += _bytes(11, _string(1, message))
        for child in self.children:
            out += _bytes(12, child.encode())
        out += _string(13, self.parent_type)
        if self.original_field_name and self.original_field_name != self.response_name:
            out += _string(14, self.original_field_name)
        return bytes(out)


class FederatedTracing(SchemaExtension):
    """Records each resolver's start and end and returns the Trace as `extensions.ftv1` (base64)."""

    def __init__(self) -> None:
        self.root = TraceNode()
        self.nodes: dict[tuple, TraceNode] = {(): self.root}
        self.start_wall = self.start_mono = 0

    def on_operation(self) -> Iterator[None]:
        self.start_wall = time.time_ns()
        self.start_mono = time.perf_counter_ns()
        yield

    def _node(self, path: tuple) -> TraceNode:
        node = self.nodes.get(path)
        if node is None:
            parent = self._node(path[:-1])
            key = path[-1]
            node = TraceNode(index=key) if isinstance(key, int) else TraceNode(response_name=key)
            parent.children.append(node)
            self.nodes[path] = node
        return node

    async def resolve(
        self, _next, root, info: GraphQLResolveInfo, *args: Any, **kwargs: Any
    ) -> AwaitableOrValue[object]:
        node = self._node(tuple(info.path.as_list()))
        node.type = str(info.return_type)
        node.parent_type = info.parent_type.name
        node.original_field_name = info.field_name
        node.start = time.perf_counter_ns() - self.start_mono
        try:
            result = _next(root, info, *args, **kwargs)
            if hasattr(result, "__await__"):
                result = await result
            return result
        finally:
            node.end = time.perf_counter_ns() - self.start_mono

    def get_results(self) -> dict[str, object]:
        duration = time.perf_counter_ns() - self.start_mono
        # Strawberry asks for extension results before it stores the result; the errors are already here.
        for error in self.execution_context.pre_execution_errors or ():
            path = tuple(error.path) if error.path else ()
            # The masked message: traces leave the subgraph, so internals must not ride along.
            self._node(path).errors.append(classify(error).message)
        trace = (
            _bytes(4, _timestamp(self.start_wall))
            + _bytes(3, _timestamp(self.start_wall + duration))
            + _uint(11, duration)
            + _bytes(14, self.root.encode())
        )
        return {TRACE_VERSION: base64.b64encode(trace).decode()}


class _NoTracing(SchemaExtension):
    """Stands in when no trace was requested: it overrides no hook, so it costs nothing per field."""


def tracing_extension() -> SchemaExtension:
    """The extension factory: tracing only for requests that asked for it."""
    return FederatedTracing() if TRACE_REQUESTED.get() else _NoTracing()
