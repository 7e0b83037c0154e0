"""The identity bureau issues electoral-roll credentials (issue 15): its private register of who holds one
(identity_roll_member), its pending registrations by presentation (identity_roll_registration) and its
published issuer keys per roll (identity_roll_issuer) replace the commission's elections_roll_member and
elections_registration. Credentials the commission signed under its own roll keys were for development data
only; their register is dropped with them.

Revision ID: 0004_identity_rolls
Revises: 0003_agencies
Create Date: 2026-12-06 05:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_identity_rolls"
down_revision = "0003_agencies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_roll_member",
        sa.Column("roll_id", sa.String(), nullable=False),
        sa.Column("member", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("roll_id", "member"),
    )
    op.create_table(
        "identity_roll_registration",
        sa.Column("presentation_id", sa.String(), nullable=False),
        sa.Column("roll_id", sa.String(), nullable=False),
        sa.Column("commitment", sa.String(), nullable=False),
        sa.Column("issued", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("presentation_id"),
    )
    op.create_table(
        "identity_roll_issuer",
        sa.Column("roll_id", sa.String(), nullable=False),
        sa.Column("public_key", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("roll_id"),
    )
    op.drop_table("elections_registration")
    op.drop_table("elections_roll_member")


def downgrade() -> None:
    op.create_table(
        "elections_roll_member",
        sa.Column("roll_id", sa.String(), nullable=False),
        sa.Column("citizen", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("roll_id", "citizen"),
    )
    op.create_table(
        "elections_registration",
        sa.Column("presentation_id", sa.String(), nullable=False),
        sa.Column("roll_id", sa.String(), nullable=False),
        sa.Column("commitment", sa.String(), nullable=False),
        sa.Column("issued", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["roll_id"], ["elections_roll.id"]),
        sa.PrimaryKeyConstraint("presentation_id"),
    )
    op.drop_table("identity_roll_issuer")
    op.drop_table("identity_roll_registration")
    op.drop_table("identity_roll_member")
