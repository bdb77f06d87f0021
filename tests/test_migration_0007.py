"""Migration 0007 creates exactly the tables of transfers, incidents and the erasure mark."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from lawful.store.db import Base

TABLES = ("transfers", "incidents", "incident_notices", "erasure_mark")


def test_the_0007_migration_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert [d for d in differences if any(f"'{t}'" in repr(d) for t in TABLES)] == []
