"""retention: purpose-achieved events, legal holds, sweep runs, anonymised counts

Revision ID: 0008_retention
Revises: 0007_transfers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_retention"
down_revision = "0007_transfers"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_AT = sa.DateTime(timezone=True)


def _subject_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "retention_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", _AT, nullable=False),
        _subject_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_retention_events_subject_event", "retention_events", ["subject_id", "event"]
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("placed_at", _AT, nullable=False),
        _subject_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_holds_subject_id", "legal_holds", ["subject_id"])
    op.create_table(
        "sweep_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("as_of", _AT, nullable=False),
        sa.Column("started_at", _AT, nullable=False),
        sa.Column("finished_at", _AT, nullable=True),
        sa.Column("cursor", sa.String(length=32), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("destroyed_values", _ID, nullable=False),
        sa.Column("anonymised_values", _ID, nullable=False),
        sa.Column("shredded_subjects", _ID, nullable=False),
        sa.Column("held_values", _ID, nullable=False),
        sa.Column("act_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sweep_runs_status", "sweep_runs", ["status"])
    op.create_table(
        "sweep_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["sweep_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sweep_items_run_id", "sweep_items", ["run_id"])
    op.create_table(
        "anonymised_counts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=128), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("values", _ID, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("purpose", "category", "month", name="uq_anonymised_counts_key"),
    )


def downgrade() -> None:
    for table in (
        "anonymised_counts",
        "sweep_items",
        "sweep_runs",
        "legal_holds",
        "retention_events",
    ):
        op.drop_table(table)
