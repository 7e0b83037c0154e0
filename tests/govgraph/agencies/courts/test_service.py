"""The courts' service without GraphQL, on a real SQLite file with the courts ledger sequenced in-process and
the embedded TSA: a notarization's receipt verifies offline finding by finding, a replay is the same
notarization, and the request checks accept exactly what their grammar says (Hypothesis)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govgraph import db
from govgraph.agencies import idempotency
from govgraph.agencies.courts.models import CourtsTable
from govgraph.agencies.courts.notary import open_notary
from govgraph.agencies.courts.service import CASE_REF, MEDIA_TYPE, CourtsService, check_request
from govgraph.agencies.writes import Actor, WritePaths
from govgraph.evidence.authority import load_or_create_authority
from govgraph.evidence.receipt import verify_evidence
from govgraph.evidence.timestamps import Trust
from govgraph.federation.errors import BadUserInput, NotFound
from govgraph.ledger.keys import read_vkey
from govgraph.ledger.sequencing import SequencedLogs

CLERK = Actor("clerk:courts", "bearer:clerk-ines")


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[CourtsService, Path]]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'courts.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(CourtsTable.metadata.create_all)
    async with engine.begin() as connection:
        await connection.run_sync(idempotency.metadata.create_all)
    logs = SequencedLogs(engine, tmp_path / "keys", ["courts"])
    await logs.start()
    try:
        writes = WritePaths(logs.logs, tmp_path / "keys")
        yield (
            CourtsService(db.session_factory(engine), writes["courts"], open_notary(tmp_path, None)),
            tmp_path,
        )
    finally:
        await logs.stop()
        await engine.dispose()


async def test_a_notarization_receipt_verifies_offline(service: tuple[CourtsService, Path]) -> None:
    courts, data_dir = service
    document = b"exhibit G"
    notarized = await courts.notarize(CLERK, hashlib.sha256(document).digest(), "text/plain", "CV-9", "key-g")
    assert (notarized.notarization.index, notarized.notarization.case_ref) == (0, "CV-9")
    trust = Trust.of([load_or_create_authority(data_dir / "tsa").root])
    vkey = read_vkey(data_dir / "keys", "courts")
    verdict, stamp = verify_evidence(notarized.receipt, document, log_vkey=vkey, trust=trust)
    assert verdict.ok and stamp is not None and stamp.valid
    assert [finding.ok for finding in verdict.findings] == [True, True, True, True]
    wrong, _stamp = verify_evidence(notarized.receipt, b"exhibit H", log_vkey=vkey, trust=trust)
    assert [finding.ok for finding in wrong.findings] == [False, True, True, True]
    again = await courts.notarize(CLERK, hashlib.sha256(document).digest(), "text/plain", "CV-9", "key-g")
    assert again.notarization == notarized.notarization
    assert (await courts.receipt(0)).notarization == notarized.notarization
    with pytest.raises(NotFound):
        await courts.receipt(1)


@given(media_type=st.text(max_size=40), case_ref=st.text(max_size=70))
def test_the_request_checks_accept_exactly_their_grammar(media_type: str, case_ref: str) -> None:
    digest = bytes(32)
    media_ok = media_type.isascii() and MEDIA_TYPE.fullmatch(media_type.lower()) is not None
    case_ok = CASE_REF.fullmatch(case_ref) is not None
    try:
        recorded = check_request(digest, media_type, case_ref)
    except BadUserInput:
        assert not (media_ok and case_ok)
    else:
        assert media_ok and case_ok and recorded == (media_type.lower(), case_ref)


@given(size=st.integers(0, 64).filter(lambda n: n != 32))
def test_a_hash_of_another_length_is_refused(size: int) -> None:
    with pytest.raises(BadUserInput, match=re.escape(f"not {size}.")):
        check_request(bytes(size), None, None)
