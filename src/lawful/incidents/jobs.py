"""The worker's periodic look at the incident register: a warning for every notice whose
deadline is near (its last quarter, at least its last 12 hours), passed, or still waiting for
a person's decision. Logs name the incident's random id and the rule, never its texts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from lawful.config.models import Policy
from lawful.incidents.service import NoticeDeadline, deadlines_of, open_incidents
from lawful.jobs import JobContext, Payload, default_registry

logger = logging.getLogger(__name__)

WATCH_JOB = "incidents.watch"
WATCH_EVERY = timedelta(minutes=15)
WARN_STATES = frozenset({"due-soon", "overdue", "needs-decision"})


@default_registry.periodic(WATCH_JOB, every=WATCH_EVERY)
def watch(_payload: Payload, context: JobContext) -> None:
    policy = getattr(context, "policy", None) or _configured_policy()
    if isinstance(policy, Policy):
        warn_deadlines(context, policy, datetime.now(UTC))


def _configured_policy() -> Policy | None:
    """The worker's context carries no policy yet: read lawful.yaml as the CLI would."""
    from lawful.config.loader import load_policy
    from lawful.settings import Settings

    path = Settings.from_env().config_path
    return load_policy(path).policy if path.exists() else None


def warn_deadlines(
    context: JobContext, policy: Policy, now: datetime
) -> list[tuple[str, NoticeDeadline, str]]:
    """Log a warning for every notice near, past or undecided; return what was warned."""
    warned = []
    with context.sessions() as session:
        for incident in open_incidents(session):
            for owed in deadlines_of(session, policy, incident):
                state = owed.state(now, incident.detected_at)
                if state in WARN_STATES:
                    warned.append((incident.id, owed, state))
    for incident_id, owed, state in warned:
        logger.warning(
            "incident %s: %s/%s notice to %s is %s (%s)",
            incident_id,
            owed.jurisdiction,
            owed.rule,
            owed.recipient,
            state,
            owed.countdown(now),
        )
    return warned
