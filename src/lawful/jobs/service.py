"""Enqueue, claim, complete and fail jobs: the queue's whole contract, with no worker loop.

Delivery is *at least once*: a handler's effects and the job's completion commit in separate
transactions, so a crash between them runs the job again. Handlers must be idempotent.

Claiming is atomic on both backends, so two workers never hold the same job at once:

* PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks a row no one else holds, and the same
  transaction marks it running. Concurrent workers skip each other's rows instead of waiting.
* SQLite: one conditional ``UPDATE … WHERE id = (SELECT … LIMIT 1) AND <still claimable>
  RETURNING …``. lawful opens every SQLite transaction with ``BEGIN IMMEDIATE``, so claims are
  serialised by the database's write lock, and the condition makes a stale pick a no-op.

``attempts`` counts claims, not failures: a job whose worker keeps dying (say, killed for
memory) still exhausts ``max_attempts`` and goes dead instead of taking down workers forever.
Transitions out of ``running`` are fenced by (``locked_by``, ``attempts``): a worker whose lease
expired and whose job was claimed again cannot overwrite the new holder's outcome.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased

from lawful.errors import LawfulError
from lawful.jobs.models import Job, JobStatus, Payload
from lawful.store.db import insert_for_dialect

DEFAULT_LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
_LAST_ERROR_MAX = 500
_random = secrets.SystemRandom()


class PermanentJobError(LawfulError):
    """Raised by a handler when retrying cannot help (the job is malformed, the thing is gone).

    The job goes dead at once. Like every lawful error, its message must hold no personal
    data: it is stored in ``jobs.last_error`` and logged.
    """

    code = "job-permanent"


def utcnow() -> datetime:
    return datetime.now(UTC)


def enqueue(
    session: Session,
    kind: str,
    payload: Payload,
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    max_attempts: int = 5,
    fresh_key: bool = False,
) -> int | None:
    """Queue a job; return its id, or ``None`` when ``unique_key`` is already taken.

    ``payload`` must not contain personal data (see ``lawful.jobs.models``). The caller's
    transaction decides whether the job exists: enqueue in the same transaction as the change
    that needs it, and the job is queued exactly when that change commits.
    ``fresh_key``: the key is new by construction (it carries an instant), so the look-up that
    spares a sequence value is skipped; a clash still inserts nothing.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if unique_key is not None and not fresh_key and _key_taken(session, unique_key):
        return None
    now = utcnow()
    values = {
        "kind": kind,
        "payload": payload,
        "status": JobStatus.QUEUED.value,
        "run_at": run_at or now,
        "attempts": 0,
        "max_attempts": max_attempts,
        "unique_key": unique_key,
        "created_at": now,
    }
    # On the transaction's connection: the ORM's bulk-insert path costs more than the INSERT.
    dialect = session.get_bind().dialect.name
    inserted = session.connection().execute(_enqueue_statement(dialect), values)
    job_id: int | None = inserted.scalar()
    return job_id


def _key_taken(session: Session, unique_key: str) -> bool:
    """Checked before inserting so that polling schedulers do not burn a sequence value."""
    found = session.scalar(sa.select(Job.id).where(Job.unique_key == unique_key))
    return found is not None


@functools.cache
def _enqueue_statement(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (unique_key) DO NOTHING RETURNING id``: races between enqueuers
    end in one row. Built once per backend (request flows queue a job at most steps)."""
    insert = insert_for_dialect(dialect)
    return insert(Job).on_conflict_do_nothing(index_elements=["unique_key"]).returning(Job.id)


def claim(
    engine: Engine,
    worker_id: str,
    *,
    kinds: Collection[str] | None = None,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
) -> Job | None:
    """Take the next due job for ``worker_id`` in a transaction of its own, or return ``None``.

    Due means queued with ``run_at`` reached, or running with an expired lease (its worker
    died). The claim commits before the handler runs so that other workers see it at once.
    """
    now = now or utcnow()
    if kinds is not None and not kinds:
        return None
    with Session(engine, expire_on_commit=False) as session, session.begin():
        if engine.dialect.name == "sqlite":
            return _claim_with_conditional_update(session, worker_id, kinds, lease, now)
        return _claim_with_row_lock(session, worker_id, kinds, lease, now)


def _claimable(job: Any, kinds: Collection[str] | None, now: datetime) -> sa.ColumnElement[bool]:
    due = sa.and_(job.status == JobStatus.QUEUED.value, job.run_at <= now)
    orphaned = sa.and_(
        job.status == JobStatus.RUNNING.value,
        job.locked_until < now,
        job.attempts < job.max_attempts,
    )
    condition = sa.or_(due, orphaned)
    return condition if kinds is None else sa.and_(condition, job.kind.in_(list(kinds)))


def _claim_values(worker_id: str, lease: timedelta, now: datetime) -> dict[str, Any]:
    return {
        "status": JobStatus.RUNNING.value,
        "locked_by": worker_id,
        "locked_until": now + lease,
        "attempts": Job.attempts + 1,
    }


def _claim_with_conditional_update(
    session: Session,
    worker_id: str,
    kinds: Collection[str] | None,
    lease: timedelta,
    now: datetime,
) -> Job | None:
    candidate = aliased(Job)
    pick = (
        sa.select(candidate.id)
        .where(_claimable(candidate, kinds, now))
        .order_by(candidate.run_at, candidate.id)
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        sa.update(Job)
        .where(Job.id == pick, _claimable(Job, kinds, now))
        .values(_claim_values(worker_id, lease, now))
        .returning(Job)
        .execution_options(synchronize_session=False)
    )
    return session.scalars(statement).one_or_none()


def _claim_with_row_lock(
    session: Session,
    worker_id: str,
    kinds: Collection[str] | None,
    lease: timedelta,
    now: datetime,
) -> Job | None:
    pick = (
        sa.select(Job.id)
        .where(_claimable(Job, kinds, now))
        .order_by(Job.run_at, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    job_id = session.scalar(pick)
    if job_id is None:
        return None
    statement = (
        sa.update(Job)
        .where(Job.id == job_id)
        .values(_claim_values(worker_id, lease, now))
        .returning(Job)
        .execution_options(synchronize_session=False)
    )
    return session.scalars(statement).one()


def complete(session: Session, job: Job, *, now: datetime | None = None) -> bool:
    """Mark a claimed job done. ``False`` means the lease was lost and another worker owns it."""
    values = {"status": JobStatus.DONE.value, "finished_at": now or utcnow()}
    return _finish_if_still_held(session, job, values)


def fail(
    session: Session,
    job: Job,
    error: BaseException,
    *,
    now: datetime | None = None,
    permanent: bool = False,
) -> JobStatus | None:
    """Record a failed attempt: queue a retry after a backoff, or declare the job dead.

    Dead when ``permanent`` is set, when ``error`` is a :class:`PermanentJobError`, or when
    the job has used up ``max_attempts``. Returns the new status, or ``None`` when the lease
    was lost to another worker (nothing is changed then).
    """
    now = now or utcnow()
    permanent = permanent or isinstance(error, PermanentJobError)
    values: dict[str, Any] = {"last_error": describe_error(error)}
    if permanent or job.attempts >= job.max_attempts:
        values |= {"status": JobStatus.DEAD.value, "finished_at": now}
    else:
        values |= {"status": JobStatus.QUEUED.value, "run_at": now + backoff_delay(job.attempts)}
    if not _finish_if_still_held(session, job, values):
        return None
    return JobStatus(values["status"])


def _finish_if_still_held(session: Session, job: Job, values: dict[str, Any]) -> bool:
    statement = (
        sa.update(Job)
        .where(
            Job.id == job.id,
            Job.status == JobStatus.RUNNING.value,
            Job.locked_by == job.locked_by,
            Job.attempts == job.attempts,
        )
        .values(locked_by=None, locked_until=None, **values)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    return session.scalar(statement) is not None


def backoff_delay(
    attempts: int, *, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP
) -> timedelta:
    """Exponential backoff with "equal jitter": between half and all of ``base·2^(n-1)``.

    The jitter spreads out retries of jobs that failed together (a CRM outage), so they do
    not all hit the recovering service in the same second.
    """
    doublings = min(max(attempts - 1, 0), 32)  # bounded: timedelta overflows long before 2**64
    ceiling = min(base * (1 << doublings), cap)
    return ceiling / 2 + ceiling / 2 * _random.random()


def describe_error(error: BaseException) -> str:
    """What may be stored about a failure: the class name, and the message only when lawful
    wrote it (lawful's errors never carry personal data; a driver's or library's may)."""
    name = type(error).__name__
    if isinstance(error, LawfulError):
        return f"{name}: {error.message}"[:_LAST_ERROR_MAX]
    return name[:_LAST_ERROR_MAX]


def reap_abandoned(session: Session, *, now: datetime | None = None) -> int:
    """Declare dead the running jobs whose lease expired on their last allowed attempt.

    ``claim`` no longer takes them, so without this they would stay "running" forever.
    """
    now = now or utcnow()
    statement = (
        sa.update(Job)
        .where(
            Job.status == JobStatus.RUNNING.value,
            Job.locked_until < now,
            Job.attempts >= Job.max_attempts,
        )
        .values(
            status=JobStatus.DEAD.value,
            finished_at=now,
            locked_by=None,
            locked_until=None,
            last_error="LeaseExpired: the worker stopped before finishing",
        )
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    return len(session.scalars(statement).all())


def purge_finished(session: Session, *, before: datetime) -> int:
    """Delete done and dead jobs finished before ``before``: the queue is not an archive."""
    statement = (
        sa.delete(Job)
        .where(
            Job.status.in_([JobStatus.DONE.value, JobStatus.DEAD.value]),
            Job.finished_at < before,
        )
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    return len(session.scalars(statement).all())
