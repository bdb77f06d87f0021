"""consent records and their history

Revision ID: 0004_consent
Revises: 0003_documents
"""

from __future__ import annotations

revision = "0004_consent"
down_revision = "0003_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
