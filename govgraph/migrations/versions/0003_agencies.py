"""The agencies added after the baseline: land's rights and geometry, the revocation registry, and the
procurement, welfare, courts and elections agencies' tables.

Revision ID: 0003_agencies
Revises: 0002_identity_bureau
Create Date: 2026-12-06 02:59:28.728751
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_agencies"
down_revision = "0002_identity_bureau"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "courts_checkpoint_anchor",
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("proof", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size"),
    )
    op.create_table(
        "courts_checkpoint_timestamp",
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size"),
    )
    op.create_table(
        "courts_notarization",
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("media_type", sa.String(), nullable=True),
        sa.Column("case_ref", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("ledger_index"),
    )
    with op.batch_alter_table("courts_notarization", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courts_notarization_case_ref"), ["case_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_courts_notarization_sha256"), ["sha256"], unique=False)

    op.create_table(
        "credentials_revocation_epoch",
        sa.Column("configuration", sa.String(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("accumulator", sa.String(), nullable=False),
        sa.Column("update", sa.Text(), nullable=False),
        sa.Column("published_at", sa.Float(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("configuration", "epoch"),
    )
    op.create_table(
        "credentials_revocation_handle",
        sa.Column("handle", sa.String(), nullable=False),
        sa.Column("configuration", sa.String(), nullable=False),
        sa.Column("citizen_id", sa.String(), nullable=False),
        sa.Column("revoked_epoch", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("handle"),
    )
    with op.batch_alter_table("credentials_revocation_handle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credentials_revocation_handle_citizen_id"), ["citizen_id"], unique=False
        )

    op.create_table(
        "elections_election",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("revoting", sa.String(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("joint_key", sa.String(), nullable=True),
        sa.Column("qualified", sa.JSON(), nullable=True),
        sa.Column("closing", sa.JSON(), nullable=True),
        sa.Column("aggregate", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("used_trustees", sa.JSON(), nullable=True),
        sa.Column("credentials_issued", sa.Integer(), nullable=True),
        sa.Column("ledger_index", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "elections_roll",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("district", sa.String(), nullable=False),
        sa.Column("citizenship", sa.String(), nullable=False),
        sa.Column("election_day", sa.String(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "elections_roll_member",
        sa.Column("roll_id", sa.String(), nullable=False),
        sa.Column("citizen", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("roll_id", "citizen"),
    )
    op.create_table(
        "procurement_bid",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tender_id", sa.String(), nullable=False),
        sa.Column("bidder", sa.String(), nullable=False),
        sa.Column("ciphertext", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("submitted_at", sa.Float(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("plaintext", sa.String(), nullable=True),
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("procurement_bid", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procurement_bid_tender_id"), ["tender_id"], unique=False)

    op.create_table(
        "procurement_bid_share",
        sa.Column("tender_id", sa.String(), nullable=False),
        sa.Column("member", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.String(), nullable=False),
        sa.Column("share", sa.String(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tender_id", "member", "bid_id"),
    )
    op.create_table(
        "procurement_committee_member",
        sa.Column("tender_id", sa.String(), nullable=False),
        sa.Column("member", sa.Integer(), nullable=False),
        sa.Column("commitment_hash", sa.String(), nullable=False),
        sa.Column("box_key", sa.String(), nullable=False),
        sa.Column("reveal", sa.String(), nullable=True),
        sa.Column("sealed_shares", sa.String(), nullable=True),
        sa.Column("complaints", sa.String(), nullable=True),
        sa.Column("shares_posted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tender_id", "member"),
    )
    op.create_table(
        "procurement_package",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ocds_version", sa.String(), nullable=False),
        sa.Column("metadata_json", sa.String(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "procurement_record",
        sa.Column("package_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ocid", sa.String(), nullable=True),
        sa.Column("document", sa.String(), nullable=False),
        sa.Column("record_hash", sa.String(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("package_id", "position"),
    )
    with op.batch_alter_table("procurement_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procurement_record_ocid"), ["ocid"], unique=False)

    op.create_table(
        "procurement_release",
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.Column("ocid", sa.String(), nullable=True),
        sa.Column("release_id", sa.String(), nullable=True),
        sa.Column("date", sa.String(), nullable=True),
        sa.Column("tags", sa.String(), nullable=False),
        sa.Column("ocds_version", sa.String(), nullable=False),
        sa.Column("release_hash", sa.String(), nullable=False),
        sa.Column("document", sa.String(), nullable=False),
        sa.Column("package_id", sa.String(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("record_position", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("ledger_index"),
    )
    with op.batch_alter_table("procurement_release", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procurement_release_package_id"), ["package_id"], unique=False)
        batch_op.create_index("procurement_release_by_ocid", ["ocid", "ledger_index"], unique=False)

    op.create_table(
        "procurement_sealed_tender",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("ocid", sa.String(), nullable=False),
        sa.Column("deadline", sa.Float(), nullable=False),
        sa.Column("deadline_text", sa.String(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("committee", sa.String(), nullable=False),
        sa.Column("context", sa.String(), nullable=False),
        sa.Column("public_key", sa.String(), nullable=True),
        sa.Column("qualified", sa.String(), nullable=True),
        sa.Column("opened", sa.Boolean(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("procurement_sealed_tender", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procurement_sealed_tender_ocid"), ["ocid"], unique=False)

    op.create_table(
        "welfare_programme",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("eligibility", sa.String(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("exclusion_group", sa.String(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "elections_ballot",
        sa.Column("election_id", sa.String(), nullable=False),
        sa.Column("tracking_code", sa.String(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("spoiled", sa.Boolean(), nullable=False),
        sa.Column("ballot", sa.JSON(), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=True),
        sa.Column("opening", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections_election.id"],
        ),
        sa.PrimaryKeyConstraint("election_id", "tracking_code"),
    )
    with op.batch_alter_table("elections_ballot", schema=None) as batch_op:
        batch_op.create_index(
            "elections_one_current_ballot",
            ["election_id", "pseudonym"],
            unique=True,
            sqlite_where=sa.text("current"),
            postgresql_where=sa.text("current"),
        )
        batch_op.create_index(batch_op.f("ix_elections_ballot_ledger_index"), ["ledger_index"], unique=False)

    op.create_table(
        "elections_registration",
        sa.Column("presentation_id", sa.String(), nullable=False),
        sa.Column("roll_id", sa.String(), nullable=False),
        sa.Column("commitment", sa.String(), nullable=False),
        sa.Column("issued", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["roll_id"],
            ["elections_roll.id"],
        ),
        sa.PrimaryKeyConstraint("presentation_id"),
    )
    op.create_table(
        "elections_trustee",
        sa.Column("election_id", sa.String(), nullable=False),
        sa.Column("trustee_id", sa.String(), nullable=False),
        sa.Column("trustee_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("actor", sa.String(), nullable=True),
        sa.Column("box_key", sa.String(), nullable=True),
        sa.Column("commitment_hash", sa.String(), nullable=True),
        sa.Column("reveal", sa.JSON(), nullable=True),
        sa.Column("sealed_shares", sa.JSON(), nullable=True),
        sa.Column("complaints", sa.JSON(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("decryption_share", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections_election.id"],
        ),
        sa.PrimaryKeyConstraint("election_id", "trustee_id"),
        sa.UniqueConstraint("election_id", "trustee_index"),
    )
    op.create_table(
        "land_restriction",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("parcel_id", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=True),
        sa.Column("ended_ledger_index", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parcel_id"],
            ["land_parcel.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("land_restriction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_land_restriction_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_land_restriction_parcel_id"), ["parcel_id"], unique=False)

    op.create_table(
        "welfare_claim",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("programme_id", sa.String(), nullable=False),
        sa.Column("invitation_id", sa.String(), nullable=False),
        sa.Column("pseudonym", sa.String(), nullable=False),
        sa.Column("claimed_on", sa.Date(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["welfare_programme.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id"),
        sa.UniqueConstraint("programme_id", "pseudonym", name="welfare_one_claim_per_pseudonym"),
    )
    with op.batch_alter_table("welfare_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_welfare_claim_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "welfare_invitation",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("programme_id", sa.String(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("exclusion_request_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["welfare_programme.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("welfare_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_welfare_invitation_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "welfare_enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exclusion_group", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("pseudonym", sa.String(), nullable=False),
        sa.Column("programme_id", sa.String(), nullable=False),
        sa.Column("claim_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["welfare_claim.id"],
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["welfare_programme.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_id"),
        sa.UniqueConstraint("exclusion_group", "period", "pseudonym", name="welfare_one_enrolment_per_group"),
    )
    op.create_table(
        "welfare_payment",
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("claim_id", sa.String(), nullable=False),
        sa.Column("programme_id", sa.String(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["welfare_claim.id"],
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["welfare_programme.id"],
        ),
        sa.PrimaryKeyConstraint("reference"),
        sa.UniqueConstraint("claim_id"),
    )
    with op.batch_alter_table("welfare_payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_welfare_payment_programme_id"), ["programme_id"], unique=False)

    with op.batch_alter_table("land_parcel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("geometry", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("calculated_area_m2", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("place", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("coord_ref_sys", sa.String(), nullable=True))
        batch_op.create_index(batch_op.f("ix_land_parcel_ledger_index"), ["ledger_index"], unique=False)

    with op.batch_alter_table("land_title", schema=None) as batch_op:
        # titles registered before shares existed are whole ownership: 1/1
        batch_op.add_column(
            sa.Column("share_numerator", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(
            sa.Column("share_denominator", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.drop_index(batch_op.f("land_one_current_title"), sqlite_where=sa.text("current"))
        batch_op.create_index(
            "land_one_current_title_per_owner",
            ["parcel_id", "owner_id"],
            unique=True,
            sqlite_where=sa.text("current"),
            postgresql_where=sa.text("current"),
        )


def downgrade() -> None:
    with op.batch_alter_table("land_title", schema=None) as batch_op:
        batch_op.drop_index(
            "land_one_current_title_per_owner",
            sqlite_where=sa.text("current"),
            postgresql_where=sa.text("current"),
        )
        batch_op.create_index(
            batch_op.f("land_one_current_title"), ["parcel_id"], unique=1, sqlite_where=sa.text("current")
        )
        batch_op.drop_column("share_denominator")
        batch_op.drop_column("share_numerator")

    with op.batch_alter_table("land_parcel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_land_parcel_ledger_index"))
        batch_op.drop_column("coord_ref_sys")
        batch_op.drop_column("place")
        batch_op.drop_column("calculated_area_m2")
        batch_op.drop_column("geometry")

    with op.batch_alter_table("welfare_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_welfare_payment_programme_id"))

    op.drop_table("welfare_payment")
    op.drop_table("welfare_enrolment")
    with op.batch_alter_table("welfare_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_welfare_invitation_programme_id"))

    op.drop_table("welfare_invitation")
    with op.batch_alter_table("welfare_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_welfare_claim_programme_id"))

    op.drop_table("welfare_claim")
    with op.batch_alter_table("land_restriction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_land_restriction_parcel_id"))
        batch_op.drop_index(batch_op.f("ix_land_restriction_active"))

    op.drop_table("land_restriction")
    op.drop_table("elections_trustee")
    op.drop_table("elections_registration")
    with op.batch_alter_table("elections_ballot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_elections_ballot_ledger_index"))
        batch_op.drop_index(
            "elections_one_current_ballot",
            sqlite_where=sa.text("current"),
            postgresql_where=sa.text("current"),
        )

    op.drop_table("elections_ballot")
    op.drop_table("welfare_programme")
    with op.batch_alter_table("procurement_sealed_tender", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procurement_sealed_tender_ocid"))

    op.drop_table("procurement_sealed_tender")
    with op.batch_alter_table("procurement_release", schema=None) as batch_op:
        batch_op.drop_index("procurement_release_by_ocid")
        batch_op.drop_index(batch_op.f("ix_procurement_release_package_id"))

    op.drop_table("procurement_release")
    with op.batch_alter_table("procurement_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procurement_record_ocid"))

    op.drop_table("procurement_record")
    op.drop_table("procurement_package")
    op.drop_table("procurement_committee_member")
    op.drop_table("procurement_bid_share")
    with op.batch_alter_table("procurement_bid", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procurement_bid_tender_id"))

    op.drop_table("procurement_bid")
    op.drop_table("elections_roll_member")
    op.drop_table("elections_roll")
    op.drop_table("elections_election")
    with op.batch_alter_table("credentials_revocation_handle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_revocation_handle_citizen_id"))

    op.drop_table("credentials_revocation_handle")
    op.drop_table("credentials_revocation_epoch")
    with op.batch_alter_table("courts_notarization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courts_notarization_sha256"))
        batch_op.drop_index(batch_op.f("ix_courts_notarization_case_ref"))

    op.drop_table("courts_notarization")
    op.drop_table("courts_checkpoint_timestamp")
    op.drop_table("courts_checkpoint_anchor")
