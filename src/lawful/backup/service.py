"""``backup`` and ``restore``: one consistent SQLite file, from and to either backend.

Why one format. On SQLite the file is made by SQLite's online backup API, an exact page copy
of one consistent state taken while the system runs. On PostgreSQL every table is read inside
one ``REPEATABLE READ READ ONLY`` transaction — one snapshot, as ``pg_dump`` takes — and written
into the same kind of SQLite file through lawful's own table definitions. ``pg_dump`` was not
chosen: its output is tied to server and client versions and to schema names, needs the
client binaries on the host, and could only be restored by ``pg_restore``, outside the
transaction that must also re-apply erasures. One format also lets a backup move between
backends.

What a restore guarantees. The data are replaced in one step (SQLite: the backup API writes
the live file under its lock; PostgreSQL: one transaction truncates and reloads), the schema
is migrated, and then — before ``restore`` returns and before ``open_lawful`` hands the
database to a server — every erasure in the ledger since the backup's point is applied again
and journalled (:func:`lawful.backup.ledger.reapply`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lawful import audit
from lawful.backup.ledger import ErasureLedger, reapply
from lawful.errors import BackupError
from lawful.store.db import (
    Base,
    create_engine_for,
    is_sqlite,
    make_session_factory,
    migrate,
    purge_freed_pages,
)

CHUNK = 5_000
ACTOR = "lawful:backup"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    revision: str
    backend: str


@dataclass(frozen=True)
class RestoreResult:
    taken_at: datetime
    reapplied: list[str]


def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("only a SQLite database in a file can be backed up")
    return Path(database)


def _revision(conn: sa.Connection) -> str:
    return str(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one())


# --- backup --------------------------------------------------------------------------------


def backup(engine: Engine, dest: Path, *, now: datetime | None = None) -> BackupInfo:
    """Write a consistent copy of the whole database to ``dest`` (a new file)."""
    if dest.exists():
        raise BackupError(f"{dest} exists; choose a new file")
    at = now or datetime.now(UTC)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        if is_sqlite(engine):
            revision = _copy_sqlite(engine, dest)
        else:
            revision = _snapshot_postgres(engine, dest)
        _write_meta(dest, at, revision, engine.dialect.name)
    except BaseException:
        dest.unlink(missing_ok=True)  # no half-written backup is left to be trusted
        raise
    _journal(engine, "backup", {"file": dest.name, "revision": revision}, datetime.now(UTC))
    return BackupInfo(dest, at, revision, engine.dialect.name)


def _journal(engine: Engine, action: str, details: dict[str, Any], at: datetime) -> None:
    with make_session_factory(engine).begin() as session:
        audit.append(session, audit.Event(action, ACTOR, details=details), at=at)


def _copy_sqlite(engine: Engine, dest: Path) -> str:
    source = sqlite3.connect(_sqlite_file(engine))
    target = sqlite3.connect(dest)
    try:
        source.backup(target)
        return str(target.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        target.close()
        source.close()


def _snapshot_postgres(engine: Engine, dest: Path) -> str:
    file_engine = create_engine_for(f"sqlite:///{dest}")
    try:
        Base.metadata.create_all(file_engine)
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as source,
            file_engine.begin() as target,
        ):
            source.execute(sa.text("SET TRANSACTION READ ONLY"))
            revision = _revision(source)
            for table in Base.metadata.sorted_tables:
                for rows in _chunks(source, table):
                    target.execute(table.insert(), rows)
            target.execute(sa.text("CREATE TABLE alembic_version (version_num TEXT NOT NULL)"))
            target.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": revision})
            source.rollback()
        return revision
    finally:
        file_engine.dispose()


def _chunks(conn: sa.Connection, table: sa.Table) -> Iterator[list[dict[str, Any]]]:
    result = conn.execute(sa.select(table)).mappings()
    while rows := result.fetchmany(CHUNK):
        yield [dict(row) for row in rows]


def _write_meta(dest: Path, at: datetime, revision: str, backend: str) -> None:
    conn = sqlite3.connect(dest)
    try:
        # One self-contained file: no -wal beside it to forget when the backup is copied.
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("CREATE TABLE lawful_backup (taken_at TEXT, revision TEXT, backend TEXT)")
        conn.execute(
            "INSERT INTO lawful_backup VALUES (?, ?, ?)", (at.isoformat(), revision, backend)
        )
        conn.commit()
    finally:
        conn.close()


def read_meta(path: Path) -> BackupInfo:
    """What a backup file says of itself; ``BackupError`` if it is not a lawful backup."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT taken_at, revision, backend FROM lawful_backup").fetchone()
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} is not a lawful backup") from None
    finally:
        conn.close()
    return BackupInfo(path, datetime.fromisoformat(row[0]), row[1], row[2])


# --- restore -------------------------------------------------------------------------------


def restore(engine: Engine, source: Path, ledger: ErasureLedger) -> RestoreResult:
    """Replace the database with ``source``, then erase again everyone the ledger says."""
    info = read_meta(source)
    engine.dispose()  # no pooled connection may keep writing to the old state
    if is_sqlite(engine):
        _restore_sqlite(engine, source)
    else:
        _restore_postgres(engine, source, info)
    engine.dispose()
    migrate(engine)
    redone = reapply(make_session_factory(engine), ledger)
    purge_freed_pages(engine)
    details = {"taken_at": info.taken_at.isoformat(), "reapplied": len(redone)}
    _journal(engine, "restore", details, datetime.now(UTC))
    return RestoreResult(info.taken_at, redone)


def _restore_sqlite(engine: Engine, source: Path) -> None:
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(_sqlite_file(engine))
    try:
        origin.backup(target)
        target.execute("DROP TABLE IF EXISTS lawful_backup")
        target.commit()
    finally:
        target.close()
        origin.close()


def _restore_postgres(engine: Engine, source: Path, info: BackupInfo) -> None:
    with engine.connect() as conn:
        current = _revision(conn)
    if current != info.revision:
        raise BackupError(
            f"the backup has schema {info.revision}, this database {current}: restore it with "
            "the lawful version that made it, then upgrade"
        )
    file_engine = create_engine_for(f"sqlite:///{source}")
    tables = Base.metadata.sorted_tables
    try:
        with file_engine.connect() as origin, engine.begin() as target:
            names = ", ".join(f'"{t.name}"' for t in tables)
            target.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for table in tables:
                for rows in _chunks(origin, table):
                    target.execute(table.insert(), rows)
            _reset_sequences(target, tables)
    finally:
        file_engine.dispose()


def _reset_sequences(conn: sa.Connection, tables: list[sa.Table]) -> None:
    """Identity columns continue after the restored ids."""
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement in (True, "auto") and isinstance(column.type, sa.Integer):
                after = sa.select(sa.func.coalesce(sa.func.max(column), 0) + 1)
                sequence = sa.func.pg_get_serial_sequence(table.name, column.name)
                conn.execute(sa.select(sa.func.setval(sequence, after.scalar_subquery(), False)))
