"""The ledger's HTTP routes (the only ledger module that knows Starlette): for every log in the database, the
c2sp.org/tlog-tiles read endpoints monitors mirror (/ledgers/<name>/checkpoint, /tile/..., /tile/entries/...)
and the agency's tlog-witness endpoint (/ledgers/<name>/witness/add-checkpoint) cosigning the other logs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from govgraph.ledger.keys import KeyFileError, read_witness_signer
from govgraph.ledger.log import Log, LogNotFound
from govgraph.ledger.models import create_ledger_tables
from govgraph.ledger.tiles import TILE_WIDTH, TilePathError, parse_tile_path
from govgraph.ledger.witness import MAX_REQUEST_SIZE, Witness
from govgraph.request_body import CLIENT_CLOSED_REQUEST, BodyTooLarge, read_body

FULL_TILE_CACHE = "public, max-age=31536000, immutable"  # full tiles never change (tlog-tiles)
MUTABLE_CACHE = "no-cache"


class Ledgers:
    """The logs and witnesses of one database, found by name when first asked for (so a log created with
    `govgraph ledger init` while the server runs is served without a restart)."""

    def __init__(self, engine: AsyncEngine, keys_dir: Path) -> None:
        self.engine = engine
        self.keys_dir = keys_dir
        self._logs: dict[str, Log] = {}

    async def start(self) -> None:
        await create_ledger_tables(self.engine)
        for name in await Log.names(self.engine):
            await self.log(name)

    async def log(self, name: str) -> Log | None:
        if name not in self._logs:
            try:
                self._logs[name] = await Log.open(self.engine, name)
            except LogNotFound:
                return None
        return self._logs[name]

    async def witness(self, name: str) -> Witness | None:
        """The witness agency `name` runs: it trusts every other log in the database."""
        if await self.log(name) is None:
            return None
        try:
            signer = read_witness_signer(self.keys_dir, name)
        except KeyFileError:
            return None
        others = [await self.log(other) for other in await Log.names(self.engine) if other != name]
        return Witness(self.engine, signer, {log.origin: [log.verifier] for log in others if log is not None})


def _ledgers(request: Request) -> Ledgers:
    return request.app.state.ledgers


def _not_found(what: str) -> Response:
    return Response(f"{what}\n", status_code=404, media_type="text/plain")


async def checkpoint(request: Request) -> Response:
    log = await _ledgers(request).log(request.path_params["name"])
    if log is None:
        return _not_found("no such log")
    head = await log.latest_checkpoint()
    if head is None:
        return _not_found("no checkpoint yet")
    return Response(
        head.published, media_type="text/plain; charset=utf-8", headers={"Cache-Control": MUTABLE_CACHE}
    )


async def tile(request: Request) -> Response:
    log = await _ledgers(request).log(request.path_params["name"])
    if log is None:
        return _not_found("no such log")
    try:
        path = parse_tile_path("tile/" + request.path_params["path"])
    except TilePathError as exc:
        return Response(f"{exc}\n", status_code=400, media_type="text/plain")
    _, integrated = await log.state()
    cache = FULL_TILE_CACHE if path.width == TILE_WIDTH else MUTABLE_CACHE
    if path.level is None:
        begin = path.index * TILE_WIDTH
        if begin + path.width > integrated:
            return _not_found("entries not yet integrated")
        entries = await log.entries(begin, begin + path.width)
        bundle = b"".join(len(entry).to_bytes(2, "big") + entry for entry in entries)
        return Response(bundle, media_type="application/octet-stream", headers={"Cache-Control": cache})
    # A tile at level L holds hashes of nodes at tree level 8L; it exists once the tree covers them.
    if (path.index * TILE_WIDTH + path.width) << (8 * path.level) > integrated:
        return _not_found("tile not yet in the tree")
    hashes = await log.tile(path.level, path.index)
    if len(hashes) < 32 * path.width:
        return _not_found("tile not stored")
    return Response(
        hashes[: 32 * path.width], media_type="application/octet-stream", headers={"Cache-Control": cache}
    )


async def add_checkpoint(request: Request) -> Response:
    witness = await _ledgers(request).witness(request.path_params["name"])
    if witness is None:
        return _not_found("this agency runs no witness")
    # A body over the witness's limit is refused unread (Content-Length) or once it passes it (chunked).
    try:
        body = await read_body(request, MAX_REQUEST_SIZE)
    except BodyTooLarge:
        return Response("request too large\n", status_code=413, media_type="text/plain")
    except ClientDisconnect:
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    reply = await witness.add_checkpoint(body)
    # Set verbatim: Starlette would append a charset to text/x.tlog.size, which the spec fixes.
    return Response(reply.body, status_code=reply.status, headers={"Content-Type": reply.content_type})


def ledger_routes() -> list[BaseRoute]:
    return [
        Route("/ledgers/{name}/checkpoint", checkpoint, methods=["GET"]),
        Route("/ledgers/{name}/tile/{path:path}", tile, methods=["GET"]),
        Route("/ledgers/{name}/witness/add-checkpoint", add_checkpoint, methods=["POST"]),
    ]
