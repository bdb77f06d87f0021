"""Schema, engine and migrations. SQLite (WAL, foreign keys, secure delete) by default;
PostgreSQL for scale. Repositories live in the domain packages; this package only knows tables."""

from lawful.store.db import Base, create_engine_for, make_session_factory, migrate

__all__ = ["Base", "create_engine_for", "make_session_factory", "migrate"]
