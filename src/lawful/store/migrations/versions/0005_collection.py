"""submissions idempotency keys

Revision ID: 0005_collection
Revises: 0004_consent
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_collection"
down_revision = "0004_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("request_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_digest"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
