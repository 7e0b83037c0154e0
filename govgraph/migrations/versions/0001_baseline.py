"""Baseline: every table govgraph kept before migrations existed.

A database created before migrations (by create_all) is adopted as it is: only its missing tables are
created, then it is stamped with this revision.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-06 02:00:43.832584
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "agency_idempotency_keys" not in existing:
        op.create_table(
            "agency_idempotency_keys",
            sa.Column("agency", sa.String(), nullable=False),
            sa.Column("actor", sa.String(), nullable=False),
            sa.Column("key", sa.String(), nullable=False),
            sa.Column("request", sa.String(), nullable=False),
            sa.Column("result", sa.String(), nullable=False),
            sa.Column("created_at", sa.Float(), nullable=False),
            sa.PrimaryKeyConstraint("agency", "actor", "key"),
        )

    if "auth_api_keys" not in existing:
        op.create_table(
            "auth_api_keys",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("name", sa.String(), nullable=False),
            sa.Column("roles", sa.String(), nullable=False),
            sa.Column("key_hash", sa.String(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("name"),
        )

    if "credentials_nonce" not in existing:
        op.create_table(
            "credentials_nonce",
            sa.Column("value", sa.String(), nullable=False),
            sa.Column("expires_at", sa.Float(), nullable=False),
            sa.PrimaryKeyConstraint("value"),
        )
        with op.batch_alter_table("credentials_nonce", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_credentials_nonce_expires_at"), ["expires_at"], unique=False)

    if "credentials_offer" not in existing:
        op.create_table(
            "credentials_offer",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("code", sa.String(), nullable=False),
            sa.Column("tx_code_hash", sa.String(), nullable=False),
            sa.Column("configuration", sa.String(), nullable=False),
            sa.Column("citizen_id", sa.String(), nullable=False),
            sa.Column("offered_by", sa.String(), nullable=False),
            sa.Column("created_at", sa.Float(), nullable=False),
            sa.Column("expires_at", sa.Float(), nullable=False),
            sa.Column("state", sa.String(), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("key_id", sa.String(), nullable=True),
            sa.Column("ledger_index", sa.Integer(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("credentials_offer", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_credentials_offer_code"), ["code"], unique=True)
            batch_op.create_index(batch_op.f("ix_credentials_offer_state"), ["state"], unique=False)

    if "credentials_presentation_request" not in existing:
        op.create_table(
            "credentials_presentation_request",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("requested_by", sa.String(), nullable=False),
            sa.Column("purpose", sa.String(), nullable=False),
            sa.Column("dcql", sa.Text(), nullable=False),
            sa.Column("request", sa.Text(), nullable=False),
            sa.Column("created_at", sa.Float(), nullable=False),
            sa.Column("expires_at", sa.Float(), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("failure", sa.String(), nullable=True),
            sa.Column("disclosed", sa.String(), nullable=True),
            sa.Column("predicates", sa.String(), nullable=True),
            sa.Column("pseudonym", sa.String(), nullable=True),
            sa.Column("answered_at", sa.Float(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("credentials_presentation_request", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_credentials_presentation_request_requested_by"), ["requested_by"], unique=False
            )

    if "identity_agency" not in existing:
        op.create_table(
            "identity_agency",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("name", sa.String(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )

    if "land_parcel" not in existing:
        op.create_table(
            "land_parcel",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("area_m2", sa.Float(), nullable=False),
            sa.Column("locality", sa.String(), nullable=False),
            sa.Column("ledger_index", sa.Integer(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )

    if "ledger_logs" not in existing:
        op.create_table(
            "ledger_logs",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(), nullable=False),
            sa.Column("origin", sa.String(), nullable=False),
            sa.Column("vkey", sa.String(), nullable=False),
            sa.Column("next_index", sa.Integer(), nullable=False),
            sa.Column("integrated_size", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("origin"),
        )
        with op.batch_alter_table("ledger_logs", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_ledger_logs_name"), ["name"], unique=True)

    if "ledger_witness_state" not in existing:
        op.create_table(
            "ledger_witness_state",
            sa.Column("witness", sa.String(), nullable=False),
            sa.Column("origin", sa.String(), nullable=False),
            sa.Column("size", sa.Integer(), nullable=False),
            sa.Column("root_hash", sa.LargeBinary(), nullable=False),
            sa.Column("checkpoint", sa.LargeBinary(), nullable=False),
            sa.PrimaryKeyConstraint("witness", "origin"),
            sqlite_with_rowid=False,
        )

    if "identity_citizen" not in existing:
        op.create_table(
            "identity_citizen",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("enrolled_by", sa.String(), nullable=False),
            sa.Column("ledger_index", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(
                ["enrolled_by"],
                ["identity_agency.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("identity_citizen", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_identity_citizen_enrolled_by"), ["enrolled_by"], unique=False
            )

    if "identity_credential_schema" not in existing:
        op.create_table(
            "identity_credential_schema",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("name", sa.String(), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("issuer_id", sa.String(), nullable=False),
            sa.Column("attributes", sa.JSON(), nullable=False),
            sa.ForeignKeyConstraint(
                ["issuer_id"],
                ["identity_agency.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("identity_credential_schema", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_identity_credential_schema_issuer_id"), ["issuer_id"], unique=False
            )

    if "land_title" not in existing:
        op.create_table(
            "land_title",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("parcel_id", sa.String(), nullable=False),
            sa.Column("owner_id", sa.String(), nullable=False),
            sa.Column("registered_on", sa.Date(), nullable=False),
            sa.Column("current", sa.Boolean(), nullable=False),
            sa.Column("ledger_index", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(
                ["parcel_id"],
                ["land_parcel.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("land_title", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_land_title_current"), ["current"], unique=False)
            batch_op.create_index(batch_op.f("ix_land_title_owner_id"), ["owner_id"], unique=False)
            batch_op.create_index(batch_op.f("ix_land_title_parcel_id"), ["parcel_id"], unique=False)
            batch_op.create_index(
                "land_one_current_title",
                ["parcel_id"],
                unique=True,
                sqlite_where=sa.text("current"),
                postgresql_where=sa.text("current"),
            )

    if "ledger_checkpoints" not in existing:
        op.create_table(
            "ledger_checkpoints",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("log_id", sa.Integer(), nullable=False),
            sa.Column("size", sa.Integer(), nullable=False),
            sa.Column("root_hash", sa.LargeBinary(), nullable=False),
            sa.Column("note", sa.LargeBinary(), nullable=False),
            sa.Column("signed_at", sa.Float(), nullable=False),
            sa.ForeignKeyConstraint(
                ["log_id"],
                ["ledger_logs.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("log_id", "size"),
        )
        with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_ledger_checkpoints_log_id"), ["log_id"], unique=False)

    if "ledger_entries" not in existing:
        op.create_table(
            "ledger_entries",
            sa.Column("log_id", sa.Integer(), nullable=False),
            sa.Column("idx", sa.Integer(), nullable=False),
            sa.Column("data", sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(
                ["log_id"],
                ["ledger_logs.id"],
            ),
            sa.PrimaryKeyConstraint("log_id", "idx"),
            sqlite_with_rowid=False,
        )

    if "ledger_tiles" not in existing:
        op.create_table(
            "ledger_tiles",
            sa.Column("log_id", sa.Integer(), nullable=False),
            sa.Column("level", sa.Integer(), nullable=False),
            sa.Column("idx", sa.Integer(), nullable=False),
            sa.Column("hashes", sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(
                ["log_id"],
                ["ledger_logs.id"],
            ),
            sa.PrimaryKeyConstraint("log_id", "level", "idx"),
            sqlite_with_rowid=False,
        )

    if "identity_citizen_record" not in existing:
        op.create_table(
            "identity_citizen_record",
            sa.Column("citizen_id", sa.String(), nullable=False),
            sa.Column("given_name", sa.String(), nullable=False),
            sa.Column("family_name", sa.String(), nullable=False),
            sa.Column("birth_date", sa.Date(), nullable=False),
            sa.Column("residence", sa.String(), nullable=False),
            sa.Column("citizenship", sa.String(), nullable=False),
            sa.Column("household_income", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["citizen_id"],
                ["identity_citizen.id"],
            ),
            sa.PrimaryKeyConstraint("citizen_id"),
        )

    if "ledger_cosignatures" not in existing:
        op.create_table(
            "ledger_cosignatures",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("checkpoint_id", sa.Integer(), nullable=False),
            sa.Column("witness", sa.String(), nullable=False),
            sa.Column("line", sa.String(), nullable=False),
            sa.ForeignKeyConstraint(
                ["checkpoint_id"],
                ["ledger_checkpoints.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("checkpoint_id", "witness"),
        )
        with op.batch_alter_table("ledger_cosignatures", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_ledger_cosignatures_checkpoint_id"), ["checkpoint_id"], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("ledger_cosignatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_cosignatures_checkpoint_id"))

    op.drop_table("ledger_cosignatures")
    op.drop_table("identity_citizen_record")
    op.drop_table("ledger_tiles")
    op.drop_table("ledger_entries")
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_checkpoints_log_id"))

    op.drop_table("ledger_checkpoints")
    with op.batch_alter_table("land_title", schema=None) as batch_op:
        batch_op.drop_index(
            "land_one_current_title", sqlite_where=sa.text("current"), postgresql_where=sa.text("current")
        )
        batch_op.drop_index(batch_op.f("ix_land_title_parcel_id"))
        batch_op.drop_index(batch_op.f("ix_land_title_owner_id"))
        batch_op.drop_index(batch_op.f("ix_land_title_current"))

    op.drop_table("land_title")
    with op.batch_alter_table("identity_credential_schema", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_credential_schema_issuer_id"))

    op.drop_table("identity_credential_schema")
    with op.batch_alter_table("identity_citizen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_citizen_enrolled_by"))

    op.drop_table("identity_citizen")
    op.drop_table("ledger_witness_state")
    with op.batch_alter_table("ledger_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_logs_name"))

    op.drop_table("ledger_logs")
    op.drop_table("land_parcel")
    op.drop_table("identity_agency")
    with op.batch_alter_table("credentials_presentation_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_presentation_request_requested_by"))

    op.drop_table("credentials_presentation_request")
    with op.batch_alter_table("credentials_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_offer_state"))
        batch_op.drop_index(batch_op.f("ix_credentials_offer_code"))

    op.drop_table("credentials_offer")
    with op.batch_alter_table("credentials_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_nonce_expires_at"))

    op.drop_table("credentials_nonce")
    op.drop_table("auth_api_keys")
    op.drop_table("agency_idempotency_keys")
