"""The durable job queue, on SQLite and PostgreSQL: each test takes ``engine``."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from lawful.errors import NotFound
from lawful.jobs import (
    Job,
    JobContext,
    JobRegistry,
    JobStatus,
    Payload,
    PermanentJobError,
    backoff_delay,
    claim,
    complete,
    enqueue,
    purge_finished,
    run_once,
    schedule_periodic,
    start_in_thread,
)
from lawful.store.db import Base, create_engine_for, make_session_factory

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a fixed past instant: due under any clock

RUNS = sa.Table(
    "job_runs",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("worker", sa.String(128), nullable=False),
)

#: The registry child processes run: importable by name, so 'spawn' can find it.
process_registry = JobRegistry()
_this_process = {"worker": "parent"}


@process_registry.handler("test.record")
def _record_run(payload: Payload, context: JobContext) -> None:
    with context.sessions.begin() as session:
        session.execute(sa.insert(RUNS).values(n=payload["n"], worker=_this_process["worker"]))


# --- helpers -------------------------------------------------------------------------------


def add_job(
    engine: Engine,
    kind: str,
    payload: Payload | None = None,
    *,
    run_at: datetime = T0,
    max_attempts: int = 5,
) -> int:
    """Enqueue and commit; jobs are due at ``T0`` unless told otherwise."""
    with make_session_factory(engine).begin() as session:
        job_id = enqueue(session, kind, payload or {}, run_at=run_at, max_attempts=max_attempts)
    assert job_id is not None
    return job_id


def load(engine: Engine, job_id: int) -> Job:
    with Session(engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound("job")
        session.expunge(job)
        return job


def counting_registry(
    kind: str = "test.count", action: Callable[[Payload], None] | None = None
) -> tuple[JobRegistry, list[Payload]]:
    """A registry whose one handler records each payload it sees, then does ``action``."""
    registry, seen = JobRegistry(), []

    @registry.handler(kind)
    def _handle(payload: Payload, _context: JobContext) -> None:
        seen.append(payload)
        if action is not None:
            action(payload)

    return registry, seen


def raise_(error: Exception) -> Callable[[Payload], None]:
    def action(_payload: Payload) -> None:
        raise error

    return action


def engine_in_schema(url: str, schema: str | None) -> Engine:
    """An engine on ``url``; on PostgreSQL, bound to ``schema`` the way conftest binds tests."""
    engine = create_engine_for(url)
    if schema is not None:

        @event.listens_for(engine, "connect")
        def _search_path(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            with dbapi_connection.cursor() as cur:
                cur.execute(f'SET search_path TO "{schema}"')
            dbapi_connection.commit()

    return engine


def where_children_connect(engine: Engine) -> tuple[str, str | None]:
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        return url, None
    with engine.connect() as conn:
        return url, conn.execute(sa.text("select current_schema()")).scalar_one()


def drain_in_child(url: str, schema: str | None, worker_id: str, start: threading.Barrier) -> None:
    """Body of one worker process: wait for the others, then run until nothing is left."""
    engine = engine_in_schema(url, schema)
    _this_process["worker"] = worker_id
    start.wait()
    run_once(engine, process_registry, worker_id=worker_id)
    engine.dispose()


# --- enqueue and run -----------------------------------------------------------------------


def test_an_enqueued_job_runs_with_its_payload_and_is_done(engine: Engine) -> None:
    registry, seen = counting_registry()
    job_id = add_job(engine, "test.count", {"subject_id": "s1"})

    assert run_once(engine, registry, worker_id="w1") == 1

    assert seen == [{"subject_id": "s1"}]
    job = load(engine, job_id)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.DONE, 1, None)
    assert job.finished_at is not None and job.finished_at.tzinfo is not None


def test_enqueueing_the_same_unique_key_twice_is_a_no_op(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        first = enqueue(session, "test.count", {}, unique_key="reminder:r1:day-3")
        second = enqueue(session, "test.count", {}, unique_key="reminder:r1:day-3")
    with sessions.begin() as session:
        third = enqueue(session, "test.count", {}, unique_key="reminder:r1:day-3")
        count = session.scalar(sa.select(sa.func.count()).select_from(Job))

    assert first is not None and second is None and third is None
    assert count == 1


def test_a_fresh_key_skips_the_look_up_but_a_clash_still_inserts_nothing(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        first = enqueue(session, "test.count", {}, unique_key="mail:r1:1.0", fresh_key=True)
    with sessions.begin() as session:
        clash = enqueue(session, "test.count", {}, unique_key="mail:r1:1.0", fresh_key=True)
        count = session.scalar(sa.select(sa.func.count()).select_from(Job))

    assert first is not None and clash is None
    assert count == 1


def test_a_job_is_not_run_before_its_run_at(engine: Engine) -> None:
    registry, seen = counting_registry()
    add_job(engine, "test.count", run_at=T0 + timedelta(hours=1))

    assert run_once(engine, registry, now=T0) == 0
    assert run_once(engine, registry, now=T0 + timedelta(hours=1)) == 1
    assert len(seen) == 1


def test_a_worker_leaves_kinds_it_has_no_handler_for(engine: Engine) -> None:
    registry, _ = counting_registry()
    job_id = add_job(engine, "mail.send")

    assert run_once(engine, registry) == 0
    assert load(engine, job_id).status == JobStatus.QUEUED


def test_an_enqueue_rolled_back_with_its_transaction_leaves_no_job(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        enqueue(session, "test.count", {})
        session.rollback()

    assert claim(engine, "w1") is None


def test_a_naive_run_at_is_refused(engine: Engine) -> None:
    with pytest.raises(sa.exc.StatementError):
        add_job(engine, "test.count", run_at=datetime(2025, 3, 3, 9, 0))  # noqa: DTZ001


# --- failure, retry, death -----------------------------------------------------------------


def test_a_failing_job_is_retried_with_growing_backoff_then_dead_after_max_attempts(
    engine: Engine,
) -> None:
    registry, seen = counting_registry(action=raise_(ConnectionError("crm.example: refused")))
    job_id = add_job(engine, "test.count", max_attempts=3)

    now, delays = T0, []
    for attempt in (1, 2):
        assert run_once(engine, registry, now=now) == 1
        job = load(engine, job_id)
        assert (job.status, job.attempts) == (JobStatus.QUEUED, attempt)
        delays.append(job.run_at - now)
        assert run_once(engine, registry, now=job.run_at - timedelta(seconds=1)) == 0
        now = job.run_at
    assert run_once(engine, registry, now=now) == 1

    job = load(engine, job_id)
    assert (job.status, job.attempts, job.finished_at) == (JobStatus.DEAD, 3, now)
    assert timedelta(seconds=15) <= delays[0] <= timedelta(seconds=30) <= delays[1]
    assert len(seen) == 3
    assert run_once(engine, registry, now=now + timedelta(days=1)) == 0


def test_a_permanent_error_makes_the_job_dead_at_once(engine: Engine) -> None:
    registry, seen = counting_registry(action=raise_(PermanentJobError("subject was erased")))
    job_id = add_job(engine, "test.count", max_attempts=5)

    run_once(engine, registry, now=T0)
    run_once(engine, registry, now=T0 + timedelta(days=1))

    job = load(engine, job_id)
    assert (job.status, job.attempts) == (JobStatus.DEAD, 1)
    assert job.last_error == "PermanentJobError: subject was erased"
    assert len(seen) == 1


def test_last_error_keeps_a_foreign_errors_class_but_never_its_message(engine: Engine) -> None:
    registry, _ = counting_registry(action=raise_(ValueError("bad address anna@example.org")))
    job_id = add_job(engine, "test.count")

    run_once(engine, registry, now=T0)

    assert load(engine, job_id).last_error == "ValueError"


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [
        (1, timedelta(seconds=15), timedelta(seconds=30)),
        (2, timedelta(seconds=30), timedelta(seconds=60)),
        (5, timedelta(minutes=4), timedelta(minutes=8)),
        (40, timedelta(hours=3), timedelta(hours=6)),
        (10_000, timedelta(hours=3), timedelta(hours=6)),
    ],
)
def test_backoff_doubles_per_attempt_with_jitter_and_a_cap(
    attempts: int, low: timedelta, high: timedelta
) -> None:
    delays = {backoff_delay(attempts) for _ in range(20)}
    assert all(low <= delay <= high for delay in delays)
    assert len(delays) > 1


# --- leases and exactly-once ---------------------------------------------------------------


def test_a_crashed_workers_job_is_claimed_again_once_its_lease_expires(engine: Engine) -> None:
    job_id = add_job(engine, "test.count")
    crashed = claim(engine, "w-crashed", lease=timedelta(minutes=1), now=T0)
    assert crashed is not None and crashed.id == job_id

    assert claim(engine, "w2", now=T0 + timedelta(seconds=59)) is None
    rescued = claim(engine, "w2", now=T0 + timedelta(minutes=2))

    assert rescued is not None and (rescued.id, rescued.attempts) == (job_id, 2)
    with make_session_factory(engine).begin() as session:
        assert complete(session, crashed) is False
        assert complete(session, rescued) is True
    assert load(engine, job_id).status == JobStatus.DONE


def test_a_job_abandoned_on_its_last_attempt_is_declared_dead(engine: Engine) -> None:
    job_id = add_job(engine, "test.count", max_attempts=1)
    assert claim(engine, "w-crashed", lease=timedelta(minutes=1), now=T0) is not None

    later = T0 + timedelta(minutes=2)
    assert claim(engine, "w2", now=later) is None
    schedule_periodic(engine, JobRegistry(), now=later)

    job = load(engine, job_id)
    assert job.status == JobStatus.DEAD
    assert job.last_error is not None and job.last_error.startswith("LeaseExpired")


def test_a_completed_job_is_never_run_again(engine: Engine) -> None:
    registry, seen = counting_registry()
    add_job(engine, "test.count")

    run_once(engine, registry, now=T0)
    for later in (T0, T0 + timedelta(hours=1), T0 + timedelta(days=30)):
        assert run_once(engine, registry, now=later) == 0
        assert claim(engine, "w2", now=later) is None
    assert len(seen) == 1


def test_four_worker_processes_run_each_of_200_jobs_exactly_once(engine: Engine) -> None:
    RUNS.create(engine)
    with make_session_factory(engine).begin() as session:
        for n in range(200):
            enqueue(session, "test.record", {"n": n})
    url, schema = where_children_connect(engine)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(4)
    children = [
        spawn.Process(target=drain_in_child, args=(url, schema, f"p{i}", start)) for i in range(4)
    ]

    for child in children:
        child.start()
    for child in children:
        child.join(timeout=300)

    assert [child.exitcode for child in children] == [0, 0, 0, 0]
    with engine.connect() as conn:
        runs = Counter(conn.execute(sa.select(RUNS.c.n)).scalars())
        statuses = Counter(conn.execute(sa.select(Job.status)).scalars())
    assert runs == Counter(range(200))
    assert statuses == {JobStatus.DONE: 200}


# --- periodic jobs -------------------------------------------------------------------------


def test_a_periodic_job_is_enqueued_once_per_slot_even_when_two_workers_schedule(
    engine: Engine,
) -> None:
    registry = JobRegistry()
    seen: list[Payload] = []
    registry.periodic("retention.sweep", every=timedelta(hours=1), payload={"scope": "all"})(
        lambda payload, _context: seen.append(payload)
    )

    assert schedule_periodic(engine, registry, now=T0 + timedelta(minutes=5)) == 1
    assert schedule_periodic(engine, registry, now=T0 + timedelta(minutes=6)) == 0
    run_once(engine, registry, worker_id="w1", now=T0 + timedelta(minutes=7))
    run_once(engine, registry, worker_id="w2", now=T0 + timedelta(minutes=8))
    run_once(engine, registry, worker_id="w2", now=T0 + timedelta(minutes=65))
    run_once(engine, registry, worker_id="w1", now=T0 + timedelta(minutes=66))

    with Session(engine) as session:
        keys = session.scalars(sa.select(Job.unique_key).order_by(Job.run_at)).all()
    assert keys == [
        "retention.sweep@2025-03-03T09:00:00+00:00",
        "retention.sweep@2025-03-03T10:00:00+00:00",
    ]
    assert seen == [{"scope": "all"}, {"scope": "all"}]


def test_a_handler_kind_cannot_be_registered_twice() -> None:
    registry, _ = counting_registry("mail.send")
    with pytest.raises(ValueError, match="already has a handler"):
        registry.handler("mail.send")(lambda _payload, _context: None)


# --- running it ----------------------------------------------------------------------------


def test_a_worker_in_a_thread_runs_jobs_until_stopped(engine: Engine) -> None:
    done = threading.Event()
    registry, _ = counting_registry(action=lambda _payload: done.set())
    thread, stop = start_in_thread(engine, registry, poll_interval=0.05)

    add_job(engine, "test.count")
    assert done.wait(timeout=30)
    stop.set()
    thread.join(timeout=30)

    assert not thread.is_alive()


def test_finished_jobs_can_be_purged(engine: Engine) -> None:
    registry, _ = counting_registry()
    done_id = add_job(engine, "test.count")
    waiting_id = add_job(engine, "test.count", run_at=T0 + timedelta(days=1))
    run_once(engine, registry, now=T0)

    with make_session_factory(engine).begin() as session:
        assert purge_finished(session, before=T0 + timedelta(seconds=1)) == 1

    with Session(engine) as session:
        assert session.get(Job, done_id) is None
        assert session.get(Job, waiting_id) is not None


def test_the_worker_command_runs_what_is_due_and_exits_with_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lawful.cli import jobs_cmds  # here: the rest of this file does not need the CLI

    monkeypatch.setenv("LAWFUL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    app = typer.Typer()
    app.callback()(lambda: None)
    jobs_cmds.register(app)

    result = CliRunner().invoke(app, ["worker", "--once", "--id", "cli", "--concurrency", "2"])

    assert result.exit_code == 0, result.output


def test_the_jobs_migration_matches_the_model(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert [d for d in differences if "jobs" in repr(d)] == []


def test_every_process_that_runs_jobs_knows_every_builtin_job_kind():
    import subprocess
    import sys

    from lawful.consent.service import DESTROY_JOB

    # A fresh interpreter, as `lawful worker` starts: nothing but the loader has run.
    code = (
        "from lawful.context import load_job_handlers\n"
        "from lawful.jobs.registry import default_registry\n"
        "load_job_handlers()\n"
        "print(','.join(sorted(default_registry.kinds())))\n"
    )
    kinds = (
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        .stdout.strip()
        .split(",")
    )
    assert DESTROY_JOB in kinds
