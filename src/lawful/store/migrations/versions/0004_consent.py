"""consent records and their history

Revision ID: 0004_consent
Revises: 0003_documents
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_consent"
down_revision = "0003_documents"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_STATES = "'given', 'refused', 'renewal_needed', 'withdrawn', 'expired', 'invalidated'"


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("document_kind", sa.String(length=64), nullable=True),
        sa.Column("document_language", sa.String(length=16), nullable=True),
        sa.Column("document_version", sa.Integer(), nullable=True),
        sa.Column("text_hash", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evidence_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("form_id", sa.String(length=128), nullable=True),
        sa.Column("jurisdictions", _JSON, nullable=False),
        sa.Column("distribution_terms", _JSON, nullable=True),
        sa.CheckConstraint(f"state IN ({_STATES})", name="ck_consent_records_state"),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consent_records_subject_id", "consent_records", ["subject_id"])
    op.create_index(
        "uq_consent_records_current",
        "consent_records",
        ["subject_id", "purpose"],
        unique=True,
        sqlite_where=sa.text("is_current = 1"),
        postgresql_where=sa.text("is_current"),
    )
    op.create_table(
        "consent_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("consent_id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("previous_state", sa.String(length=16), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["consent_id"], ["consent_records.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consent_events_consent_id", "consent_events", ["consent_id"])
    op.create_index("ix_consent_events_subject_id", "consent_events", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_consent_events_subject_id", table_name="consent_events")
    op.drop_index("ix_consent_events_consent_id", table_name="consent_events")
    op.drop_table("consent_events")
    op.drop_index("uq_consent_records_current", table_name="consent_records")
    op.drop_index("ix_consent_records_subject_id", table_name="consent_records")
    op.drop_table("consent_records")
