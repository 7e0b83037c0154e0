"""The protocol's HTTP conventions: OAuth-style error bodies (`error`, `error_description`) with the specs'
codes, form and JSON request bodies read under a size limit and decoded strictly, and `no-store` answers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from govgraph.request_body import CLIENT_CLOSED_REQUEST, BodyTooLarge, read_body
from zk.errors import MalformedInput
from zk.json_input import describe, load_json

MAX_FORM_BYTES = 64 * 1024
MAX_JSON_BYTES = 64 * 1024
MAX_FORM_FIELDS = 16
NO_STORE = {"Cache-Control": "no-store"}


class ProtocolError(Exception):
    """An error answered with the spec's code: OID4VCI / RFC 6749 (`invalid_grant`, `invalid_proof`,
    `invalid_nonce`, ...) or OID4VP (`invalid_request`). `extra` adds fields to the body."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.description, **self.extra}
        return JSONResponse(body, status_code=self.status, headers={**NO_STORE, **self.headers})


def invalid_request(description: str) -> ProtocolError:
    return ProtocolError("invalid_request", description)


def no_store(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=NO_STORE)


async def _body(request: Request, limit: int) -> bytes:
    try:
        return await read_body(request, limit)
    except BodyTooLarge:
        raise ProtocolError(
            "invalid_request", f"the request body exceeds {limit} bytes", status=413
        ) from None


async def read_form(request: Request, *, limit: int = MAX_FORM_BYTES) -> dict[str, str]:
    """An application/x-www-form-urlencoded body as a dict; a parameter sent twice, a body that is not
    ASCII form encoding or another content type is `invalid_request` (RFC 6749 section 3.2)."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise invalid_request("the body must be application/x-www-form-urlencoded")
    body = await _body(request, limit)
    try:
        pairs = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=MAX_FORM_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise invalid_request("the body is not form encoded") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise invalid_request(f"the parameter {describe(name)} is sent more than once")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise invalid_request(f"the parameter {describe(name)} is not UTF-8 text") from None
        form[name] = value
    return form


async def read_json(request: Request, *, limit: int = MAX_JSON_BYTES, error: str = "invalid_request") -> Any:
    """An application/json body decoded strictly (duplicate keys, floats and lone surrogates refused);
    anything else is `error`."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != "application/json":
        raise ProtocolError(error, "the body must be application/json")
    body = await _body(request, limit)
    try:
        return load_json(body, what="the request body", max_bytes=limit, strict=True)
    except MalformedInput as exc:
        raise ProtocolError(error, str(exc)) from None


def disconnected() -> Response:
    """What a client that left mid-body gets: nothing anyone reads, counted as a client abort."""
    return Response(status_code=CLIENT_CLOSED_REQUEST)


__all__ = [
    "NO_STORE",
    "ClientDisconnect",
    "ProtocolError",
    "disconnected",
    "invalid_request",
    "no_store",
    "read_form",
    "read_json",
]
