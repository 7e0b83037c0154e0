"""The agencies' write path: a mutation's domain rows, its idempotency record and its ledger entries commit in
one transaction of the agency's log (Log.append_with); an agency without a ledger commits its rows and
idempotency record in one plain transaction (LedgerlessWrites). Entries are RFC 8785 JSON with a versioned
type, the role the actor acted in and a keyed hash of the actor; agencies put public records, references and
keyed hashes in them, never a raw personal attribute."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govgraph.agencies import idempotency
from govgraph.agencies.canonical import canonical_json
from govgraph.federation.errors import BadUserInput, Conflict, Forbidden
from govgraph.federation.principal import Principal
from govgraph.ledger.log import Log
from zk.wire import b64url

MAX_KEY_LENGTH = 128
SECRET_BYTES = 32
ENTRY_TYPE = re.compile(r"govgraph\.[a-z][a-z0-9]*\.[A-Z][A-Za-z0-9]*/v[1-9][0-9]*")
ENVELOPE = ("type", "actor", "time")  # the fields every entry has; an event's own fields are beside them
_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")  # printable ASCII, no spaces


@dataclass(frozen=True, slots=True)
class Actor:
    """Who writes: the role they acted in (the one the operation requires) and who they are (a principal's
    `actor`, e.g. `bearer:alice`). Entries carry the role and a keyed hash of the identity, never the
    identity itself."""

    role: str
    identity: str

    @classmethod
    def acting(cls, principal: Principal, role: str) -> Actor:
        """The authenticated `principal` acting in `role` (the permission check ran before; this is the
        service's own guard, so a path that skipped it fails closed)."""
        if principal.actor is None or role not in principal.roles:
            raise Forbidden(f"this operation requires the role {role}")
        return cls(role, principal.actor)


DEMO_SEED = Actor("service:demo-seed", "service:demo-seed")  # who writes the demo data (outside production)


@dataclass(frozen=True, slots=True)
class Event:
    """What one ledger entry records: a versioned type (`govgraph.<agency>.<Event>/v<n>`) and its fields."""

    type: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Change:
    """What an operation's rows function did: the result (JSON, kept for idempotent retries), the events its
    entries record, in order, and optionally the rows it wrote, handed back to the caller as they are (so
    the caller need not read them back)."""

    result: Mapping[str, Any]
    events: Sequence[Event]
    rows: Any = None


Rows = Callable[[AsyncConnection, int], Awaitable[Change]]
"""Writes an operation's domain rows on the log's transaction, given the index its first entry will get;
raises a ServiceError to refuse (its rows are rolled back, nothing is appended)."""

ManyRows = Callable[[AsyncConnection, int], Awaitable[Sequence["Change | Exception"]]]
"""Writes several operations' rows on the log's transaction (AgencyWrites.write_many): one outcome each."""


@dataclass(frozen=True, slots=True)
class Written:
    result: Mapping[str, Any]
    indexes: range  # the entries appended; empty for a replay
    replayed: bool = False
    rows: Any = None  # Change.rows of this write; None for a replay (read the result's records back)


class AgencyWrites:
    """One agency's write path over its log, with its secret for keyed hashes (of actors and of personal
    identifiers such as citizen ids)."""

    def __init__(
        self, agency: str, log: Log, secret: bytes, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.agency = agency
        self.log = log
        self.secret = secret
        self.clock = clock

    def keyed_hash(self, label: str, value: str) -> str:
        """HMAC-SHA256 of `value` under the agency's secret, separated by `label` (`actor`, `citizen`, ...),
        base64url: the agency can recompute it, the public cannot reverse it."""
        return b64url(keyed_digest(self.secret, label, value))

    def keyed_digest(self, label: str, value: str) -> bytes:
        """The bytes of keyed_hash: for values derived from the agency's secret (e.g. an offer's PIN)."""
        return keyed_digest(self.secret, label, value)

    async def write(
        self,
        actor: Actor,
        operation: str,
        arguments: Mapping[str, Any],
        rows: Rows,
        idempotency_key: str | None = None,
    ) -> Written:
        """Run `rows` and append its events' entries in one transaction. With `idempotency_key`, a retry with
        the same key and the same `operation` and `arguments` returns the first result and appends nothing;
        the same key with anything else is CONFLICT."""
        actor_hash = self.keyed_hash("actor", actor.identity)
        key = check_idempotency_key(idempotency_key)
        request = ""  # what the key stands for: the operation and its input (only computed with a key)
        if key is not None:  # a retry of a write already committed answers without queueing
            request = _request_hash(self.secret, operation, arguments)
            known = await _recall(self.log.engine, self.agency, actor_hash, key)
            if known is not None:
                return _replay(known, request)
        answer: Written | None = None

        async def write_rows(connection: AsyncConnection, index: int) -> list[bytes]:
            nonlocal answer
            if key is not None:
                known = await idempotency.recall(connection, self.agency, actor_hash, key)
                if known is not None:  # committed by a concurrent retry since the look-up above
                    answer = _replay(known, request)
                    return []
            change = await rows(connection, index)
            moment = _utc_time(self.clock())
            entries = [self.entry(actor, actor_hash, event, moment) for event in change.events]
            if key is not None:
                await idempotency.remember(connection, self.agency, actor_hash, key, request, change.result)
            answer = Written(change.result, range(index, index + len(entries)), rows=change.rows)
            return entries

        await self.log.append_with(write_rows)
        assert answer is not None  # append_with returned, so write_rows ran to its end
        return answer

    async def write_many(self, actors: Sequence[Actor], rows: ManyRows) -> list[Written | Exception]:
        """Several operations of one kind (no idempotency keys), one per actor, as one writer of the log's
        group commit: `rows` decides on the transaction each operation's outcome, in order (its Change, or the
        exception refusing it alone), and writes the accepted ones' rows, given the index of the first entry;
        each accepted Change's entries follow the previous accepted one's. Returns each operation's Written or
        refusal once committed. An exception `rows` raises refuses them all."""
        hashes = [self.keyed_hash("actor", actor.identity) for actor in actors]
        outcomes: list[Change | Exception] = []

        async def write_rows(connection: AsyncConnection, index: int) -> list[bytes]:
            nonlocal outcomes
            outcomes = list(await rows(connection, index))
            if len(outcomes) != len(actors):
                raise ValueError("a many-rows function gives one outcome per actor")
            moment = _utc_time(self.clock())
            return [
                self.entry(actor, actor_hash, event, moment)
                for actor, actor_hash, outcome in zip(actors, hashes, outcomes, strict=True)
                if isinstance(outcome, Change)
                for event in outcome.events
            ]

        position = (await self.log.append_with(write_rows)).start
        written: list[Written | Exception] = []
        for outcome in outcomes:
            if isinstance(outcome, Change):
                indexes = range(position, position + len(outcome.events))
                written.append(Written(outcome.result, indexes, rows=outcome.rows))
                position = indexes.stop
            else:
                written.append(outcome)
        return written

    def entry(self, actor: Actor, actor_hash: str, event: Event, moment: str) -> bytes:
        """The entry's canonical bytes: type, actor (role and keyed hash), time (`moment`), then the event's
        fields."""
        if not ENTRY_TYPE.fullmatch(event.type):
            raise ValueError(f"entry type {event.type!r} is not govgraph.<agency>.<Event>/v<n>")
        if any(name in event.fields for name in ENVELOPE):
            raise ValueError(f"an event's fields may not be named {', '.join(ENVELOPE)}")
        document = {"type": event.type, "actor": {"role": actor.role, "id": actor_hash}, "time": moment}
        return canonical_json({**document, **event.fields})


LedgerlessRows = Callable[[AsyncConnection], Awaitable[Change]]
"""Writes an operation's rows on its transaction (a Change without events); a ServiceError refuses."""


class LedgerlessWrites:
    """The writes of an agency that keeps no ledger (the verifier's presentation requests): an operation's
    rows and its idempotency record commit in one transaction of `engine`, with AgencyWrites' rules for
    idempotency keys (the caller's own, scoped by a keyed hash of the actor under the agency's secret)."""

    def __init__(self, agency: str, engine: AsyncEngine, secret: bytes) -> None:
        self.agency = agency
        self.engine = engine
        self.secret = secret

    async def write(
        self,
        identity: str,
        operation: str,
        arguments: Mapping[str, Any],
        rows: LedgerlessRows,
        idempotency_key: str | None = None,
    ) -> Written:
        """Run `rows` for `identity` (a principal's actor) in one transaction. With `idempotency_key`, a retry
        with the same key and the same `operation` and `arguments` returns the first result and writes
        nothing; the same key with anything else is CONFLICT."""
        actor_hash = b64url(keyed_digest(self.secret, "actor", identity))
        key = check_idempotency_key(idempotency_key)
        request = ""
        if key is not None:
            request = _request_hash(self.secret, operation, arguments)
            known = await _recall(self.engine, self.agency, actor_hash, key)
            if known is not None:
                return _replay(known, request)
        async with self.engine.begin() as connection:
            # The key first: its write serializes this transaction with any other holding the same key.
            if key is not None and not await idempotency.claim(
                connection, self.agency, actor_hash, key, request
            ):
                known = await idempotency.recall(connection, self.agency, actor_hash, key)
                assert known is not None  # committed by the transaction the claim waited for
                return _replay(known, request)
            change = await rows(connection)
            if change.events:
                raise ValueError(f"{self.agency} keeps no ledger: its writes record no events")
            if key is not None:
                await idempotency.settle(connection, self.agency, actor_hash, key, change.result)
        return Written(change.result, range(0), rows=change.rows)


def keyed_digest(secret: bytes, label: str, value: str) -> bytes:
    return hmac.new(secret, label.encode() + b"\x00" + value.encode(), hashlib.sha256).digest()


def _request_hash(secret: bytes, operation: str, arguments: Mapping[str, Any]) -> str:
    """What an idempotency key stands for: a keyed hash of the operation and its input."""
    document = canonical_json({"operation": operation, "input": arguments})
    return b64url(keyed_digest(secret, "request", document.decode()))


async def _recall(engine: AsyncEngine, agency: str, actor_hash: str, key: str) -> idempotency.Recorded | None:
    async with engine.connect() as connection:
        return await idempotency.recall(connection, agency, actor_hash, key)


def _utc_time(seconds: float) -> str:
    """RFC 3339 UTC time to the second, e.g. 2026-01-01T00:00:00Z."""
    return datetime.datetime.fromtimestamp(int(seconds), datetime.UTC).isoformat().replace("+00:00", "Z")


def _replay(known: idempotency.Recorded, request: str) -> Written:
    if not hmac.compare_digest(known.request, request):
        raise Conflict("This idempotency key was used for another operation or other input.")
    return Written(known.result, range(0), replayed=True)


def check_idempotency_key(key: str | None) -> str | None:
    if key is not None and not _KEY.fullmatch(key):
        raise BadUserInput(
            f"An idempotency key is 1..{MAX_KEY_LENGTH} printable ASCII characters without spaces."
        )
    return key


class WritePaths:
    """Every agency's write path in this process, by agency name: over the logs it sequences, each with its
    secret from the key directory (`<agency>.hashkey`, owner-only, created once and never replaced: a new
    secret would change every keyed hash the ledger holds); and the `ledgerless` agencies' writes over
    `engine`, each with its secret from the same directory."""

    def __init__(
        self,
        logs: Mapping[str, Log],
        keys_dir: Path,
        *,
        engine: AsyncEngine | None = None,
        ledgerless: Iterable[str] = (),
    ) -> None:
        self._writes = {
            name: AgencyWrites(name, log, load_or_create_secret(keys_dir, name)) for name, log in logs.items()
        }
        self._ledgerless: dict[str, LedgerlessWrites] = {}
        for name in ledgerless:
            if engine is None:
                raise ValueError("the ledgerless agencies' writes need the engine")
            self._ledgerless[name] = LedgerlessWrites(name, engine, load_or_create_secret(keys_dir, name))
        self._attached: dict[str, Any] = {}

    def attach(self, agency: str, service: Any) -> None:
        """Give an agency's resolvers a service its writes need beyond the log (the courts' notary)."""
        self._attached[agency] = service

    def attached(self, agency: str) -> Any:
        """What `attach` gave `agency`, None if nothing."""
        return self._attached.get(agency)

    def __getitem__(self, agency: str) -> AgencyWrites:
        return self._writes[agency]

    def __contains__(self, agency: object) -> bool:
        return agency in self._writes

    def names(self) -> Iterable[str]:
        return self._writes.keys()

    def ledgerless(self, agency: str) -> LedgerlessWrites | None:
        return self._ledgerless.get(agency)


def writes_for(context: object, agency: str) -> AgencyWrites | None:
    """The agency's write path from a resolver's context (`RequestContext.writes`), None where the app
    serves no writes."""
    writes = getattr(context, "writes", None)
    return writes[agency] if writes is not None and agency in writes else None


def ledgerless_writes_for(context: object, agency: str) -> LedgerlessWrites | None:
    """The writes of an agency without a ledger from a resolver's context, None where the app serves none."""
    writes = getattr(context, "writes", None)
    return None if writes is None else writes.ledgerless(agency)


def load_or_create_secret(keys_dir: Path, agency: str) -> bytes:
    """The agency's secret, created (owner-only) if missing. Written whole to a temporary file and linked
    into place, so a concurrent start never reads a half-written secret, and the first one stays."""
    path = keys_dir / f"{agency}.hashkey"
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        temporary = keys_dir / f".{agency}.hashkey.{secrets.token_hex(8)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(SECRET_BYTES) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process linked its secret first
                os.link(temporary, path)
        finally:
            temporary.unlink()
    secret = bytes.fromhex(path.read_text().strip())
    if len(secret) != SECRET_BYTES:
        raise ValueError(f"{path} does not hold a {SECRET_BYTES}-byte hex secret")
    return secret
