"""Where time-stamp tokens come from: the embedded authority in this process, or an RFC 3161 TSA over HTTP
(RFC 3161 section 3.4: a DER TimeStampReq POSTed as application/timestamp-query), each answer checked
before it is kept; and `tsa_app`, the embedded authority served over HTTP the same way."""

from __future__ import annotations

import hashlib
import secrets
from typing import Protocol

import httpx
import rfc3161_client
from rfc3161_client import HashAlgorithm, TimestampRequestBuilder
from rfc3161_client.tsp import PKIStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govgraph.evidence.authority import SHA256_OID, TimestampAuthority

REQUEST_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY_BYTES = 1 << 16


class TimestampUnavailable(Exception):
    """The TSA did not answer, or its answer is not a granted token over the message asked for."""


class Timestamper(Protocol):
    """Gets a TimeStampResp (DER) over SHA-256 of `message`."""

    async def timestamp(self, message: bytes) -> bytes: ...


class EmbeddedTimestamper:
    """Tokens from the authority in this process (an ECDSA signature: a fraction of a millisecond)."""

    def __init__(self, authority: TimestampAuthority) -> None:
        self.authority = authority

    async def timestamp(self, message: bytes) -> bytes:
        return self.authority.timestamp(hashlib.sha256(message).digest(), nonce=secrets.randbits(63))


class RemoteTimestamper:
    """Tokens from the TSA at `url`, with a fresh nonce and the TSA's certificate requested; the answer must
    be granted, over the message's SHA-256, with the nonce sent."""

    def __init__(self, url: str, *, timeout: float = 10.0, client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.client = client

    async def timestamp(self, message: bytes) -> bytes:
        request = (
            TimestampRequestBuilder(hash_algorithm=HashAlgorithm.SHA256, nonce=True, cert_req=True)
            .data(message)
            .build()
        )
        try:
            if self.client is not None:
                reply = await self._post(self.client, request.as_bytes())
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    reply = await self._post(client, request.as_bytes())
        except httpx.HTTPError as exc:
            raise TimestampUnavailable(
                f"the TSA at {self.url} did not answer: {type(exc).__name__}"
            ) from None
        return check_reply(reply, hashlib.sha256(message).digest(), request.nonce)

    async def _post(self, client: httpx.AsyncClient, body: bytes) -> bytes:
        response = await client.post(self.url, content=body, headers={"Content-Type": REQUEST_TYPE})
        if response.status_code != 200:
            raise TimestampUnavailable(f"the TSA at {self.url} answered HTTP {response.status_code}")
        if len(response.content) > MAX_REPLY_BYTES:
            raise TimestampUnavailable(f"the TSA at {self.url} answered more than {MAX_REPLY_BYTES} bytes")
        return response.content


def check_reply(reply: bytes, digest: bytes, nonce: int | None) -> bytes:
    """`reply` if it is a granted SHA-256 token over `digest` carrying `nonce`."""
    try:
        response = rfc3161_client.decode_timestamp_response(reply)
        granted = response.status in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS)
        info = response.tst_info if granted else None
    except Exception:  # the Rust decoder's errors on a malformed reply
        raise TimestampUnavailable("the TSA's reply is not a TimeStampResp") from None
    if info is None:
        raise TimestampUnavailable(f"the TSA refused the request (status {response.status})")
    imprint = info.message_imprint
    if imprint.hash_algorithm.dotted_string != SHA256_OID or bytes(imprint.message) != digest:
        raise TimestampUnavailable("the TSA's token is over another message than the one sent")
    if nonce is not None and info.nonce != nonce:
        raise TimestampUnavailable("the TSA's token does not carry the nonce sent")
    return reply


def tsa_app(authority: TimestampAuthority) -> Starlette:
    """An RFC 3161 HTTP endpoint (POST /) answering with `authority`: what GOVGRAPH_TSA_URL may name."""

    async def answer(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != REQUEST_TYPE:
            return Response(status_code=415)
        body = await request.body()
        if len(body) > MAX_REPLY_BYTES:
            return Response(status_code=413)
        return Response(authority.answer(body), media_type=REPLY_TYPE)

    return Starlette(routes=[Route("/", answer, methods=["POST"])])
