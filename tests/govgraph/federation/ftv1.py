"""A small protobuf reader for the ftv1 Trace, written from the protobuf wire-format spec, so tests can check
what the tracing extension encodes without trusting its own encoder."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7


def fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs; values are ints (varint) or bytes (length-delimited)."""
    out, position = [], 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, position = _varint(data, position)
        elif wire_type == 2:
            length, position = _varint(data, position)
            value, position = data[position : position + length], position + length
        else:
            raise ValueError(f"unexpected wire type {wire_type}")
        out.append((number, value))
    return out


@dataclass
class Node:
    response_name: str = ""
    index: int | None = None
    type: str = ""
    parent_type: str = ""
    start: int = 0
    end: int = 0
    errors: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def child(self, name: str | int) -> Node:
        return next(
            c for c in self.children if (c.index if isinstance(name, int) else c.response_name) == name
        )


def _node(data: bytes) -> Node:
    node = Node()
    for number, value in fields(data):
        if number == 1:
            node.response_name = value.decode()
        elif number == 2:
            node.index = value
        elif number == 3:
            node.type = value.decode()
        elif number == 8:
            node.start = value
        elif number == 9:
            node.end = value
        elif number == 11:
            node.errors.append(dict(fields(value))[1].decode())
        elif number == 12:
            node.children.append(_node(value))
        elif number == 13:
            node.parent_type = value.decode()
    return node


@dataclass
class Trace:
    start_seconds: int
    end_seconds: int
    duration_ns: int
    root: Node


def decode_trace(encoded: str) -> Trace:
    values = dict(fields(base64.b64decode(encoded)))
    start = dict(fields(values[4]))
    end = dict(fields(values[3]))
    return Trace(
        start_seconds=start.get(1, 0),
        end_seconds=end.get(1, 0),
        duration_ns=values.get(11, 0),
        root=_node(values[14]),
    )
