"""The ledger explorer's pages: every ledger with its latest checkpoint and who cosigned it (/explorer), a
ledger's entries newest first, a page at a time (/explorer/<ledger>), and one entry with its receipt
(/explorer/<ledger>/<index>). Each page costs a bounded number of indexed reads, whatever the ledger's size;
the checks themselves run in the browser (static/verify.js) against the tlog-tiles endpoints."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from govgraph.ledger.checkpoint import Checkpoint, CheckpointError, CosignatureVerifier, open_checkpoint
from govgraph.ledger.http import Ledgers
from govgraph.ledger.keys import KeyFileError, read_vkey, witness_label
from govgraph.ledger.log import Log, NotIntegrated
from govgraph.ledger.note import SIGNATURE_PREFIX, InvalidKey, NoteError
from govgraph.ledger.receipt import make_receipt
from govgraph.web.pages import error_page, render
from govgraph.web.security import secured
from zk.json_input import load_json

PAGE_SIZE = 25
PREVIEW_CHARS = 240
MAX_INDEX = (1 << 63) - 1


@dataclass(frozen=True, slots=True)
class Head:
    """A ledger's latest signed checkpoint as the pages show it."""

    size: int
    root_base64: str
    body: str
    published: str
    signers: tuple[str, ...]  # key names of every signature line, the log's own first


@dataclass(frozen=True, slots=True)
class Shown:
    """An entry as shown: its index, its bytes (base64) and a readable form (indented JSON, or text)."""

    index: int
    data_base64: str
    readable: str
    is_json: bool
    preview: str


def _ledgers(request: Request) -> Ledgers:
    return request.app.state.ledgers


def readable_entry(index: int, data: bytes) -> Shown:
    """The entry decoded for people: JSON indented when it is JSON, else its text, else its hex."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        readable, is_json = data.hex(), False
    else:
        try:
            readable, is_json = json.dumps(load_json(text), indent=2, ensure_ascii=False), True
        except ValueError:
            readable, is_json = text, False
    compact = " ".join(readable.split())
    preview = compact if len(compact) <= PREVIEW_CHARS else compact[: PREVIEW_CHARS - 1] + "…"
    return Shown(index, base64.b64encode(data).decode(), readable, is_json, preview)


def _head(published: bytes) -> Head | None:
    text = published.decode("utf-8", errors="replace")
    body, sep, block = text.partition("\n\n")
    try:
        checkpoint = Checkpoint.parse(body + "\n")
    except CheckpointError:
        return None
    signers = tuple(
        line[len(SIGNATURE_PREFIX) :].partition(" ")[0]
        for line in block.splitlines()
        if line.startswith(SIGNATURE_PREFIX)
    )
    return Head(checkpoint.size, base64.b64encode(checkpoint.root_hash).decode(), body + "\n", text, signers)


async def _latest(log: Log) -> Head | None:
    stored = await log.latest_checkpoint()
    return None if stored is None else _head(stored.published)


async def _witness_vkeys(ledgers: Ledgers, name: str) -> list[str]:
    """The cosignature keys of the witnesses the other agencies run (their vkey files), for the browser."""
    vkeys = []
    for other in await Log.names(ledgers.engine):
        if other == name:
            continue
        try:
            vkeys.append(read_vkey(ledgers.keys_dir, witness_label(other)))
        except KeyFileError:
            continue
    return vkeys


async def _cosigned(ledgers: Ledgers, log: Log, published: str) -> tuple[str, ...]:
    """The witnesses whose cosignature on the checkpoint verifies here (under their vkey files); none when
    the checkpoint itself does not verify under the log's key."""
    witnesses = []
    for vkey in await _witness_vkeys(ledgers, log.name):
        try:
            witnesses.append(CosignatureVerifier.from_vkey(vkey))
        except InvalidKey:
            continue
    try:
        return open_checkpoint(published.encode(), log.verifier, witnesses=tuple(witnesses)).cosigners
    except (NoteError, CheckpointError):
        return ()


async def entry_check(ledgers: Ledgers, name: str, index: int) -> dict | None:
    """What `_verify.html` needs to check entry `index` of ledger `name` in the browser, or None when no
    signed checkpoint covers it yet."""
    log = await ledgers.log(name)
    head = None if log is None else await _latest(log)
    if log is None or head is None or index >= head.size:
        return None
    return {
        "name": log.name,
        "origin": log.origin,
        "vkey": log.verifier.vkey,
        "witness_vkeys": await _witness_vkeys(ledgers, log.name),
        "entry": readable_entry(index, await log.entry(index)),
    }


async def index(request: Request) -> Response:
    ledgers = _ledgers(request)
    rows = []
    for name in await Log.names(ledgers.engine):
        log = await ledgers.log(name)
        if log is not None:
            head = await _latest(log)
            cosigners = await _cosigned(ledgers, log, head.published) if head else ()
            rows.append({"name": name, "origin": log.origin, "head": head, "cosigners": cosigners})
    return render(request, "explorer/index.html", {"section": "explorer", "ledgers": rows})


async def _open(request: Request) -> tuple[Log, Head | None] | Response:
    name = request.path_params["ledger"]
    log = await _ledgers(request).log(name)
    if log is None:
        return error_page(
            request, 404, f"There is no ledger named “{name}”.", "Pick a ledger from the explorer's list."
        )
    return log, await _latest(log)


def _page_bound(request: Request, size: int) -> int | None:
    """The `before` query parameter: entries shown are those below it (default: the newest)."""
    raw = request.query_params.get("before")
    if raw is None:
        return size
    if not raw.isdigit() or len(raw) > 19:
        return None
    return min(int(raw), size)


async def ledger(request: Request) -> Response:
    opened = await _open(request)
    if isinstance(opened, Response):
        return opened
    log, head = opened
    size = head.size if head else 0
    before = _page_bound(request, size)
    if before is None:
        return error_page(
            request,
            400,
            "The page asked for is not a number of entries.",
            "Use the links under the list to move between pages.",
        )
    begin = max(0, before - PAGE_SIZE)
    entries = [readable_entry(i, data) for i, data in enumerate(await log.entries(begin, before), begin)]
    entries.reverse()
    context = {
        "section": "explorer",
        "name": log.name,
        "origin": log.origin,
        "vkey": log.verifier.vkey,
        "witness_vkeys": await _witness_vkeys(_ledgers(request), log.name),
        "head": head,
        "cosigned": await _cosigned(_ledgers(request), log, head.published) if head else (),
        "entries": entries,
        "newer": min(size, before + PAGE_SIZE) if before < size else None,
        "older": begin if begin > 0 else None,
        "oldest": min(PAGE_SIZE, size),
        "first": begin,
        "last": before - 1,
    }
    return render(request, "explorer/ledger.html", context)


def _entry_index(request: Request) -> int | None:
    raw = request.path_params["index"]
    if not raw.isdigit() or len(raw) > 19 or int(raw) > MAX_INDEX:
        return None
    return int(raw)


async def entry(request: Request) -> Response:
    opened = await _open(request)
    if isinstance(opened, Response):
        return opened
    log, head = opened
    index = _entry_index(request)
    size = head.size if head else 0
    if index is None or index >= size:
        return error_page(
            request,
            404,
            f"Ledger {log.name} has no entry {request.path_params['index']} covered by a signed checkpoint"
            f" (it holds {size}).",
            "Entries are numbered from 0; a new one appears here once the ledger has signed a checkpoint "
            "that includes it, usually within a second.",
        )
    receipt = await make_receipt(log, index)
    context = {
        "section": "explorer",
        "name": log.name,
        "origin": log.origin,
        "vkey": log.verifier.vkey,
        "witness_vkeys": await _witness_vkeys(_ledgers(request), log.name),
        "head": _head(receipt.checkpoint),
        "cosigned": await _cosigned(_ledgers(request), log, receipt.checkpoint.decode()),
        "entry": readable_entry(index, receipt.entry),
        "receipt": receipt.to_json(),
    }
    return render(request, "explorer/entry.html", context)


async def receipt_json(request: Request) -> Response:
    opened = await _open(request)
    if isinstance(opened, Response):
        return opened
    log, head = opened
    index = _entry_index(request)
    if index is None or head is None or index >= head.size:
        return error_page(request, 404, "That entry is not covered by a signed checkpoint yet.")
    try:
        receipt = await make_receipt(log, index)
    except NotIntegrated:
        return error_page(request, 404, "That entry is not covered by a signed checkpoint yet.")
    return secured(
        Response(
            receipt.to_json(),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{log.name}-{index}.receipt.json"'},
        )
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/explorer", index, methods=["GET"]),
        Route("/explorer/{ledger}", ledger, methods=["GET"]),
        Route("/explorer/{ledger}/{index}", entry, methods=["GET"]),
        Route("/explorer/{ledger}/{index}/receipt.json", receipt_json, methods=["GET"]),
    ]
