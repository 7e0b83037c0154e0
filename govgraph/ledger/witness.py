"""A tlog-witness (c2sp.org/tlog-witness): it cosigns a log's checkpoint only if it extends the last one it
cosigned for that origin, updating its state by compare-and-swap before replying. The log's side, which asks
the witnesses, is witness_client.py; the HTTP route is in http.py."""

from __future__ import annotations

import base64
import binascii
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govgraph.ledger.checkpoint import Checkpoint, CheckpointError, CosignatureSigner
from govgraph.ledger.errors import LedgerError
from govgraph.ledger.merkle import EMPTY_ROOT, ProofError, verify_consistency
from govgraph.ledger.models import WitnessState
from govgraph.ledger.note import MalformedNote, NoteError, Verifier, Verifiers, open_note

log = logging.getLogger("govgraph.ledger.witness")

MAX_PROOF_LINES = 63  # tlog-witness: a client MUST NOT send more
MAX_REQUEST_SIZE = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"
MAX_STORED_SIZE = (1 << 63) - 1  # SQL BIGINT; no real log comes near it
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,19})")  # a uint64 in decimal, no leading zeros
_state = WitnessState.__table__  # type: ignore[attr-defined]


UNREAD = object()  # add_checkpoint: the caller has not read the stored state


@dataclass(frozen=True, slots=True)
class WitnessReply:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


def _reply(status: int, text: str) -> WitnessReply:
    return WitnessReply(status, text.encode())


@dataclass(frozen=True, slots=True)
class AddCheckpointRequest:
    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: bytes  # the signed note

    def encode(self) -> bytes:
        lines = [f"old {self.old_size}"] + [base64.b64encode(h).decode() for h in self.proof]
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpointRequest:
        """Strictly parse an add-checkpoint body; raises ValueError saying what is wrong."""
        head, sep, checkpoint = body.partition(b"\n\n")
        if not sep:
            raise ValueError("request needs an empty line before the checkpoint")
        try:
            lines = head.decode("ascii").split("\n")
        except UnicodeDecodeError:
            raise ValueError("old size and proof lines must be ASCII") from None
        match = _OLD_LINE.fullmatch(lines[0])
        if not match:
            raise ValueError("first line must be 'old <decimal size>'")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise ValueError(f"more than {MAX_PROOF_LINES} proof lines")
        proof = []
        for line in lines[1:]:
            try:
                node = base64.b64decode(line, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("proof line is not base64") from None
            if len(node) != 32 or base64.b64encode(node).decode() != line:
                raise ValueError("proof hash must be 32 bytes in canonical base64")
            proof.append(node)
        return cls(int(match.group(1)), tuple(proof), checkpoint)


class Witness:
    """A witness: one cosigning key, the logs it trusts (origin -> the log's verifier keys), its state."""

    def __init__(
        self,
        engine: AsyncEngine,
        signer: CosignatureSigner,
        trusted: Mapping[str, Sequence[Verifier]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.trusted = {origin: tuple(keys) for origin, keys in trusted.items()}
        self.clock = clock

    @property
    def name(self) -> str:
        return self.signer.name

    async def latest(
        self, origin: str, connection: AsyncConnection | None = None
    ) -> tuple[int, bytes] | None:
        """The size and root hash last cosigned for `origin`, read on `connection` if one is given."""
        query = select(_state.c.size, _state.c.root_hash).where(
            _state.c.witness == self.name, _state.c.origin == origin
        )
        if connection is not None:
            row = (await connection.execute(query)).first()
        else:
            async with self.engine.connect() as own:
                row = (await own.execute(query)).first()
        return None if row is None else (row.size, row.root_hash)

    async def add_checkpoint(
        self, body: bytes, connection: AsyncConnection | None = None, stored: object = UNREAD
    ) -> WitnessReply:
        """The add-checkpoint call of tlog-witness §add-checkpoint, status codes as the spec assigns them.
        With `connection` (a log cosigning in-process, inside the transaction that signs the checkpoint),
        the state is read and swapped on it and commits with that transaction, before anyone sees the
        cosignature; otherwise in a transaction of its own, committed before the reply. `stored`: the state
        `latest` just gave on that same `connection`, when the caller read it already."""
        if len(body) > MAX_REQUEST_SIZE:
            return _reply(400, "request too large\n")
        try:
            request = AddCheckpointRequest.parse(body)
        except ValueError as exc:
            return _reply(400, f"malformed request: {exc}\n")
        origin = request.checkpoint.split(b"\n", 1)[0].decode("utf-8", "replace")
        keys = self.trusted.get(origin)
        if keys is None:
            return _reply(404, "unknown log origin\n")
        try:
            note = open_note(request.checkpoint, Verifiers(*keys))
        except MalformedNote as exc:
            return _reply(400, f"{exc}\n")
        except NoteError:
            return _reply(403, "checkpoint is not signed by a trusted log key\n")
        try:
            checkpoint = Checkpoint.parse(note.text)
        except CheckpointError as exc:
            return _reply(400, f"malformed checkpoint: {exc}\n")
        if checkpoint.size > MAX_STORED_SIZE:
            return _reply(400, "tree size too large for this witness\n")
        if request.old_size > checkpoint.size:
            return _reply(400, "old size is larger than the checkpoint size\n")
        if stored is UNREAD or connection is None:
            stored = await self.latest(origin, connection)
        assert stored is None or isinstance(stored, tuple)
        stored_size, stored_root = stored if stored else (0, EMPTY_ROOT)
        if request.old_size != stored_size:
            return WitnessReply(409, f"{stored_size}\n".encode(), SIZE_CONTENT_TYPE)
        if request.old_size == 0:
            # tlog-witness: from size 0 the proof must be empty and nothing is checked, except that an empty
            # tree must have the empty root. (The Merkle verifier itself refuses size 0 as meaningless.)
            if request.proof or (checkpoint.size == 0 and checkpoint.root_hash != EMPTY_ROOT):
                return self._evidence(422, origin, request, "proof from size 0 must be empty\n")
        elif request.old_size == checkpoint.size:
            if checkpoint.root_hash != stored_root:
                return self._evidence(409, origin, request, f"{stored_size}\n", SIZE_CONTENT_TYPE)
            if request.proof:
                return self._evidence(422, origin, request, "proof between equal sizes must be empty\n")
        else:
            try:
                verify_consistency(
                    request.old_size, checkpoint.size, request.proof, stored_root, checkpoint.root_hash
                )
            except ProofError as exc:
                return self._evidence(422, origin, request, f"consistency proof does not verify: {exc}\n")
        if not await self._compare_and_swap(origin, stored, checkpoint, request.checkpoint, connection):
            latest = await self.latest(origin, connection)
            return WitnessReply(409, f"{latest[0] if latest else 0}\n".encode(), SIZE_CONTENT_TYPE)
        cosignature = self.signer.cosign(note.text, int(self.clock()))
        return WitnessReply(200, cosignature.line.encode())

    def _evidence(
        self,
        status: int,
        origin: str,
        request: AddCheckpointRequest,
        text: str,
        content_type: str = "text/plain; charset=utf-8",
    ) -> WitnessReply:
        # A correctly signed checkpoint that does not extend what we cosigned may prove log misbehaviour
        # (tlog-witness allows logging it); it is never cosigned.
        log.warning(
            "witness %s refused a signed checkpoint of %s (%s): %r",
            self.name,
            origin,
            text.strip(),
            request.checkpoint,
        )
        return WitnessReply(status, text.encode(), content_type)

    async def _compare_and_swap(
        self,
        origin: str,
        expected: tuple[int, bytes] | None,
        checkpoint: Checkpoint,
        signed: bytes,
        connection: AsyncConnection | None,
    ) -> bool:
        """Persist the new state only if the stored one is still `expected`; committed before we reply (or
        with the caller's transaction `connection`)."""
        if connection is not None and expected is not None:  # an UPDATE: it cannot break a constraint
            return await self._swap(connection, origin, expected, checkpoint, signed)
        if connection is not None:
            try:
                async with (
                    connection.begin_nested()
                ):  # a refused insert must not end the caller's transaction
                    return await self._swap(connection, origin, expected, checkpoint, signed)
            except IntegrityError:
                return False
        async with self.engine.begin() as own:
            if own.dialect.name == "sqlite":
                await own.exec_driver_sql("PRAGMA synchronous=FULL")
            try:
                return await self._swap(own, origin, expected, checkpoint, signed)
            except IntegrityError:
                return False

    async def _swap(
        self,
        connection: AsyncConnection,
        origin: str,
        expected: tuple[int, bytes] | None,
        checkpoint: Checkpoint,
        signed: bytes,
    ) -> bool:
        values = {"size": checkpoint.size, "root_hash": checkpoint.root_hash, "checkpoint": signed}
        if expected is None:
            await connection.execute(insert(_state).values(witness=self.name, origin=origin, **values))
            return True
        result = await connection.execute(
            update(_state)
            .where(
                _state.c.witness == self.name,
                _state.c.origin == origin,
                _state.c.size == expected[0],
                _state.c.root_hash == expected[1],
            )
            .values(**values)
        )
        return result.rowcount == 1


class SplitView(LedgerError):
    """Two checkpoints signed by the same log key disagree about the log's history."""


def check_same_history(first: Checkpoint, second: Checkpoint, proof: Sequence[bytes] = ()) -> None:
    """Raise SplitView if two verified checkpoints of one origin cannot both be honest: the same size with
    different roots, or a larger tree the (given) consistency proof does not connect to the smaller."""
    if first.origin != second.origin:
        raise ValueError("checkpoints of different logs")
    small, large = sorted((first, second), key=lambda c: c.size)
    if small.size == large.size:
        if small.root_hash != large.root_hash:
            raise SplitView(f"two different roots signed for size {small.size} of {small.origin}")
        return
    if small.size == 0:
        return
    try:
        verify_consistency(small.size, large.size, proof, small.root_hash, large.root_hash)
    except ProofError as exc:
        raise SplitView(
            f"size {large.size} does not extend size {small.size} of {small.origin}: {exc}"
        ) from exc
