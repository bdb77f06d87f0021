"""Durable jobs without a broker: rows in the ``jobs`` table, claimed with a lease.

Used for retention sweeps, deadline reminders, connector calls and outgoing mail. Enqueue in the
transaction that makes the job necessary; declare handlers and periodic jobs on a
:class:`JobRegistry` (usually :data:`default_registry`); run them with ``lawful worker`` or in
process with :func:`start_in_thread`. Payloads carry ids, never personal data.
"""

from lawful.jobs.models import Job, JobStatus, Payload
from lawful.jobs.registry import JobContext, JobRegistry, PeriodicJob, default_registry
from lawful.jobs.service import (
    PermanentJobError,
    backoff_delay,
    claim,
    complete,
    enqueue,
    fail,
    purge_finished,
    reap_abandoned,
)
from lawful.jobs.worker import run_once, run_worker, schedule_periodic, start_in_thread

__all__ = [
    "Job",
    "JobContext",
    "JobRegistry",
    "JobStatus",
    "Payload",
    "PeriodicJob",
    "PermanentJobError",
    "backoff_delay",
    "claim",
    "complete",
    "default_registry",
    "enqueue",
    "fail",
    "purge_finished",
    "reap_abandoned",
    "run_once",
    "run_worker",
    "schedule_periodic",
    "start_in_thread",
]
