"""The worker's retention sweep (``retention.sweep``, every six hours): see
:func:`lawful.retention.runs.run_sweep`. A crashed sweep is resumed by the next one.

Importing this module declares the job on :data:`lawful.jobs.default_registry`; processes that
run jobs load it through ``lawful.context.JOB_HANDLER_MODULES``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from lawful.config.models import Policy
from lawful.jobs import JobContext, Payload, default_registry
from lawful.retention.runs import run_sweep
from lawful.retention.sweep import SweepConflict

SWEEP_JOB = "retention.sweep"
SWEEP_EVERY = timedelta(hours=6)

log = logging.getLogger(__name__)


@default_registry.periodic(SWEEP_JOB, every=SWEEP_EVERY)
def sweep(_payload: Payload, context: JobContext) -> None:
    policy = getattr(context, "policy", None)
    if not isinstance(policy, Policy):
        log.warning("retention.sweep skipped: this worker has no lawful.yaml")
        return
    clock = getattr(context, "clock", None)
    now = clock() if callable(clock) else datetime.now(UTC)
    try:
        report = run_sweep(context.sessions, policy, now=now)
    except SweepConflict:
        log.info("retention.sweep: another worker is sweeping; left to it")
        return
    log.info(
        "retention.sweep: %d values removed, %d subjects shredded, %d held, act %s",
        sum(report.values.values()),
        report.shredded,
        sum(report.held.values()),
        report.act_number or "none",
    )
