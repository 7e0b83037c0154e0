"""The courts' GraphQL types: `notarize` (clerk:courts or any service:* client) answering with an evidence
receipt, notarizations by document hash, a notarization's receipt by index, and the embedded time-stamping
authority's certificates. Resolvers are thin: the rules are in service.py."""

from __future__ import annotations

import functools
import json
from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from govgraph.agencies.courts.notary import Notary
from govgraph.agencies.courts.service import AGENCY, CLERK, CourtsService, Notarization, Notarized
from govgraph.agencies.ledger_links import LedgerEntry, ledger_entry
from govgraph.agencies.writes import Actor, writes_for
from govgraph.auth.permissions import RequireRole, RequireRoleKind
from govgraph.evidence.timestamps import read_response, rfc3339
from govgraph.federation.errors import BadUserInput, Forbidden
from govgraph.federation.scalars import Base64, UInt64


def notary_for(context: object) -> Notary | None:
    """The courts' notary from a resolver's context (attached to the app's write paths), if any."""
    writes = getattr(context, "writes", None)
    return None if writes is None else writes.attached(AGENCY)


def _service(info: Info) -> CourtsService:
    return CourtsService(info.context.sessions, writes_for(info.context, AGENCY), notary_for(info.context))


class ClerkOrService(BasePermission):
    """clerk:courts, or any service:* client (systems that file evidence on a court's behalf)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        try:
            return RequireRole(CLERK).has_permission(source, info)
        except Forbidden:
            try:
                return RequireRoleKind("service").has_permission(source, info)
            except Forbidden:
                raise Forbidden(f"this operation requires the role {CLERK} or service:*") from None


def _actor(info: Info) -> Actor:
    principal = info.context.principal
    if CLERK in principal.roles:
        return Actor.acting(principal, CLERK)
    services = sorted(role for role in principal.roles if role.startswith("service:"))
    return Actor.acting(principal, services[0] if services else CLERK)


@strawberry.type(description="A document's hash recorded on the courts ledger (the document is never sent).")
class NotarizationRecord:
    index: UInt64 = strawberry.field(description="The courts ledger entry that records it.")
    sha256: Base64
    media_type: str | None
    case_ref: str | None
    notarized_at: str = strawberry.field(description="RFC 3339 UTC time of the entry.")

    @strawberry.field(description="The courts ledger's entry (resolved by the ledger subgraph).")
    def ledger_entry(self) -> LedgerEntry | None:
        return ledger_entry(AGENCY, int(self.index))

    @classmethod
    def of(cls, notarization: Notarization) -> NotarizationRecord:
        return cls(
            index=UInt64(notarization.index),
            sha256=Base64(notarization.sha256),
            media_type=notarization.media_type,
            case_ref=notarization.case_ref,
            notarized_at=notarization.notarized_at,
        )


@strawberry.type(
    description="A notarization with its evidence receipt (format govgraph-evidence/v1): the entry, its "
    "inclusion proof, the cosigned checkpoint and an RFC 3161 token over that checkpoint's body."
)
class EvidenceReceipt:
    notarization: NotarizationRecord
    receipt: str = strawberry.field(
        description="The receipt document (JSON), for `govgraph evidence verify`."
    )
    checkpoint_size: UInt64 = strawberry.field(description="The size of the time-stamped checkpoint.")
    timestamp_token: Base64 = strawberry.field(description="The DER TimeStampResp (a .tsr file).")
    timestamped_at: str = strawberry.field(description="The token's genTime (RFC 3339).")

    @classmethod
    def of(cls, notarized: Notarized) -> EvidenceReceipt:
        token = notarized.receipt.token
        return cls(
            notarization=NotarizationRecord.of(notarized.notarization),
            receipt=json.dumps(notarized.receipt.document(), separators=(",", ":")),
            checkpoint_size=UInt64(notarized.receipt.ledger.tree_size),
            timestamp_token=Base64(token),
            timestamped_at=_gen_time(token),
        )


@functools.lru_cache(maxsize=64)
def _gen_time(token: bytes) -> str:
    """A token's genTime, RFC 3339 (every receipt of a checkpoint carries the same token)."""
    return rfc3339(read_response(token).tst_info.gen_time)


@strawberry.type(description="The time-stamping authority built into the service.")
class TimestampAuthority:
    certificates: list[str] = strawberry.field(
        description="PEM certificates: the TSA's, then the root (give the root to verifiers out of band)."
    )


@strawberry.type(description="A checkpoint of the courts ledger anchored through OpenTimestamps calendars.")
class CheckpointAnchor:
    tree_size: UInt64
    ots: Base64 = strawberry.field(
        description="The detached OpenTimestamps proof (.ots) of the checkpoint's body (its note text)."
    )


MAX_ANCHORS = 100


@strawberry.type
class Query:
    @strawberry.field(description="Notarizations of a document hash (SHA-256), oldest first, at most 100.")
    async def notarizations(self, info: Info, sha256: Base64) -> list[NotarizationRecord]:
        return [NotarizationRecord.of(n) for n in await _service(info).by_hash(bytes(sha256))]

    @strawberry.field(description="The evidence receipt of notarization `index` (NOT_FOUND if none).")
    async def evidence_receipt(self, info: Info, index: UInt64) -> EvidenceReceipt:
        return EvidenceReceipt.of(await _service(info).receipt(int(index)))

    @strawberry.field(
        description=f"The last checkpoints anchored through OpenTimestamps calendars, newest first (at most "
        f"{MAX_ANCHORS}; none unless GOVGRAPH_OTS_CALENDARS is set)."
    )
    async def checkpoint_anchors(self, info: Info, last: int = 10) -> list[CheckpointAnchor]:
        if not 0 <= last <= MAX_ANCHORS:
            raise BadUserInput(f"`last` must lie in 0..{MAX_ANCHORS}, got {last}.")
        notary, writes = notary_for(info.context), writes_for(info.context, AGENCY)
        if notary is None or writes is None:
            return []
        found = await notary.anchors(writes.log.engine, last)
        return [CheckpointAnchor(tree_size=UInt64(size), ots=Base64(proof)) for size, proof in found]

    @strawberry.field(description="The embedded TSA's certificates; null when an external TSA is configured.")
    def timestamp_authority(self, info: Info) -> TimestampAuthority | None:
        notary = notary_for(info.context)
        if notary is None or notary.authority_chain is None:
            return None
        pem = notary.authority_chain.decode()
        parts = [
            part + "-----END CERTIFICATE-----\n" for part in pem.split("-----END CERTIFICATE-----\n")[:-1]
        ]
        return TimestampAuthority(certificates=parts)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Notarize a document by its SHA-256 (clerk:courts or service:*): the hash, media type "
        "and case reference are appended to the courts ledger (never the document) and the answer is the "
        "evidence receipt. BAD_USER_INPUT for a hash that is not 32 bytes, a malformed media type or case "
        "reference.",
        extensions=[PermissionExtension([ClerkOrService()], use_directives=False)],
    )
    async def notarize(
        self,
        info: Info,
        sha256: Base64,
        media_type: str | None = None,
        case_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> EvidenceReceipt:
        notarized = await _service(info).notarize(
            _actor(info), bytes(sha256), media_type, case_ref, idempotency_key
        )
        return EvidenceReceipt.of(notarized)


TYPES: list[type] = []
