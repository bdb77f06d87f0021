"""data-subject requests, destruction acts, the authority register

Revision ID: 0006_requests
Revises: 0005_collection
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_requests"
down_revision = "0005_collection"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authority_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_source", sa.String(length=300), nullable=False),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("master_key_id", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("answer_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_authority_requests_due_at"), "authority_requests", ["due_at"], unique=False
    )
    op.create_index(
        op.f("ix_authority_requests_state"), "authority_requests", ["state"], unique=False
    )

    op.create_table(
        "destruction_acts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("operator", sa.Text(), nullable=False),
        sa.Column("processor", sa.Text(), nullable=True),
        sa.Column("destroyed_by", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("information_system", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("keep_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_extract", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(
        op.f("ix_destruction_acts_keep_until"), "destruction_acts", ["keep_until"], unique=False
    )

    op.create_table(
        "requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        sa.Column("identifier_kind", sa.String(length=16), nullable=False),
        sa.Column("identifier_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("master_key_id", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verification", sa.String(length=16), nullable=True),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("response_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_requests_identifier_digest"), "requests", ["identifier_digest"], unique=False
    )
    op.create_index(op.f("ix_requests_received_at"), "requests", ["received_at"], unique=False)
    op.create_index(op.f("ix_requests_state"), "requests", ["state"], unique=False)
    op.create_index(op.f("ix_requests_subject_id"), "requests", ["subject_id"], unique=False)

    op.create_table(
        "authority_documents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("authority_request_id", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("sealed_name", sa.LargeBinary(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_request_id"], ["authority_requests.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_authority_documents_authority_request_id"),
        "authority_documents",
        ["authority_request_id"],
        unique=False,
    )

    op.create_table(
        "destruction_act_subjects",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("act_id", sa.String(length=32), nullable=False),
        sa.Column("subject_ref", sa.String(length=32), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["act_id"], ["destruction_acts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_destruction_act_subjects_act_id"),
        "destruction_act_subjects",
        ["act_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_destruction_act_subjects_subject_ref"),
        "destruction_act_subjects",
        ["subject_ref"],
        unique=False,
    )

    op.create_table(
        "request_codes",
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_table(
        "request_deadlines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=24), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_request_deadlines_due_at"), "request_deadlines", ["due_at"], unique=False
    )
    op.create_index(
        op.f("ix_request_deadlines_request_id"), "request_deadlines", ["request_id"], unique=False
    )

    op.create_table(
        "request_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_request_events_request_id"), "request_events", ["request_id"], unique=False
    )

    op.create_table(
        "request_files",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("sealed_name", sa.LargeBinary(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_request_files_request_id"), "request_files", ["request_id"], unique=False
    )

    op.create_table(
        "request_downloads",
        sa.Column("token_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["file_id"], ["request_files.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_digest"),
    )
    op.create_index(
        op.f("ix_request_downloads_request_id"), "request_downloads", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_request_downloads_request_id"), table_name="request_downloads")

    op.drop_table("request_downloads")
    op.drop_index(op.f("ix_request_files_request_id"), table_name="request_files")

    op.drop_table("request_files")
    op.drop_index(op.f("ix_request_events_request_id"), table_name="request_events")

    op.drop_table("request_events")
    op.drop_index(op.f("ix_request_deadlines_request_id"), table_name="request_deadlines")
    op.drop_index(op.f("ix_request_deadlines_due_at"), table_name="request_deadlines")

    op.drop_table("request_deadlines")
    op.drop_table("request_codes")
    op.drop_index(
        op.f("ix_destruction_act_subjects_subject_ref"), table_name="destruction_act_subjects"
    )
    op.drop_index(op.f("ix_destruction_act_subjects_act_id"), table_name="destruction_act_subjects")

    op.drop_table("destruction_act_subjects")
    op.drop_index(
        op.f("ix_authority_documents_authority_request_id"), table_name="authority_documents"
    )

    op.drop_table("authority_documents")
    op.drop_index(op.f("ix_requests_subject_id"), table_name="requests")
    op.drop_index(op.f("ix_requests_state"), table_name="requests")
    op.drop_index(op.f("ix_requests_received_at"), table_name="requests")
    op.drop_index(op.f("ix_requests_identifier_digest"), table_name="requests")

    op.drop_table("requests")
    op.drop_index(op.f("ix_destruction_acts_keep_until"), table_name="destruction_acts")

    op.drop_table("destruction_acts")
    op.drop_index(op.f("ix_authority_requests_state"), table_name="authority_requests")
    op.drop_index(op.f("ix_authority_requests_due_at"), table_name="authority_requests")

    op.drop_table("authority_requests")
