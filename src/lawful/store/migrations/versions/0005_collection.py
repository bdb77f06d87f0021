"""submissions idempotency keys

Revision ID: 0005_collection
Revises: 0004_consent
"""

from __future__ import annotations

revision = "0005_collection"
down_revision = "0004_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
