"""The incident register: record a breach, compute each authority's deadline, record notices.

Deadlines come from the law tables, never from here: every rule of the operator's
jurisdictions that an incident triggers and that names an authority as its recipient (Russia:
the first notice in 24 hours and the investigation's results in 72; Kazakhstan: one working
day; the GDPR, Georgia and Vietnam: 72 hours). A rule whose figure is unconfirmed is shown as
needing a decision until the operator records a figure under ``law_overrides``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful import audit, law
from lawful.config.models import Policy
from lawful.errors import NeedsDecision, NotFound, PolicyViolation
from lawful.incidents.models import Incident, IncidentNotice

#: The triggers the law tables use for "the operator learnt of a breach".
BREACH_TRIGGERS = frozenset(
    {"incident_detected", "breach_detected", "incident_identified", "controller_aware"}
)
#: A deadline is "due soon" in its last quarter, and at least in its last 12 hours.
SOON_SHARE = 0.25
SOON_AT_LEAST = timedelta(hours=12)
TEXT_LIMIT = 4000


@dataclass(frozen=True)
class NewIncident:
    detected_at: datetime
    nature: str
    categories: Sequence[str]
    subjects_affected: int
    measures: str
    causes: str | None = None
    consequences: str | None = None
    records_affected: int | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class NoticeDeadline:
    """One notice an authority is owed for one incident."""

    jurisdiction: str
    rule: str
    summary: str
    recipient: str
    source: str
    status: str
    due: datetime | None
    #: Why no deadline could be computed (an unconfirmed figure), else None.
    needs_decision: str | None
    sent_at: datetime | None

    def state(self, now: datetime, detected_at: datetime) -> str:
        """``sent``, ``needs-decision``, ``overdue``, ``due-soon`` or ``open``."""
        if self.sent_at is not None:
            return "sent"
        if self.due is None:
            return "needs-decision"
        if now >= self.due:
            return "overdue"
        window = max((self.due - detected_at) * SOON_SHARE, SOON_AT_LEAST)
        return "due-soon" if self.due - now <= window else "open"

    def countdown(self, now: datetime) -> str:
        """``5h 12m left`` / ``2h 3m overdue`` / ``—``."""
        if self.due is None or self.sent_at is not None:
            return "—"
        left = self.due - now
        span = abs(left)
        hours, minutes = int(span.total_seconds() // 3600), int(span.total_seconds() % 3600 // 60)
        return f"{hours}h {minutes:02d}m {'left' if left >= timedelta(0) else 'overdue'}"


# --- registering ---------------------------------------------------------------------------


def _text(value: str | None, field: str, *, required: bool) -> str | None:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise PolicyViolation(f"{field} must not be empty", field=field)
    if len(cleaned) > TEXT_LIMIT:
        raise PolicyViolation(f"{field} is longer than {TEXT_LIMIT} characters", field=field)
    return cleaned or None


def _validate(policy: Policy, new: NewIncident, now: datetime) -> None:
    if new.detected_at.tzinfo is None or new.detected_at.utcoffset() is None:
        raise PolicyViolation("detected_at needs a time zone", field="detected_at")
    if new.detected_at > now + timedelta(minutes=5):
        raise PolicyViolation("detected_at is in the future", field="detected_at")
    if new.subjects_affected < 0:
        raise PolicyViolation("subjects_affected cannot be negative", field="subjects_affected")
    if new.records_affected is not None and new.records_affected < 0:
        raise PolicyViolation("records_affected cannot be negative", field="records_affected")
    occurred = new.occurred_at
    if occurred is not None and (occurred.tzinfo is None or occurred > new.detected_at):
        raise PolicyViolation(
            "occurred_at needs a time zone and cannot follow detection", field="occurred_at"
        )
    if not new.categories:
        raise PolicyViolation("name at least one data category", field="categories")
    for category in new.categories:
        if category not in policy.categories:
            raise PolicyViolation(
                f"category {category!r} is not declared in lawful.yaml", field="categories"
            )


def register(
    *, session: Session, policy: Policy, incident: NewIncident, actor: str, now: datetime
) -> Incident:
    """Enter an incident in the register; journal ``incident_register`` (no texts in it)."""
    _validate(policy, incident, now)
    row = Incident(
        id=uuid.uuid4().hex,
        detected_at=incident.detected_at,
        registered_at=now,
        nature=_text(incident.nature, "nature", required=True),
        causes=_text(incident.causes, "causes", required=False),
        consequences=_text(incident.consequences, "consequences", required=False),
        measures=_text(incident.measures, "measures", required=True),
        categories=sorted(set(incident.categories)),
        subjects_affected=incident.subjects_affected,
        records_affected=incident.records_affected,
        occurred_at=incident.occurred_at,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        audit.Event(
            "incident_register",
            actor,
            categories=row.categories,
            details={"incident": row.id, "subjects_affected": row.subjects_affected},
        ),
        at=now,
    )
    return row


def get(session: Session, incident_id: str) -> Incident:
    found = session.get(Incident, incident_id)
    if found is None:
        raise NotFound("no such incident", field="incident_id")
    return found


def close(*, session: Session, incident_id: str, reason: str, actor: str, now: datetime) -> None:
    """Close an incident (handled, or no notice due: e.g. GE Art. 29's exception for damage
    that is unlikely to be significant); its deadlines are no longer watched."""
    incident = get(session, incident_id)
    if incident.closed_at is not None:
        raise PolicyViolation("the incident is already closed", field="incident_id")
    incident.closed_reason = _text(reason, "reason", required=True)
    incident.closed_at = now
    audit.append(
        session,
        audit.Event(
            "incident_close",
            actor,
            details={"incident": incident_id},
        ),
        at=now,
    )


def open_incidents(session: Session) -> list[Incident]:
    query = sa.select(Incident).where(Incident.closed_at.is_(None))
    return list(session.scalars(query.order_by(Incident.detected_at)))


def all_incidents(session: Session) -> list[Incident]:
    return list(session.scalars(sa.select(Incident).order_by(Incident.detected_at)))


# --- deadlines -----------------------------------------------------------------------------


def notice_rules(policy: Policy) -> list[tuple[str, law.Rule]]:
    """(jurisdiction, rule) of every notice to an authority a breach triggers for this operator."""
    book = law.load_lawbook().jurisdictions
    return [
        (j, rule)
        for j in policy.operator.jurisdictions
        for rule in book[j].rules.values()
        if rule.trigger in BREACH_TRIGGERS and rule.recipient is not None
    ]


def _override(policy: Policy, jurisdiction: str, rule: str) -> law.RuleOverride | None:
    chosen = policy.law_overrides.get(jurisdiction, {}).get(rule)
    return None if chosen is None else law.RuleOverride.model_validate(chosen.figure())


def deadlines(
    policy: Policy, incident: Incident, sent: Mapping[tuple[str, str], datetime]
) -> list[NoticeDeadline]:
    """Each notice owed for ``incident``, with its due time (operator's time zone)."""
    found = []
    for j, rule in notice_rules(policy):
        due, why = None, None
        try:
            due = law.due(
                j,
                rule.name,
                incident.detected_at,
                tz=policy.operator.timezone,
                override=_override(policy, j, rule.name),
            )
        except NeedsDecision as undecided:
            why = undecided.message
        found.append(
            NoticeDeadline(
                j,
                rule.name,
                rule.summary,
                rule.recipient or "",
                rule.source,
                rule.status,
                due,
                why,
                sent.get((j, rule.name)),
            )
        )
    return sorted(found, key=lambda d: (d.due is None, d.due or incident.detected_at))


def sent_notices(session: Session, incident_id: str) -> dict[tuple[str, str], datetime]:
    rows = session.execute(
        sa.select(IncidentNotice.jurisdiction, IncidentNotice.rule, IncidentNotice.sent_at).where(
            IncidentNotice.incident_id == incident_id
        )
    ).all()
    return {(j, r): at for j, r, at in rows}


def deadlines_of(session: Session, policy: Policy, incident: Incident) -> list[NoticeDeadline]:
    return deadlines(policy, incident, sent_notices(session, incident.id))


def record_notice(
    *,
    session: Session,
    policy: Policy,
    incident_id: str,
    jurisdiction: str,
    rule: str,
    sent_at: datetime,
    actor: str,
) -> IncidentNotice:
    """Record that the notice under ``jurisdiction/rule`` went to the authority."""
    incident = get(session, incident_id)
    if (jurisdiction, rule) not in {(j, r.name) for j, r in notice_rules(policy)}:
        raise PolicyViolation(
            f"{jurisdiction}/{rule} is not a notice this incident owes", field="rule"
        )
    if sent_at.tzinfo is None or sent_at < incident.detected_at:
        raise PolicyViolation("sent_at must be aware and after detection", field="sent_at")
    if (jurisdiction, rule) in sent_notices(session, incident_id):
        raise PolicyViolation(f"the {jurisdiction}/{rule} notice is already recorded", field="rule")
    notice = IncidentNotice(
        incident_id=incident_id, jurisdiction=jurisdiction, rule=rule, sent_at=sent_at
    )
    session.add(notice)
    audit.append(
        session,
        audit.Event(
            "incident_notify",
            actor,
            details={"incident": incident_id, "rule": f"{jurisdiction}/{rule}"},
        ),
        at=sent_at,
    )
    return notice
