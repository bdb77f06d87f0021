"""The worker loop: schedule due periodic jobs, claim, run the handler, record the outcome.

Any number of workers (threads in ``lawful serve``, processes from ``lawful worker``) can share
one database; the claim in :mod:`lawful.jobs.service` keeps them from running a job twice.
Logs name jobs by id, kind and error class only: payloads and error messages may identify
people and logs are beyond the reach of erasure.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from lawful.jobs import service
from lawful.jobs.models import Job, JobStatus
from lawful.jobs.registry import JobContext, JobRegistry
from lawful.store.db import make_session_factory

logger = logging.getLogger(__name__)


def default_worker_id() -> str:
    """Host, process and a short random part: unique even for several threads in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def schedule_periodic(engine: Engine, registry: JobRegistry, *, now: datetime | None = None) -> int:
    """Enqueue the current slot of every periodic job; return how many were new.

    Every worker calls this on every turn; the slot's unique key makes all but the first
    enqueue a no-op. The same transaction declares dead the jobs abandoned on their last try.
    """
    now = now or service.utcnow()
    created = 0
    with make_session_factory(engine).begin() as session:
        for periodic in registry.periodic_jobs():
            job_id = service.enqueue(
                session,
                periodic.kind,
                periodic.payload,
                run_at=periodic.slot_start(now),
                unique_key=periodic.unique_key(now),
                max_attempts=periodic.max_attempts,
            )
            created += job_id is not None
        service.reap_abandoned(session, now=now)
    return created


def run_once(
    engine: Engine,
    registry: JobRegistry,
    *,
    worker_id: str | None = None,
    now: datetime | None = None,
    context: JobContext | None = None,
    lease: timedelta = service.DEFAULT_LEASE,
    stop_event: threading.Event | None = None,
) -> int:
    """Run every job that is due, then return how many ran.

    ``now`` pins the clock (tests travel in time with it); without it each claim reads the
    clock afresh. Jobs whose retry falls later than the drain began wait for the next call.
    """
    worker_id = worker_id or default_worker_id()
    context = context or JobContext(engine, make_session_factory(engine))
    schedule_periodic(engine, registry, now=now)
    ran = 0
    while stop_event is None or not stop_event.is_set():
        job = service.claim(engine, worker_id, kinds=registry.kinds(), lease=lease, now=now)
        if job is None:
            break
        _run_job(job, registry, context, now)
        ran += 1
    return ran


def _run_job(job: Job, registry: JobRegistry, context: JobContext, now: datetime | None) -> None:
    handler = registry.get(job.kind)
    if handler is None:  # claim only takes registered kinds; guard against a changed registry
        _record_failure(job, context, service.PermanentJobError("no handler"), now)
        return
    try:
        handler(job.payload, context)
    # The boundary between the worker and arbitrary handler code: whatever a handler raises must
    # become a retry or a dead job, never a dead worker. Only the class name is kept.
    except Exception as error:  # noqa: BLE001
        _record_failure(job, context, error, now)
        return
    with context.sessions.begin() as session:
        held = service.complete(session, job, now=now)
    if held:
        logger.info("job %d (%s) done on attempt %d", job.id, job.kind, job.attempts)
    else:
        logger.warning("job %d (%s) finished after its lease was lost", job.id, job.kind)


def _record_failure(
    job: Job, context: JobContext, error: BaseException, now: datetime | None
) -> None:
    with context.sessions.begin() as session:
        status = service.fail(session, job, error, now=now)
    name = type(error).__name__
    if status is JobStatus.QUEUED:
        logger.warning("job %d (%s) failed with %s, will retry", job.id, job.kind, name)
    elif status is JobStatus.DEAD:
        logger.error("job %d (%s) is dead after %s", job.id, job.kind, name)
    else:
        logger.warning("job %d (%s) failed after its lease was lost", job.id, job.kind)


def run_worker(
    engine: Engine,
    registry: JobRegistry,
    *,
    worker_id: str,
    once: bool = False,
    poll_interval: float = 1.0,
    stop_event: threading.Event | None = None,
    context: JobContext | None = None,
) -> None:
    """Work until ``stop_event`` is set (or, with ``once``, until nothing is due).

    Stopping is graceful: the job in hand finishes and is recorded before the loop exits.
    """
    stop_event = stop_event or threading.Event()
    context = context or JobContext(engine, make_session_factory(engine))
    logger.info("worker %s started", worker_id)
    while not stop_event.is_set():
        ran = run_once(
            engine, registry, worker_id=worker_id, context=context, stop_event=stop_event
        )
        if once:
            break
        if ran == 0:
            stop_event.wait(poll_interval)
    logger.info("worker %s stopped", worker_id)


def start_in_thread(
    engine: Engine,
    registry: JobRegistry,
    *,
    worker_id: str | None = None,
    poll_interval: float = 1.0,
    context: JobContext | None = None,
) -> tuple[threading.Thread, threading.Event]:
    """Run a worker beside something else (``lawful serve``); set the event, then join."""
    stop_event = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(engine, registry),
        kwargs={
            "worker_id": worker_id or default_worker_id(),
            "poll_interval": poll_interval,
            "stop_event": stop_event,
            "context": context,
        },
        name="lawful-worker",
        daemon=True,
    )
    thread.start()
    return thread, stop_event


def run_workers(
    engine: Engine,
    registry: JobRegistry,
    *,
    worker_id: str,
    concurrency: int = 1,
    once: bool = False,
    poll_interval: float = 1.0,
    stop_event: threading.Event,
    context: JobContext | None = None,
) -> None:
    """Run ``concurrency`` workers as threads of this process (jobs wait mostly on I/O)."""
    threads = [
        threading.Thread(
            target=run_worker,
            args=(engine, registry),
            kwargs={
                "worker_id": f"{worker_id}/{index}" if concurrency > 1 else worker_id,
                "once": once,
                "poll_interval": poll_interval,
                "stop_event": stop_event,
                "context": context,
            },
            name=f"lawful-worker-{index}",
        )
        for index in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.5)  # short waits keep the main thread free for signals
