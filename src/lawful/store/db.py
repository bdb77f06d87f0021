"""Engine factory and migrations.

SQLite is tuned so that erasure is real: ``secure_delete`` overwrites freed pages with zeros,
and WAL checkpoints are forced after destruction (see ``lawful.subjects.service.destroy``).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from lawful.errors import StoreError


class Base(DeclarativeBase):
    """Declarative base shared by every domain's tables."""


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine_for(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with lawful's connection settings."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = sa.create_engine(url, **kwargs)
    if is_sqlite(engine):
        event.listen(engine, "connect", _tune_sqlite)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so that
        # ``BEGIN IMMEDIATE`` can be used where a writer must hold the lock (audit chain).
        event.listen(engine, "connect", _disable_pysqlite_begin)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: sa.Connection) -> None:
    mode = conn.info.pop("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def read_only(conn: sa.Connection) -> sa.Connection:
    """Begin the next SQLite transaction DEFERRED, so a long read does not hold the write lock."""
    conn.info["sqlite_begin"] = "DEFERRED"
    return conn


def flush_later(session: Session) -> bool:
    """On PostgreSQL, let this transaction's COMMIT return once its commit record is written,
    before the WAL is flushed to disk; True when it did. The caller must then call
    :func:`flush_wal` before acknowledging anything the transaction wrote.

    Why: a transaction that appends to the audit chain holds the chain lock until its COMMIT
    returns, and a durable COMMIT waits for an fsync (~2 ms here) — so every writer of every
    process queued behind one fsync after another. Committed this way, the lock is released
    at once, and the flushes that follow overlap: PostgreSQL flushes for all waiting backends
    together. Nothing is lost that was acknowledged: the WAL is written in order, so a flush
    that makes a later transaction durable makes every earlier one durable too."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    session.connection().exec_driver_sql("SET LOCAL synchronous_commit = off")
    return True


def flush_wal(sessions: sessionmaker[Session]) -> None:
    """Wait until everything committed so far is on disk (PostgreSQL).

    A durable COMMIT flushes the WAL up to its own commit record, and with it every commit
    before — but only a transaction that wrote WAL waits for that (one that merely has an id,
    from ``txid_current()``, commits asynchronously). A transactional logical-decoding message
    is the smallest such write: one WAL record, no table, no row lock to queue on."""
    # A Connection, not a Session: it runs after every batch of web submissions, and a
    # Session's machinery costs more than this one statement.
    with sessions.kw["bind"].connect() as connection:
        connection.exec_driver_sql("SELECT pg_logical_emit_message(true, 'lawful', 'flush')")
        connection.commit()


def insert_for(session: Session) -> Any:
    """The backend's own ``insert`` construct (``ON CONFLICT`` for upserts): lawful runs on
    SQLite and PostgreSQL, whose dialects both offer it."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise StoreError(f"lawful does not support the {dialect} backend")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    location = resources.files("lawful.store") / "migrations"
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command

    _import_all_models()
    try:
        command.upgrade(alembic_config(engine), "head")
    except sa.exc.OperationalError as exc:
        raise StoreError(f"cannot migrate the database: {type(exc.orig).__name__}") from None


def _import_all_models() -> None:
    """Import every domain's models so that ``Base.metadata`` knows all tables."""
    import lawful.audit.models
    import lawful.authority.models
    import lawful.backup.models
    import lawful.collection.models
    import lawful.connectors.models
    import lawful.consent.models
    import lawful.crypto.models
    import lawful.destruction.models
    import lawful.documents.models
    import lawful.incidents.models
    import lawful.intake.models
    import lawful.jobs.models
    import lawful.requests.models
    import lawful.retention.models
    import lawful.subjects.models
    import lawful.throttle.models
    import lawful.transfers.models
    import lawful.users.models  # noqa: F401


def purge_freed_pages(engine: Engine) -> None:
    """Make deleted rows unrecoverable from the files: on SQLite, fold the WAL into the database
    (whose freed pages ``secure_delete`` has zeroed) and truncate it. PostgreSQL keeps dead
    tuples until VACUUM; the destroyed data key is what protects the data there."""
    if is_sqlite(engine):
        raw = engine.raw_connection()  # autocommit: a checkpoint cannot run inside a transaction
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
