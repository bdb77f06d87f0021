"""SQLite writers wait their turn at the :class:`~lawful.store.db.WriterGate`, not in SQLite's
busy handler: threads on a lock, processes on an advisory lock of a file beside the database."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.documents.service import reading
from lawful.store import db
from lawful.store.db import create_engine_for


@pytest.fixture()
def file_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'gate.db'}", queue_writers=True)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    yield engine
    engine.dispose()


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one())


def _gate_file(engine: sa.Engine) -> Path:
    return Path(os.path.realpath(str(engine.url.database)) + "-writer.lock")


def test_a_second_writer_waits_at_the_gate_until_the_first_commits(file_engine):
    order: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with file_engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            first_in.set()
            time.sleep(0.3)
            order.append("first commits")

    def second() -> None:
        first_in.wait()
        with file_engine.begin() as conn:
            order.append("second begins")
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert order == ["first commits", "second begins"]
    assert _count(file_engine) == 2


def test_many_concurrent_writers_all_land(file_engine):
    def write(n: int) -> None:
        for i in range(25):
            with file_engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (?)", (n * 100 + i,))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _count(file_engine) == 200


def test_a_reader_does_not_wait_for_a_writer(file_engine):
    with file_engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        seen: list[int] = []
        reader = threading.Thread(
            target=lambda: seen.append(_read(file_engine)), name="reader", daemon=True
        )
        reader.start()
        reader.join(timeout=5)
        assert seen == [0]  # the reader ran while the write was open, and saw before it


def _read(engine: sa.Engine) -> int:
    with reading(engine) as session:
        return int(session.execute(sa.text("SELECT count(*) FROM t")).scalar_one())


@pytest.mark.parametrize("ending", ["rollback", "error", "closed unfinished"])
def test_the_gate_opens_however_the_transaction_ends(file_engine, ending):
    if ending == "rollback":
        with file_engine.connect() as conn:
            conn.begin()
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            conn.rollback()
    elif ending == "error":
        with pytest.raises(sa.exc.OperationalError), file_engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")
    else:
        session = Session(file_engine)
        session.execute(sa.text("INSERT INTO t VALUES (1)"))
        session.close()  # given back to the pool mid-transaction: rolled back there
    done = threading.Event()

    def write() -> None:
        with file_engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(timeout=5), "the gate stayed shut after the transaction ended"
    assert _count(file_engine) == 1


_HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextmanager
def _holding(gate_file: Path, seconds: float, *, kill: bool = False) -> Iterator[None]:
    """Another process holds the gate's file lock for ``seconds``."""
    command = [sys.executable, "-c", _HOLD, str(gate_file), str(seconds)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as holder:  # noqa: S603
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        try:
            yield
        finally:
            if kill:
                holder.kill()
            holder.wait(timeout=10)


def test_a_writer_in_another_process_holds_the_turn(file_engine):
    gate_file = _gate_file(file_engine)
    with _holding(gate_file, 0.4):
        began = time.monotonic()
        with file_engine.begin() as conn:
            waited = time.monotonic() - began
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert waited >= 0.2  # it waited for the other process's turn to end
    assert _count(file_engine) == 1


def test_past_the_wait_sqlite_decides_as_before(file_engine, monkeypatch):
    monkeypatch.setattr(db, "WRITER_WAIT_SECONDS", 0.2)
    gate_file = _gate_file(file_engine)
    with _holding(gate_file, 3, kill=True):
        began = time.monotonic()
        with file_engine.begin() as conn:  # the database itself is free: the write goes on
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert time.monotonic() - began < 2.5
    assert _count(file_engine) == 1
    # and the gate is usable again once the other process is gone
    with file_engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    assert _count(file_engine) == 2


def test_an_in_memory_database_has_no_gate():
    engine = create_engine_for("sqlite://", queue_writers=True)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert _count(engine) == 1


def test_the_gate_file_is_private(file_engine):
    with file_engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert _gate_file(file_engine).stat().st_mode & 0o777 == 0o600
    fd = os.open(_gate_file(file_engine), os.O_RDWR)
    try:  # and nobody holds it once the write is over
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)


def test_an_engine_that_does_not_queue_writers_leaves_no_gate_file(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'one.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.db"]
