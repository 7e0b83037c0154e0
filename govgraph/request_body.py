"""Reading a request body under a size limit, for every endpoint that takes one: a declared Content-Length
over the limit is refused before a byte is read, and a chunked body stops being read as soon as it passes the
limit (a body is never held whole before its size is known)."""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.requests import Request

# nginx's status for "client closed request": the client went away before the answer. Nothing is sent (there
# is nobody to send it to); metrics and access logs see it as a client abort, not a server error.
CLIENT_CLOSED_REQUEST = 499
_LENGTH = re.compile(r"[0-9]{1,19}")  # below 2**63: int() never sees a hostile number of digits


class BodyTooLarge(Exception):
    """The request body is, or declares itself, larger than `limit` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body exceeds {limit} bytes.")
        self.limit = limit


def declared_length(headers: Headers) -> int | None:
    """The Content-Length, or None when absent. A value that is not a plain decimal (the HTTP server refuses
    most of those itself) is taken as larger than any limit."""
    value = headers.get("content-length")
    if value is None:
        return None
    value = value.strip()
    return int(value) if _LENGTH.fullmatch(value) else 2**63


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes; raises BodyTooLarge (having read at most `limit` bytes and one
    chunk), or starlette's ClientDisconnect when the client goes away first."""
    declared = declared_length(request.headers)
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
