"""The worker's periodic look at the incident register (``incidents.watch``, every 15
minutes): see :func:`lawful.incidents.watch.warn_deadlines`.

Importing this module declares the job on :data:`lawful.jobs.default_registry`; processes that
run jobs load it through ``lawful.context.JOB_HANDLER_MODULES``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lawful.config.models import Policy
from lawful.incidents.watch import warn_deadlines
from lawful.jobs import JobContext, Payload, default_registry

WATCH_JOB = "incidents.watch"
WATCH_EVERY = timedelta(minutes=15)


@default_registry.periodic(WATCH_JOB, every=WATCH_EVERY)
def watch(_payload: Payload, context: JobContext) -> None:
    policy = getattr(context, "policy", None) or _configured_policy()
    if isinstance(policy, Policy):
        warn_deadlines(context.sessions, policy, datetime.now(UTC))


def _configured_policy() -> Policy | None:
    """A bare JobContext (not a WorkerContext) carries no policy: read lawful.yaml as the CLI
    would."""
    from lawful.config.loader import load_policy
    from lawful.settings import Settings

    path = Settings.from_env().config_path
    return load_policy(path).policy if path.exists() else None
