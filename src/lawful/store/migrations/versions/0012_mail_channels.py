"""mail channels: how each message came (meta) and how far each pulled channel was read

Revision ID: 0012_mail_channels
Revises: 0011_admin_users
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012_mail_channels"
down_revision = "0011_admin_users"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("intake_messages") as batch:
        batch.add_column(sa.Column("meta", _JSON, nullable=False, server_default=sa.text("'{}'")))
    op.create_table(
        "intake_cursors",
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )


def downgrade() -> None:
    op.drop_table("intake_cursors")
    with op.batch_alter_table("intake_messages") as batch:
        batch.drop_column("meta")
