"""The courts' embedded time-stamping authority over HTTP (RFC 3161 section 3.4): `POST /tsa` takes a DER
TimeStampReq as application/timestamp-query and answers a TimeStampResp as application/timestamp-reply (a
request it cannot grant gets a `rejection` with its failInfo, never an HTTP error), and `GET /tsa/chain.pem`
gives the certificates to verify its tokens with. Served by `govgraph serve` and `govgraph subgraph courts`
while the embedded authority is the one in use (GOVGRAPH_TSA_URL unset); otherwise both answer 404."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from govgraph.agencies.courts.notary import Notary
from govgraph.evidence.authority import TimestampAuthority
from govgraph.evidence.timestampers import REPLY_TYPE, REQUEST_TYPE, EmbeddedTimestamper

TSA_PATH = "/tsa"
CHAIN_PATH = "/tsa/chain.pem"
MAX_QUERY_BYTES = 8 * 1024  # a TimeStampReq is about 60 bytes (SHA-512 with a nonce: under 120)
NO_STORE = {"Cache-Control": "no-store"}


def _authority(request: Request) -> TimestampAuthority | None:
    writes = getattr(request.app.state, "writes", None)
    notary = None if writes is None else writes.attached("courts")
    if isinstance(notary, Notary) and isinstance(notary.timestamper, EmbeddedTimestamper):
        return notary.timestamper.authority
    return None


def _error(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=NO_STORE)


def _not_served() -> JSONResponse:
    return _error(404, "not_found", "this server's tokens come from an external TSA (GOVGRAPH_TSA_URL)")


async def timestamp(request: Request) -> Response:
    authority = _authority(request)
    if authority is None:
        return _not_served()
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != REQUEST_TYPE:
        return _error(415, "unsupported_media_type", f"send a DER TimeStampReq as {REQUEST_TYPE}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_QUERY_BYTES:
        return _error(413, "payload_too_large", f"a time-stamp query is at most {MAX_QUERY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_QUERY_BYTES:
            return _error(413, "payload_too_large", f"a time-stamp query is at most {MAX_QUERY_BYTES} bytes")
    return Response(authority.answer(bytes(body)), media_type=REPLY_TYPE, headers=NO_STORE)


async def chain(request: Request) -> Response:
    authority = _authority(request)
    if authority is None:
        return _not_served()
    return Response(authority.chain_pem(), media_type="application/pem-certificate-chain")


ROUTES = (Route(TSA_PATH, timestamp, methods=["POST"]), Route(CHAIN_PATH, chain, methods=["GET"]))
