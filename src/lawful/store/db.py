"""Engine factory and migrations.

SQLite is tuned so that erasure is real: ``secure_delete`` overwrites freed pages with zeros,
and WAL checkpoints are forced after destruction (see ``lawful.subjects.service.destroy``).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
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


def create_engine_for(url: str, *, queue_writers: bool = False, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with lawful's connection settings.

    ``queue_writers``: on SQLite, writers wait at a :class:`WriterGate` (a lock file beside
    the database) — for the store that servers and workers share; a one-off file such as a
    backup is left as the single file it is."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = sa.create_engine(url, **kwargs)
    if is_sqlite(engine):
        event.listen(engine, "connect", _tune_sqlite)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so that
        # ``BEGIN IMMEDIATE`` can be used where a writer must hold the lock (audit chain).
        event.listen(engine, "connect", _disable_pysqlite_begin)
        gate = _queue_writers(engine) if queue_writers else None
        event.listen(engine, "begin", lambda conn: _sqlite_begin(conn, gate))
    return engine


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: sa.Connection, gate: WriterGate | None) -> None:
    mode = conn.info.pop("sqlite_begin", "IMMEDIATE")
    if mode == "DEFERRED":
        gate = None
    if gate is not None:
        gate.enter(conn.connection.dbapi_connection)
    try:
        conn.exec_driver_sql(f"BEGIN {mode}")
    except BaseException:
        if gate is not None:
            gate.leave(conn.connection.dbapi_connection)
        raise


#: How long a writer waits its turn before leaving it to SQLite's own busy timeout, as long.
WRITER_WAIT_SECONDS = 10.0


class WriterGate:
    """Writers to one SQLite file wait their turn here, one at a time, before ``BEGIN
    IMMEDIATE``: threads on a lock, processes on an advisory lock of a file beside the database.

    Why: SQLite lets one writer in and answers every other with "busy"; its busy handler then
    sleeps 1, 2, 5, 10, 15, 20, 25 … ms and tries again. Under concurrent requests the lock is
    free again long before the sleeper wakes, so writers slept more than they worked (four
    clients on two server processes: p95 latency 285 ms, a third more CPU per request). A
    waiter here wakes as soon as the writer before it commits. The gate only orders writers
    that would have waited anyway: past :data:`WRITER_WAIT_SECONDS` a writer goes on and
    SQLite's busy timeout decides, as before."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._threads = threading.Lock()
        self._holder: Any = None
        self._pid = -1
        self._fd = -1

    def enter(self, dbapi_connection: Any) -> None:
        deadline = time.monotonic() + WRITER_WAIT_SECONDS
        if not self._threads.acquire(timeout=WRITER_WAIT_SECONDS):
            return
        if not self._lock_file(deadline):
            self._threads.release()
            return
        self._holder = dbapi_connection

    def leave(self, dbapi_connection: Any) -> None:
        """Called after every COMMIT and ROLLBACK; only the connection that entered leaves."""
        if self._holder is None or self._holder is not dbapi_connection:
            return
        self._holder = None
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def _lock_file(self, deadline: float) -> bool:
        """The other processes' turn: ``flock`` cannot time out, so try it without blocking,
        after pauses that grow from 0.1 to 1 ms (a write transaction here takes a few ms)."""
        if self._pid != os.getpid():  # a forked child must not share its parent's lock
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        pause = 0.0001
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.001)


_gates: dict[str, WriterGate] = {}
_gates_lock = threading.Lock()


def _queue_writers(engine: Engine) -> WriterGate | None:
    """Put the engine's writers behind the :class:`WriterGate` of its file (one per file in a
    process, shared by every engine on it). An in-memory database has no other writer."""
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    path = os.path.realpath(database)
    with _gates_lock:
        gate = _gates.setdefault(path, WriterGate(f"{path}-writer.lock"))
    # The Connection's commit and rollback events fire before the statement; the gate must
    # open after it, and also when the pool rolls back a connection given back mid-transaction.
    dialect = engine.dialect
    dialect.do_commit = _then_leave(dialect.do_commit, gate)  # type: ignore[method-assign, assignment]
    dialect.do_rollback = _then_leave(dialect.do_rollback, gate)  # type: ignore[method-assign, assignment]
    event.listen(engine, "close", lambda dbapi, _record: gate.leave(dbapi))
    event.listen(engine, "invalidate", lambda dbapi, _record, _exc: gate.leave(dbapi))
    return gate


def _then_leave(end: Callable[[Any], None], gate: WriterGate) -> Callable[[Any], None]:
    """The dialect's COMMIT or ROLLBACK, then the connection's turn at ``gate`` ends."""

    def ended(connection: Any) -> None:
        try:
            end(connection)
        finally:
            gate.leave(getattr(connection, "dbapi_connection", connection))

    return ended


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
    return insert_for_dialect(session.get_bind().dialect.name)


def insert_for_dialect(dialect: str) -> Any:
    """:func:`insert_for` by the dialect's name."""
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
