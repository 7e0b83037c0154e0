"""The identity bureau's own agency row: every enrolment names it (identity_citizen.enrolled_by), so a
database in production, where no demo data is written, needs it before the first enrolment.

Revision ID: 0002_identity_bureau
Revises: 0001_baseline
Create Date: 2026-12-06 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_identity_bureau"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

BUREAU = {"id": "identity-bureau", "name": "Identity Bureau"}


def upgrade() -> None:
    agencies = sa.table("identity_agency", sa.column("id", sa.String()), sa.column("name", sa.String()))
    present = op.get_bind().execute(sa.select(agencies.c.id).where(agencies.c.id == BUREAU["id"])).first()
    if present is None:
        op.bulk_insert(agencies, [BUREAU])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM identity_agency WHERE id = 'identity-bureau'"))
