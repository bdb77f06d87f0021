"""Alembic environment: runs on the engine lawful hands over (``config.attributes['engine']``)."""

from __future__ import annotations

from alembic import context

from lawful.store.db import Base

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
