"""Purpose-achieved events and legal holds: the facts, beside the policy, that decide when a
subject's data go. Functions take a keyword-only ``session`` and never commit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful import audit
from lawful.config.models import Policy
from lawful.errors import NotFound, PolicyViolation
from lawful.retention.models import LegalHold, RetentionEvent
from lawful.retention.rules import declared_events
from lawful.subjects.models import Subject


def _require_subject(session: Session, subject_id: str) -> None:
    if session.get(Subject, subject_id) is None:
        raise NotFound("no such subject", field="subject_id")


def record_event(
    *, session: Session, policy: Policy, subject_id: str, event: str, at: datetime, actor: str
) -> None:
    """Note that a purpose was achieved for one subject (``order_closed``, ``account_deleted``):
    the purposes whose retention waits for ``event`` start their countdown at ``at``."""
    known = declared_events(policy)
    if event not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise PolicyViolation(
            f"event {event!r} is not awaited by any purpose's retention (declared: {listed}); "
            "add `kind: until_event` with `event:` to a purpose in lawful.yaml",
            field="event",
        )
    _require_subject(session, subject_id)
    session.add(RetentionEvent(subject_id=subject_id, event=event, occurred_at=at))
    audit.append(
        session, audit.Event("retention_event", actor, subject_id, details={"event": event}), at=at
    )


def place_hold(
    *,
    session: Session,
    policy: Policy,
    subject_id: str,
    purpose: str | None,
    reason: str,
    at: datetime,
    actor: str,
) -> int:
    """Stop the destruction of one subject's data (of one purpose, or all) until released."""
    if purpose is not None:
        policy.purpose(purpose)
    reason = reason.strip()
    if not reason or len(reason) > 300:
        raise PolicyViolation("a legal hold needs its reason (1-300 characters)", field="reason")
    _require_subject(session, subject_id)
    hold = LegalHold(subject_id=subject_id, purpose=purpose, reason=reason, placed_at=at)
    session.add(hold)
    session.flush()
    # The reason may name a case or a person: it stays in the hold, not in the journal.
    audit.append(
        session, audit.Event("legal_hold", actor, subject_id, purpose, details={"hold": hold.id})
    )
    return hold.id


def release_hold(*, session: Session, hold_id: int, actor: str) -> None:
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound(f"no legal hold {hold_id}", field="hold")
    audit.append(
        session,
        audit.Event(
            "legal_hold_release", actor, hold.subject_id, hold.purpose, details={"hold": hold_id}
        ),
    )
    session.delete(hold)


def list_holds(*, session: Session, subject_id: str | None = None) -> list[LegalHold]:
    query = sa.select(LegalHold).order_by(LegalHold.id)
    if subject_id is not None:
        query = query.where(LegalHold.subject_id == subject_id)
    return list(session.scalars(query))
