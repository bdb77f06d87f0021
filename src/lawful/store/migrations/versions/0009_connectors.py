"""connector runs: one row per request and connector

Revision ID: 0009_connectors
Revises: 0008_retention
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009_connectors"
down_revision = "0008_retention"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "connector_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("connector", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("counts", _JSON, nullable=False),
        sa.Column("categories", _JSON, nullable=False),
        sa.Column("pending", _JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("person", sa.String(length=128), nullable=True),
        sa.Column("found_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "connector"),
    )
    op.create_index("ix_connector_runs_request_id", "connector_runs", ["request_id"])
    op.create_index("ix_connector_runs_state", "connector_runs", ["state"])


def downgrade() -> None:
    op.drop_table("connector_runs")
