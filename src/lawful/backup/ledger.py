"""The erasure ledger: who was erased, kept where restoring the database cannot roll it back.

Each entry is a subject's random id, the purpose when only that purpose's values were
destroyed (retention, withdrawn consent), the time and the reason (no personal data). Entries are
written by a ``before_commit`` hook of the transaction that erases, so the ledger is durable
before the erasure is acknowledged; should that commit then fail, the ledger holds an erasure
that did not happen and the next :func:`reapply` completes it — the ledger errs towards
erasure, never towards resurrection. The database keeps its own mark (``erasure_mark``): the
newest entry it has applied, rolled back by a restore like everything else, so :func:`reapply`
after a restore erases again exactly those erased since the backup was taken.

An engine gets a ledger with :func:`attach` (``open_lawful`` does it); erasures in an engine
without one are not recorded (tests over bare engines).
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lawful.backup.models import ErasureMark
from lawful.errors import BackupError

_PENDING = "lawful.erasures.pending"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS erasures ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " subject_id TEXT NOT NULL,"
    " purpose TEXT,"
    " erased_at TEXT NOT NULL,"
    " reason TEXT NOT NULL)"
)
_LEDGERS: weakref.WeakKeyDictionary[Engine, ErasureLedger] = weakref.WeakKeyDictionary()
REAPPLY_ACTOR = "lawful:erasure-ledger"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erasure:
    seq: int
    subject_id: str
    #: None: the whole subject was erased.
    purpose: str | None
    erased_at: datetime
    reason: str


Pending = tuple[str, str | None, datetime, str]


class ErasureLedger:
    """An append-only SQLite file; every write is synced before it returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise BackupError(f"cannot open the erasure ledger {self.path}") from exc
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # an acknowledged erasure survives a crash
        return conn

    def append(self, entries: Sequence[Pending]) -> int:
        """Record erasures; return the newest ``seq``."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO erasures (subject_id, purpose, erased_at, reason) VALUES (?, ?, ?, ?)",
                [(s, p, _iso(at), why) for s, p, at, why in entries],
            )
            newest = int(conn.execute("SELECT max(seq) FROM erasures").fetchone()[0])
            conn.execute("COMMIT")
            return newest
        finally:
            conn.close()

    def after(self, seq: int) -> Iterator[Erasure]:
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT seq, subject_id, purpose, erased_at, reason FROM erasures WHERE seq > ? "
                "ORDER BY seq",
                (seq,),
            ).fetchall()
        finally:
            conn.close()
        for number, subject_id, purpose, at, reason in rows:
            yield Erasure(number, subject_id, purpose, datetime.fromisoformat(at), reason)

    def newest(self) -> int:
        conn = self._connect()
        try:
            return int(conn.execute("SELECT coalesce(max(seq), 0) FROM erasures").fetchone()[0])
        finally:
            conn.close()


@functools.lru_cache(maxsize=64)
def _iso(at: datetime) -> str:
    """An erasure's time as the ledger keeps it; cached: the erasures noted together
    (:func:`note_erasures`, a hundred thousand in a sweep) share one time."""
    return at.astimezone(UTC).isoformat()


def attach(engine: Engine, path: Path) -> ErasureLedger:
    """Record every erasure committed through ``engine`` in the ledger at ``path``."""
    ledger = ErasureLedger(path)
    _LEDGERS[engine] = ledger
    return ledger


def ledger_of(engine: Engine) -> ErasureLedger | None:
    return _LEDGERS.get(engine)


def note_erasure(
    session: Session, subject_id: str, reason: str, *, purpose: str | None = None
) -> None:
    """Called by ``subjects.service.destroy_subject`` (and ``destroy_purpose_values`` with the
    purpose): ledger the erasure when the transaction commits."""
    note_erasures(session, (subject_id,), reason, purpose=purpose)


def note_erasures(
    session: Session, subject_ids: Iterable[str], reason: str, *, purpose: str | None = None
) -> None:
    """:func:`note_erasure` of many subjects at once (``shred``), at one time."""
    pending: list[Pending] = session.info.setdefault(_PENDING, [])
    at, why = datetime.now(UTC), reason[:200]
    pending.extend((subject_id, purpose, at, why) for subject_id in subject_ids)


def _engine(session: Session) -> Engine | None:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else getattr(bind, "engine", None)


@sa.event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    engine = _engine(session) if pending else None
    ledger = ledger_of(engine) if engine is not None else None
    if pending and ledger is not None:
        _set_mark(session, ledger.append(pending))


@sa.event.listens_for(Session, "after_rollback")
def _discard_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _mark(session: Session) -> int:
    return int(session.scalar(sa.select(ErasureMark.seq).where(ErasureMark.id == 1)) or 0)


def _set_mark(session: Session, seq: int) -> None:
    """Move the database's mark forward to ``seq`` (never back)."""
    current = session.scalar(sa.select(ErasureMark.seq).where(ErasureMark.id == 1))
    if current is None:
        session.execute(sa.insert(ErasureMark).values(id=1, seq=seq))
    elif seq > current:
        session.execute(sa.update(ErasureMark).where(ErasureMark.id == 1).values(seq=seq))


def reapply(sessions: sessionmaker[Session], ledger: ErasureLedger) -> list[str]:
    """Erase again every ledgered subject the database still holds (after a restore); return
    their ids. Each re-applied erasure is journalled as a ``destroy``."""
    from lawful.subjects.models import Subject

    redone: list[str] = []
    with sessions.begin() as session:
        newest = ledger.newest()
        since = _mark(session)
        if newest <= since:
            return redone
        for erasure in ledger.after(since):
            if session.get(Subject, erasure.subject_id) is not None and _redo(session, erasure):
                redone.append(erasure.subject_id)
        session.info.pop(_PENDING, None)  # already in the ledger: do not record them twice
        _set_mark(session, newest)
    if redone:  # a count only: ids are pseudonymous, but logs outlive erasure
        logger.warning("re-applied %d erasure(s) the database had lost (restored?)", len(redone))
    return redone


def _redo(session: Session, erasure: Erasure) -> bool:
    """Erase again; a purpose's values still in a restored database all predate the backup,
    hence the erasure, so all of them go."""
    from lawful.subjects.service import destroy_purpose_values, destroy_subject

    reason = f"erasure of {erasure.erased_at.isoformat()} re-applied after restore"
    if erasure.purpose is None:
        destroy_subject(
            session=session, subject_id=erasure.subject_id, actor=REAPPLY_ACTOR, reason=reason
        )
        return True
    removed = destroy_purpose_values(
        session=session,
        subject_id=erasure.subject_id,
        purpose=erasure.purpose,
        actor=REAPPLY_ACTOR,
        reason=reason,
    )
    return removed > 0
