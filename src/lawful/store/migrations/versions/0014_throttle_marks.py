"""throttle marks: the portal's wrong codes, ended sessions and lock-outs in the database

They were kept in each server process's memory, so two processes counted wrong codes apart
and a restart forgot a lock-out.

Revision ID: 0014_throttle_marks
Revises: 0013_sweep_speed
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_throttle_marks"
down_revision = "0013_sweep_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle_marks",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_throttle_marks_until", "throttle_marks", ["until"])


def downgrade() -> None:
    op.drop_index("ix_throttle_marks_until", table_name="throttle_marks")
    op.drop_table("throttle_marks")
