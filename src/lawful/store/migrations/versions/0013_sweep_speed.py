"""sweep speed: destruction acts' log extracts compressed with lz4 on PostgreSQL

A retention sweep's act carries one log-extract line per destroyed subject (tens of megabytes
for a hundred thousand); PostgreSQL's default pglz took longer to compress it than the sweep
took to destroy the data. lz4 (PostgreSQL 14+, when built with it) is several times faster;
where it is missing the column keeps the default. SQLite does not compress.

Revision ID: 0013_sweep_speed
Revises: 0012_mail_channels
"""

from __future__ import annotations

from alembic import op

revision = "0013_sweep_speed"
down_revision = "0012_mail_channels"
branch_labels = None
depends_on = None


def _set_compression(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Dynamic SQL inside a block that swallows the error: older servers reject the syntax,
    # servers built without lz4 the method, and either way the table stays as it was.
    op.execute(
        "DO $$ BEGIN EXECUTE 'ALTER TABLE destruction_acts ALTER COLUMN log_extract "
        f"SET COMPRESSION {method}'; EXCEPTION WHEN OTHERS THEN NULL; END $$"
    )


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("default")
