"""The log's side of witnessing (c2sp.org/tlog-witness): ask N witnesses to cosign a signed checkpoint and
count it as published once K of them did; or, for a witness in the same process and database, have it cosign
inside the transaction that signs the checkpoint (LocalWitness)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.ledger.checkpoint import CosignatureVerifier
from govgraph.ledger.keys import KeyFileError, read_vkey, witness_label
from govgraph.ledger.log import Log, Prove, SignedTreeHead
from govgraph.ledger.note import NoteError, Verifier, Verifiers, open_note
from govgraph.ledger.witness import SIZE_CONTENT_TYPE, AddCheckpointRequest, Witness

log = logging.getLogger("govgraph.ledger.witness")


class LocalWitness:
    """A witness of this process as a log's Cosigner (Log.cosigners): asked in the signing transaction, with
    the consistency proof from the size it last cosigned, so its state and the cosignature commit with the
    checkpoint. It applies the same checks as over HTTP (Witness.add_checkpoint)."""

    def __init__(self, witness: Witness) -> None:
        self.witness = witness
        self.name = witness.name

    async def cosign(self, connection: AsyncConnection, note: bytes, size: int, prove: Prove) -> str | None:
        origin = note.split(b"\n", 1)[0].decode("utf-8", "replace")
        stored = await self.witness.latest(origin, connection)
        old = stored[0] if stored else 0
        if old > size:
            log.warning(
                "witness %s holds %s at size %d, above %d: not cosigned", self.name, origin, old, size
            )
            return None
        proof = await prove(old) if 0 < old < size else []
        reply = await self.witness.add_checkpoint(
            AddCheckpointRequest(old, tuple(proof), note).encode(), connection, stored
        )
        if reply.status != 200:
            log.warning(
                "witness %s did not cosign %s at size %d: %d %s",
                self.name,
                origin,
                size,
                reply.status,
                reply.body[:200].decode("utf-8", "replace").strip(),
            )
            return None
        return reply.body.decode()


class RemoteWitness:
    """Another process's witness as a log's Cosigner, over HTTP (c2sp.org/tlog-witness): asked inside the
    signing transaction like a LocalWitness, so the checkpoint is stored with its cosignature or, when it
    refuses or cannot be reached (logged), without it. For PostgreSQL: on SQLite the witness's own write
    would wait for the signing transaction's lock. Its verifier key is `<agency>.witness.vkey` in the key
    directory, read when first needed (an operator copies it there from the witness's)."""

    def __init__(
        self,
        agency: str,
        submission_prefix: str,
        keys_dir: Path,
        log_verifier: Verifier,
        timeout: float = 5.0,
    ) -> None:
        self.agency = agency
        self.submission_prefix = submission_prefix.rstrip("/")
        self.keys_dir = keys_dir
        self.log_verifier = log_verifier
        self.timeout = timeout
        self.verifier: CosignatureVerifier | None = None
        self.known_size = 0  # the size it last cosigned, as far as this process knows

    @property
    def name(self) -> str:
        return self.verifier.name if self.verifier is not None else f"{self.agency}/witness"

    def _load(self) -> CosignatureVerifier | None:
        if self.verifier is None:
            try:
                self.verifier = CosignatureVerifier.from_vkey(
                    read_vkey(self.keys_dir, witness_label(self.agency))
                )
            except (KeyFileError, ValueError, NoteError) as exc:
                log.warning("witness %s cannot be asked: no usable verifier key (%s)", self.agency, exc)
        return self.verifier

    async def cosign(
        self, connection: AsyncConnection | None, note: bytes, size: int, prove: Prove
    ) -> str | None:
        """Ask it over HTTP (`connection`, the signing transaction, is not used: `prove` reads what it
        needs); the cosignature line once it verifies, None (logged) otherwise."""
        verifier = self._load()
        if verifier is None:
            return None
        old = self.known_size
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for _ in range(2):  # once more from the size a 409 reports
                if old > size:
                    log.warning(
                        "witness %s holds a tree of %d, above %d: not cosigned", self.agency, old, size
                    )
                    return None
                proof = await prove(old) if 0 < old < size else []
                try:
                    response = await client.post(
                        self.submission_prefix + "/add-checkpoint",
                        content=AddCheckpointRequest(old, tuple(proof), note).encode(),
                    )
                except httpx.HTTPError as exc:
                    log.warning("witness %s unreachable: %s", self.agency, exc.__class__.__name__)
                    return None
                reported = response.text.strip()
                if (
                    response.status_code == 409
                    and response.headers.get("content-type", "").startswith(SIZE_CONTENT_TYPE)
                    and _SIZE.fullmatch(reported)
                ):
                    old = int(reported)
                    continue
                break
        if response.status_code != 200:
            log.warning(
                "witness %s did not cosign: %d %s", self.agency, response.status_code, _shorten(reported)
            )
            return None
        try:
            opened = open_note(note + response.text.encode(), Verifiers(self.log_verifier, verifier))
        except NoteError as exc:
            log.warning("witness %s returned a cosignature that does not verify: %s", self.agency, exc)
            return None
        lines = [s.line for s in opened.sigs if s.name == verifier.name and s.key_id == verifier.key_id]
        if not lines:
            log.warning("witness %s returned no cosignature from its key", self.agency)
            return None
        self.known_size = size
        return lines[0]


async def witness_reachable(submission_prefix: str, timeout: float = 1.0) -> bool:
    """Whether a witness's HTTP endpoint answers at all (a GET of add-checkpoint is refused, 405: that
    answer is enough)."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            await client.get(submission_prefix.rstrip("/") + "/add-checkpoint")
    except httpx.HTTPError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class WitnessEndpoint:
    submission_prefix: str  # e.g. http://127.0.0.1:8001/ledgers/land/witness
    verifier: CosignatureVerifier


@dataclass(frozen=True, slots=True)
class Publication:
    head: SignedTreeHead
    cosigned_by: tuple[str, ...]
    refusals: tuple[str, ...]
    quorum: int

    @property
    def published(self) -> bool:
        return len(self.cosigned_by) >= self.quorum


_SIZE = re.compile(r"[0-9]{1,20}")
MAX_REFUSAL_TEXT = 200


def _shorten(text: str) -> str:
    """A witness's refusal text, bounded: it is shown to operators and must not flood a report."""
    return text if len(text) <= MAX_REFUSAL_TEXT else text[:MAX_REFUSAL_TEXT] + "..."


async def collect_cosignatures(
    log_: Log,
    head: SignedTreeHead,
    witnesses: Sequence[WitnessEndpoint],
    quorum: int,
    client: httpx.AsyncClient,
    known_sizes: dict[str, int] | None = None,
) -> Publication:
    """Ask every witness to cosign `head` (retrying once from the size a 409 reports), keep each cosignature
    that verifies, and say whether K = `quorum` of N witnesses cosigned."""
    known_sizes = known_sizes if known_sizes is not None else {}
    lines: dict[str, str] = {}
    refusals: list[str] = []
    for witness in witnesses:
        name = witness.verifier.name
        old = known_sizes.get(name, 0)
        reply = None
        for _ in range(2):
            if old > head.size:
                break
            proof = await log_.consistency_proof(old, head.size) if 0 < old < head.size else []
            body = AddCheckpointRequest(old, tuple(proof), head.note).encode()
            try:
                response = await client.post(witness.submission_prefix + "/add-checkpoint", content=body)
            except httpx.HTTPError as exc:
                refusals.append(f"{name}: unreachable ({exc.__class__.__name__})")
                break
            reply = response
            if response.status_code == 409 and response.headers.get("content-type", "").startswith(
                SIZE_CONTENT_TYPE
            ):
                reported = response.text.strip()
                # tlog-witness: the body is the witness's latest size in decimal; anything else is refused
                # here rather than trusted (int() of junk raised, of 10^5000 digits took seconds).
                if not _SIZE.fullmatch(reported):
                    refusals.append(f"{name}: answered 409 with a malformed size")
                    reply = None
                    old = 0
                    break
                old = int(reported)
                continue
            break
        if reply is None:
            if old > head.size:
                refusals.append(f"{name}: already cosigned a larger tree ({old})")
            continue
        if reply.status_code != 200:
            refusals.append(f"{name}: {reply.status_code} {_shorten(reply.text.strip())}")
            continue
        line = reply.text
        try:
            note = open_note(head.note + line.encode(), Verifiers(log_.verifier, witness.verifier))
        except NoteError as exc:
            refusals.append(f"{name}: returned a cosignature that does not verify ({exc})")
            continue
        if not any(s.name == name and s.key_id == witness.verifier.key_id for s in note.sigs):
            refusals.append(f"{name}: returned no cosignature from its key")
            continue
        lines[name] = next(s.line for s in note.sigs if s.name == name)
        known_sizes[name] = head.size
    await log_.add_cosignatures(head.id, lines)
    return Publication(head, tuple(lines), tuple(refusals), quorum)
