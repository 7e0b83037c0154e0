"""Credential offers and c_nonces in the database: an offer is made for one citizen and one configuration,
redeemed once (pre-authorized code + transaction code -> access token) within its lifetime, locked after
too many wrong transaction codes, and marked issued when its credential is, or withdrawn, unissued, by a
revocation of the citizen's credentials of its configuration. A c_nonce answers once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govgraph.credentials.models import CredentialOfferRow, NonceRow

OFFER_TTL = 600.0  # seconds an offer can be redeemed
MAX_ATTEMPTS = 5  # wrong transaction codes before the offer is locked
TX_CODE_LENGTH = 6
NONCE_TTL = 300.0
OFFERED, REDEEMED, ISSUED, LOCKED = "offered", "redeemed", "issued", "locked"
WITHDRAWN = "withdrawn"  # by a revocation, before its credential was issued

_offers = CredentialOfferRow.__table__  # type: ignore[attr-defined]
_nonces = NonceRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class NewOffer:
    id: str
    pre_authorized_code: str
    tx_code: str  # shown once, to the clerk, for the citizen
    expires_at: float


@dataclass(frozen=True, slots=True)
class Offer:
    id: str
    code: str
    configuration: str
    citizen_id: str
    offered_by: str
    expires_at: float
    state: str
    attempts: int
    tx_code_hash: str = field(repr=False)


class Redemption:
    """What redeeming a pre-authorized code came to."""

    REDEEMED = "redeemed"
    UNKNOWN = "unknown"  # no such code, or its offer is used, locked or expired
    WRONG_TX_CODE = "wrong_tx_code"


def random_tx_code() -> str:
    return f"{secrets.randbelow(10**TX_CODE_LENGTH):0{TX_CODE_LENGTH}d}"


def tx_code_from(digest: bytes) -> str:
    """A transaction code derived from a pseudorandom `digest` (at least 8 bytes, e.g. an HMAC): its first
    8 bytes modulo 10^6 (the bias, under 10^-13, is negligible)."""
    if len(digest) < 8:
        raise ValueError("a transaction code is derived from at least 8 bytes")
    return f"{int.from_bytes(digest[:8], 'big') % 10**TX_CODE_LENGTH:0{TX_CODE_LENGTH}d}"


def _tx_code_hash(code: str, tx_code: str) -> str:
    # Salted by the pre-authorized code: the table alone does not give the PIN away.
    return hashlib.sha256(b"govgraph/tx_code\x00" + code.encode() + b"\x00" + tx_code.encode()).hexdigest()


class OfferBook:
    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    async def create(
        self,
        configuration: str,
        citizen_id: str,
        offered_by: str,
        *,
        ttl: float = OFFER_TTL,
        pin: Callable[[str], str] | None = None,
        connection: AsyncConnection | None = None,
    ) -> NewOffer:
        """A new offer. `pin` derives its transaction code from its id (so whoever holds what it derives
        from can say the code again without storing it); a random one without. Written on `connection`'s
        transaction when given, else in a transaction of its own."""
        offer_id = secrets.token_urlsafe(16)
        code = secrets.token_urlsafe(32)
        tx_code = random_tx_code() if pin is None else pin(offer_id)
        if not (len(tx_code) == TX_CODE_LENGTH and tx_code.isascii() and tx_code.isdigit()):
            raise ValueError(f"a transaction code is {TX_CODE_LENGTH} digits")
        now = self.clock()
        row = insert(_offers).values(
            id=offer_id,
            code=code,
            tx_code_hash=_tx_code_hash(code, tx_code),
            configuration=configuration,
            citizen_id=citizen_id,
            offered_by=offered_by,
            created_at=now,
            expires_at=now + ttl,
            state=OFFERED,
            attempts=0,
        )
        if connection is None:
            async with self.engine.begin() as own:
                await own.execute(row)
        else:
            await connection.execute(row)
        return NewOffer(offer_id, code, tx_code, now + ttl)

    async def open_offer(self, offer_id: str) -> Offer | None:
        """The offer while it can still be redeemed (None once used, locked or expired)."""
        offer = await self._get(_offers.c.id == offer_id)
        if offer is None or offer.state != OFFERED or offer.expires_at <= self.clock():
            return None
        return offer

    async def get(self, offer_id: str) -> Offer | None:
        return await self._get(_offers.c.id == offer_id)

    async def _get(self, condition) -> Offer | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(_offers).where(condition))).first()
        if row is None:
            return None
        return Offer(
            row.id,
            row.code,
            row.configuration,
            row.citizen_id,
            row.offered_by,
            row.expires_at,
            row.state,
            row.attempts,
            row.tx_code_hash,
        )

    async def redeem(self, code: str, tx_code: str) -> tuple[str, Offer | None, int]:
        """(Redemption.*, the offer, attempts left). A wrong transaction code counts against the offer and
        locks it at MAX_ATTEMPTS; a right one redeems it, once."""
        offer = await self._get(_offers.c.code == code)
        now = self.clock()
        if offer is None or offer.state != OFFERED or offer.expires_at <= now:
            return Redemption.UNKNOWN, None, 0
        if not hmac.compare_digest(offer.tx_code_hash, _tx_code_hash(code, tx_code)):
            attempts = await self._count_wrong(offer.id)
            return Redemption.WRONG_TX_CODE, offer, max(MAX_ATTEMPTS - attempts, 0)
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(_offers)
                .where(_offers.c.id == offer.id, _offers.c.state == OFFERED, _offers.c.expires_at > now)
                .values(state=REDEEMED)
            )
        if result.rowcount != 1:  # a concurrent redemption, a lock or the deadline came first
            return Redemption.UNKNOWN, None, 0
        return Redemption.REDEEMED, offer, MAX_ATTEMPTS - offer.attempts

    async def _count_wrong(self, offer_id: str) -> int:
        async with self.engine.begin() as connection:
            await connection.execute(
                update(_offers)
                .where(_offers.c.id == offer_id, _offers.c.state == OFFERED)
                .values(attempts=_offers.c.attempts + 1)
            )
            await connection.execute(
                update(_offers)
                .where(
                    _offers.c.id == offer_id, _offers.c.state == OFFERED, _offers.c.attempts >= MAX_ATTEMPTS
                )
                .values(state=LOCKED)
            )
            return (
                await connection.execute(select(_offers.c.attempts).where(_offers.c.id == offer_id))
            ).scalar_one()

    def claim(self, offer_id: str, key_id: str) -> Callable[[AsyncConnection], object]:
        """The step the issuance's ledger write runs in its transaction: mark the redeemed offer issued
        (IssuedAlready if it was not redeemed-and-unissued), then count the configuration's credentials."""

        async def run(connection: AsyncConnection) -> int:
            result = await connection.execute(
                update(_offers)
                .where(_offers.c.id == offer_id, _offers.c.state == REDEEMED)
                .values(state=ISSUED, key_id=key_id)
            )
            if result.rowcount != 1:
                raise IssuedAlready("this offer's credential was issued already")
            configuration = (
                await connection.execute(select(_offers.c.configuration).where(_offers.c.id == offer_id))
            ).scalar_one()
            return (
                await connection.execute(
                    select(func.count())
                    .select_from(_offers)
                    .where(_offers.c.configuration == configuration, _offers.c.state == ISSUED)
                )
            ).scalar_one()

        return run

    async def set_ledger_index(self, offer_id: str, index: int | None) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                update(_offers).where(_offers.c.id == offer_id).values(ledger_index=index)
            )

    # --- c_nonces ------------------------------------------------------------------------------------
    async def new_nonce(self, *, ttl: float = NONCE_TTL) -> str:
        value = secrets.token_urlsafe(32)  # 32 bytes: also a zk offer nonce
        now = self.clock()
        async with self.engine.begin() as connection:
            await connection.execute(delete(_nonces).where(_nonces.c.expires_at <= now))
            await connection.execute(insert(_nonces).values(value=value, expires_at=now + ttl))
        return value

    async def use_nonce(self, value: str) -> bool:
        """Whether `value` is a live c_nonce; it is used up either way."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                delete(_nonces).where(_nonces.c.value == value, _nonces.c.expires_at > self.clock())
            )
        return result.rowcount == 1


async def withdraw_pending(connection: AsyncConnection, configuration: str, citizen_id: str) -> int:
    """Withdraw the citizen's offers of `configuration` whose credential is not issued yet (offered or
    redeemed), on `connection`'s transaction: a revocation's, so no credential offered before it can be
    issued after it. How many it withdrew."""
    result = await connection.execute(
        update(_offers)
        .where(
            _offers.c.configuration == configuration,
            _offers.c.citizen_id == citizen_id,
            _offers.c.state.in_((OFFERED, REDEEMED)),
        )
        .values(state=WITHDRAWN)
    )
    return result.rowcount


class IssuedAlready(Exception):
    """The offer's credential was issued already (or the offer was never redeemed)."""
