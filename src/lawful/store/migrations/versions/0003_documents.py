"""published documents and their versions

Revision ID: 0003_documents
Revises: 0002_jobs
"""

from __future__ import annotations

revision = "0003_documents"
down_revision = "0002_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
