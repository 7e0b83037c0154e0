"""The ledger subgraph's GraphQL types: Ledger and LedgerEntry entities, checkpoints with their witness
cosignatures, receipts and consistency proofs. Resolvers are thin over LedgerService; look-ups by key go
through per-request DataLoaders."""

from __future__ import annotations

import datetime
import re

import strawberry
from strawberry.types import Info

from govgraph.agencies.ledger import service as rules
from govgraph.agencies.ledger.service import DEFAULT_PAGE, LedgerService, LedgerSnapshot
from govgraph.federation.errors import BadUserInput
from govgraph.federation.scalars import UINT64_MAX, Base64, UInt64

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")


def _service(info: Info) -> LedgerService:
    return LedgerService(info.context.sessions)


def _loader(info: Info, name: str):
    return info.context.loaders.get(f"ledger.{name}", getattr(_service(info), name))


def _representation(typename: str, representation: dict[str, object], keys: tuple[str, ...]) -> None:
    if sorted(representation) != sorted(keys):
        fields = " and ".join(f"`{key}`" for key in keys)
        raise BadUserInput(f"A {typename} representation carries {fields}, nothing else.")


def _uint64(value: object, what: str) -> int:
    """A UInt64 key field as a representation carries it: its decimal string (or a JSON integer)."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise BadUserInput(f"`{what}` must be a UInt64 (a decimal string).")
    if not 0 <= number <= UINT64_MAX:
        raise BadUserInput(f"`{what}` must lie in 0..{UINT64_MAX}.")
    return number


@strawberry.type(description="A witness's cosignature on a checkpoint (c2sp.org/tlog-cosignature v1).")
class Cosignature:
    witness: str = strawberry.field(
        description="The witness's key name, e.g. `govgraph.example/identity/witness`."
    )
    key_id: str = strawberry.field(description="The witness key's ID: 8 hexadecimal digits.")
    timestamp: UInt64 = strawberry.field(
        description="When the witness cosigned, in seconds since the Unix epoch (part of the signed message)."
    )
    signature: Base64 = strawberry.field(
        description="The Ed25519 signature over `cosignature/v1`, the `time` line and the checkpoint body."
    )
    line: str = strawberry.field(
        description="The cosignature line exactly as it ends the checkpoint's `text` (without its newline)."
    )

    @classmethod
    def from_parts(cls, cosignature: rules.Cosignature) -> Cosignature:
        return cls(
            witness=cosignature.witness,
            key_id=f"{cosignature.key_id:08x}",
            timestamp=UInt64(cosignature.timestamp),
            signature=Base64(cosignature.signature),
            line=cosignature.line,
        )


@strawberry.type(description="A checkpoint the log signed (c2sp.org/tlog-checkpoint), with its cosignatures.")
class Checkpoint:
    text: str = strawberry.field(
        description="The signed note as served at /ledgers/<name>/checkpoint and embedded in receipts: "
        "origin, size and root hash lines, a blank line, the log's signature line, then every cosignature "
        "line."
    )
    size: UInt64 = strawberry.field(description="The number of entries the checkpoint covers.")
    root_hash: Base64 = strawberry.field(description="The RFC 6962 Merkle tree root of those entries.")
    signed_at: datetime.datetime = strawberry.field(
        description="When the log signed it, by the log's clock (not part of the signed text)."
    )
    cosignatures: list[Cosignature] = strawberry.field(
        description="The witness cosignatures collected for it, in the order they arrived. Served as stored: "
        "verify them with the witnesses' keys."
    )

    @classmethod
    def from_snapshot(cls, snapshot: LedgerSnapshot) -> Checkpoint:
        return cls(
            text=snapshot.published.decode(),
            size=UInt64(snapshot.size),
            root_hash=Base64(snapshot.root_hash),
            signed_at=datetime.datetime.fromtimestamp(snapshot.signed_at, datetime.UTC),
            cosignatures=[Cosignature.from_parts(c) for c in snapshot.cosignatures()],
        )


@strawberry.federation.type(
    keys=["ledger index"],
    description="One entry of an agency's ledger, as covered by the ledger's latest signed checkpoint. "
    "Resolved by key from other subgraphs: null when the ledger is unknown or the entry is not in a "
    "signed checkpoint yet.",
)
class LedgerEntry:
    ledger: str = strawberry.field(description="The name of the ledger holding the entry.")
    index: UInt64 = strawberry.field(description="The entry's position in the log, from 0.")
    leaf_hash: Base64 = strawberry.field(description="SHA-256(0x00 || entry): the RFC 6962 leaf hash.")
    data_base64: Base64 = strawberry.field(description="The entry's exact bytes, the ones `leafHash` covers.")
    entry: strawberry.Private[rules.Entry]

    @strawberry.field(
        description="The entry's bytes as UTF-8 text (agency entries are RFC 8785 JSON). An entry that is "
        "not UTF-8 refuses this field with BAD_USER_INPUT: select `dataBase64` for it."
    )
    def data(self) -> str:
        return self.entry.text()

    @strawberry.field(
        description="A govgraph-receipt/v1 JSON document, the one `govgraph ledger prove` writes: the entry, "
        "its inclusion proof and the cosigned checkpoint of the ledger's `size`. Verify it offline with "
        "`govgraph ledger verify-receipt FILE --vkey <verifierKey>`."
    )
    async def receipt(self, info: Info) -> str:
        proof = await _loader(info, "inclusion_proofs").load((self.entry.ledger, self.entry.index))
        return self.entry.receipt(proof)

    @classmethod
    async def resolve_reference(cls, info: Info, **representation: object) -> LedgerEntry | None:
        _representation("LedgerEntry", representation, ("ledger", "index"))
        name, index = representation["ledger"], _uint64(representation["index"], "index")
        if not isinstance(name, str):
            raise BadUserInput("`ledger` must be a string.")
        snapshot = await _loader(info, "ledgers_by_names").load(rules.check_name(name))
        if snapshot is None or index >= snapshot.size:
            return None
        return cls.from_entry(await _loader(info, "entries_by_keys").load((snapshot, index)))

    @classmethod
    def from_entry(cls, entry: rules.Entry | None) -> LedgerEntry | None:
        if entry is None:
            return None
        return cls(
            ledger=entry.ledger.name,
            index=UInt64(entry.index),
            leaf_hash=Base64(entry.leaf_hash),
            data_base64=Base64(entry.data),
            entry=entry,
        )


@strawberry.federation.type(
    keys=["name"],
    description="An agency's append-only, tamper-evident log, as of its latest signed checkpoint: `size`, "
    "`checkpoint`, entries, receipts and proofs in one response all refer to that checkpoint. Entries "
    "acknowledged but not yet in a signed checkpoint are not served.",
)
class Ledger:
    name: str = strawberry.field(description="The log's short name, e.g. `land` (/ledgers/<name>/...).")
    origin: str = strawberry.field(description="The checkpoint origin line, also the log key's name.")
    verifier_key: str = strawberry.field(
        description="The log's note verifier key (vkey), as `govgraph ledger init` prints it."
    )
    size: UInt64 = strawberry.field(description="Entries covered by the latest signed checkpoint.")
    checkpoint: Checkpoint = strawberry.field(description="The latest signed checkpoint.")
    snapshot: strawberry.Private[LedgerSnapshot]

    @strawberry.field(description="Entry `index`; BAD_USER_INPUT if the index is not below `size`.")
    async def entry(self, info: Info, index: UInt64) -> LedgerEntry | None:
        rules.check_index(self.snapshot, index)
        return LedgerEntry.from_entry(await _loader(info, "entries_by_keys").load((self.snapshot, index)))

    @strawberry.field(
        description=f"Up to `first` entries (0..{rules.MAX_PAGE}, {DEFAULT_PAGE} when omitted) with an index "
        "above `after` (from the first entry when omitted), oldest first: pass the last index of a page as "
        "the next page's `after`. Empty past `size`."
    )
    async def entries(
        self, info: Info, after: UInt64 | None = None, first: int | None = DEFAULT_PAGE
    ) -> list[LedgerEntry]:
        entries = await _service(info).entries(self.snapshot, after, first)
        return [LedgerEntry.from_entry(entry) for entry in entries]  # type: ignore[misc]

    @strawberry.field(
        description="The RFC 9162 consistency proof that the tree of `fromSize` entries is a prefix of the "
        "tree of `toSize` entries, hashes in the RFC's order. Needs 1 <= fromSize <= toSize <= size "
        "(BAD_USER_INPUT otherwise); empty when the sizes are equal."
    )
    async def consistency_proof(self, info: Info, from_size: UInt64, to_size: UInt64) -> list[Base64]:
        proof = await _service(info).consistency_proof(self.snapshot, from_size, to_size)
        return [Base64(node) for node in proof]

    @classmethod
    async def resolve_reference(cls, info: Info, **representation: object) -> Ledger | None:
        _representation("Ledger", representation, ("name",))
        name = representation["name"]
        if not isinstance(name, str):
            raise BadUserInput("`name` must be a string.")
        return cls.from_snapshot(await _loader(info, "ledgers_by_names").load(rules.check_name(name)))

    @classmethod
    def from_snapshot(cls, snapshot: LedgerSnapshot | None) -> Ledger | None:
        if snapshot is None:
            return None
        return cls(
            name=snapshot.name,
            origin=snapshot.origin,
            verifier_key=snapshot.vkey,
            size=UInt64(snapshot.size),
            checkpoint=Checkpoint.from_snapshot(snapshot),
            snapshot=snapshot,
        )


@strawberry.type
class Query:
    @strawberry.field(description="Every agency's ledger that has signed a checkpoint, by name.")
    async def ledgers(self, info: Info) -> list[Ledger]:
        return [Ledger.from_snapshot(s) for s in await _service(info).ledgers()]  # type: ignore[misc]

    @strawberry.field(
        description="The ledger named `name`, or null if there is none (or it has signed nothing)."
    )
    async def ledger(self, info: Info, name: str) -> Ledger | None:
        return await Ledger.resolve_reference(info, name=name)


TYPES: list[type] = [LedgerEntry]
