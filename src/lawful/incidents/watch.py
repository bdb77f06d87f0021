"""Which incident notices need a warning now: near (their last quarter, at least their last
12 hours), passed, or still waiting for a person's decision. Logs name the incident's random id
and the rule, never its texts. The worker runs it (:mod:`lawful.incidents.jobs`)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from lawful.config.models import Policy
from lawful.incidents.service import NoticeDeadline, deadlines_of, open_incidents

logger = logging.getLogger("lawful.incidents")

WARN_STATES = frozenset({"due-soon", "overdue", "needs-decision"})


def warn_deadlines(
    sessions: sessionmaker[Session], policy: Policy, now: datetime
) -> list[tuple[str, NoticeDeadline, str]]:
    """Log a warning for every notice near, past or undecided; return what was warned."""
    warned = []
    with sessions() as session:
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
