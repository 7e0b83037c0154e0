"""An index on an election's ballots in ledger order (election_id, ledger_index): the pages of closeVoting's
sum, of the election record and of the board (`election_id = ? AND ledger_index > ? ORDER BY ledger_index
LIMIT n`) each read their own rows from it, rather than every ballot of the election sorted again for each
page (quadratic over a large election).

Revision ID: 0005_ballots_in_ledger_order
Revises: 0004_identity_rolls
Create Date: 2026-12-06 08:52:40
"""

from __future__ import annotations

from alembic import op

revision = "0005_ballots_in_ledger_order"
down_revision = "0004_identity_rolls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("elections_ballot", schema=None) as batch_op:
        batch_op.create_index(
            "elections_ballot_in_ledger_order", ["election_id", "ledger_index"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("elections_ballot", schema=None) as batch_op:
        batch_op.drop_index("elections_ballot_in_ledger_order")
