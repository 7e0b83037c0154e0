"""Credential offers on a real SQLite file: a PIN derived from the offer id (what makes a replayed
createCredentialOffer say the same PIN) is six digits and is what redeems the offer; a derivation that gives
anything else stores nothing."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from govgraph import db
from govgraph.credentials import models
from govgraph.credentials.offers import OfferBook, Redemption, tx_code_from


@pytest.fixture
async def book(tmp_path: Path) -> AsyncIterator[OfferBook]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'offers.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(models.metadata.create_all)
    try:
        yield OfferBook(engine)
    finally:
        await engine.dispose()


async def offers_stored(book: OfferBook) -> int:
    async with book.engine.connect() as connection:
        return (
            await connection.execute(select(func.count()).select_from(models.CredentialOfferRow))
        ).scalar_one()


def test_a_derived_pin_is_the_digests_first_eight_bytes_modulo_a_million() -> None:
    assert tx_code_from(bytes(8)) == "000000"
    assert tx_code_from(b"\xff" * 32) == "551615"  # (2^64 - 1) mod 10^6
    assert tx_code_from((1_000_042).to_bytes(8, "big") + b"rest") == "000042"
    with pytest.raises(ValueError, match=r"^a transaction code is derived from at least 8 bytes$"):
        tx_code_from(bytes(7))


async def test_an_offer_with_a_derived_pin_is_redeemed_with_that_pin(book: OfferBook) -> None:
    def pin(offer_id: str) -> str:
        return tx_code_from(hashlib.sha256(offer_id.encode()).digest())

    new = await book.create("config", "cit_1", "bearer:clerk", pin=pin)
    assert new.tx_code == pin(new.id)
    offer = await book.get(new.id)
    assert offer is not None
    assert (await book.redeem(offer.code, new.tx_code))[0] == Redemption.REDEEMED


@pytest.mark.parametrize("derived", ["12345", "1234567", "12345a", "١٢٣٤٥٦"])
async def test_a_pin_that_is_not_six_digits_stores_no_offer(book: OfferBook, derived: str) -> None:
    with pytest.raises(ValueError, match=r"^a transaction code is 6 digits$"):
        await book.create("config", "cit_1", "bearer:clerk", pin=lambda _offer_id: derived)
    assert await offers_stored(book) == 0
