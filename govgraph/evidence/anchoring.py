"""Anchoring checkpoints to public blockchains through OpenTimestamps calendars (off unless calendars are
configured): the checkpoint body's SHA-256, salted with a random nonce as the OpenTimestamps client does,
is submitted to each calendar (`POST <calendar>/digest`); their answers (pending attestations, upgraded to
Bitcoin ones by the calendar hours later) are merged into one detached `.ots` proof for the body.

Only the submission is done here; fetching a calendar's upgraded proof (`GET <calendar>/timestamp/<hex>`)
is left to the standard `ots upgrade` tool, which reads the proofs this writes."""

from __future__ import annotations

import hashlib
import os

import httpx
from opentimestamps.core.op import OpAppend, OpSHA256
from opentimestamps.core.serialize import (
    BytesDeserializationContext,
    BytesSerializationContext,
    DeserializationError,
)
from opentimestamps.core.timestamp import DetachedTimestampFile, Timestamp

MAX_ANSWER_BYTES = 10_000  # the reference client's bound on a calendar's answer
ACCEPT = "application/vnd.opentimestamps.v1"


class AnchoringFailed(Exception):
    """Fewer calendars than required answered with a timestamp for the digest."""


async def submit(client: httpx.AsyncClient, calendar: str, digest: bytes) -> Timestamp:
    """The calendar's timestamp for `digest` (its commitment operations and attestations)."""
    response = await client.post(
        calendar.rstrip("/") + "/digest", content=digest, headers={"Accept": ACCEPT, "User-Agent": "govgraph"}
    )
    if response.status_code != 200:
        raise AnchoringFailed(f"{calendar} answered HTTP {response.status_code}")
    if len(response.content) > MAX_ANSWER_BYTES:
        raise AnchoringFailed(f"{calendar} answered more than {MAX_ANSWER_BYTES} bytes")
    try:
        context = BytesDeserializationContext(response.content)
        timestamp = Timestamp.deserialize(context, digest)
        context.assert_eof()
    except (DeserializationError, ValueError, TypeError, KeyError, IndexError, RecursionError):
        raise AnchoringFailed(f"{calendar} answered something that is not a timestamp") from None
    return timestamp


async def anchor(
    message: bytes,
    calendars: list[str],
    *,
    minimum: int = 1,
    client: httpx.AsyncClient | None = None,
    timeout: float = 10.0,
) -> bytes:
    """A detached `.ots` proof for `message` with the attestations of every calendar that answered; at
    least `minimum` of them must (AnchoringFailed otherwise, naming why each failed)."""
    file_timestamp = Timestamp(hashlib.sha256(message).digest())
    # A nonce keeps the calendars from learning which digest was stamped (the reference client's step).
    salted = file_timestamp.ops.add(OpAppend(os.urandom(16)))
    tip = salted.ops.add(OpSHA256())
    failures = []
    answered = 0
    owned = client is None
    client = client or httpx.AsyncClient(timeout=timeout)
    try:
        for calendar in calendars:
            try:
                tip.merge(await submit(client, calendar, tip.msg))
                answered += 1
            except (AnchoringFailed, httpx.HTTPError) as exc:
                failures.append(
                    str(exc) if isinstance(exc, AnchoringFailed) else f"{calendar}: {type(exc).__name__}"
                )
    finally:
        if owned:
            await client.aclose()
    if answered < minimum:
        raise AnchoringFailed(f"{answered} of {minimum} required calendars answered: {'; '.join(failures)}")
    context = BytesSerializationContext()
    DetachedTimestampFile(OpSHA256(), file_timestamp).serialize(context)
    return context.getbytes()
