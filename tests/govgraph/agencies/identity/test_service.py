"""The identity bureau's service on a real SQLite file: batched look-ups in key order, pages, seeding."""

from __future__ import annotations

import pytest

from govgraph.agencies.identity import service
from govgraph.agencies.identity.models import CitizenRow
from govgraph.agencies.identity.service import IdentityService
from govgraph.federation.errors import BadUserInput


async def test_citizens_by_ids_keep_key_order_and_mark_unknown_ids(sessions) -> None:
    rows = await IdentityService(sessions).citizens_by_ids(
        ["cit_e27a8f5d3c6b1049", "cit_unknown", "cit_5b0e2f7c1a9d4e83"]
    )
    assert [row.id if row else None for row in rows] == ["cit_e27a8f5d3c6b1049", None, "cit_5b0e2f7c1a9d4e83"]


async def test_overlong_id_is_bad_user_input(sessions) -> None:
    with pytest.raises(BadUserInput, match=r"An id must be 1\.\.64 characters\."):
        await IdentityService(sessions).citizens_by_ids(["x" * 65])


async def test_citizen_pages_are_ordered_with_a_total(sessions) -> None:
    rows, total = await IdentityService(sessions).citizens_page(offset=1, limit=5)
    assert [row.id for row in rows] == ["cit_91c4d6ab02f3e715", "cit_e27a8f5d3c6b1049"]
    assert total == 3


async def test_credential_schemas_group_by_issuer(sessions) -> None:
    groups = await IdentityService(sessions).credential_schemas_by_issuer(
        ["identity-bureau", "land-registry", "electoral-commission"]
    )
    assert [[row.id for row in group] for group in groups] == [["age-v1", "residency-v1"], [], ["voter-v1"]]
    assert groups[0][1].attributes == ["residentOf", "residentSince"]


async def test_seeding_twice_changes_nothing_and_appends_nothing(storage) -> None:
    ledger = storage.logs["identity"]
    before = await ledger.state()
    await service.seed(storage.sessions, storage.writes["identity"])
    rows, total = await IdentityService(storage.sessions).citizens_page(offset=0, limit=10)
    assert total == 3
    assert [row.id for row in rows] == sorted(service.DEMO_CITIZENS)
    assert (await ledger.state())[0] == before[0] == 3


async def test_citizen_rows_hold_no_personal_attributes() -> None:
    # The mission's promise: an opaque id, the enrolling agency and its ledger entry, nothing about the
    # person; the base record is in the bureau's private table, which no GraphQL type serves.
    assert set(CitizenRow.model_fields) == {"id", "enrolled_by", "ledger_index"}
